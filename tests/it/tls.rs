//! Native TLS with a self-signed certificate made here: HTTPS, HSTS, Secure cookies, graceful
//! stop, and a start refused with one readable line for a certificate that cannot be used.

use crate::common::process::{Running, salas};
use crate::common::{self, ADMIN_EMAIL, ADMIN_PASSWORD};
use serde_json::json;
use std::path::{Path, PathBuf};

/// A certificate for 127.0.0.1 and localhost: (certificate PEM path, key PEM path, certificate).
fn certificate(dir: &Path, name: &str) -> (PathBuf, PathBuf, reqwest::Certificate) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let (cert, key) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (cert, key, reqwest::Certificate::from_pem(made.cert.pem().as_bytes()).unwrap())
}

/// A client that trusts only `cert` and keeps no cookies (the test reads them).
fn client(cert: reqwest::Certificate) -> reqwest::Client {
    reqwest::Client::builder().tls_certs_only([cert]).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn serves_https_with_hsts_and_secure_cookies_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path, cert) = certificate(dir.path(), "server");
    let mut config = common::config(&dir.path().join("data"));
    config.tls.cert = cert_path;
    config.tls.key = key_path;
    let server = salas::app::start(config).await.expect("starts with TLS");
    let base = format!("https://127.0.0.1:{}", server.addr.port());
    let http = client(cert);

    let mut ready = false;
    for _ in 0..400 {
        if http.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(ready, "ready over HTTPS");

    let res = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000");

    // Plain HTTP to the same port gets no answer from the application.
    let plain = reqwest::Client::new().get(format!("http://127.0.0.1:{}/healthz", server.addr.port())).send().await;
    assert!(plain.map(|r| r.status() != 200).unwrap_or(true), "no plain-HTTP answer");

    // Every cookie the UI sets is Secure, the session's included.
    let form = http.get(format!("{base}/login")).send().await.unwrap();
    let cookies = set_cookies(&form);
    let csrf_cookie = cookies.iter().find(|c| c.starts_with("salas_login_csrf=")).expect("login CSRF cookie");
    assert!(csrf_cookie.contains("; Secure") && csrf_cookie.contains("HttpOnly"), "{csrf_cookie}");
    let csrf = csrf_cookie.split(';').next().unwrap().trim_start_matches("salas_login_csrf=").to_string();
    let signed_in = http
        .post(format!("{base}/login"))
        .header("cookie", format!("salas_login_csrf={csrf}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs([("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("csrf", &csrf), ("next", "/")])
                .finish(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let session = set_cookies(&signed_in).into_iter().find(|c| c.starts_with("salas_session=")).expect("session");
    assert!(session.contains("; Secure") && session.contains("SameSite=Lax"), "{session}");

    // The API works over TLS, and the links it writes say https.
    let token = http
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let me: serde_json::Value =
        http.get(format!("{base}/api/v1/users/me")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert!(me["ics_url"].as_str().unwrap().starts_with("https://"), "{me}");

    tokio::time::timeout(std::time::Duration::from_secs(20), server.stop()).await.expect("a graceful stop");
}

#[tokio::test]
async fn the_binary_serves_tls_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path, cert) = certificate(dir.path(), "server");
    let data = dir.path().join("data");
    let env = [
        ("SALAS_TLS_CERT", cert_path.to_string_lossy().into_owned()),
        ("SALAS_TLS_KEY", key_path.to_string_lossy().into_owned()),
    ];
    let running = Running::start_with(&data, &env);
    assert!(running.url.starts_with("https://"), "the log says https: {}", running.url);
    let res = client(cert).get(format!("{}/healthz", running.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // The container health check speaks TLS too.
    let health = salas()
        .arg("healthcheck")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("SALAS_LISTEN", running.url.trim_start_matches("https://"))
        .status()
        .unwrap();
    assert!(health.success());
    running.stop();
}

#[test]
fn an_unusable_certificate_stops_the_start_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_a, _, _) = certificate(dir.path(), "a");
    let (_, key_b, _) = certificate(dir.path(), "b");
    let missing = dir.path().join("missing.crt");
    for (cert, key, says) in [
        (missing.as_path(), key_b.as_path(), "cannot read the certificate"),
        (cert_a.as_path(), key_b.as_path(), "cannot be used together"),
        (cert_a.as_path(), Path::new(""), "set both"),
    ] {
        let out = salas()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path().join("data"))
            .env("SALAS_TLS_CERT", cert)
            .env("SALAS_TLS_KEY", key)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{says}: the start must fail");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(says), "{says}: {stderr}");
    }
}
