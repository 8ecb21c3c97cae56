//! The `salas` binary itself: version, start-up log line, SIGTERM, configuration errors and the
//! administration commands.

use crate::common::process::{Running, run, salas};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

#[test]
fn version() {
    let out = salas().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("salas {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn serve_logs_its_port_and_the_generated_admin_password_then_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = salas()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = String::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("the server logs before exiting").unwrap();
        log.push_str(&line);
        log.push('\n');
        if let Some(i) = line.find("listening on http://") {
            break line[i + "listening on ".len()..].trim().to_string();
        }
    };
    assert!(!url.ends_with(":0"), "the real port is logged: {url}");
    // Keep reading the log so the server never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    assert!(log.contains("admin@localhost") && log.contains("password"), "{log}");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit status {exit:?}");
}

#[test]
fn bad_configuration_is_one_readable_line_and_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("salas.toml");
    std::fs::write(&cfg, "[booking]\nmax_duration_hour = 3\n").unwrap();
    let out = salas().args(["serve", "--config"]).arg(&cfg).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("max_duration_hour"), "{err}");

    let out = salas().args(["serve"]).env("SALAS_LISTEN", "nowhere").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("listen"));
}

#[test]
fn user_administration_commands() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, out, err) = run(&["user", "add", "--email", "Ana@Example.org", "--name", "Ana", "--role", "manager"], d);
    assert!(ok, "{err}");
    assert!(out.contains("created ana@example.org (manager)"), "{out}");
    assert!(out.contains("password: "), "a generated password is printed once: {out}");

    let mut child = salas()
        .args(["user", "add", "--email", "bo@example.org", "--name", "Bo", "--password-stdin", "--data-dir"])
        .arg(d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"bo's long password\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("password:"));

    let (ok, out, _) = run(&["user", "list"], d);
    assert!(ok);
    assert!(out.contains("ana@example.org") && out.contains("manager"), "{out}");
    assert!(out.contains("bo@example.org") && out.contains("member"), "{out}");

    let (ok, out, _) = run(&["user", "set-role", "bo@example.org", "viewer"], d);
    assert!(ok, "{out}");
    let (_, out, _) = run(&["user", "list"], d);
    assert!(out.lines().any(|l| l.contains("bo@example.org") && l.contains("viewer")), "{out}");

    let (ok, out, _) = run(&["user", "reset-password", "bo@example.org"], d);
    assert!(ok);
    assert!(out.contains("password: "));

    // Mistakes: one readable line and a failure.
    let (ok, _, err) = run(&["user", "add", "--email", "ana@example.org", "--name", "Ana"], d);
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");
    let (ok, _, err) = run(&["user", "set-role", "nobody@example.org", "admin"], d);
    assert!(!ok);
    assert!(err.contains("no such user"), "{err}");
    let (ok, _, err) = run(&["user", "set-role", "bo@example.org", "root"], d);
    assert!(!ok);
    assert!(err.contains("not a role"), "{err}");

    let (ok, out, _) = run(&["check"], d);
    assert!(ok, "{out}");
    assert!(out.starts_with("ok:"), "{out}");
}

#[tokio::test]
async fn administration_needs_the_server_stopped_and_says_so() {
    let s = crate::common::TestServer::start().await;
    let (ok, _, err) = run(&["user", "list"], &s.data_dir());
    assert!(!ok);
    assert!(err.contains("in use by another Salas process"), "{err}");
    s.stop().await;
}

/// A crash (SIGKILL, no shutdown) right after a 201 loses nothing: the commit was durable before
/// the answer.
#[test]
fn a_booking_acknowledged_before_a_crash_is_there_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let server = Running::start(dir.path());
    let ids: Vec<String> = rt.block_on(async {
        let api = server.admin().await;
        let room = api.create_room("Crash", 3).await;
        let mut ids = Vec::new();
        for h in 8..14 {
            let r = api.book(&room, &crate::common::at(1, h), &crate::common::at(1, h + 1)).await;
            assert_eq!(r.status, 201);
            ids.push(r.body["id"].as_str().unwrap().to_string());
        }
        ids
    });
    server.crash();

    let (ok, out, err) = run(&["check"], dir.path());
    assert!(ok, "{out}{err}");
    let server = Running::start(dir.path());
    rt.block_on(async {
        let api = server.admin().await;
        for id in &ids {
            assert_eq!(api.get(&format!("/api/v1/reservations/{id}")).await.status, 200, "{id} survived");
        }
    });
    server.crash();
}
