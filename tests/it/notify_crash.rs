//! Nothing lost, nothing sent twice: the `salas` binary is killed (SIGKILL) while its e-mails
//! cannot be delivered (the SMTP server is down), then restarted with the SMTP server up; every
//! message arrives exactly once.

use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, Api, SmtpSink, at};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

fn start(dir: &std::path::Path, smtp_port: u16) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_salas"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("SALAS_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("SALAS_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("SALAS_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SALAS_SMTP_HOST", "127.0.0.1")
        .env("SALAS_SMTP_PORT", smtp_port.to_string())
        .env("SALAS_SMTP_SECURITY", "none")
        .env("SALAS_SMTP_FROM", "Salas <salas@example.test>")
        .env("SALAS_SMTP_RETRY_SECONDS", "1")
        .env("SALAS_SMTP_TIMEOUT_SECONDS", "2")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.find("listening on ").map(|i| l[i + "listening on ".len()..].trim().to_string()))
        .expect("listening line");
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

async fn admin(url: String) -> Api {
    let api = Api { base: url, token: None, http: reqwest::Client::new(), id: String::new(), email: String::new() };
    let token =
        api.post("/api/v1/auth/token", serde_json::json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})).await;
    api.with_token(token.body["access_token"].as_str().unwrap())
}

#[tokio::test]
async fn a_crash_while_smtp_is_down_loses_no_email_and_sends_none_twice() {
    let mut sink = SmtpSink::start();
    sink.pause();
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = start(dir.path(), sink.port);
    let api = admin(url).await;
    let room = api.create_room("Crash mail", 4).await;
    let mut bookings = 0;
    for h in 9..12 {
        let body = serde_json::json!({"room_id": room, "title": format!("Meeting {h}"), "start": at(2, h),
            "end": at(2, h + 1), "attendees": ["a@example.test", "b@example.test"]});
        let r = api.post("/api/v1/reservations", body).await;
        assert_eq!(r.status, 201, "{}", r.body);
        bookings += 1;
    }
    let expected = bookings * 3; // the admin and two attendees each
    // Wait until every message has been tried (and failed) at least once.
    let mut log = serde_json::Value::Null;
    for _ in 0..100 {
        log = api.get("/api/v1/admin/email/deliveries?status=pending").await.body;
        let tried = log.as_array().unwrap().iter().filter(|d| d["attempts"].as_u64() >= Some(1)).count();
        if tried == expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let pending = log.as_array().unwrap();
    assert_eq!(pending.len(), expected, "{log:#}");
    assert!(pending.iter().all(|d| d["last_error"].is_string()), "{log:#}");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    sink.resume();
    let (mut child, url) = start(dir.path(), sink.port);
    let api = admin(url).await;
    let msgs = sink.wait_for(expected, |_| true).await;
    // Give a duplicate every chance to show up.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let msgs2 = sink.messages();
    assert_eq!(msgs2.len(), expected, "exactly once each: {msgs:#?}");
    let mut keys: Vec<String> = msgs2.iter().map(|m| format!("{} {}", m["rcpt_tos"][0], m["ics"]["uid"])).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), expected, "one per (recipient, reservation)");
    let sent = api.get("/api/v1/admin/email/deliveries?status=sent").await;
    assert_eq!(sent.body.as_array().unwrap().len(), expected);
    child.kill().unwrap();
    child.wait().unwrap();
}
