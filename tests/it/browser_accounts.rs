//! Self-service accounts in a real browser: `tests/browser/accounts.py` (Playwright driving
//! `/usr/bin/chromium`) against the real server and a real SMTP sink whose messages the script
//! reads for the links. Seeded here through the API: a member who forgets the password, an
//! invitation, and a reset link for the phone-width check. Screenshots land in
//! `target/screenshots/`.

use crate::common::{SmtpSink, TestServer, config, free_port};
use serde_json::json;

// Several worker threads: the server answers the browser while this test waits for python3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_password_invitation_and_spanish_in_headless_chromium() {
    let sink = SmtpSink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    sink.configure(&mut c);
    c.auth.self_signup_domains = vec!["example.test".into()];
    // Links asked for by people not signed in are e-mailed only with `[auth] public_url`.
    let port = free_port();
    c.listen = format!("127.0.0.1:{port}");
    c.auth.public_url = format!("http://127.0.0.1:{port}");
    let s = TestServer::start_with(dir, c).await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let on_phone = s.user("member").await;
    let invited =
        admin.post("/api/v1/users", json!({"email": "ines@example.test", "name": "Inés", "invite": true})).await;
    assert_eq!(invited.status, 201, "{}", invited.body);
    let reset = admin.post(&format!("/api/v1/users/{}/password-reset", on_phone.id), json!({})).await;
    assert_eq!(reset.status, 202, "{}", reset.body);

    let mail_dir = sink.out.path().to_string_lossy().to_string();
    let args = [
        "--url",
        s.url.as_str(),
        "--mail-dir",
        &mail_dir,
        "--member-email",
        &member.email,
        "--invitee-email",
        "ines@example.test",
        "--phone-email",
        &on_phone.email,
        "--new-password",
        "a brand new passphrase",
    ];
    crate::chromium::run("accounts.py", args.map(String::from).to_vec()).await;
    // The browser's new password works outside the browser too.
    s.sign_in(&member.email, "a brand new passphrase").await;
    s.sign_in("ines@example.test", "a brand new passphrase").await;
    s.stop().await;
}
