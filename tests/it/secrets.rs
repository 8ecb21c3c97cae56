//! Secrets at rest: the store file holds API keys and session ids only as hashes and webhook
//! signing secrets (and Matrix access tokens) only sealed, under a key kept apart from it; `salas check` says whether the
//! key opens what the store holds.

use crate::browser::Browser;
use crate::common::process::salas;
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, TestServer};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn the_store_file_holds_no_api_key_session_id_or_webhook_secret() {
    if crate::common::postgres::redb_only() {
        return;
    }
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let key = admin.post("/api/v1/api-keys", json!({"name": "script"})).await;
    assert_eq!(key.status, 201, "{}", key.body);
    let api_key = key.body["key"].as_str().unwrap().to_string();
    let mut b = Browser::new(&s);
    b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let session = b.cookie("salas_session").expect("session cookie").clone();
    let hook_secret = "whsec-plaintext-canary-7f3a9c21";
    let hook = admin
        .post(
            "/api/v1/admin/webhooks",
            json!({"url": "http://127.0.0.1:9/hook", "events": ["*"], "secret": hook_secret}),
        )
        .await;
    assert_eq!(hook.status, 201, "{}", hook.body);
    assert_eq!(hook.body["secret"], hook_secret, "the secret is shown once, in clear, to its creator");
    let matrix_token = "syt-matrix-token-canary-51d0e8";
    let matrix = json!({"url": "http://127.0.0.1:9", "events": ["*"], "format": "matrix",
                        "matrix_room": "!room:example.org", "matrix_token": matrix_token});
    let matrix = admin.post("/api/v1/admin/webhooks", matrix).await;
    assert_eq!(matrix.status, 201, "{}", matrix.body);
    // Still usable: the key signs in, the session opens pages.
    assert_eq!(s.anonymous().with_token(&api_key).get("/api/v1/users/me").await.status, 200);
    assert_eq!(b.get("/my").await.status, 200);

    let dir = s.stop().await;
    let bytes = std::fs::read(dir.path().join("salas.redb")).unwrap();
    assert!(contains(&bytes, ADMIN_EMAIL), "the canary check itself works: plain data is findable");
    for (what, plain) in [
        ("API key", api_key.as_str()),
        ("session id", session.as_str()),
        ("webhook secret", hook_secret),
        ("Matrix access token", matrix_token),
    ] {
        assert!(!contains(&bytes, plain), "the store file contains the {what} in plaintext");
    }
    let key_file = std::fs::metadata(dir.path().join("secret.key")).unwrap();
    assert_eq!(key_file.permissions().mode() & 0o777, 0o600);

    // `salas check`: the key opens the sealed secret…
    let check = |env: &[(&str, &str)]| {
        let mut cmd = salas();
        cmd.args(["check", "--data-dir"]).arg(dir.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string())
    };
    let (ok, out) = check(&[]);
    assert!(ok, "{out}");
    // The two webhooks' signing secrets and the Matrix webhook's access token.
    assert!(out.contains("the secret key opens all 3 stored secret(s)"), "{out}");
    // …another key does not, and neither does a data directory without its key file.
    let (ok, out) = check(&[("SALAS_SECRET_KEY", &"ab".repeat(32))]);
    assert!(!ok);
    assert!(out.contains("webhook http://127.0.0.1:9/hook") && out.contains("cannot be opened with this key"), "{out}");
    assert!(out.contains("(Matrix token)"), "{out}");
    std::fs::rename(dir.path().join("secret.key"), dir.path().join("secret.key.away")).unwrap();
    let (ok, out) = check(&[]);
    assert!(!ok);
    assert!(out.contains("does not exist"), "{out}");
    std::fs::rename(dir.path().join("secret.key.away"), dir.path().join("secret.key")).unwrap();

    // A restart with the key file reads the sealed secret again: the webhook keeps signing.
    let s = TestServer::start_in(dir).await;
    let admin = s.admin().await;
    assert_eq!(admin.get("/api/v1/admin/webhooks").await.body.as_array().unwrap().len(), 2);
    s.stop().await;
}
