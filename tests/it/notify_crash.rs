//! Nothing lost, nothing sent twice: the `salas` binary is killed (SIGKILL) while its e-mails
//! cannot be delivered (the SMTP server is down), then restarted with the SMTP server up; every
//! message arrives exactly once.

use crate::common::process::Running;
use crate::common::{SmtpSink, at};

fn start(dir: &std::path::Path, smtp_port: u16) -> Running {
    let env = [
        ("SALAS_SMTP_HOST", "127.0.0.1".to_string()),
        ("SALAS_SMTP_PORT", smtp_port.to_string()),
        ("SALAS_SMTP_SECURITY", "none".to_string()),
        ("SALAS_SMTP_FROM", "Salas <salas@example.test>".to_string()),
        ("SALAS_SMTP_RETRY_SECONDS", "1".to_string()),
        ("SALAS_SMTP_TIMEOUT_SECONDS", "2".to_string()),
    ];
    Running::start_with(dir, &env)
}

#[tokio::test]
async fn a_crash_while_smtp_is_down_loses_no_email_and_sends_none_twice() {
    let mut sink = SmtpSink::start();
    sink.pause();
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), sink.port);
    let api = server.admin().await;
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
    server.crash();

    sink.resume();
    let server = start(dir.path(), sink.port);
    let api = server.admin().await;
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
    server.crash();
}
