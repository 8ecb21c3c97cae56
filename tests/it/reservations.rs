//! Reservations through the API: booking, conflicts, rescheduling with `If-Match`, cancelling.

use crate::common::{TestServer, at};
use crate::support::{assert_invalid, assert_problem, booked, cancel, ids, parse_time, t};
use serde_json::json;

#[tokio::test]
async fn create_and_read_a_reservation() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala", 6).await;
    let (start, end) = (at(2, 10), at(2, 11));
    let body = json!({"room_id": room, "title": "  Planning  ", "description": "Q3", "start": start, "end": end,
        "attendees": ["Ana@Example.org", "ana@example.org", "luis@example.org"]});
    let res = member.post("/api/v1/reservations", body).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_string();
    assert_eq!(res.header("location"), Some(format!("/api/v1/reservations/{id}").as_str()));
    assert_eq!(res.header("etag"), Some("\"1\""));
    let b = &res.body;
    assert_eq!(b["room_id"], room.as_str());
    assert_eq!(b["user_id"], member.id.as_str());
    assert_eq!(b["created_by"], member.id.as_str());
    assert_eq!(b["title"], "Planning");
    assert_eq!(b["description"], "Q3");
    assert_eq!(b["attendees"], json!(["ana@example.org", "luis@example.org"]));
    assert_eq!(b["status"], "confirmed");
    assert_eq!(b["version"], 1);
    assert_eq!(b["cancelled_at"], json!(null));
    assert_eq!(parse_time(&b["start"]), t(&start));
    assert_eq!(parse_time(&b["end"]), t(&end));

    let got = member.get(&format!("/api/v1/reservations/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("etag"), Some("\"1\""));
    assert_eq!(got.body, res.body);

    // Another offset on the wire means the same instant.
    let madrid = t(&at(3, 8)).with_timezone(&chrono_tz::Europe::Madrid).to_rfc3339();
    let res = member.book(&room, &madrid, &at(3, 9)).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(parse_time(&res.body["start"]), t(&at(3, 8)));
    assert_problem(&member.get(&format!("/api/v1/reservations/{}", uuid::Uuid::now_v7())).await, 404);
    s.stop().await;
}

#[tokio::test]
async fn overlaps_are_409_listing_the_conflicts_and_touching_is_fine() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala", 6).await;
    let other_room = admin.create_room("Otra", 6).await;
    let a = booked(&admin, &room, &at(2, 10), &at(2, 12)).await;
    let b = booked(&admin, &room, &at(2, 13), &at(2, 14)).await;

    let res = admin.book(&room, &at(2, 11), &at(2, 12)).await;
    assert_problem(&res, 409);
    assert_eq!(ids(&res.body["conflicts"]), vec![a.clone()]);
    let res = admin.book(&room, &at(2, 9), &at(2, 15)).await;
    assert_problem(&res, 409);
    assert_eq!(ids(&res.body["conflicts"]), vec![a.clone(), b.clone()], "every conflict, in start order");

    // Half-open intervals: ending as another starts is not an overlap.
    assert_eq!(admin.book(&room, &at(2, 12), &at(2, 13)).await.status, 201);
    assert_eq!(admin.book(&room, &at(2, 14), &at(2, 15)).await.status, 201);
    // The same time in another room is fine.
    assert_eq!(admin.book(&other_room, &at(2, 10), &at(2, 12)).await.status, 201);
    s.stop().await;
}

#[tokio::test]
async fn reschedule_is_conflict_checked_and_honours_if_match() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala", 6).await;
    let other_room = admin.create_room("Otra", 6).await;
    let a = booked(&admin, &room, &at(2, 10), &at(2, 11)).await;
    let b = booked(&member, &room, &at(2, 12), &at(2, 13)).await;
    let path = format!("/api/v1/reservations/{b}");

    // Onto a: 409 listing a, and b is unchanged.
    let res = member.patch(&path, json!({"start": at(2, 10), "end": at(2, 11)})).await;
    assert_problem(&res, 409);
    assert_eq!(ids(&res.body["conflicts"]), vec![a.clone()]);
    let got = member.get(&path).await;
    assert_eq!(parse_time(&got.body["start"]), t(&at(2, 12)));
    assert_eq!(got.body["version"], 1);

    // Changing only the end: up to b is fine, into b is a conflict.
    let res = admin.patch(&format!("/api/v1/reservations/{a}"), json!({"end": at(2, 12)})).await;
    assert_eq!(res.status, 200, "touching b is fine: {}", res.body);
    let res = admin.patch(&format!("/api/v1/reservations/{a}"), json!({"end": at(2, 13)})).await;
    assert_problem(&res, 409);
    assert_eq!(ids(&res.body["conflicts"]), vec![b.clone()]);

    // To a free slot: 200, a new version and ETag.
    let res = member.patch(&path, json!({"start": at(2, 15), "end": at(2, 16), "title": "Moved"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["version"], 2);
    assert_eq!(res.header("etag"), Some("\"2\""));
    assert_eq!(res.body["title"], "Moved");
    assert_eq!(parse_time(&res.body["start"]), t(&at(2, 15)));
    assert_eq!(parse_time(&res.body["end"]), t(&at(2, 16)));
    // Its old slot is free.
    assert_eq!(admin.book(&room, &at(2, 12), &at(2, 13)).await.status, 201);

    // A stale If-Match is refused and changes nothing; the current one works.
    let res = member.patch_if_match(&path, 1, json!({"title": "Stale"})).await;
    assert_problem(&res, 412);
    assert_eq!(member.get(&path).await.body["title"], "Moved");
    let res = member.patch_if_match(&path, 2, json!({"title": "Fresh"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["version"], 3);

    // Moving to another room is conflict-checked there.
    let blocker = booked(&admin, &other_room, &at(2, 15), &at(2, 16)).await;
    let res = member.patch(&path, json!({"room_id": other_room})).await;
    assert_problem(&res, 409);
    assert_eq!(ids(&res.body["conflicts"]), vec![blocker]);
    let res = member.patch(&path, json!({"room_id": other_room, "start": at(2, 16), "end": at(2, 17)})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["room_id"], other_room.as_str());

    // Reschedules obey the same rules as new bookings.
    assert_invalid(&member.patch(&path, json!({"end": at(2, 15)})).await, "end");
    assert_invalid(&member.patch(&path, json!({"start": at(-1, 10), "end": at(-1, 11)})).await, "start");
    s.stop().await;
}

#[tokio::test]
async fn cancelling_keeps_the_record_and_frees_the_slot() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala", 6).await;
    let id = booked(&member, &room, &at(3, 10), &at(3, 11)).await;
    let path = format!("/api/v1/reservations/{id}");

    // A stale If-Match on cancel is refused.
    assert_problem(&cancel(&member, &id, Some(7)).await, 412);
    assert_eq!(member.get(&path).await.body["status"], "confirmed");

    let res = cancel(&member, &id, Some(1)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["status"], "cancelled");
    assert_eq!(res.body["version"], 2);
    assert!(res.body["cancelled_at"].is_string(), "{}", res.body);

    let got = member.get(&path).await;
    assert_eq!(got.status, 200, "a cancelled reservation stays readable");
    assert_eq!(got.body["status"], "cancelled");
    assert_eq!(got.body["title"], "Meeting");

    // Gone from the default listing, present with include_cancelled.
    assert_eq!(admin.get(&format!("/api/v1/reservations?room_id={room}")).await.body, json!([]));
    let all = admin.get(&format!("/api/v1/reservations?room_id={room}&include_cancelled=true")).await;
    assert_eq!(ids(&all.body), vec![id.clone()]);

    // The slot is free again.
    let again = admin.book(&room, &at(3, 10), &at(3, 11)).await;
    assert_eq!(again.status, 201, "{}", again.body);

    // Cancelling twice is harmless and answers the same.
    let twice = cancel(&member, &id, None).await;
    assert_eq!(twice.status, 200, "{}", twice.body);
    assert_eq!(twice.body["status"], "cancelled");
    assert_eq!(twice.body["version"], 2);

    // A cancelled reservation cannot be edited.
    assert_problem(&member.patch(&path, json!({"title": "Revived"})).await, 409);
    assert_problem(&cancel(&member, &uuid::Uuid::now_v7().to_string(), None).await, 404);
    s.stop().await;
}
