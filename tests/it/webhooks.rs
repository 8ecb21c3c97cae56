//! Webhooks against a receiver in the test: signed JSON bodies, retries after failures, the
//! dead-letter list with its retry, and the chat formats (Slack, Teams, Matrix).

use crate::common::{TestServer, config, eventually};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Receiver {
    calls: Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>,
}

async fn flaky(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut calls = r.calls.lock().unwrap();
    calls.push(("flaky".into(), headers, body));
    // The first two calls fail: the sender must retry.
    if calls.iter().filter(|c| c.0 == "flaky").count() <= 2 {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

async fn down(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    r.calls.lock().unwrap().push(("down".into(), headers, body));
    StatusCode::SERVICE_UNAVAILABLE
}

async fn start_receiver() -> (String, Receiver) {
    let receiver = Receiver::default();
    let app = Router::new().route("/flaky", post(flaky)).route("/down", post(down)).with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, receiver)
}

fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let ts = headers["x-salas-timestamp"].to_str().unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}.").as_bytes());
    mac.update(body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    headers["x-salas-signature"].to_str().unwrap() == expected
}

/// `Ok` once `seen` holds, for [`eventually`].
fn once(seen: bool, what: &str) -> Result<(), String> {
    if seen { Ok(()) } else { Err(format!("not yet: {what}")) }
}

#[tokio::test]
async fn signed_calls_are_retried_and_dead_letters_can_be_retried() {
    let (url, receiver) = start_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.webhooks.retry_seconds = 1;
    c.webhooks.max_attempts = 3;
    let s = TestServer::start_with(dir, c).await;
    let admin = s.admin().await;

    let secret = "a-shared-secret-of-some-length";
    let res = admin
        .post(
            "/api/v1/admin/webhooks",
            json!({"url": format!("{url}/flaky"), "events": ["reservation.created"], "secret": secret}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["secret"], secret);
    let res = admin.post("/api/v1/admin/webhooks", json!({"url": format!("{url}/down"), "events": ["*"]})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert!(res.body["secret"].as_str().unwrap().len() >= 32, "a generated secret is shown once");
    let listed = admin.get("/api/v1/admin/webhooks").await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    assert!(listed.body[0].get("secret").is_none(), "never listed: {}", listed.body);
    let bad = admin.post("/api/v1/admin/webhooks", json!({"url": "ftp://x", "events": []})).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(s.user("member").await.get("/api/v1/admin/webhooks").await.status, 403);

    let room = admin.create_room("Sala Hook", 4).await;
    let booked = admin.book(&room, &crate::common::at(3, 10), &crate::common::at(3, 11)).await;
    assert_eq!(booked.status, 201);
    let id = booked.body["id"].as_str().unwrap().to_string();

    // Two failures, then success on the third attempt.
    let flaky_calls = || receiver.calls.lock().unwrap().iter().filter(|c| c.0 == "flaky").count();
    eventually("three calls of the flaky receiver", || async { once(flaky_calls() >= 3, "3 calls") }).await;
    let calls: Vec<(HeaderMap, Bytes)> =
        receiver.calls.lock().unwrap().iter().filter(|c| c.0 == "flaky").map(|c| (c.1.clone(), c.2.clone())).collect();
    let delivery_ids: Vec<&str> = calls.iter().map(|c| c.0["x-salas-delivery"].to_str().unwrap()).collect();
    assert!(delivery_ids.windows(2).all(|w| w[0] == w[1]), "retries of one delivery");
    for (headers, body) in &calls {
        assert!(verify(secret, headers, body), "signature checks out");
        assert!(!verify("another-secret-entirely", headers, body));
        assert_eq!(headers["x-salas-event"], "reservation.created");
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["kind"], "reservation.created");
        assert_eq!(v["subject"], id.as_str());
        assert_eq!(v["data"]["room_id"], room.as_str());
    }

    // The always-failing receiver ends in the dead-letter list after max_attempts.
    let dead_list = eventually("a dead letter", || async {
        let d = admin.get("/api/v1/admin/webhooks/deliveries?status=dead").await;
        d.body.as_array().filter(|list| !list.is_empty()).cloned().ok_or_else(|| d.body.to_string())
    })
    .await;
    let letter = &dead_list[0];
    assert_eq!(letter["attempts"], 3, "{letter}");
    assert!(letter["last_error"].as_str().unwrap().contains("503"), "{letter}");
    assert!(letter["body"]["kind"].is_string(), "the body can be inspected: {letter}");
    // The flaky delivery is logged as sent just after its receiver answered.
    eventually("the flaky delivery logged as sent on its third attempt", || async {
        let sent = admin.get("/api/v1/admin/webhooks/deliveries?status=sent").await;
        let third = sent.body.as_array().is_some_and(|a| a.iter().any(|d| d["attempts"] == 3));
        once(third, &sent.body.to_string())
    })
    .await;

    // A retried letter is called again under its own delivery id (other letters of the "down"
    // receiver may still be on their own attempts, so only this id counts).
    let letter_id = letter["id"].as_str().unwrap();
    let calls_of_letter =
        || receiver.calls.lock().unwrap().iter().filter(|c| c.1["x-salas-delivery"] == letter_id).count();
    let before = calls_of_letter();
    assert_eq!(before, 3, "a dead letter was tried max_attempts times");
    let retried = admin.post(&format!("/api/v1/admin/webhooks/deliveries/{letter_id}/retry"), json!({})).await;
    assert_eq!(retried.status, 200, "{}", retried.body);
    eventually("the retried dead letter", || async { once(calls_of_letter() > before, "a call after the retry") })
        .await;
    s.stop().await;
}

/// One call a chat receiver got: method, path, headers, body.
type ChatCall = (String, String, HeaderMap, Value);

/// A receiver for any method and path that records every call; the first call under
/// `/_matrix/` is answered 500, so the sender must try it again.
async fn start_chat_receiver() -> (String, Arc<Mutex<Vec<ChatCall>>>) {
    let calls: Arc<Mutex<Vec<ChatCall>>> = Arc::default();
    let record = calls.clone();
    let app = Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let calls = record.clone();
        async move {
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let mut calls = calls.lock().unwrap();
            calls.push((method.to_string(), uri.path().to_string(), headers, body));
            let matrix_calls = calls.iter().filter(|c| c.1.starts_with("/_matrix/")).count();
            if uri.path().starts_with("/_matrix/") && matrix_calls == 1 {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}

#[tokio::test]
async fn chat_formats_get_readable_messages_in_their_platforms_shape() {
    let (url, calls) = start_chat_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.webhooks.retry_seconds = 1;
    c.webhooks.language = "es".into();
    let s = TestServer::start_with(dir, c).await;
    let admin = s.admin().await;
    let token = "syt_bot_secret_token_42";
    let room_id = "!chatops:example.org";
    let hooks = [
        json!({"url": format!("{url}/slack"), "events": ["reservation.created"], "format": "slack"}),
        json!({"url": format!("{url}/teams"), "events": ["reservation.created"], "format": "teams"}),
        json!({"url": format!("{url}/"), "events": ["reservation.created"], "format": "matrix",
               "matrix_room": room_id, "matrix_token": token}),
    ];
    for hook in hooks {
        let res = admin.post("/api/v1/admin/webhooks", hook.clone()).await;
        assert_eq!(res.status, 201, "{}", res.body);
        assert_eq!(res.body["format"], hook["format"]);
        assert!(!res.body.to_string().contains(token), "the token is never shown: {}", res.body);
    }
    let listed = admin.get("/api/v1/admin/webhooks").await;
    assert_eq!(listed.body[2]["matrix_room"], room_id, "{}", listed.body);
    assert!(!listed.body.to_string().contains(token), "never listed: {}", listed.body);

    // Unknown formats and a Matrix webhook without its room are refused, naming the field.
    let fax = admin.post("/api/v1/admin/webhooks", json!({"url": url, "events": ["*"], "format": "fax"})).await;
    assert_eq!(fax.status, 422, "{}", fax.body);
    assert_eq!(fax.body["errors"][0]["field"], "format", "{}", fax.body);
    let roomless = admin
        .post("/api/v1/admin/webhooks", json!({"url": url, "events": ["*"], "format": "matrix", "matrix_token": token}))
        .await;
    assert_eq!(roomless.status, 422, "{}", roomless.body);
    assert_eq!(roomless.body["errors"][0]["field"], "matrix_room", "{}", roomless.body);

    let room = admin.create_room("Sala Atlas", 6).await;
    let (start, end) = (crate::common::at(2, 9), crate::common::at(2, 10));
    let booked = admin
        .post("/api/v1/reservations", json!({"room_id": room, "title": "Weekly sync", "start": start, "end": end}))
        .await;
    assert_eq!(booked.status, 201, "{}", booked.body);

    let count = |prefix: &str| calls.lock().unwrap().iter().filter(|c| c.1.starts_with(prefix)).count();
    eventually("slack, teams and two matrix calls", || async {
        once(count("/slack") == 1 && count("/teams") == 1 && count("/_matrix/") >= 2, "all calls")
    })
    .await;
    let calls = calls.lock().unwrap().clone();
    let call = |prefix: &str| calls.iter().find(|c| c.1.starts_with(prefix)).unwrap().clone();
    // The booking in the room's language and words, "Reservada: Weekly sync — Sala Atlas, …".
    let readable = |text: &Value| {
        let text = text.as_str().unwrap_or_default();
        assert!(text.starts_with("Reservada: "), "in [webhooks] language: {text}");
        assert!(text.contains("Weekly sync") && text.contains("Sala Atlas"), "{text}");
    };

    let (method, _, _, slack) = call("/slack");
    assert_eq!(method, "POST");
    readable(&slack["text"]);
    assert_eq!(slack["blocks"][0]["type"], "section", "{slack}");
    assert_eq!(slack["blocks"][0]["text"]["type"], "mrkdwn", "{slack}");
    readable(&slack["blocks"][0]["text"]["text"]);

    let (method, _, _, teams) = call("/teams");
    assert_eq!(method, "POST");
    assert_eq!(teams["@type"], "MessageCard", "{teams}");
    assert_eq!(teams["@context"], "https://schema.org/extensions");
    assert_eq!(teams["title"], "Weekly sync");
    readable(&teams["summary"]);
    readable(&teams["text"]);
    let facts = teams["sections"][0]["facts"].as_array().unwrap();
    let names: Vec<&str> = facts.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Sala", "Cuándo", "Reservada por"], "{teams}");
    assert_eq!(facts[0]["value"], "Sala Atlas");

    let matrix: Vec<&ChatCall> = calls.iter().filter(|c| c.1.starts_with("/_matrix/")).collect();
    let prefix = "/_matrix/client/v3/rooms/!chatops:example.org/send/m.room.message/";
    for (method, path, headers, body) in &matrix {
        assert_eq!(method, "PUT");
        assert!(path.starts_with(prefix), "{path}");
        assert_eq!(headers["authorization"], format!("Bearer {token}").as_str());
        assert_eq!(body["msgtype"], "m.text", "{body}");
        assert_eq!(body["format"], "org.matrix.custom.html");
        readable(&body["body"]);
        let html = body["formatted_body"].as_str().unwrap();
        assert!(html.contains("<strong>Weekly sync</strong>") && html.contains("Sala Atlas"), "{html}");
    }
    // The receiver failed the first call: the retry is the same transaction, which a homeserver
    // posts once.
    let txn = |c: &ChatCall| c.1[prefix.len()..].to_string();
    assert!(!txn(matrix[0]).is_empty());
    assert_eq!(txn(matrix[0]), txn(matrix[1]), "a retry reuses the transaction id");
    s.stop().await;
}
