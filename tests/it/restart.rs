//! What survives a restart, and what a data directory from the future gets.

use crate::common::{ADMIN_EMAIL, TestServer, at};

#[tokio::test]
async fn data_users_and_signing_key_survive_a_restart() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Persistent", 4).await;
    let (start, end) = (at(2, 9), at(2, 10)); // once: the restart may cross midnight
    let booked = admin.book(&room, &start, &end).await;
    assert_eq!(booked.status, 201);
    let member = s.user("member").await;
    let token = admin.token.clone().unwrap();
    let dir = s.stop().await;

    let s = TestServer::start_in(dir).await;
    // A token issued before the restart still verifies: the signing key was kept.
    let same = s.anonymous().with_token(&token);
    let me = same.get("/api/v1/users/me").await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["email"], ADMIN_EMAIL);
    let r = same.get(&format!("/api/v1/reservations/{}", booked.body["id"].as_str().unwrap())).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["title"], "Meeting");
    // The member can still sign in with the same password, and the slot is still taken.
    let member_again = s.sign_in(&member.email, crate::common::PASSWORD).await;
    assert_eq!(member_again.book(&room, &start, &end).await.status, 409);
    // The event log continues where it stopped.
    let events = same.get("/api/v1/events?limit=1000").await;
    let seqs: Vec<u64> = events.body.as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    s.stop().await;
}

#[tokio::test]
async fn a_data_directory_from_a_newer_version_is_refused() {
    if crate::common::postgres::redb_only() {
        return;
    }
    let s = TestServer::start().await;
    let dir = s.stop().await;
    {
        let db = redb::Database::open(dir.path().join(salas::store::DB_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(redb::TableDefinition::<&str, u64>::new("meta")).unwrap();
            meta.insert("schema_version", salas::store::SCHEMA_VERSION + 1).unwrap();
        }
        txn.commit().unwrap();
    }
    let err = salas::app::start(crate::common::config(dir.path())).await.err().expect("refused"); // app::Server is not Debug, so no expect_err
    let message = err.to_string();
    assert!(message.contains("newer Salas"), "{message}");
    // Refusing did not change anything: the version is still the future one.
    let err = salas::store::check(dir.path()).expect_err("check refuses too");
    assert!(err.to_string().contains("newer Salas"));
}

#[tokio::test]
async fn an_old_empty_data_directory_is_upgraded() {
    if crate::common::postgres::redb_only() {
        return;
    }
    // A store file made by a version before the schema table existed (version 0).
    let dir = tempfile::tempdir().unwrap();
    redb::Database::create(dir.path().join(salas::store::DB_FILE)).unwrap();
    let s = TestServer::start_in(dir).await;
    let admin = s.admin().await;
    assert_eq!(admin.get("/api/v1/rooms").await.status, 200);
    let dir = s.stop().await;
    assert!(salas::store::check(dir.path()).unwrap().is_empty());
}
