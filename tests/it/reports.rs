//! Reports through the API: who may read them, the JSON figures, and the exports read back by
//! real readers (Python's openpyxl for the workbook, poppler's pdftotext for the PDF).

use crate::common::{Api, TestServer, at};
use serde_json::{Value, json};
use std::process::Command;

struct Fixture {
    server: TestServer,
    manager: Api,
    query: String,
}

/// Two meetings next week (3 h in all) and a cancelled one, in one Madrid room.
async fn fixture() -> Fixture {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let room = admin.create_room("Sala Informe", 10).await;
    for (start, end) in [(at(2, 9), at(2, 11)), (at(3, 9), at(3, 10))] {
        let res = admin.book(&room, &start, &end).await;
        assert_eq!(res.status, 201, "{}", res.body);
    }
    let cancelled = admin.book(&room, &at(4, 9), &at(4, 10)).await;
    let id = cancelled.body["id"].as_str().unwrap().to_string();
    assert_eq!(admin.post(&format!("/api/v1/reservations/{id}/cancel"), json!({})).await.status, 200);
    let manager = server.user("manager").await;
    let (from, to) = (at(1, 0), at(8, 0));
    let query = format!("from={}&to={}", urlencode(&from), urlencode(&to));
    Fixture { server, manager, query }
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn bytes(api: &Api, path: &str) -> (u16, String, Vec<u8>) {
    let mut req = api.http.get(format!("{}{path}", api.base));
    if let Some(t) = &api.token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let kind = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (res.status().as_u16(), kind, res.bytes().await.unwrap().to_vec())
}

fn write_temp(bytes: &[u8], suffix: &str) -> tempfile::TempPath {
    let file = tempfile::Builder::new().suffix(suffix).tempfile().unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    file.into_temp_path()
}

#[tokio::test]
async fn managers_and_admins_only() {
    let f = fixture().await;
    let path = format!("/api/v1/reports/utilization?{}", f.query);
    assert_eq!(f.server.user("member").await.get(&path).await.status, 403);
    assert_eq!(f.server.user("viewer").await.get(&path).await.status, 403);
    assert_eq!(f.server.anonymous().get(&path).await.status, 401);
    assert_eq!(f.server.admin().await.get(&path).await.status, 200);
    let backwards = format!("/api/v1/reports/utilization?from={}&to={}", urlencode(&at(3, 0)), urlencode(&at(1, 0)));
    let res = f.manager.get(&backwards).await;
    assert_eq!((res.status, res.error_fields()), (422, vec!["to".to_string()]));
    let missing = f.manager.get(&format!("/api/v1/reports/utilization?{}&room_id={}", f.query, uuid_zero())).await;
    assert_eq!(missing.status, 404);
}

fn uuid_zero() -> &'static str {
    "00000000-0000-0000-0000-000000000000"
}

#[tokio::test]
async fn json_figures_and_filters() {
    let f = fixture().await;
    let u = f.manager.get(&format!("/api/v1/reports/utilization?{}", f.query)).await;
    assert_eq!(u.status, 200, "{}", u.body);
    assert_eq!(u.body["total"]["booked_hours_all"], 3.0);
    assert_eq!(u.body["total"]["reservations"], 2);
    assert_eq!(u.body["rooms"][0]["name"], "Sala Informe");
    assert_eq!(u.body["periods"].as_array().unwrap().len(), 7);
    let b = f.manager.get(&format!("/api/v1/reports/behaviour?{}", f.query)).await;
    assert_eq!((b.body["reservations"].clone(), b.body["cancellations"].clone()), (json!(3), json!(1)));
    assert_eq!(b.body["avg_length_minutes"], 90.0);
    assert_eq!(b.body["sizes"][0]["capacity"], 10);
    let o = f.manager.get(&format!("/api/v1/reports/occupancy?{}", f.query)).await;
    assert_eq!(o.body["heatmap"].as_array().unwrap().len(), 168);
    let booked: f64 = o.body["heatmap"].as_array().unwrap().iter().map(|c| c["booked_hours"].as_f64().unwrap()).sum();
    assert_eq!(booked, 3.0);
    let elsewhere = f.manager.get(&format!("/api/v1/reports/utilization?{}&location=Elsewhere", f.query)).await;
    assert_eq!(elsewhere.body["total"]["reservations"], 0);
}

const READ_XLSX: &str = r#"
import json, sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1])
out = {}
for ws in book.worksheets:
    out[ws.title] = [[c if isinstance(c, (int, float, str)) or c is None else c.isoformat() for c in row]
                     for row in ws.iter_rows(values_only=True)]
print(json.dumps(out))
"#;

pub(crate) fn read_xlsx(bytes: &[u8]) -> Value {
    let path = write_temp(bytes, ".xlsx");
    let out = Command::new("python3")
        .args(["-c", READ_XLSX, path.to_str().unwrap()])
        .output()
        .expect("python3 runs (python3 -m pip install openpyxl)");
    assert!(out.status.success(), "openpyxl: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn xlsx_read_by_openpyxl_matches_the_json() {
    let f = fixture().await;
    let json = f.manager.get(&format!("/api/v1/reports/utilization?{}", f.query)).await.body;
    let (status, kind, body) = bytes(&f.manager, &format!("/api/v1/reports/utilization?{}&format=xlsx", f.query)).await;
    assert_eq!(status, 200);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let book = read_xlsx(&body);
    let rows = book["Utilization"].as_array().unwrap();
    assert_eq!(rows[0][0], "kind");
    let total = rows.iter().find(|r| r[0] == "total").unwrap();
    // Typed cells: numbers come back as numbers, equal to the JSON's.
    for (col, key) in
        [(4, "open_hours"), (5, "booked_hours"), (6, "utilization"), (7, "booked_hours_all"), (8, "reservations")]
    {
        assert_eq!(total[col].as_f64(), json["total"][key].as_f64(), "{key}");
    }
    let room = rows.iter().find(|r| r[1] == "Sala Informe").unwrap();
    assert_eq!(room[3].as_f64(), Some(10.0));
    assert!(book["Occupancy"].as_array().unwrap().len() == 169 && book["Behaviour"].is_array());

    let (status, _, body) = bytes(&f.manager, &format!("/api/v1/reports/reservations?{}&format=xlsx", f.query)).await;
    assert_eq!(status, 200);
    let list = read_xlsx(&body)["Reservations"].as_array().unwrap().clone();
    assert_eq!(list.len(), 4);
    // Start times are real date-times (openpyxl gives datetime objects, printed ISO).
    assert!(list[1][4].as_str().unwrap().contains('T'), "{}", list[1][4]);
    assert_eq!(list.iter().filter(|r| r[6] == "cancelled").count(), 1);
}

#[tokio::test]
async fn csv_exports() {
    let f = fixture().await;
    let (status, kind, body) = bytes(&f.manager, &format!("/api/v1/reports/reservations?{}", f.query)).await;
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
    let text = String::from_utf8(body).unwrap();
    assert!(text.starts_with("id,room,title,user,start,end,status"), "{text}");
    assert_eq!(text.lines().count(), 4);
    let (_, _, body) = bytes(&f.manager, &format!("/api/v1/reports/utilization?{}&format=csv", f.query)).await;
    let text = String::from_utf8(body).unwrap();
    assert!(text.lines().any(|l| l.starts_with("room,Sala Informe,,10,")), "{text}");
    let res = f.manager.get(&format!("/api/v1/reports/reservations?{}&format=pdf", f.query)).await;
    assert_eq!(res.status, 422);
}

#[tokio::test]
async fn pdf_has_the_totals() {
    let f = fixture().await;
    let json = f.manager.get(&format!("/api/v1/reports/utilization?{}", f.query)).await.body;
    let (status, kind, body) = bytes(&f.manager, &format!("/api/v1/reports/summary?{}&format=pdf", f.query)).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    let path = write_temp(&body, ".pdf");
    let out = Command::new("pdftotext")
        .args([path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext runs (apt-get install poppler-utils)");
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let booked = format!("Booked hours: {:.2}", json["total"]["booked_hours"].as_f64().unwrap());
    let open = format!("Open hours: {:.2}", json["total"]["open_hours"].as_f64().unwrap());
    for wanted in
        ["Salas room report", booked.as_str(), open.as_str(), "Reservations: 3", "Cancellations: 1", "Sala Informe"]
    {
        assert!(text.contains(wanted), "{wanted:?} not in:\n{text}");
    }
}

#[tokio::test]
async fn the_reports_page_draws_svg_charts_for_managers_only() {
    use crate::browser::Browser;
    use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD};
    let f = fixture().await;
    let mut member = Browser::new(&f.server);
    let m = f.server.user("member").await;
    member.sign_in(&m.email, crate::common::PASSWORD).await;
    assert_eq!(member.get("/reports").await.status, 403);
    assert!(!member.get("/my").await.html.contains("href=\"/reports\""));

    let mut b = Browser::new(&f.server);
    b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let from = at(1, 0)[..10].to_string();
    let to = at(7, 0)[..10].to_string();
    let page = b.get(&format!("/reports?from={from}&to={to}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("href=\"/reports\""));
    assert!(page.html.contains("<svg class=\"chart\""));
    assert!(page.html.contains("Sala Informe"));
    // Drawn without inline styles (the page's CSP forbids them).
    assert!(!page.html.contains("style="));
    assert_eq!(page.input("from"), from);
    let xlsx = b.get(&format!("/reports/export/utilization?from={from}&to={to}&format=xlsx")).await;
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.headers["content-disposition"].to_str().unwrap().contains(".xlsx"));
    let csv = b.get(&format!("/reports/export/reservations?from={from}&to={to}&format=csv")).await;
    assert_eq!(csv.html.lines().count(), 4, "{}", csv.html);
}
