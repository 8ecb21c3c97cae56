//! Scheduled report e-mails: a manager subscribes, the scheduler's `reports` job e-mails the
//! report once the week is over, with the PDF (read back by pdftotext) and the workbook (read back
//! by openpyxl) attached, exactly once per period, to a real SMTP server.

use crate::browser::Browser;
use crate::common::{SmtpSink, TestServer, config};
use crate::reports::read_xlsx;
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};
use std::process::Command;

const ZONE: Tz = chrono_tz::Europe::Madrid;

/// Monday of the week after the current one, in Madrid.
fn next_monday() -> NaiveDate {
    let today = salas::clock::now().with_timezone(&ZONE).date_naive();
    today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()))
}

fn local(date: NaiveDate, hour: u32) -> String {
    ZONE.from_local_datetime(&date.and_hms_opt(hour, 0, 0).unwrap()).unwrap().to_rfc3339()
}

fn is_report(m: &Value) -> bool {
    m["subject"].as_str().unwrap_or("").contains("room report")
}

#[tokio::test]
async fn a_weekly_report_arrives_once_with_the_pdf_and_the_workbook() {
    let sink = SmtpSink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    sink.configure(&mut c);
    c.booking.default_timezone = "Europe/Madrid".into();
    let clock = salas::clock::Clock::system();
    let s = TestServer::start_with_clock(dir, c, clock.clone()).await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Informe Semanal", 8).await;
    let manager = s.user("manager").await;

    // Rights and validation first.
    let member = s.user("member").await;
    assert_eq!(member.post("/api/v1/reports/subscriptions", json!({"period": "weekly"})).await.status, 403);
    let bad = manager.post("/api/v1/reports/subscriptions", json!({"period": "daily"})).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.error_fields(), ["period"]);
    let unknown_room = manager
        .post(
            "/api/v1/reports/subscriptions",
            json!({"period": "weekly", "room_id": "0190b5b2-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_eq!(unknown_room.status, 422, "{}", unknown_room.body);
    assert_eq!(unknown_room.error_fields(), ["room_id"]);

    let sub = manager.post("/api/v1/reports/subscriptions", json!({"period": "weekly", "room_id": room})).await;
    assert_eq!(sub.status, 201, "{}", sub.body);
    let listed = manager.get("/api/v1/reports/subscriptions").await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(member.get("/api/v1/reports/subscriptions").await.status, 403);

    // Next week: 2 h on Tuesday and 1 h on Wednesday, plus one cancelled meeting.
    let monday = next_monday();
    for (day, from, to) in [(1, 10, 12), (2, 9, 10)] {
        let d = monday + Duration::days(day);
        let res = manager.book(&room, &local(d, from), &local(d, to)).await;
        assert_eq!(res.status, 201, "{}", res.body);
    }
    let gone = manager.book(&room, &local(monday + Duration::days(3), 9), &local(monday + Duration::days(3), 10)).await;
    let gone = gone.body["id"].as_str().unwrap().to_string();
    assert_eq!(manager.post(&format!("/api/v1/reservations/{gone}/cancel"), json!({})).await.status, 200);

    // The Monday after that week, 07:30 Madrid: the job (on its schedule, or run now) sends it.
    let after = monday + Duration::days(7);
    let send_at = ZONE.from_local_datetime(&after.and_hms_opt(7, 30, 0).unwrap()).unwrap().with_timezone(&Utc);
    clock.advance(send_at - clock.now());
    let run = admin.post("/api/v1/admin/jobs/reports/run", json!({})).await;
    assert_eq!(run.status, 200, "{}", run.body);
    let mails = sink.wait_for(1, is_report).await;
    let m = &mails[0];
    let last_day = after - Duration::days(1);
    assert_eq!(m["subject"], format!("Weekly room report, {monday} to {last_day} — Sala Informe Semanal"), "{m:#}");
    assert!(m["to"].as_str().unwrap().contains("manager"), "{m:#}");
    let text = m["text"].as_str().unwrap();
    assert!(text.contains("Reservations:        3") && text.contains("Cancellations:       1"), "{text}");

    let attachments = m["attachments"].as_array().unwrap();
    let kinds: Vec<&str> = attachments.iter().map(|a| a["content_type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]);
    let pdf = Command::new("pdftotext").args([attachments[0]["path"].as_str().unwrap(), "-"]).output().unwrap();
    assert!(pdf.status.success(), "pdftotext: {}", String::from_utf8_lossy(&pdf.stderr));
    let pdf = String::from_utf8_lossy(&pdf.stdout);
    for wanted in ["Booked hours: 3.00", "Reservations: 3", "Cancellations: 1", "Sala Informe Semanal"] {
        assert!(pdf.contains(wanted), "{wanted:?} not in:\n{pdf}");
    }
    let book = read_xlsx(&std::fs::read(attachments[1]["path"].as_str().unwrap()).unwrap());
    let rows = book["Utilization"].as_array().unwrap();
    let room_row = rows.iter().find(|r| r[1] == "Sala Informe Semanal").expect("the room's row");
    let cells = room_row.as_array().unwrap();
    assert!(cells.iter().any(|c| c.as_f64() == Some(3.0)), "3 booked hours in {room_row:?}");

    // Running again, or later the same week, sends nothing more.
    let again = admin.post("/api/v1/admin/jobs/reports/run", json!({})).await;
    assert_eq!(again.body["last_outcome"], "0 report e-mails queued", "{}", again.body);
    clock.advance(Duration::days(2));
    admin.post("/api/v1/admin/jobs/reports/run", json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sink.messages().into_iter().filter(is_report).count(), 1);

    // Unsubscribed: the next week brings nothing; a second delete is a 404.
    let id = sub.body["id"].as_str().unwrap();
    assert_eq!(member.delete(&format!("/api/v1/reports/subscriptions/{id}")).await.status, 403);
    assert_eq!(manager.delete(&format!("/api/v1/reports/subscriptions/{id}")).await.status, 204);
    assert_eq!(manager.delete(&format!("/api/v1/reports/subscriptions/{id}")).await.status, 404);
    clock.advance(Duration::days(7));
    let later = admin.post("/api/v1/admin/jobs/reports/run", json!({})).await;
    assert_eq!(later.body["last_outcome"], "0 report e-mails queued", "{}", later.body);
    s.stop().await;
}

#[tokio::test]
async fn the_reports_page_subscribes_and_unsubscribes() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    admin.create_room("Sala Formulario", 4).await;
    let (email, password) = ("boss@example.test", "a long enough password");
    let made = admin
        .post("/api/v1/users", json!({"email": email, "name": "Boss", "password": password, "role": "manager"}))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let mut b = Browser::new(&s);
    let csrf = b.sign_in(email, password).await;

    let page = b.get("/reports").await;
    assert!(page.html.contains("You receive no reports by e-mail."), "{}", page.html);
    let forged = b.post("/reports/subscriptions", &[("csrf", "wrong"), ("period", "monthly")]).await;
    assert_eq!(forged.status, 403);
    let done = b.post("/reports/subscriptions", &[("csrf", &csrf), ("period", "monthly"), ("location", "")]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let page = b.get("/reports").await;
    assert!(page.html.contains("You will receive this report by e-mail."), "flash: {}", page.html);
    assert!(page.html.contains("Month (sent on the 1st)") && page.html.contains("All rooms"), "{}", page.html);

    let subs = s.sign_in(email, password).await.get("/api/v1/reports/subscriptions").await;
    let id = subs.body[0]["id"].as_str().unwrap().to_string();
    assert_eq!(subs.body[0]["period"], "monthly");
    let stop = b.post(&format!("/reports/subscriptions/{id}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(stop.status, 303);
    let page = b.get("/reports").await;
    assert!(page.html.contains("You will no longer receive that report."), "{}", page.html);
    assert!(page.html.contains("You receive no reports by e-mail."));
    s.stop().await;
}
