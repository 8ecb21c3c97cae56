//! Scheduled backups (`[backup]`): run by hand and on schedule (the injectable clock), kept up to
//! the configured number, and each one restorable.

use crate::common::{TestServer, config};
use chrono::Timelike;
use serde_json::{Value, json};
use std::path::Path;

fn backups(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.flatten().filter_map(|e| e.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

fn job(list: &Value) -> Value {
    list.as_array().unwrap().iter().find(|j| j["name"] == "backup").expect("the backup job").clone()
}

#[tokio::test]
async fn scheduled_backups_keep_the_newest_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let target = tempfile::tempdir().unwrap();
    let out = target.path().join("nightly");
    let mut c = config(dir.path());
    // Twelve hours from now, so the runs by hand below never meet a scheduled one, whatever time
    // of day the test runs.
    let hour = (salas::clock::now().hour() + 12) % 24;
    let schedule = format!("0 {hour} * * *");
    c.backup.schedule = schedule.clone();
    c.backup.directory = out.to_string_lossy().into_owned();
    c.backup.keep = 2;
    // A file of the operator's in the same directory is never touched.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("README"), "mine").unwrap();
    let clock = salas::clock::Clock::system();
    let s = TestServer::start_with_clock(dir, c, clock.clone()).await;
    let admin = s.admin().await;
    admin.create_room("Sala Backup", 5).await;

    let listed = job(&admin.get("/api/v1/admin/jobs").await.body);
    assert_eq!(listed["schedule"], schedule.as_str());
    assert!(listed["next_run"].is_string(), "{listed}");

    // By hand, three times a minute apart: two are kept, the oldest is gone.
    let mut made = Vec::new();
    for n in 1..=3 {
        let run = admin.post("/api/v1/admin/jobs/backup/run", json!({})).await;
        assert_eq!(run.status, 200, "{}", run.body);
        assert_eq!(run.body["last_status"], "ok", "{}", run.body);
        let names: Vec<String> = backups(&out).into_iter().filter(|n| n.ends_with(".redb")).collect();
        made.push(names.last().unwrap().clone());
        assert_eq!(names.len(), n.min(2), "{names:?}");
        clock.advance(chrono::Duration::minutes(1));
    }
    let names = backups(&out);
    assert_eq!(names, vec!["README".to_string(), made[1].clone(), made[2].clone()], "{names:?}");
    assert!(made.windows(2).all(|w| w[0] < w[1]), "names sort by time: {made:?}");

    // On schedule: a day later the scheduled run has happened by itself.
    clock.advance(chrono::Duration::days(1));
    let mut runs = Value::Null;
    for _ in 0..200 {
        runs = job(&admin.get("/api/v1/admin/jobs").await.body)["runs"].clone();
        if runs == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(runs, 4, "the scheduled run");
    let names: Vec<String> = backups(&out).into_iter().filter(|n| n.ends_with(".redb")).collect();
    assert_eq!(names.len(), 2);
    assert_eq!(names[0], made[2]);
    assert!(names[1] > made[2]);

    // The newest backup restores into a store that has the room.
    let restored = tempfile::tempdir().unwrap();
    salas::store::restore(&out.join(&names[1]), restored.path()).expect("the backup restores");
    s.stop().await;
    let s2 = TestServer::start_in(restored).await;
    let rooms = s2.admin().await.get("/api/v1/rooms").await;
    assert!(rooms.body.to_string().contains("Sala Backup"), "{}", rooms.body);
    s2.stop().await;
}

#[tokio::test]
async fn backups_are_off_by_default_but_can_run_by_hand() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let listed = job(&admin.get("/api/v1/admin/jobs").await.body);
    assert_eq!(listed["schedule"], "");
    assert!(listed["next_run"].is_null());
    assert!(backups(&s.data_dir().join("backups")).is_empty());
    let run = admin.post("/api/v1/admin/jobs/backup/run", json!({})).await;
    assert_eq!(run.body["last_status"], "ok", "{}", run.body);
    assert_eq!(backups(&s.data_dir().join("backups")).len(), 1, "into the data directory's backups/");
    assert_eq!(s.user("member").await.post("/api/v1/admin/jobs/backup/run", json!({})).await.status, 403);
    s.stop().await;
}
