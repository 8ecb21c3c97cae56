//! A data directory written by Salas at schema version 1 (tests/fixtures/schema-v1, made by
//! tests/fixtures/make-schema-v1.sh) is upgraded on start, keeps a copy of the old store, and
//! serves its data.

use crate::backup::reservation_ids;
use crate::common::process::run;
use crate::common::{TestServer, config};
use salas::store::SCHEMA_VERSION;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schema-v1/salas.redb");

#[tokio::test]
async fn a_schema_1_data_dir_is_upgraded_to_the_current_schema_and_served() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(FIXTURE, dir.path().join("salas.redb")).unwrap();
    let (ok, out, _) = run(&["check"], dir.path());
    assert!(!ok && out.contains("schema version 1 is older"), "{out}");

    let c = config(dir.path());
    let s = TestServer::start_with(dir, c).await;
    let kept = s.dir.path().join("salas.redb.v1.bak");
    assert!(kept.exists(), "the schema 1 store is kept before the upgrade");
    let admin = s.admin().await;
    let rooms = admin.get("/api/v1/rooms").await;
    let names: Vec<&str> = rooms.body.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Sala Norte", "Sala Sur"]);
    let list = admin.get("/api/v1/reservations?from=2031-03-01T00:00:00Z&to=2031-03-31T00:00:00Z").await;
    let titles: Vec<&str> = list.body.as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Planning", "Retro"], "the live reservations of the fixture");
    let member = s.sign_in("ana@example.test", "ana's password 1").await;
    assert_eq!(member.get("/api/v1/users/me").await.body["role"], "member");
    // The upgraded store knows the old bookings' slots and takes new bookings.
    let norte = rooms.body[0]["id"].as_str().unwrap();
    let day = admin
        .get(&format!("/api/v1/rooms/{norte}/availability?from=2031-03-04T00:00:00Z&to=2031-03-05T00:00:00Z"))
        .await;
    assert_eq!(day.body["busy"][0]["start"], "2031-03-04T09:00:00Z", "{}", day.body);
    assert_eq!(admin.book(norte, &crate::common::at(1, 9), &crate::common::at(1, 10)).await.status, 201);
    let dir = s.stop().await;

    let (ok, out, err) = run(&["check"], dir.path());
    assert!(ok, "{out}{err}");
    assert!(out.contains(&format!("schema version {SCHEMA_VERSION}")), "upgraded to the current schema: {out}");

    // The kept copy is a usable backup: restoring it gives the schema 1 data, upgraded.
    let back = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(&["restore", kept.to_str().unwrap()], back.path());
    assert!(ok, "{err}");
    assert!(out.contains("backup schema version 1"), "{out}");
    assert_eq!(reservation_ids(back.path()).len(), 3, "two live reservations and a cancelled one");
}
