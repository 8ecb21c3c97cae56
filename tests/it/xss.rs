//! Stored and reflected XSS: markup typed into room names, locations, descriptions, reservation
//! titles and user names (through the real API), or put into query strings, must come out of
//! every page and every e-mail as text, never as markup.

use crate::browser::{Browser, Page};
use crate::common::{self, ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, SmtpSink, TestServer, at};
use serde_json::json;

const SCRIPT: &str = "<script>alert(1)</script>";
/// Breaks out of a quoted attribute if a value is written into one unescaped.
const IMG: &str = "\"><img src=x onerror=alert(1)>";

/// Both payloads in one value, so each field carries both.
fn payload(label: &str) -> String {
    format!("{label} {SCRIPT}{IMG}")
}

/// The page holds neither payload as live markup.
fn assert_inert(page: &Page, path: &str) {
    assert!(page.status < 500, "{path}: {}\n{}", page.status, page.html);
    for raw in ["<script>alert(1)", "<img src=x onerror", "onerror=alert(1)>"] {
        assert!(!page.html.contains(raw), "{path} shows `{raw}` unescaped:\n{}", page.html);
    }
}

/// The page is inert and shows the payload as escaped text.
fn assert_shown(page: &Page, path: &str) {
    assert_inert(page, path);
    assert_eq!(page.status, 200, "{path}: {}", page.html);
    let escaped = ["&lt;script&gt;alert(1)", "&#60;script&#62;alert(1)", "&lt;script&#62;alert(1)"];
    assert!(escaped.iter().any(|e| page.html.contains(e)), "{path} does not show the text escaped:\n{}", page.html);
    let img = ["&lt;img src=x onerror", "&#60;img src=x onerror"];
    assert!(img.iter().any(|e| page.html.contains(e)), "{path} does not show the img text escaped:\n{}", page.html);
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn stored_markup_comes_out_escaped_on_every_page_and_in_email() {
    let sink = SmtpSink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config(dir.path());
    sink.configure(&mut config);
    let s = TestServer::start_with(dir, config).await;
    let admin = s.admin().await;

    let res = admin
        .post(
            "/api/v1/rooms",
            json!({"name": payload("Sala"), "capacity": 6, "timezone": "Europe/Madrid",
                   "location": payload("Floor"), "description": payload("About")}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let room = res.body["id"].as_str().unwrap().to_string();

    let email = "xss-member@example.test";
    let res = admin
        .post("/api/v1/users", json!({"email": email, "name": payload("Ana"), "role": "member", "password": PASSWORD}))
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let member = s.sign_in(email, PASSWORD).await;

    let (start, end) = (at(1, 9), at(1, 10));
    let res = member
        .post(
            "/api/v1/reservations",
            json!({"room_id": room, "title": payload("Title"), "description": payload("Agenda"),
                   "start": start, "end": end}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let reservation = res.body["id"].as_str().unwrap().to_string();
    let date = &start[..10];

    // The confirmation e-mail: the HTML part escapes every value it interpolates.
    let mails = sink.wait_for(1, |m| m["to"].as_str().is_some_and(|t| t.contains(email))).await;
    let html = mails[0]["html"].as_str().expect("an HTML part");
    for raw in ["<script>alert(1)", "<img src=x onerror"] {
        assert!(!html.contains(raw), "the e-mail shows `{raw}` unescaped:\n{html}");
    }
    assert!(html.contains("&lt;script&gt;alert(1)"), "the e-mail does not show the title escaped:\n{html}");

    let mut b = Browser::new(&s);
    b.sign_in(email, PASSWORD).await;
    // Pages where the member sees the stored values.
    for path in [
        format!("/?date={date}"),
        "/rooms".to_string(),
        format!("/rooms/{room}"),
        format!("/rooms/{room}?date={date}"),
        "/my".to_string(),
        format!("/reservations/{reservation}"),
        format!("/reservations/{reservation}/edit"),
        format!("/reservations/{reservation}/cancel"),
        format!("/book?room={room}"),
        "/find?q=alert".to_string(),
        "/search/live?q=alert".to_string(),
        "/profile".to_string(),
    ] {
        let page = b.get(&path).await;
        assert_shown(&page, &path);
    }

    // The in-app notification of the booking arrives from the same consumer as the e-mail.
    let mut inbox = b.get("/notifications").await;
    for _ in 0..100 {
        if inbox.html.contains("alert(1)") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        inbox = b.get("/notifications").await;
    }
    assert_shown(&inbox, "/notifications");

    // Pages where the admin sees them.
    let mut a = Browser::new(&s);
    a.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for path in [
        "/admin/users".to_string(),
        "/admin/rooms".to_string(),
        format!("/admin/rooms/{room}"),
        format!("/admin/rooms/{room}/policy"),
        format!("/reports?from={date}&to={date}"),
        format!("/?date={date}"),
        format!("/reservations/{reservation}"),
    ] {
        let page = a.get(&path).await;
        assert_shown(&page, &path);
    }
    for path in ["/admin/audit", "/admin/access", "/admin/locations", "/approvals", "/admin/email"] {
        let page = a.get(path).await;
        assert_inert(&page, path);
    }
}

#[tokio::test]
async fn reflected_markup_in_query_strings_comes_out_escaped() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Norte", 4).await;
    let mut b = Browser::new(&s);
    b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let p = enc(&payload("q"));

    // Pages that echo the input back to the user as text.
    for path in [format!("/find?q={p}"), format!("/book?room={room}&title={p}&description={p}")] {
        let page = b.get(&path).await;
        assert_shown(&page, &path);
    }
    // Pages that refuse or ignore the input: whatever they say, no markup of ours in it.
    for path in [
        format!("/search/live?q={p}"),
        format!("/?date={p}"),
        format!("/?location={p}"),
        format!("/rooms?location={p}"),
        format!("/rooms/{room}?date={p}"),
        format!("/book?room={room}&date={p}&start={p}&end={p}"),
        format!("/book/check?room={room}&date={p}&start={p}&end={p}"),
        format!("/book/check?room={p}"),
        format!("/reports?from={p}&to={p}&room={p}&location={p}"),
        format!("/find?q=x&date={p}&start={p}&capacity={p}"),
        format!("/rooms/{p}"),
        format!("/reservations/{p}"),
        format!("/login?next={p}"),
    ] {
        let page = b.get(&path).await;
        assert_inert(&page, &path);
    }
    // A malformed id in the path is refused with the friendly page, not the extractor's
    // plain-text message echoing the raw input.
    let page = b.get(&format!("/rooms/{p}")).await;
    assert_eq!(page.status, 400);
    let content_type = page.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(content_type.starts_with("text/html"), "{content_type}: {}", page.html);
    assert!(!page.html.contains("alert(1)"), "{}", page.html);

    let mut anon = Browser::new(&s);
    let page = anon.get(&format!("/login?next={p}")).await;
    assert_inert(&page, "/login?next= (signed out)");
}
