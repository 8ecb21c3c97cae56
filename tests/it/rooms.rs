//! Rooms through the API: create, read with ETag, list, change with and without `If-Match`,
//! archive (with the choice about future reservations) and what archiving means for bookings.

use crate::common::{TestServer, at};
use crate::support::{assert_invalid, assert_problem, booked, ids};
use serde_json::json;

#[tokio::test]
async fn create_get_list_and_patch_with_etags() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let body = json!({"name": "Sala Norte", "capacity": 8, "location": "Planta 2", "description": "Junto a la cocina",
        "timezone": "Europe/Madrid", "requires_approval": false});
    let res = admin.post("/api/v1/rooms", body).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_string();
    assert_eq!(res.header("location"), Some(format!("/api/v1/rooms/{id}").as_str()));
    assert_eq!(res.header("etag"), Some("\"1\""));
    let b = &res.body;
    assert_eq!(b["name"], "Sala Norte");
    assert_eq!(b["capacity"], 8);
    assert_eq!(b["location"], "Planta 2");
    assert_eq!(b["description"], "Junto a la cocina");
    assert_eq!(b["timezone"], "Europe/Madrid");
    assert_eq!(b["resources"], json!([]));
    assert_eq!(b["requires_approval"], false);
    assert_eq!(b["active"], true);
    assert_eq!(b["version"], 1);

    let got = admin.get(&format!("/api/v1/rooms/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("etag"), Some("\"1\""));
    assert_eq!(got.body, res.body, "GET returns what POST created");

    let other = admin.create_room("Sala Sur", 4).await;
    let list = admin.get("/api/v1/rooms").await;
    assert_eq!(list.status, 200);
    assert_eq!(ids(&list.body), vec![id.clone(), other.clone()], "rooms by name");

    // Without If-Match the change simply applies.
    let res = admin.patch(&format!("/api/v1/rooms/{id}"), json!({"capacity": 12})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["capacity"], 12);
    assert_eq!(res.body["name"], "Sala Norte", "fields not sent are kept");
    assert_eq!(res.body["version"], 2);
    assert_eq!(res.header("etag"), Some("\"2\""));

    // A client still holding version 1 loses, and nothing changes.
    let stale = admin.patch_if_match(&format!("/api/v1/rooms/{id}"), 1, json!({"name": "Sala Vieja"})).await;
    assert_problem(&stale, 412);
    let got = admin.get(&format!("/api/v1/rooms/{id}")).await;
    assert_eq!(got.body["name"], "Sala Norte");
    assert_eq!(got.body["version"], 2);

    let fresh = admin.patch_if_match(&format!("/api/v1/rooms/{id}"), 2, json!({"name": "Sala Nueva"})).await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert_eq!(fresh.body["name"], "Sala Nueva");
    assert_eq!(fresh.body["version"], 3);
    assert_eq!(fresh.header("etag"), Some("\"3\""));

    // The old name is free again; the new one is taken.
    assert_eq!(admin.post("/api/v1/rooms", json!({"name": "Sala Norte", "capacity": 2})).await.status, 201);
    let dup = admin.post("/api/v1/rooms", json!({"name": "sala nueva", "capacity": 2})).await;
    assert_problem(&dup, 409);
    let rename = admin.patch(&format!("/api/v1/rooms/{other}"), json!({"name": "Sala Nueva"})).await;
    assert_problem(&rename, 409);
    s.stop().await;
}

#[tokio::test]
async fn timezone_defaults_and_can_change() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let res = admin.post("/api/v1/rooms", json!({"name": "Sin zona", "capacity": 3})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["timezone"], "UTC", "the configured default zone");
    let id = res.body["id"].as_str().unwrap();
    let res = admin.patch(&format!("/api/v1/rooms/{id}"), json!({"timezone": "America/Bogota"})).await;
    assert_eq!(res.body["timezone"], "America/Bogota");
    let res = admin.patch(&format!("/api/v1/rooms/{id}"), json!({"timezone": "Mars/Olympus"})).await;
    assert_invalid(&res, "timezone");
    assert_eq!(admin.get(&format!("/api/v1/rooms/{id}")).await.body["timezone"], "America/Bogota");
    s.stop().await;
}

#[tokio::test]
async fn archiving_an_empty_room_hides_it_and_refuses_bookings() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Archivable", 6).await;
    let keep = admin.create_room("Permanente", 6).await;

    let res = admin.delete(&format!("/api/v1/rooms/{room}")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["active"], false);

    assert_eq!(ids(&admin.get("/api/v1/rooms").await.body), vec![keep.clone()], "archived rooms leave the listing");
    let all = admin.get("/api/v1/rooms?include_archived=true").await;
    assert_eq!(all.status, 200);
    let mut all = ids(&all.body);
    all.sort();
    let mut want = vec![room.clone(), keep.clone()];
    want.sort();
    assert_eq!(all, want);
    let got = admin.get(&format!("/api/v1/rooms/{room}")).await;
    assert_eq!(got.status, 200, "an archived room stays readable");
    assert_eq!(got.body["active"], false);

    let refused = admin.book(&room, &at(2, 10), &at(2, 11)).await;
    assert_invalid(&refused, "room_id");

    // Moving an existing reservation into the archived room is refused the same way.
    let elsewhere = booked(&admin, &keep, &at(2, 10), &at(2, 11)).await;
    let moved = admin.patch(&format!("/api/v1/reservations/{elsewhere}"), json!({"room_id": room})).await;
    assert_invalid(&moved, "room_id");

    // Bringing it back makes it bookable again.
    let res = admin.patch(&format!("/api/v1/rooms/{room}"), json!({"active": true})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["active"], true);
    assert_eq!(admin.book(&room, &at(2, 10), &at(2, 11)).await.status, 201);
    s.stop().await;
}

#[tokio::test]
async fn archiving_a_room_with_future_reservations_needs_a_choice() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;

    // Refused without a choice: the 409 lists what is in the way, and nothing changes.
    let room = admin.create_room("Con reservas", 6).await;
    let a = booked(&member, &room, &at(1, 9), &at(1, 10)).await;
    let b = booked(&admin, &room, &at(5, 9), &at(5, 10)).await;
    let res = admin.delete(&format!("/api/v1/rooms/{room}")).await;
    assert_problem(&res, 409);
    let mut listed = ids(&res.body["conflicts"]);
    listed.sort();
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(listed, want, "{}", res.body);
    assert_eq!(admin.get(&format!("/api/v1/rooms/{room}")).await.body["active"], true);

    let bad = admin.delete(&format!("/api/v1/rooms/{room}?future_reservations=maybe")).await;
    assert_invalid(&bad, "future_reservations");

    // keep: archived, reservations untouched.
    let res = admin.delete(&format!("/api/v1/rooms/{room}?future_reservations=keep")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["active"], false);
    for id in [&a, &b] {
        let r = admin.get(&format!("/api/v1/reservations/{id}")).await;
        assert_eq!(r.body["status"], "confirmed", "{}", r.body);
    }

    // cancel: archived, and every future reservation cancelled.
    let room2 = admin.create_room("Con reservas 2", 6).await;
    let c = booked(&member, &room2, &at(1, 9), &at(1, 10)).await;
    let d = booked(&admin, &room2, &at(6, 9), &at(6, 10)).await;
    let res = admin.delete(&format!("/api/v1/rooms/{room2}?future_reservations=cancel")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["active"], false);
    for id in [&c, &d] {
        let r = admin.get(&format!("/api/v1/reservations/{id}")).await;
        assert_eq!(r.body["status"], "cancelled", "{}", r.body);
    }
    let live = admin.get(&format!("/api/v1/reservations?room_id={room2}")).await;
    assert_eq!(live.body, json!([]), "no live reservations remain");
    s.stop().await;
}

#[tokio::test]
async fn unknown_rooms_are_404() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let nobody = uuid::Uuid::now_v7();
    assert_problem(&admin.get(&format!("/api/v1/rooms/{nobody}")).await, 404);
    assert_problem(&admin.patch(&format!("/api/v1/rooms/{nobody}"), json!({"capacity": 3})).await, 404);
    assert_problem(&admin.delete(&format!("/api/v1/rooms/{nobody}")).await, 404);
    let booking = admin.book(&nobody.to_string(), &at(1, 10), &at(1, 11)).await;
    assert_invalid(&booking, "room_id");
    s.stop().await;
}
