//! Web Push against a local push service (`push_receiver.py`) that checks what a browser's push
//! service and the browser would: the VAPID token's ES256 signature with the key the server
//! publishes, and the aes128gcm body, decrypted with the `http_ece` package. A subscription the
//! push service says is gone (410) is removed and its message given up.

use crate::common::process::Running;
use crate::common::{Api, TestServer, at, eventually};
use serde_json::{Value, json};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};

/// The receiver process and what it made: its port, and the browser keys to subscribe with.
struct Receiver {
    child: Child,
    port: u64,
    p256dh: String,
    auth: String,
    out: tempfile::NamedTempFile,
}

impl Receiver {
    fn start(vapid_key: &str) -> Receiver {
        let out = tempfile::NamedTempFile::new().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/push_receiver.py");
        let mut child = Command::new("python3")
            .args([script, vapid_key, out.path().to_str().unwrap()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the push receiver (pip install -r .ci/requirements.txt: http-ece, cryptography)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("receiver said {line:?}: {e}"));
        Receiver {
            child,
            port: v["port"].as_u64().unwrap(),
            p256dh: v["p256dh"].as_str().unwrap().into(),
            auth: v["auth"].as_str().unwrap().into(),
            out,
        }
    }

    fn subscription(&self, path: &str) -> Value {
        json!({"endpoint": format!("http://127.0.0.1:{}{path}", self.port), "expirationTime": null,
            "keys": {"p256dh": self.p256dh, "auth": self.auth}})
    }

    fn received(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.out.path()).unwrap_or_default();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    async fn wait_for(&self, path: &str, n: usize) -> Vec<Value> {
        eventually(&format!("{n} push(es) to {path}"), || async {
            let got: Vec<Value> = self.received().into_iter().filter(|r| r["path"] == path).collect();
            if got.len() >= n { Ok(got) } else { Err(format!("{:?}", self.received())) }
        })
        .await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn subscribe(member: &Api, body: Value) -> String {
    let r = member.post("/api/v1/push/subscriptions", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn bookings_are_pushed_encrypted_and_signed_and_gone_subscriptions_are_removed() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let key = s.anonymous().get("/api/v1/push/key").await;
    assert_eq!(key.status, 200, "{}", key.body);
    let key = key.body["public_key"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 87, "a 65-byte point in base64url: {key}");
    let receiver = Receiver::start(&key);

    let bad = member
        .post(
            "/api/v1/push/subscriptions",
            json!({"endpoint": "http://push.example.com/x", "keys": {"p256dh": "BAAA", "auth": "abc"}}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.error_fields(), ["endpoint", "keys.p256dh", "keys.auth"], "{}", bad.body);
    let ok = subscribe(&member, receiver.subscription("/ok/1")).await;
    let gone = subscribe(&member, receiver.subscription("/gone/2")).await;
    assert_eq!(member.get("/api/v1/push/subscriptions").await.body.as_array().unwrap().len(), 2);
    // Another user's subscription is not theirs to remove.
    let other = s.user("member").await;
    assert_eq!(other.delete(&format!("/api/v1/push/subscriptions/{ok}")).await.status, 404);

    // The admin books with the member invited: the member's browsers are told.
    let room = admin.create_room("Sala Pacífico", 6).await;
    let r = admin
        .post(
            "/api/v1/reservations",
            json!({"room_id": room, "title": "Budget review", "start": at(2, 10), "end": at(2, 11),
                "attendees": [member.email]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let pushed = receiver.wait_for("/ok/1", 1).await;
    assert!(pushed[0].get("error").is_none(), "the receiver refused it: {}", pushed[0]);
    let message = &pushed[0]["message"];
    let title = message["title"].as_str().unwrap();
    assert!(title.starts_with("Booked: Budget review — Sala Pacífico"), "{message}");
    assert!(message["body"].as_str().unwrap().contains("Budget review"), "{message}");
    assert_eq!(message["url"], format!("/reservations/{}", r.body["id"].as_str().unwrap()));
    assert_eq!(pushed[0]["claims"]["aud"], format!("http://127.0.0.1:{}", receiver.port));
    let refused = receiver.wait_for("/gone/2", 1).await;
    assert!(refused[0].get("error").is_none(), "{}", refused[0]);

    // The push service said 410: that subscription is removed and its message given up.
    eventually("the gone subscription removed", || async {
        let list = member.get("/api/v1/push/subscriptions").await.body;
        let ids: Vec<&str> = list.as_array().unwrap().iter().filter_map(|s| s["id"].as_str()).collect();
        if ids == [ok.as_str()] { Ok(()) } else { Err(format!("{list}")) }
    })
    .await;
    assert_eq!(member.delete(&format!("/api/v1/push/subscriptions/{gone}")).await.status, 404);
    let dead = admin.get("/api/v1/admin/push/deliveries?status=dead").await;
    assert_eq!(dead.body.as_array().unwrap().len(), 1, "{}", dead.body);
    assert_eq!(dead.body[0]["recipient"], gone.as_str());
    assert!(dead.body[0]["last_error"].as_str().unwrap().contains("410"), "{}", dead.body);
    // The admin page shows the server's key and the dead letter, with its retry button.
    let mut browser = crate::browser::Browser::new(&s);
    browser.sign_in(crate::common::ADMIN_EMAIL, crate::common::ADMIN_PASSWORD).await;
    let page = browser.get("/admin/push?status=dead").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains(&key) && page.html.contains(gone.as_str()), "{}", page.html);
    let dead_id = dead.body[0]["id"].as_str().unwrap();
    assert!(page.html.contains(&format!("/admin/push/deliveries/{dead_id}/retry")), "{}", page.html);
    let csrf = page.input("csrf");
    let tested = browser.post("/admin/push/test", &[("csrf", &csrf)]).await;
    assert_eq!((tested.status, tested.location()), (303, "/admin/push"), "{}", tested.html);
    assert!(browser.get("/admin/push").await.html.contains("No browser of yours has notifications on"));
    let sent = admin.get("/api/v1/admin/push/deliveries?status=sent").await;
    assert_eq!(sent.body.as_array().unwrap().len(), 1, "the admin made the change and is not pushed: {}", sent.body);

    // A test push to one's own browsers; then the member unsubscribes.
    let test = member.post("/api/v1/users/me/push/test", json!({})).await;
    assert_eq!(test.status, 200, "{}", test.body);
    assert_eq!(test.body, json!([{"subscription": ok, "ok": true, "detail": ""}]));
    let tested = receiver.wait_for("/ok/1", 2).await;
    assert_eq!(tested[1]["message"]["url"], "/profile", "{}", tested[1]);

    // The push switch is on, and a client that does not know it leaves it on.
    let mut prefs = member.get("/api/v1/users/me/notification-preferences").await.body;
    assert_eq!(prefs["push"], true, "{prefs}");
    prefs.as_object_mut().unwrap().remove("push");
    let put = member.put("/api/v1/users/me/notification-preferences", prefs).await;
    assert_eq!((put.status, &put.body["push"]), (200, &json!(true)), "{}", put.body);
    assert_eq!(member.delete(&format!("/api/v1/push/subscriptions/{ok}")).await.status, 204);
    assert_eq!(member.get("/api/v1/push/subscriptions").await.body, json!([]));
}

/// The profile page's part: the service worker at the site's root, the page's button and its
/// script, and the subscription posted as a form with the session's CSRF token (without it,
/// nothing is saved).
#[tokio::test]
async fn the_profile_page_subscribes_this_browser_through_a_form() {
    let s = TestServer::start().await;
    let member = s.user("member").await;
    let mut b = crate::browser::Browser::new(&s);
    let csrf = b.sign_in(&member.email, crate::common::PASSWORD).await;
    let worker = s.anonymous().http.get(format!("{}/sw.js", s.anonymous().base)).send().await.unwrap();
    assert_eq!(worker.status(), 200);
    assert!(worker.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(worker.text().await.unwrap().contains("showNotification"));
    let page = b.get("/profile").await;
    assert!(page.html.contains("data-push-enable") && page.html.contains("/profile/push-test"), "{}", page.html);

    let key = s.anonymous().get("/api/v1/push/key").await.body["public_key"].as_str().unwrap().to_string();
    let receiver = Receiver::start(&key);
    let endpoint = format!("http://127.0.0.1:{}/ok/ui", receiver.port);
    let form = [("endpoint", endpoint.as_str()), ("p256dh", &receiver.p256dh), ("auth", &receiver.auth)];
    let forged = b.post("/profile/push", &[&[("csrf", "forged")], &form[..]].concat()).await;
    assert_ne!(forged.status, 204);
    assert_eq!(member.get("/api/v1/push/subscriptions").await.body, json!([]));
    let saved = b.post("/profile/push", &[&[("csrf", csrf.as_str())], &form[..]].concat()).await;
    assert_eq!(saved.status, 204, "{}", saved.html);
    assert_eq!(member.get("/api/v1/push/subscriptions").await.body[0]["endpoint"], endpoint.as_str());

    let tested = b.post("/profile/push-test", &[("csrf", csrf.as_str())]).await;
    assert_eq!(tested.status, 303);
    let got = receiver.wait_for("/ok/ui", 1).await;
    assert_eq!(got[0]["message"]["url"], "/profile", "{}", got[0]);
}

/// The `salas` binary killed (SIGKILL) while its pushes wait on a push service that is down,
/// then restarted with the service back: each message arrives exactly once.
#[tokio::test]
async fn a_crash_while_the_push_service_is_down_loses_no_push_and_sends_none_twice() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("SALAS_PUSH_RETRY_SECONDS", "1".to_string()), ("SALAS_PUSH_TIMEOUT_SECONDS", "2".to_string())];
    let server = Running::start_with(dir.path(), &env);
    let admin = server.admin().await;
    let member = admin.new_user("member").await;
    let key = admin.get("/api/v1/push/key").await.body["public_key"].as_str().unwrap().to_string();
    let receiver = Receiver::start(&key);
    let down = format!("{}.down", receiver.out.path().display());
    std::fs::write(&down, "").unwrap();
    subscribe(&member, receiver.subscription("/down/1")).await;
    let room = admin.create_room("Sala Push Crash", 4).await;
    let mut urls = Vec::new();
    for hour in 9..12 {
        let body = json!({"room_id": room, "title": format!("Crash push {hour}"), "start": at(2, hour),
            "end": at(2, hour + 1), "attendees": [member.email]});
        let r = admin.post("/api/v1/reservations", body).await;
        assert_eq!(r.status, 201, "{}", r.body);
        urls.push(format!("/reservations/{}", r.body["id"].as_str().unwrap()));
    }
    eventually("three pushes tried and refused", || async {
        let log = admin.get("/api/v1/admin/push/deliveries?status=pending").await;
        let tried = log.body.as_array().unwrap().iter().filter(|d| d["attempts"].as_u64() >= Some(1)).count();
        if tried == 3 { Ok(()) } else { Err(log.body.to_string()) }
    })
    .await;
    server.crash();

    std::fs::remove_file(&down).unwrap();
    let server = Running::start_with(dir.path(), &env);
    receiver.wait_for("/down/1", 3).await;
    // Give a duplicate every chance to show up.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let got = receiver.received();
    assert!(got.iter().all(|r| r.get("error").is_none()), "decrypted and signed: {got:?}");
    let mut sent: Vec<&str> = got.iter().map(|r| r["message"]["url"].as_str().unwrap()).collect();
    sent.sort_unstable();
    urls.sort_unstable();
    assert_eq!(sent, urls, "exactly once each");
    server.stop();
}
