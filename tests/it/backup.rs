//! Backup and restore: consistent online backups (in-process server under write load, and the
//! real binary through its admin socket), restore verification, and refusals.

use crate::common::process::{Running, run, salas};
use crate::common::{TestServer, at, config};
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The ids of the reservations in a data directory, read through `salas export`.
pub fn reservation_ids(dir: &Path) -> HashSet<String> {
    let (ok, out, err) = run(&["export"], dir);
    assert!(ok, "{err}");
    let export: Value = serde_json::from_str(&out).expect("the export is JSON");
    export["reservations"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_under_write_load_restores_everything_acknowledged_before_it() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let mut rooms = Vec::new();
    for i in 0..6 {
        rooms.push(admin.create_room(&format!("Load {i}"), 4).await);
    }
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = rooms
        .iter()
        .cloned()
        .map(|room| {
            let (api, acked, stop) = (admin.clone(), acked.clone(), stop.clone());
            tokio::spawn(async move {
                let mut slot = 0;
                while !stop.load(Ordering::Relaxed) {
                    let (day, hour) = (1 + slot / 12, 6 + slot % 12);
                    let res = api.book(&room, &at(day, hour), &at(day, hour + 1)).await;
                    assert_eq!(res.status, 201, "{}", res.body);
                    acked.lock().unwrap().push(res.body["id"].as_str().unwrap().to_string());
                    slot += 1;
                }
            })
        })
        .collect();
    while acked.lock().unwrap().len() < 60 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before: Vec<String> = acked.lock().unwrap().clone();
    let file = s.dir.path().join("under-load.redb");
    let (dir, out) = (s.data_dir(), file.clone());
    let (ok, _, err) =
        tokio::task::spawn_blocking(move || run(&["backup", "--output", out.to_str().unwrap()], &dir)).await.unwrap();
    assert!(ok, "{err}");
    let after = acked.lock().unwrap().len();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    assert!(after > before.len(), "the writers kept writing while the backup ran");
    let _data = s.stop().await;

    let restored = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(&["restore", file.to_str().unwrap()], restored.path());
    assert!(ok, "{err}");
    assert!(out.contains("restored"), "{out}");
    let (ok, out, err) = run(&["check"], restored.path());
    assert!(ok, "{out}{err}");
    let ids = reservation_ids(restored.path());
    let missing: Vec<_> = before.iter().filter(|id| !ids.contains(*id)).collect();
    assert!(missing.is_empty(), "acknowledged before the backup but not in it: {missing:?}");
}

#[test]
fn online_backup_and_export_through_the_admin_socket_of_the_running_binary() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let booked = rt.block_on(async {
        let api = server.admin().await;
        let room = api.create_room("Socket", 4).await;
        let res = api.book(&room, &at(2, 9), &at(2, 10)).await;
        assert_eq!(res.status, 201);
        res.body["id"].as_str().unwrap().to_string()
    });
    let socket = dir.path().join("admin.sock");
    assert_eq!(std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777, 0o600);

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("online.redb");
    let (ok, stdout, err) = run(&["backup", "--output", file.to_str().unwrap()], dir.path());
    assert!(ok, "{err}");
    assert!(stdout.contains("backup written"), "{stdout}");
    assert!(reservation_ids(dir.path()).contains(&booked), "export goes through the socket too");
    // The server still serves, and its health check passes from the command line.
    let health = salas().arg("healthcheck").env("SALAS_LISTEN", server.url.trim_start_matches("http://")).status();
    assert!(health.unwrap().success());
    let (ok, _, err) = run(&["check"], dir.path());
    assert!(!ok && err.contains("in use"), "check needs the server stopped: {err}");
    server.stop();
    assert!(!socket.exists(), "the socket goes away with the server");

    let restored = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(&["restore", file.to_str().unwrap()], restored.path());
    assert!(ok, "{err}");
    assert!(reservation_ids(restored.path()).contains(&booked));
    // On a stopped data directory, backup works directly.
    let offline = out.path().join("offline.redb");
    let (ok, _, err) = run(&["backup", "--output", offline.to_str().unwrap()], dir.path());
    assert!(ok, "{err}");
    let (ok, _, err) = run(&["restore", offline.to_str().unwrap()], tempfile::tempdir().unwrap().path());
    assert!(ok, "{err}");
}

#[tokio::test]
async fn restore_refuses_a_corrupt_file_and_a_running_server() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    admin.create_room("Kept", 3).await;
    let good = s.dir.path().join("good.redb");
    let (dir, out) = (s.data_dir(), good.clone());
    let (ok, _, err) =
        tokio::task::spawn_blocking(move || run(&["backup", "--output", out.to_str().unwrap()], &dir)).await.unwrap();
    assert!(ok, "{err}");

    let (dir, file) = (s.data_dir(), good.clone());
    let (ok, _, err) =
        tokio::task::spawn_blocking(move || run(&["restore", file.to_str().unwrap()], &dir)).await.unwrap();
    assert!(!ok, "a running server's store is never replaced");
    assert!(err.contains("running") && err.lines().count() == 1, "{err}");
    assert_eq!(admin.get("/api/v1/rooms").await.body.as_array().unwrap().len(), 1, "the server is unharmed");
    let _data = s.stop().await;

    let target = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let truncated = target.path().join("truncated.redb");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let text = target.path().join("notes.txt");
    std::fs::write(&text, "not a backup at all\n".repeat(100)).unwrap();
    for bad in [&truncated, &text] {
        let (ok, _, err) = run(&["restore", bad.to_str().unwrap()], target.path());
        assert!(!ok, "{} was restored", bad.display());
        assert!(err.contains("not a usable backup") && err.lines().count() == 1, "{err}");
        assert!(!target.path().join("salas.redb").exists(), "nothing is left behind");
    }
    let (ok, _, err) = run(&["restore", good.to_str().unwrap()], target.path());
    assert!(ok, "{err}");
    let again = config(target.path());
    let s = TestServer::start_with(target, again).await;
    assert_eq!(s.admin().await.get("/api/v1/rooms").await.body[0]["name"], "Kept");
    s.stop().await;
}
