//! Text messages through local HTTP receivers standing in for the gateways (they are HTTP APIs):
//! the `http` provider's templated request, Twilio's form body and Basic authentication,
//! retries of a failing gateway, the dead-letter list, and exactly once across a SIGKILL.

use crate::common::process::Running;
use crate::common::{Api, TestServer, at, config, eventually};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// One request the gateway received: method, path, headers, body.
type Call = (String, String, HeaderMap, Bytes);

#[derive(Clone, Default)]
struct Gateway {
    calls: Arc<Mutex<Vec<Call>>>,
    /// Requests still to be refused with a 503 (usize::MAX: all).
    failures: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
}

impl Gateway {
    async fn start(failures: usize) -> (String, Gateway) {
        let gateway = Gateway { failures: Arc::new(AtomicUsize::new(failures)), ..Default::default() };
        let app = Router::new().fallback(answer).with_state(gateway.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, gateway)
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// The requests answered 201, as text.
    fn accepted(&self) -> usize {
        self.calls().len() - self.refused.load(Ordering::SeqCst)
    }
}

async fn answer(State(g): State<Gateway>, request: Request) -> StatusCode {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    g.calls.lock().unwrap().push((parts.method.to_string(), parts.uri.path().to_string(), parts.headers, body));
    let refuse = g.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if refuse {
        g.refused.fetch_add(1, Ordering::SeqCst);
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::CREATED
    }
}

/// A member with a phone who chose SMS; returns their API client.
async fn member_with_phone(s_admin: &Api, member: Api, phone: &str) -> Api {
    let me = format!("/api/v1/users/{}", member.id);
    let bad = member.patch(&me, json!({"phone": "600 12 34 56"})).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.error_fields(), ["phone"], "{}", bad.body);
    let ok = member.patch(&me, json!({"phone": phone})).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["phone"], phone.replace(' ', ""), "stored in E.164: {}", ok.body);
    let prefs = member.get("/api/v1/users/me/notification-preferences").await;
    assert_eq!(prefs.body["sms"], false, "off until chosen: {}", prefs.body);
    let mut p = prefs.body.clone();
    p["sms"] = json!(true);
    assert_eq!(member.put("/api/v1/users/me/notification-preferences", p).await.status, 200);
    assert!(s_admin.get(&me).await.status == 200);
    member
}

/// The admin books a room with `attendee` invited: the attendee is told by SMS (the admin, who
/// made the change, is not).
async fn book_with(admin: &Api, room: &str, attendee: &str, hour: i64) -> Value {
    let body = json!({"room_id": room, "title": format!("Budget review {hour}"), "start": at(2, hour),
        "end": at(2, hour + 1), "attendees": [attendee]});
    let r = admin.post("/api/v1/reservations", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

#[tokio::test]
async fn the_http_provider_sends_the_templated_request_with_the_number_and_the_text() {
    let (url, gateway) = Gateway::start(0).await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.sms.provider = "http".into();
    c.sms.url = format!("{url}/v1/messages");
    c.sms.headers = vec!["Content-Type: application/json".into(), "X-Api-Key: k-123".into()];
    c.sms.body = r#"{"recipient": {{ to|tojson }}, "message": {{ text|tojson }}, "sender": "Salas"}"#.into();
    let s = TestServer::start_with(dir, c).await;
    let admin = s.admin().await;
    let member = member_with_phone(&admin, s.user("member").await, "+34 600 123 456").await;
    let room = admin.create_room("Sala Atlántico", 6).await;
    book_with(&admin, &room, &member.email, 10).await;

    eventually("one SMS at the gateway", || async {
        if gateway.calls().is_empty() { Err("no call yet".to_string()) } else { Ok(()) }
    })
    .await;
    let (method, path, headers, body) = gateway.calls().remove(0);
    assert_eq!((method.as_str(), path.as_str()), ("POST", "/v1/messages"));
    assert_eq!(headers["x-api-key"], "k-123");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["recipient"], "+34600123456");
    let text = v["message"].as_str().unwrap();
    assert!(text.starts_with("Booked: Budget review 10, Sala Atlántico, "), "{text}");
    let log = admin.get("/api/v1/admin/sms/deliveries?status=sent").await;
    assert_eq!(log.body.as_array().unwrap().len(), 1, "the admin's own change sends them no SMS: {}", log.body);
    assert_eq!(log.body[0]["subject"], text, "the log shows the text sent");

    // A test message to one's own phone; and texts are editable, with their cost.
    let test = member.post("/api/v1/users/me/sms/test", json!({})).await;
    assert_eq!((test.status, &test.body["ok"]), (200, &json!(true)), "{}", test.body);
    assert_eq!(admin.post("/api/v1/admin/sms/test", json!({"to": "not a number"})).await.status, 422);
    let edited =
        admin.put("/api/v1/admin/sms/texts/reminder/es", json!({"text": "Reunión: {{ reservation.title }}"})).await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!((&edited.body["encoding"], &edited.body["segments"]), (&json!("ucs2"), &json!(1)), "{}", edited.body);
    let typo = admin.put("/api/v1/admin/sms/texts/reminder/es", json!({"text": "{{ reservation.titel }}"})).await;
    assert_eq!((typo.status, typo.error_fields()), (422, vec!["text".to_string()]), "{}", typo.body);
    assert_eq!(member.get("/api/v1/admin/sms").await.status, 403);
    s.stop().await;
}

#[tokio::test]
async fn twilio_gets_its_form_body_with_basic_authentication_and_failures_are_retried_once_each() {
    // The gateway refuses the first two requests: the message is retried and arrives once.
    let (url, gateway) = Gateway::start(2).await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.sms.provider = "twilio".into();
    c.sms.twilio_url = url;
    c.sms.account_sid = "AC0123456789".into();
    c.sms.auth_token = "tw-secret-token".into();
    c.sms.from = "+15017122661".into();
    c.sms.retry_seconds = 1;
    c.sms.max_attempts = 3;
    let s = TestServer::start_with(dir, c).await;
    let admin = s.admin().await;
    let member = member_with_phone(&admin, s.user("member").await, "+1 415 555 0100").await;
    let room = admin.create_room("Sala Twilio", 6).await;
    book_with(&admin, &room, &member.email, 11).await;

    let sent = eventually("the SMS sent on its third attempt", || async {
        let log = admin.get("/api/v1/admin/sms/deliveries?status=sent").await;
        log.body.as_array().filter(|l| !l.is_empty()).cloned().ok_or_else(|| log.body.to_string())
    })
    .await;
    assert_eq!(sent[0]["attempts"], 3, "{sent:?}");
    let calls = gateway.calls();
    assert_eq!((calls.len(), gateway.accepted()), (3, 1), "three tries, one accepted");
    for (method, path, headers, body) in &calls {
        assert_eq!(method, "POST");
        assert_eq!(path, "/2010-04-01/Accounts/AC0123456789/Messages.json");
        use base64::Engine as _;
        let basic = base64::engine::general_purpose::STANDARD.encode("AC0123456789:tw-secret-token");
        assert_eq!(headers["authorization"], format!("Basic {basic}").as_str());
        assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap();
        let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        assert_eq!(field("To"), "+14155550100");
        assert_eq!(field("From"), "+15017122661");
        assert!(field("Body").contains("Sala Twilio"), "{form:?}");
    }
    s.stop().await;
}

#[tokio::test]
async fn a_gateway_that_keeps_failing_dead_letters_and_a_retry_sends_it() {
    let (url, gateway) = Gateway::start(usize::MAX).await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.sms.provider = "http".into();
    c.sms.url = format!("{url}/send");
    c.sms.retry_seconds = 1;
    c.sms.max_attempts = 2;
    let s = TestServer::start_with(dir, c).await;
    let admin = s.admin().await;
    let member = member_with_phone(&admin, s.user("member").await, "+34 611 222 333").await;
    let room = admin.create_room("Sala Muerta", 6).await;
    book_with(&admin, &room, &member.email, 12).await;

    let dead = eventually("a dead letter", || async {
        let log = admin.get("/api/v1/admin/sms/deliveries?status=dead").await;
        log.body.as_array().filter(|l| !l.is_empty()).cloned().ok_or_else(|| log.body.to_string())
    })
    .await;
    assert_eq!(dead[0]["attempts"], 2, "{dead:?}");
    assert!(dead[0]["last_error"].as_str().unwrap().contains("503"), "{dead:?}");
    gateway.failures.store(0, Ordering::SeqCst);
    let id = dead[0]["id"].as_str().unwrap();
    assert_eq!(admin.post(&format!("/api/v1/admin/sms/deliveries/{id}/retry"), json!({})).await.status, 200);
    eventually("the retried letter accepted", || async {
        if gateway.accepted() == 1 { Ok(()) } else { Err(format!("{} accepted", gateway.accepted())) }
    })
    .await;
    s.stop().await;
}

/// The `salas` binary killed (SIGKILL) while its text messages wait on a failing gateway, then
/// restarted with the gateway working: each message arrives exactly once.
#[tokio::test]
async fn a_crash_while_the_gateway_fails_loses_no_sms_and_sends_none_twice() {
    let (url, gateway) = Gateway::start(usize::MAX).await;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("SALAS_SMS_PROVIDER", "http".to_string()),
        ("SALAS_SMS_URL", format!("{url}/send")),
        ("SALAS_SMS_RETRY_SECONDS", "1".to_string()),
        ("SALAS_SMS_TIMEOUT_SECONDS", "2".to_string()),
    ];
    let server = Running::start_with(dir.path(), &env);
    let admin = server.admin().await;
    let member = member_with_phone(&admin, admin.new_user("member").await, "+34 622 000 111").await;
    let room = admin.create_room("Sala Crash", 4).await;
    for hour in 9..12 {
        book_with(&admin, &room, &member.email, hour).await;
    }
    eventually("three messages tried and refused", || async {
        let log = admin.get("/api/v1/admin/sms/deliveries?status=pending").await;
        let tried = log.body.as_array().unwrap().iter().filter(|d| d["attempts"].as_u64() >= Some(1)).count();
        if tried == 3 { Ok(()) } else { Err(log.body.to_string()) }
    })
    .await;
    server.crash();

    gateway.failures.store(0, Ordering::SeqCst);
    let server = Running::start_with(dir.path(), &env);
    eventually("three messages accepted", || async {
        if gateway.accepted() >= 3 { Ok(()) } else { Err(format!("{} accepted", gateway.accepted())) }
    })
    .await;
    // Give a duplicate every chance to show up.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let texts: Vec<String> = gateway
        .calls()
        .iter()
        .rev()
        .take(gateway.accepted())
        .map(|c| serde_json::from_slice::<Value>(&c.3).unwrap()["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(gateway.accepted(), 3, "exactly once each: {texts:?}");
    for hour in 9..12 {
        assert_eq!(texts.iter().filter(|t| t.contains(&format!("Budget review {hour},"))).count(), 1, "{texts:?}");
    }
    server.stop();
}
