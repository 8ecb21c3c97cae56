//! The CSRF matrix: every form the web UI accepts (every POST route of src/web/ui/mod.rs, read
//! from the router's source so a new form cannot be forgotten), sent by a signed-in admin without
//! a CSRF token and with a wrong one, is refused and changes nothing.

use crate::browser::Browser;
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, TestServer};
use serde_json::json;

/// UI POST routes that do not take a session's CSRF token, and why.
const EXEMPT: &[(&str, &str)] = &[
    // Door displays: no session cookie at all; the secret device token in the address is what
    // a forged request cannot know.
    ("/display/{token}/book", "device token in the path"),
    ("/display/{token}/end", "device token in the path"),
    ("/display/{token}/check-in", "device token in the path"),
];

/// Forms of people not signed in: they carry a token of their own, double-submitted in a cookie
/// (refused above without it), so signed out they are answered, not sent to the sign-in page.
const SIGNED_OUT_FORMS: &[&str] = &["/login", "/password/forgot", "/password/reset/{token}", "/signup"];

/// Every path the UI router accepts a POST on, from the router's source.
fn ui_post_routes() -> Vec<String> {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/ui/mod.rs")).unwrap();
    let mut out = Vec::new();
    for chunk in source.split(".route(").skip(1) {
        let Some(path) = chunk.split('"').nth(1) else { continue };
        // The handlers of this route: up to the next route.
        if chunk.contains("post(") {
            out.push(path.to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

#[tokio::test]
async fn every_form_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing() {
    let routes = ui_post_routes();
    assert!(routes.len() > 30, "the route table was not read: {routes:?}");
    assert!(routes.iter().any(|r| r == "/login") && routes.iter().any(|r| r == "/admin/users/{id}"));
    let s = TestServer::start().await;
    let admin = s.admin().await;
    // Real records for the paths to name, so a refusal is about the token, not a missing record.
    let room = admin.create_room("CSRF room", 4).await;
    let member = s.user("member").await;
    let res = admin.post("/api/v1/resources", json!({"name": "CSRF projector"})).await;
    let resource = res.body["id"].as_str().unwrap().to_string();
    let booking = member.book(&room, &crate::common::at(2, 10), &crate::common::at(2, 11)).await;
    let reservation = booking.body["id"].as_str().unwrap().to_string();
    let hook = admin.post("/api/v1/admin/webhooks", json!({"url": "http://127.0.0.1:9/h", "events": ["*"]})).await;
    let webhook = hook.body["id"].as_str().unwrap().to_string();
    let key = admin.post("/api/v1/api-keys", json!({"name": "csrf"})).await.body["id"].as_str().unwrap().to_string();
    let group = admin.post("/api/v1/groups", json!({"name": "CSRF group"})).await.body["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let random = uuid::Uuid::now_v7().to_string();

    let mut b = Browser::new(&s);
    let csrf = b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let before_events = admin.get("/api/v1/events?limit=1000").await.body.as_array().unwrap().len();
    let before_audit = admin.get("/api/v1/audit?limit=1000").await.body.as_array().unwrap().len();

    let mut wrong = Vec::new();
    for route in routes.iter().filter(|r| !EXEMPT.iter().any(|(e, _)| e == r)) {
        let id = match route.split('/').nth(if route.starts_with("/admin/") { 2 } else { 1 }) {
            Some("rooms") | Some("access") => &room,
            Some("resources") => &resource,
            Some("users") => &member.id,
            Some("reservations") | Some("approvals") => &reservation,
            Some("webhooks") if !route.contains("deliveries") => &webhook,
            Some("profile") => &key,
            Some("groups") => &group,
            _ => &random,
        };
        let path = route
            .replace("{id}", id)
            .replace("{user}", &member.id)
            .replace("{kind}", "reminder")
            .replace("{language}", "en")
            .replace("{name}", "reminders");
        for (label, token) in [("no token", None), ("wrong token", Some("0".repeat(csrf.len())))] {
            // Plausible fields, so the form is refused for its token and not its shape.
            let mut form: Vec<(&str, &str)> = vec![
                ("name", "Forged"),
                ("email", "forged@example.test"),
                ("password", "forged password 1"),
                ("role", "admin"),
                ("capacity", "9"),
                ("period", "weekly"),
                ("next", "/"),
            ];
            if let Some(t) = &token {
                form.push(("csrf", t));
            }
            let page = b.post(&path, &form).await;
            if page.status != 403 {
                wrong.push(format!("POST {path} ({label}): {} {}", page.status, page.location()));
            }
        }
    }
    assert!(wrong.is_empty(), "forms not refused for their CSRF token:\n{}", wrong.join("\n"));

    // Signed out, the guard sends every form to the sign-in page, token or not.
    let mut stranger = Browser::new(&s);
    for route in
        routes.iter().filter(|r| !EXEMPT.iter().any(|(e, _)| e == r) && !SIGNED_OUT_FORMS.contains(&r.as_str()))
    {
        let path = route.replace("{id}", &random).replace("{user}", &random).replace("{kind}", "reminder");
        let page = stranger.post(&path, &[("csrf", csrf.as_str()), ("name", "Forged")]).await;
        if page.status != 303 || !page.location().starts_with("/login?next=") {
            wrong.push(format!("POST {path} signed out: {} {}", page.status, page.location()));
        }
    }
    assert!(wrong.is_empty(), "forms not sent to the sign-in page:\n{}", wrong.join("\n"));
    // And those forms, signed out, without their own token: refused.
    for route in SIGNED_OUT_FORMS {
        let path = route.replace("{token}", &random);
        let page = stranger.post(&path, &[("email", "ana@example.test"), ("password", "x")]).await;
        if page.status != 403 {
            wrong.push(format!("POST {path} signed out without its token: {}", page.status));
        }
    }
    assert!(wrong.is_empty(), "signed-out forms without their token:\n{}", wrong.join("\n"));

    // Nothing changed: no event, no audit record, and the session still works.
    assert_eq!(admin.get("/api/v1/events?limit=1000").await.body.as_array().unwrap().len(), before_events);
    assert_eq!(admin.get("/api/v1/audit?limit=1000").await.body.as_array().unwrap().len(), before_audit);
    assert_eq!(b.get("/").await.status, 200);
    // And the same form with the right token does go through (the matrix can fail).
    let ok = b.post(&format!("/admin/rooms/{room}/archive"), &[("csrf", &csrf), ("future", "keep")]).await;
    assert_eq!(ok.status, 303, "{}", ok.html);
    s.stop().await;
}
