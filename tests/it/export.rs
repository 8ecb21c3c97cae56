//! `salas export` / `salas import`: all data as JSON, round-tripped exactly.

use crate::common::process::run;
use crate::common::{TestServer, at};
use serde_json::{Value, json};

#[tokio::test]
async fn export_then_import_round_trips_exactly() {
    if crate::common::postgres::redb_only() {
        return;
    }
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let key = admin.post("/api/v1/api-keys", json!({"name": "ci"})).await;
    assert_eq!(key.status, 201, "{}", key.body);
    let projector = admin.post("/api/v1/resources", json!({"name": "Proyector"})).await;
    assert_eq!(projector.status, 201, "{}", projector.body);
    let norte = admin.create_room("Sala Norte", 8).await;
    let sur = admin.create_room("Sala Sur", 4).await;
    // Once: after the export and restore, a second `at` may fall on the next day.
    let (nine, ten) = (at(1, 9), at(1, 10));
    let kept = member.book(&norte, &nine, &ten).await;
    let cancelled = member.book(&sur, &nine, &at(1, 11)).await;
    member.post(&format!("/api/v1/reservations/{}/cancel", cancelled.body["id"].as_str().unwrap()), json!({})).await;
    let moved = admin.book(&sur, &at(2, 9), &at(2, 10)).await;
    let res = admin
        .patch(&format!("/api/v1/reservations/{}", moved.body["id"].as_str().unwrap()), json!({"title": "Moved"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let dir = s.stop().await;

    let work = tempfile::tempdir().unwrap();
    let (a, b) = (work.path().join("a.json"), work.path().join("b.json"));
    let (ok, _, err) = run(&["export", "--output", a.to_str().unwrap()], dir.path());
    assert!(ok, "{err}");
    let new = work.path().join("new-data");
    let (ok, out, err) = run(&["import", a.to_str().unwrap()], &new);
    assert!(ok, "{err}");
    assert!(out.contains("imported 2 users, 2 rooms, 3 reservations"), "{out}");
    let (ok, _, err) = run(&["export", "--output", b.to_str().unwrap()], &new);
    assert!(ok, "{err}");
    let (first, second) = (std::fs::read_to_string(&a).unwrap(), std::fs::read_to_string(&b).unwrap());
    assert!(first == second, "export → import → export changed the document");

    let doc: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(doc["format"], "salas-export");
    assert_eq!(doc["schema_version"], salas::store::SCHEMA_VERSION);
    assert_eq!(doc["api_keys"].as_array().map(Vec::len), Some(1));
    assert!(!doc["events"].as_array().unwrap().is_empty());
    let (ok, out, _) = run(&["check"], &new);
    assert!(ok, "{out}");

    // The imported store serves: same sign-in, same reservations, the slots still taken.
    let config = crate::common::config(&new);
    let s = TestServer::start_with(tempfile::tempdir().unwrap(), config).await;
    let api = s.admin().await;
    assert_eq!(api.get(&format!("/api/v1/reservations/{}", kept.body["id"].as_str().unwrap())).await.status, 200);
    assert_eq!(api.book(&norte, &nine, &ten).await.status, 409);
    assert_eq!(api.book(&sur, &nine, &ten).await.status, 201, "the cancelled slot is free");
    s.stop().await;

    // Import only creates: an existing store, or a damaged document, is refused.
    let (ok, _, err) = run(&["import", a.to_str().unwrap()], &new);
    assert!(!ok && err.contains("already has a store"), "{err}");
    let broken = work.path().join("broken.json");
    std::fs::write(&broken, first.replacen("\"salas-export\"", "\"something-else\"", 1)).unwrap();
    let empty = work.path().join("empty-data");
    let (ok, _, err) = run(&["import", broken.to_str().unwrap()], &empty);
    assert!(!ok && err.contains("cannot import"), "{err}");
    assert!(!empty.join("salas.redb").exists());
}
