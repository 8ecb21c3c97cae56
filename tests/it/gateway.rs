//! The gateway's guards seen from outside: rate limits with 429 + Retry-After, the sign-in
//! lockout, trusted proxies, body limits and the request timeout, and scoped API keys.

use crate::browser::Browser;
use crate::common::{self, ADMIN_EMAIL, ADMIN_PASSWORD, Api, PASSWORD, Res, TestServer, at};
use crate::support::{assert_invalid, assert_problem, cancel};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A test server with the given tweaks to the usual test configuration (limits off).
async fn server(tweak: impl FnOnce(&mut salas::config::Config)) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut c = common::config(dir.path());
    tweak(&mut c);
    TestServer::start_with(dir, c).await
}

/// GET `path` as the client at `ip` (sent as X-Forwarded-For; only a trusted proxy's counts).
async fn get_from(api: &Api, ip: &str, path: &str) -> Res {
    api.send(api.http.get(format!("{}{path}", api.base)).header("x-forwarded-for", ip)).await
}

async fn token_from(api: &Api, ip: &str, email: &str, password: &str) -> Res {
    let body = json!({"email": email, "password": password});
    api.send(api.http.post(format!("{}/api/v1/auth/token", api.base)).header("x-forwarded-for", ip).json(&body)).await
}

fn retry_after(res: &Res) -> u64 {
    res.header("retry-after").expect("Retry-After").parse().expect("whole seconds")
}

/// Sends GETs until one is refused; returns how many passed and the refusal.
async fn until_refused(api: &Api, ip: &str, path: &str) -> (usize, Res) {
    for passed in 0..100 {
        let res = get_from(api, ip, path).await;
        if res.status == 429 {
            return (passed, res);
        }
        assert_eq!(res.status, 200, "{}", res.body);
    }
    panic!("no 429 after 100 requests");
}

#[tokio::test]
async fn per_address_limit_answers_429_with_retry_after_and_refills() {
    let s = server(|c| {
        c.limits.per_ip_per_minute = 60;
        c.limits.per_ip_burst = 5;
        c.http.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let anon = s.anonymous();
    let began = std::time::Instant::now();
    let (passed, res) = until_refused(&anon, "198.51.100.1", "/api/openapi.json").await;
    // The burst, plus one a second refilled while the requests ran (a slow machine may take a
    // second over six debug-built OpenAPI documents).
    let refilled = began.elapsed().as_secs() as usize;
    assert!((5..=5 + refilled).contains(&passed), "{passed} passed in {refilled} s; the burst is 5");
    assert_problem(&res, 429);
    assert_eq!(res.body["type"], "urn:salas:problem:rate-limited");
    assert_eq!(retry_after(&res), 1, "one request a second");

    // Another client is not held back by the first.
    assert_eq!(get_from(&anon, "198.51.100.2", "/healthz").await.status, 200);

    // Pages answer with a readable page, not JSON.
    let page = get_from(&anon, "198.51.100.1", "/login").await;
    assert_eq!(page.status, 429);
    assert!(page.header("content-type").unwrap().starts_with("text/html"), "{:?}", page.headers);
    assert!(page.header("retry-after").is_some());
    assert!(page.header("content-security-policy").unwrap().contains("default-src"));
    assert!(page.body.as_str().unwrap().contains("Too many requests"), "{}", page.body);

    // The bucket refills at the stated rate.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get_from(&anon, "198.51.100.1", "/healthz").await.status, 200);
    s.stop().await;
}

#[tokio::test]
async fn untrusted_peers_cannot_choose_their_address() {
    // No trusted proxies: X-Forwarded-For is ignored, so changing it escapes nothing.
    let s = server(|c| {
        c.limits.per_ip_per_minute = 6;
        c.limits.per_ip_burst = 30;
    })
    .await;
    let anon = s.anonymous();
    let mut refused = None;
    for i in 0..40 {
        let res = get_from(&anon, &format!("203.0.113.{i}"), "/api/openapi.json").await;
        if res.status == 429 {
            refused = Some(res);
            break;
        }
    }
    let res = refused.expect("spoofed X-Forwarded-For values share the peer's bucket");
    assert_problem(&res, 429);
    assert!(retry_after(&res) >= 1);
    s.stop().await;
}

#[tokio::test]
async fn forwarded_proto_counts_only_from_a_trusted_proxy() {
    let ics_scheme = |res: &Res| res.body["ics_url"].as_str().unwrap().split("://").next().unwrap().to_string();
    let untrusted = server(|_| {}).await;
    let admin = untrusted.admin().await;
    let req = admin.http.get(format!("{}/api/v1/users/me", admin.base)).header("x-forwarded-proto", "https");
    assert_eq!(ics_scheme(&admin.send(req).await), "http", "a client cannot claim HTTPS");
    untrusted.stop().await;

    let trusted = server(|c| c.http.trusted_proxies = vec!["10.0.0.0/8".into(), "127.0.0.0/8".into()]).await;
    let admin = trusted.admin().await;
    let req = admin.http.get(format!("{}/api/v1/users/me", admin.base)).header("x-forwarded-proto", "https");
    assert_eq!(ics_scheme(&admin.send(req).await), "https", "the proxy terminated TLS");
    trusted.stop().await;
}

#[tokio::test]
async fn sign_in_endpoints_have_their_own_stricter_bucket() {
    let s = server(|c| {
        c.limits.sign_in_per_minute = 6;
        c.limits.sign_in_burst = 3;
        c.http.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let anon = s.anonymous();
    for _ in 0..3 {
        assert_eq!(token_from(&anon, "198.51.100.5", ADMIN_EMAIL, ADMIN_PASSWORD).await.status, 200);
    }
    let res = token_from(&anon, "198.51.100.5", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_problem(&res, 429);
    assert!((1..=10).contains(&retry_after(&res)), "six a minute, some refilled while signing in");
    // Other routes are not held to it, nor are other clients.
    assert_eq!(get_from(&anon, "198.51.100.5", "/healthz").await.status, 200);
    assert_eq!(token_from(&anon, "198.51.100.6", ADMIN_EMAIL, ADMIN_PASSWORD).await.status, 200);

    // The sign-in form is held to it too (showing the form is not an attempt), with a page.
    let mut b = Browser::new(&s);
    for _ in 0..3 {
        let form = b.get("/login").await;
        assert_eq!(form.status, 200);
        let csrf = form.input("csrf");
        let tried = b.post("/login", &[("email", ADMIN_EMAIL), ("password", "wrong"), ("csrf", &csrf)]).await;
        assert_eq!(tried.status, 401, "{}", tried.html);
    }
    let csrf = b.get("/login").await.input("csrf");
    let refused = b.post("/login", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("csrf", &csrf)]).await;
    assert_eq!(refused.status, 429);
    assert!(refused.headers.get("retry-after").is_some());
    assert!(refused.html.contains("Too many requests"), "{}", refused.html);
    s.stop().await;
}

#[tokio::test]
async fn per_credential_limit_holds_each_token_to_its_own_bucket() {
    let s = server(|c| {
        c.limits.per_credential_per_minute = 60;
        c.limits.per_credential_burst = 4;
    })
    .await;
    let one = s.admin().await;
    let two = s.admin().await;
    let (passed, res) = until_refused(&one, "-", "/api/v1/rooms").await;
    assert!(passed <= 4, "{passed}");
    assert_problem(&res, 429);
    assert_eq!(two.get("/api/v1/rooms").await.status, 200, "another token from the same address");
    s.stop().await;
}

#[tokio::test]
async fn lockout_is_per_account_and_address_grows_and_ends() {
    let s = server(|c| {
        c.auth.login_max_failures = 3;
        c.auth.login_lockout_first_seconds = 1;
        c.auth.login_lockout_minutes = 1;
        c.http.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let member = s.user("member").await;
    let anon = s.anonymous();
    let attacker = "198.51.100.66";
    for i in 0..3 {
        let res = token_from(&anon, attacker, &member.email, &format!("guess {i}")).await;
        assert_problem(&res, 401);
    }
    let res = token_from(&anon, attacker, &member.email, PASSWORD).await;
    assert_problem(&res, 429);
    assert_eq!(retry_after(&res), 1, "the first lock is short");

    // The real user, elsewhere, signs in as usual: nobody can lock them out.
    assert_eq!(token_from(&anon, "192.0.2.10", &member.email, PASSWORD).await.status, 200);

    // After the lock, another failure locks again for twice as long.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_problem(&token_from(&anon, attacker, &member.email, "guess 3").await, 401);
    let res = token_from(&anon, attacker, &member.email, PASSWORD).await;
    assert_problem(&res, 429);
    assert_eq!(retry_after(&res), 2, "locks grow");

    // Every lock ends.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(token_from(&anon, attacker, &member.email, PASSWORD).await.status, 200);
    s.stop().await;
}

#[tokio::test]
async fn bodies_are_capped_and_slow_requests_time_out_as_problems() {
    let s = server(|c| {
        c.http.max_body_bytes = 1024;
        c.http.request_timeout_seconds = 1;
    })
    .await;
    let admin = s.admin().await;
    let big = json!({"name": "x".repeat(4000), "capacity": 4});
    let res = admin.post("/api/v1/rooms", big).await;
    assert_problem(&res, 413);

    // A client that announces a body and never finishes sending it is cut off.
    let addr = s.url.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/rooms HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"name\":",
        admin.token.as_deref().unwrap()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = conn.read(&mut buf).await.unwrap_or(0);
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || String::from_utf8_lossy(&answer).contains("\"status\":503") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server answered within the timeout");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("application/problem+json") && text.contains("urn:salas:problem:timeout"), "{text}");
    s.stop().await;
}

/// Creates an API key for `owner` (with `scope`, or the default) and returns a client using it.
async fn key(owner: &Api, scope: Option<&str>) -> Api {
    let mut body = json!({"name": format!("key {}", scope.unwrap_or("default"))});
    if let Some(scope) = scope {
        body["scope"] = Value::from(scope);
    }
    let res = owner.post("/api/v1/api-keys", body).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["scope"], scope.unwrap_or("admin"), "{}", res.body);
    owner.with_token(res.body["key"].as_str().unwrap())
}

#[tokio::test]
async fn scoped_keys_are_their_owners_role_within_their_scope() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let manager = s.user("manager").await;
    let member = s.user("member").await;
    let room = admin.create_room("Scoped", 6).await;
    let members_booking = member.book(&room, &at(2, 9), &at(2, 10)).await;
    assert_eq!(members_booking.status, 201, "{}", members_booking.body);
    let members_booking = members_booking.body["id"].as_str().unwrap().to_string();
    let room_patch = format!("/api/v1/rooms/{room}");
    let new_room = || json!({"name": format!("Room {}", uuid::Uuid::now_v7().simple()), "capacity": 2});

    // read: look, nothing else, even for an administrator.
    let read = key(&admin, Some("read")).await;
    assert_eq!(read.get("/api/v1/rooms").await.status, 200);
    assert_eq!(read.get(&format!("/api/v1/reservations/{members_booking}")).await.status, 200);
    assert_problem(&read.book(&room, &at(3, 9), &at(3, 10)).await, 403);
    assert_problem(&read.post("/api/v1/rooms", new_room()).await, 403);
    assert_problem(&read.get("/api/v1/users").await, 403);
    assert_problem(&read.post("/api/v1/api-keys", json!({"name": "wider", "scope": "admin"})).await, 403);
    let me = format!("/api/v1/users/{}", admin.id);
    assert_problem(&read.patch(&me, json!({"name": "Changed by a read key"})).await, 403);

    // book: book and manage one's own bookings; no room management, not others' bookings.
    let book = key(&manager, Some("book")).await;
    let mine = book.book(&room, &at(4, 9), &at(4, 10)).await;
    assert_eq!(mine.status, 201, "{}", mine.body);
    let mine = mine.body["id"].as_str().unwrap();
    assert_eq!(cancel(&book, mine, None).await.status, 200);
    assert_problem(&cancel(&book, &members_booking, None).await, 403);
    assert_problem(&book.patch(&room_patch, json!({"capacity": 9})).await, 403);
    assert_problem(&book.post("/api/v1/rooms", new_room()).await, 403);
    assert_problem(&book.post("/api/v1/api-keys", json!({"name": "wider"})).await, 403);

    // admin (the default): the owner's full role, and never more.
    let full = key(&manager, None).await;
    assert_eq!(full.post("/api/v1/rooms", new_room()).await.status, 201);
    assert_problem(&full.post("/api/v1/users", json!({"email": "x@example.test", "name": "X"})).await, 403);
    let members_full = key(&member, Some("admin")).await;
    assert_problem(&members_full.post("/api/v1/rooms", new_room()).await, 403);
    assert_eq!(members_full.post("/api/v1/api-keys", json!({"name": "another"})).await.status, 201);

    // Unknown scopes are refused naming the field; the list shows each key's scope.
    assert_invalid(&admin.post("/api/v1/api-keys", json!({"name": "k", "scope": "write"})).await, "scope");
    let list = admin.get("/api/v1/api-keys").await;
    assert_eq!(list.body[0]["scope"], "read", "{}", list.body);
    s.stop().await;
}

#[tokio::test]
async fn the_profile_page_creates_keys_with_a_scope() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let csrf = b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = b.post("/profile/api-keys", &[("csrf", &csrf), ("name", "wall display"), ("scope", "read")]).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Read only"), "the list names the scope");
    let secret = page.html.split("<code>").nth(1).and_then(|c| c.split("</code>").next()).unwrap().to_string();
    assert!(secret.starts_with("salas_"), "{secret}");
    let api = s.anonymous().with_token(&secret);
    assert_eq!(api.get("/api/v1/rooms").await.status, 200);
    assert_problem(&api.post("/api/v1/rooms", json!({"name": "No", "capacity": 1})).await, 403);

    let bad = b.post("/profile/api-keys", &[("csrf", &csrf), ("name", "odd"), ("scope", "root")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("key_scope-error"), "{}", bad.html);
    s.stop().await;
}
