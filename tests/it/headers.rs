//! Response headers a browser relies on (CSP without inline code, nosniff, referrer policy, no
//! framing, private cookies) on a set of pages and API answers; and the log of a real `salas
//! serve` never holding a password, token, key or feed secret.

use crate::browser::Browser;
use crate::common::process::salas;
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, Api, TestServer};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

fn check_headers(what: &str, h: &reqwest::header::HeaderMap) {
    let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let csp = get("content-security-policy");
    assert!(!csp.is_empty(), "{what}: no CSP");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert!(!get("referrer-policy").is_empty(), "{what}: no Referrer-Policy");
    for cookie in h.get_all("set-cookie") {
        let c = cookie.to_str().unwrap();
        assert!(c.contains("HttpOnly"), "{what}: cookie without HttpOnly: {c}");
        assert!(c.contains("SameSite="), "{what}: cookie without SameSite: {c}");
    }
}

#[tokio::test]
async fn pages_and_api_answers_carry_the_security_headers_and_private_cookies() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let login = b.get("/login").await;
    check_headers("/login", &login.headers);
    assert!(login.headers.get("set-cookie").is_some(), "the sign-in form sets its CSRF cookie");
    let signed_in = b
        .post(
            "/login",
            &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("csrf", &login.input("csrf")), ("next", "/")],
        )
        .await;
    assert_eq!(signed_in.status, 303);
    check_headers("POST /login", &signed_in.headers);
    let session =
        signed_in.headers.get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("salas_session="));
    assert!(session, "signing in sets the session cookie");
    for page in
        ["/", "/my", "/book", "/find", "/profile", "/admin/rooms", "/admin/users", "/admin/audit", "/no/such/page"]
    {
        let p = b.get(page).await;
        assert!(p.status == 200 || p.status == 404, "{page}: {}", p.status);
        check_headers(page, &p.headers);
    }
    let http = reqwest::Client::new();
    for path in ["/api/v1/rooms", "/api/openapi.json", "/healthz", "/api/v1/nothing"] {
        let res = http.get(format!("{}{path}", s.url)).send().await.unwrap();
        check_headers(path, res.headers());
    }
    s.stop().await;
}

#[tokio::test]
async fn the_log_never_holds_a_password_token_key_or_feed_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = salas()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("SALAS_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("SALAS_ADMIN_PASSWORD", ADMIN_PASSWORD)
        // Debug: the most the log ever says.
        .env("SALAS_LOG_LEVEL", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let (log, tx) = (log.clone(), tx.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Some(i) = line.find("listening on ") {
                    let _ = tx.send(line[i + "listening on ".len()..].trim().to_string());
                }
                log.lock().unwrap().push_str(&line);
                log.lock().unwrap().push('\n');
            }
        });
    }
    let url = rx.recv_timeout(std::time::Duration::from_secs(30)).expect("listening line");
    let anon =
        Api { base: url.clone(), token: None, http: reqwest::Client::new(), id: String::new(), email: String::new() };

    // A password sign-in (good and bad), bearer requests with the token, an API key, a feed.
    let bad = anon.post("/api/v1/auth/token", json!({"email": ADMIN_EMAIL, "password": "wrong-guess-6061"})).await;
    assert_eq!(bad.status, 401);
    let token = anon.post("/api/v1/auth/token", json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})).await;
    let token = token.body["access_token"].as_str().unwrap().to_string();
    let admin = anon.with_token(&token);
    let me = admin.get("/api/v1/users/me").await;
    let feed = me.body["ics_url"].as_str().unwrap().to_string();
    let key =
        admin.post("/api/v1/api-keys", json!({"name": "logged?"})).await.body["key"].as_str().unwrap().to_string();
    assert_eq!(anon.with_token(&key).get("/api/v1/rooms").await.status, 200);
    assert_eq!(anon.with_token(&format!("{key}x")).get("/api/v1/rooms").await.status, 401);
    assert_eq!(reqwest::get(&feed).await.unwrap().status(), 200);
    let hook_secret = "log-canary-webhook-secret-42";
    admin
        .post("/api/v1/admin/webhooks", json!({"url": "http://127.0.0.1:9/h", "events": ["*"], "secret": hook_secret}))
        .await;
    // A web sign-in, as a browser does it: the form's CSRF cookie and field, then the session.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = http.get(format!("{url}/login")).send().await.unwrap();
    let login_cookie = form.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let html = form.text().await.unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("csrf", &csrf), ("next", "/")])
        .finish();
    let signed_in = http
        .post(format!("{url}/login"))
        .header("cookie", login_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|c| c.to_str().unwrap().strip_prefix("salas_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();

    let status = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    child.wait().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = log.lock().unwrap().clone();
    assert!(log.contains("request"), "the access log was captured: {log}");
    let feed_token = feed.rsplit('/').next().unwrap().trim_end_matches(".ics").to_string();
    for (what, secret) in [
        ("password", ADMIN_PASSWORD),
        ("wrong password", "wrong-guess-6061"),
        ("access token", token.as_str()),
        ("API key", key.as_str()),
        ("feed token", feed_token.as_str()),
        ("webhook secret", hook_secret),
        ("session id", cookie.as_str()),
    ] {
        assert!(!log.contains(secret), "the log contains the {what}");
    }
}
