//! The notification centre and the notification/e-mail admin pages over HTTP: who may see them,
//! CSRF on every form, validation messages next to their fields, the bell's count, and the test
//! e-mail against a real SMTP server.

use crate::browser::{Browser, Page};
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, SmtpSink, TestServer, at, config, free_port};
use serde_json::json;

const ADMIN_PAGES: [&str; 9] = [
    "/admin/operations",
    "/admin/email",
    "/admin/templates",
    "/admin/templates/reminder/es",
    "/admin/webhooks",
    "/admin/sms",
    "/admin/sms/texts/reminder/es",
    "/admin/push",
    "/admin/booking-fields",
];

async fn signed_in(s: &TestServer, email: &str, password: &str) -> (Browser, String) {
    let mut b = Browser::new(s);
    let csrf = b.sign_in(email, password).await;
    (b, csrf)
}

fn bell(p: &Page) -> String {
    let start = p.html.find("class=\"bell\"").expect("the bell");
    let label = &p.html[start..];
    let label = &label[label.find("aria-label=\"").expect("its name") + 12..];
    label[..label.find('"').unwrap()].to_string()
}

/// Polls the bell until it reads `want` (the in-app consumer works beside the request).
async fn wait_for_bell(b: &mut Browser, want: &str) {
    for _ in 0..100 {
        if bell(&b.get("/notifications").await) == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the bell never read {want}: {}", bell(&b.get("/notifications").await));
}

#[tokio::test]
async fn pages_render_for_admins_and_are_refused_to_others() {
    let s = TestServer::start().await;
    let (mut admin, _) = signed_in(&s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for path in ADMIN_PAGES.iter().chain(&["/notifications", "/notifications/preferences"]) {
        let p = admin.get(path).await;
        assert_eq!(p.status, 200, "{path}: {}", p.html);
        assert!(p.html.contains("Notifications, 0 unread"), "{path}: the bell");
    }
    let ops = admin.get("/admin/operations").await;
    for text in ["notify.email", "webhooks", "reminders", "session_cleanup", "backup", "Run now"] {
        assert!(ops.html.contains(text), "{text} on the operations page");
    }
    assert!(admin.get("/admin/rooms").await.html.contains("href=\"/admin/webhooks\""), "admins see the tabs");
    assert!(
        admin.get("/profile").await.html.contains("href=\"/notifications/preferences\""),
        "linked from the profile"
    );
    // No SMTP host: the admin and the users are told.
    assert!(admin.get("/admin/email").await.html.contains("E-mail is off"));
    assert!(admin.get("/notifications/preferences").await.html.contains("E-mail is turned off on this server"));

    let member_api = s.user("member").await;
    let manager_api = s.user("manager").await;
    for who in [&member_api.email, &manager_api.email] {
        let (mut b, csrf) = signed_in(&s, who, PASSWORD).await;
        for path in ADMIN_PAGES {
            assert_eq!(b.get(path).await.status, 403, "{who} {path}");
        }
        assert!(!b.get("/admin/rooms").await.html.contains("href=\"/admin/webhooks\""));
        let p = b.post("/admin/jobs/reminders/run", &[("csrf", &csrf)]).await;
        assert_eq!(p.status, 403, "{who} runs a job");
        let p = b.post("/admin/webhooks", &[("csrf", &csrf), ("url", "https://example.test/h"), ("event", "*")]).await;
        assert_eq!(p.status, 403);
        assert_eq!(b.get("/notifications").await.status, 200, "everyone has a notification centre");
    }
    assert_eq!(s.admin().await.get("/api/v1/admin/webhooks").await.body, json!([]));
    s.stop().await;
}

#[tokio::test]
async fn forms_without_the_csrf_token_change_nothing() {
    let s = TestServer::start().await;
    let api = s.admin().await;
    let (mut b, _) = signed_in(&s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let runs = |body: &serde_json::Value| {
        body.as_array().unwrap().iter().find(|j| j["name"] == "backup").unwrap()["runs"].clone()
    };
    let before = runs(&api.get("/api/v1/admin/jobs").await.body);
    let posts: [(&str, Vec<(&str, &str)>); 7] = [
        ("/admin/jobs/backup/run", vec![]),
        ("/admin/webhooks", vec![("url", "https://example.test/h"), ("event", "*")]),
        ("/admin/templates/reminder/en", vec![("subject", "Hi"), ("text", "x"), ("html", "x"), ("action", "save")]),
        ("/admin/email/test", vec![("to", "ops@example.test")]),
        ("/notifications/read-all", vec![]),
        ("/notifications/preferences", vec![("reminder_minutes", "30")]),
        ("/admin/templates/reminder/en/reset", vec![("csrf", "forged")]),
    ];
    for (path, form) in posts {
        let p = b.post(path, &form).await;
        assert_eq!(p.status, 403, "{path}");
        assert!(p.html.contains("This form has expired"), "{path}");
    }
    assert_eq!(runs(&api.get("/api/v1/admin/jobs").await.body), before, "the job did not run");
    assert_eq!(api.get("/api/v1/admin/webhooks").await.body, json!([]));
    assert!(!b.get("/admin/templates").await.html.contains(">edited<"));
    let prefs = api.get("/api/v1/users/me/notification-preferences").await;
    assert_eq!(prefs.body["reminder_minutes"], 15, "{}", prefs.body);
    s.stop().await;
}

#[tokio::test]
async fn validation_messages_appear_next_to_their_fields() {
    let s = TestServer::start().await;
    let (mut b, csrf) = signed_in(&s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let path = "/admin/templates/reminder/en";

    // A typo in a variable: refused, with the engine's words, and the text kept in the form.
    let bad = [
        ("csrf", csrf.as_str()),
        ("subject", ""),
        ("text", "{{ reservation.titel }}"),
        ("html", "<p>x</p>"),
        ("action", "save"),
    ];
    let p = b.post(path, &bad).await;
    assert_eq!(p.status, 422, "{}", p.html);
    assert!(
        p.html.contains("aria-describedby=\"subject-error\"") && p.html.contains("This is required."),
        "{}",
        p.html
    );
    let typo = [
        ("csrf", csrf.as_str()),
        ("subject", "Soon"),
        ("text", "{{ reservation.titel }}"),
        ("html", "<p>x</p>"),
        ("action", "save"),
    ];
    let p = b.post(path, &typo).await;
    assert_eq!(p.status, 422);
    assert!(p.html.contains("does not render with sample data") && p.html.contains("titel"), "{}", p.html);
    assert!(p.html.contains("{{ reservation.titel }}</textarea>"), "the edit is kept");

    // Preview renders with sample data and saves nothing; save, then reset.
    let good = [
        ("csrf", csrf.as_str()),
        ("subject", "Soon: {{ reservation.title }}"),
        ("text", "In {{ room.name }}"),
        ("html", "<p>{{ room.name }}</p>"),
        ("action", "preview"),
    ];
    let p = b.post(path, &good).await;
    assert_eq!(p.status, 200, "{}", p.html);
    assert!(p.html.contains("Soon: Quarterly planning") && p.html.contains("In Sala Norte"), "{}", p.html);
    assert!(b.get("/admin/templates").await.html.contains("default"));
    let save = good.map(|(k, v)| if k == "action" { (k, "save") } else { (k, v) });
    let p = b.post(path, &save).await;
    assert_eq!(p.status, 303);
    let edited = b.get(path).await;
    assert!(edited.html.contains("is saved") && edited.html.contains("In {{ room.name }}</textarea>"));
    assert_eq!(b.post(&format!("{path}/reset"), &[("csrf", &csrf)]).await.status, 303);
    assert!(!b.get(path).await.html.contains("In {{ room.name }}"), "back to the default");

    // Webhooks: a bad URL and a short secret.
    let p =
        b.post("/admin/webhooks", &[("csrf", &csrf), ("url", "ftp://x"), ("event", "*"), ("secret", "short")]).await;
    assert_eq!(p.status, 422);
    assert!(p.html.contains("id=\"url-error\"") && p.html.contains("This value is not valid."), "{}", p.html);
    assert!(p.html.contains("id=\"secret-error\"") && p.html.contains("This is too short."));
    let p = b.post("/admin/webhooks", &[("csrf", &csrf), ("url", "https://example.test/h")]).await;
    assert!(p.html.contains("id=\"events-error\""), "no event chosen");

    // Preferences: a lead time out of range, then a good one.
    let prefs = [("csrf", csrf.as_str()), ("in_app", "on"), ("reminders", "on"), ("reminder_minutes", "0")];
    let p = b.post("/notifications/preferences", &prefs).await;
    assert_eq!(p.status, 422);
    assert!(p.html.contains("id=\"reminder_minutes-error\"") && p.html.contains("aria-invalid=\"true\""));
    let p =
        b.post("/notifications/preferences", &[("csrf", &csrf), ("in_app", "on"), ("reminder_minutes", "30")]).await;
    assert_eq!(p.status, 303);
    let prefs = s.admin().await.get("/api/v1/users/me/notification-preferences").await.body;
    assert_eq!(prefs["reminder_minutes"], 30);
    assert_eq!(prefs["email"], false);
    assert_eq!(prefs["reminders"], false);

    // Test e-mail with e-mail off: the page says so.
    let p = b.post("/admin/email/test", &[("csrf", &csrf), ("to", "ops@example.test")]).await;
    assert!(p.html.contains("not sent") && p.html.contains("E-mail is off"), "{}", p.html);
    s.stop().await;
}

#[tokio::test]
async fn the_bell_counts_booking_notifications_until_they_are_read() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Norte", 6).await;
    let member = s.user("member").await;
    let (mut b, csrf) = signed_in(&s, &member.email, PASSWORD).await;
    assert!(b.get("/notifications").await.html.contains("No notifications yet"));

    // The member's own booking is not news to them; the admin's bookings for them are. The
    // consumer follows the log in order, so once the bell counts the admin's first booking it
    // has passed the member's own.
    assert_eq!(member.book(&room, &at(1, 10), &at(1, 11)).await.status, 201);
    let for_member = |day| json!({"room_id": room, "title": "Visita", "start": at(day, 10), "end": at(day, 11), "user_id": member.id});
    assert_eq!(admin.post("/api/v1/reservations", for_member(2)).await.status, 201);
    wait_for_bell(&mut b, "Notifications, 1 unread").await;
    assert_eq!(admin.post("/api/v1/reservations", for_member(3)).await.status, 201);
    wait_for_bell(&mut b, "Notifications, 2 unread").await;
    let page = b.get("/notifications").await;
    assert!(page.html.contains("<span class=\"bell-count\" aria-hidden=\"true\">2</span>"));

    // Mark one read with its button, then the rest.
    let action = page.html.split("action=\"/notifications/").find(|a| !a.starts_with("read-all")).unwrap();
    let action =
        page.html.split("action=\"/notifications/").skip(1).find(|a| !a.starts_with("read-all")).unwrap_or(action);
    let id = &action[..action.find('/').unwrap()];
    assert_eq!(b.post(&format!("/notifications/{id}/read"), &[("csrf", &csrf)]).await.status, 303);
    let page = b.get("/notifications").await;
    assert_eq!(bell(&page), "Notifications, 1 unread");
    assert!(page.html.contains("marked as read"));
    assert_eq!(b.post("/notifications/read-all", &[("csrf", &csrf)]).await.status, 303);
    let page = b.get("/notifications").await;
    assert_eq!(bell(&page), "Notifications, 0 unread");
    assert!(page.html.contains("1 notifications marked as read"), "{}", page.html);
    assert!(!page.html.contains("bell-count"));

    // Someone else's notification cannot be marked.
    let (mut other, other_csrf) = signed_in(&s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(other.post(&format!("/notifications/{id}/read"), &[("csrf", &other_csrf)]).await.status, 404);
    s.stop().await;
}

#[tokio::test]
async fn test_email_reports_the_smtp_answer_and_the_failure() {
    let mut sink = SmtpSink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    sink.configure(&mut c);
    let s = TestServer::start_with(dir, c).await;
    let (mut b, csrf) = signed_in(&s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let email = b.get("/admin/email").await;
    assert!(email.html.contains(&format!("127.0.0.1:{}", sink.port)) && !email.html.contains("E-mail is off"));

    let p = b.post("/admin/email/test", &[("csrf", &csrf), ("to", "ops@example.test")]).await;
    assert_eq!(p.status, 200);
    assert!(p.html.contains("accepted the test message") && p.html.contains("<code>250"), "{}", p.html);
    sink.wait_for(1, |m| m["rcpt_tos"][0] == "ops@example.test").await;

    let p = b.post("/admin/email/test", &[("csrf", &csrf), ("to", "not an address")]).await;
    assert_eq!(p.status, 422);
    assert!(p.html.contains("id=\"to-error\"") && p.html.contains("Enter an e-mail address"), "{}", p.html);

    sink.pause();
    let p = b.post("/admin/email/test", &[("csrf", &csrf), ("to", "ops@example.test")]).await;
    assert!(p.html.contains("was not sent") && p.html.to_lowercase().contains("refused"), "{}", p.html);

    // A booking's e-mail fails while the server is down: the log shows the error; retry sends it.
    let admin = s.admin().await;
    let room = admin.create_room("Sala Sur", 4).await;
    assert_eq!(admin.book(&room, &at(2, 9), &at(2, 10)).await.status, 201);
    let mut log = String::new();
    for _ in 0..100 {
        log = b.get("/admin/email?status=pending").await.html;
        if log.contains("refused") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(log.contains(ADMIN_EMAIL) && log.contains("Retry"), "{log}");
    sink.resume();
    let action = log.split("action=\"/admin/email/deliveries/").nth(1).unwrap();
    let id = &action[..action.find('/').unwrap()];
    assert_eq!(b.post(&format!("/admin/email/deliveries/{id}/retry"), &[("csrf", &csrf)]).await.status, 303);
    sink.wait_for(1, |m| m["rcpt_tos"][0] == ADMIN_EMAIL).await;
    s.stop().await;
}

#[tokio::test]
async fn jobs_run_now_and_webhooks_register_fail_and_retry() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.webhooks.max_attempts = 1; // the first failure goes to the dead-letter list
    let s = TestServer::start_with(dir, c).await;
    let (mut b, csrf) = signed_in(&s, ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let p = b.post("/admin/jobs/session_cleanup/run", &[("csrf", &csrf)]).await;
    assert_eq!(p.status, 303);
    let ops = b.get("/admin/operations").await;
    assert!(
        ops.html.contains("session_cleanup ran: expired sessions and stale sign-in failure counts removed"),
        "{}",
        ops.html
    );
    assert_eq!(b.post("/admin/jobs/nope/run", &[("csrf", &csrf)]).await.status, 404);

    // Nobody listens on this port: every call fails.
    let url = format!("http://127.0.0.1:{}/hook", free_port());
    let p = b.post("/admin/webhooks", &[("csrf", &csrf), ("url", &url), ("event", "room.created")]).await;
    assert_eq!(p.status, 201, "{}", p.html);
    assert!(p.html.contains("shown once") && p.html.contains(&url));
    assert!(p.html.contains("<option value=\"teams\">Microsoft Teams</option>"), "{}", p.html);
    let teams = format!("http://127.0.0.1:{}/teams", free_port());
    let fax = [("csrf", csrf.as_str()), ("url", &teams), ("event", "room.created"), ("format", "fax")];
    let p = b.post("/admin/webhooks", &fax).await;
    assert_eq!(p.status, 422, "{}", p.html);
    assert!(p.html.contains("id=\"format-error\""), "{}", p.html);
    let p = b
        .post(
            "/admin/webhooks",
            &[("csrf", csrf.as_str()), ("url", &teams), ("event", "room.created"), ("format", "teams")],
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.html);
    assert!(p.html.contains("<td>Microsoft Teams</td>"), "{}", p.html);
    let admin = s.admin().await;
    admin.create_room("Sala Este", 4).await;
    let mut dead = String::new();
    for _ in 0..100 {
        dead = b.get("/admin/webhooks").await.html;
        if dead.contains("<span class=\"badge\">given up</span>") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(dead.contains("room.created") && dead.contains("Retry"), "{dead}");
    let action = dead.split("action=\"/admin/webhooks/deliveries/").nth(1).unwrap();
    let call = &action[..action.find('/').unwrap()];
    let p = b.post(&format!("/admin/webhooks/deliveries/{call}/retry"), &[("csrf", &csrf)]).await;
    assert_eq!(p.status, 303);

    let hooks = admin.get("/api/v1/admin/webhooks").await.body;
    for hook in hooks.as_array().unwrap() {
        let id = hook["id"].as_str().unwrap();
        assert_eq!(b.post(&format!("/admin/webhooks/{id}/delete"), &[("csrf", &csrf)]).await.status, 303);
    }
    assert!(b.get("/admin/webhooks").await.html.contains("No webhooks are registered."));
    s.stop().await;
}

/// A phone on the profile (refused with its message when it is not one), the SMS switch among
/// the notification settings once a gateway is configured, and an SMS text previewed with what
/// it costs before it is saved.
#[tokio::test]
async fn phone_sms_switch_and_sms_texts_with_their_cost() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.sms.provider = "http".into();
    c.sms.url = format!("http://127.0.0.1:{}/sms", free_port());
    let s = TestServer::start_with(dir, c).await;
    let member = s.user("member").await;
    let (mut b, csrf) = signed_in(&s, &member.email, PASSWORD).await;
    let prefs = b.get("/notifications/preferences").await;
    assert!(prefs.html.contains("name=\"sms\""), "the SMS switch");
    assert!(prefs.html.contains("Add your mobile number"), "asks for a phone first");

    let form = |phone: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("name", "A member".into()),
            ("language", "".into()),
            ("timezone", "".into()),
            ("phone", phone.into()),
        ]
    };
    let bad = b.post("/profile", &form("600 12 34 56").iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(bad.html.contains("with its country code, like +34 600 123 456"), "the message by the field");
    let ok =
        b.post("/profile", &form("+34 600 12 34 56").iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(ok.status, 303, "{}", ok.html);
    assert!(b.get("/profile").await.html.contains("value=\"+34600123456\""), "stored in E.164");
    assert!(b.get("/notifications/preferences").await.html.contains("To +34600123456."));

    let (mut admin, admin_csrf) = signed_in(&s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let list = admin.get("/admin/sms").await;
    assert!(list.html.contains("1 SMS · GSM-7"), "each text's cost: {}", list.html);
    let text = "Reunión {{ reservation.title }} en {{ room.name }}";
    let preview = admin
        .post("/admin/sms/texts/reminder/es", &[("csrf", &admin_csrf), ("text", text), ("action", "preview")])
        .await;
    assert_eq!(preview.status, 200, "{}", preview.html);
    assert!(preview.html.contains("Reunión Quarterly planning en Sala Norte"), "rendered with sample data");
    assert!(preview.html.contains("1 SMS · Unicode (UCS-2)"), "one accent makes it UCS-2");
    assert!(admin.get("/admin/sms/texts/reminder/es").await.html.contains("a las"), "a preview saves nothing");
    let saved =
        admin.post("/admin/sms/texts/reminder/es", &[("csrf", &admin_csrf), ("text", text), ("action", "save")]).await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    assert!(admin.get("/admin/sms/texts/reminder/es").await.html.contains("Reunión {{ reservation.title }}"));
    s.stop().await;
}
