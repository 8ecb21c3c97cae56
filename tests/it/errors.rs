//! Every error status of the contract comes as application/problem+json (RFC 9457) with `type`,
//! `title`, `status`, `detail`, and validation errors name each bad field. Never a 500 for bad
//! input.

use crate::common::{TestServer, at};
use crate::support::{assert_invalid, assert_problem, booked, post_raw};
use serde_json::{Value, json};

#[tokio::test]
async fn malformed_bodies_are_400_and_wrong_media_types_415() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    for body in ["{\"name\": ", "not json", "{\"name\": \"x\",}", ""] {
        let res = post_raw(&admin, "/api/v1/rooms", Some("application/json"), body).await;
        assert_problem(&res, 400);
    }
    let res = post_raw(&admin, "/api/v1/rooms", Some("text/plain"), r#"{"name": "R", "capacity": 2}"#).await;
    assert_problem(&res, 415);
    let res = post_raw(&admin, "/api/v1/rooms", None, r#"{"name": "R", "capacity": 2}"#).await;
    assert_problem(&res, 415);
    let res = post_raw(&admin, "/api/v1/rooms", Some("application/x-www-form-urlencoded"), "name=R&capacity=2").await;
    assert_problem(&res, 415);
    // JSON with a charset or a +json type is still JSON.
    let res =
        post_raw(&admin, "/api/v1/rooms", Some("application/json; charset=utf-8"), r#"{"name": "R", "capacity": 2}"#)
            .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(
        admin.get("/api/v1/rooms").await.body.as_array().map(Vec::len),
        Some(1),
        "only the JSON one was created"
    );
    // An If-Match that is no ETag is malformed.
    let id = res.body["id"].as_str().unwrap();
    let req = admin.http.patch(format!("{}/api/v1/rooms/{id}", s.url)).header("if-match", "yesterday").json(&json!({}));
    assert_problem(&admin.send(req).await, 400);
    s.stop().await;
}

#[tokio::test]
async fn unknown_things_are_404_and_wrong_methods_405() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let nobody = uuid::Uuid::now_v7();
    for path in ["rooms", "resources", "reservations", "users"] {
        assert_problem(&admin.get(&format!("/api/v1/{path}/{nobody}")).await, 404);
    }
    assert_problem(&admin.post(&format!("/api/v1/reservations/{nobody}/cancel"), Value::Null).await, 404);
    assert_problem(&admin.patch(&format!("/api/v1/reservations/{nobody}"), json!({"title": "x"})).await, 404);
    assert_problem(&admin.get("/api/v1/no-such-thing").await, 404);
    // Outside the API, an unknown path is the UI's friendly page, still a 404.
    let page = admin.get("/no/such/page").await;
    assert_eq!(page.status, 404);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert_problem(&s.anonymous().get("/api/v2/rooms").await, 404);
    // An id that is not an id at all is a client error too, never a 500.
    let res = admin.get("/api/v1/rooms/not-a-uuid").await;
    assert!([400, 404].contains(&res.status), "{} {}", res.status, res.body);
    assert_problem(&res, res.status);
    let res = admin.send(admin.http.put(format!("{}/api/v1/rooms", s.url)).json(&json!({}))).await;
    assert_problem(&res, 405);
    s.stop().await;
}

#[tokio::test]
async fn forbidden_is_403() {
    let s = TestServer::start().await;
    let viewer = s.user("viewer").await;
    let member = s.user("member").await;
    assert_problem(&viewer.post("/api/v1/rooms", json!({"name": "R", "capacity": 2})).await, 403);
    assert_problem(&member.post("/api/v1/rooms", json!({"name": "R", "capacity": 2})).await, 403);
    assert_problem(&member.get("/api/v1/events").await, 403);
    assert_problem(&member.get("/api/v1/users").await, 403);
    s.stop().await;
}

#[tokio::test]
async fn conflicts_are_409_and_stale_versions_412() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala", 4).await;
    let (start, end) = (at(1, 10), at(1, 11)); // once: a second `at` may fall on the next day
    let id = booked(&admin, &room, &start, &end).await;
    let res = admin.book(&room, &start, &end).await;
    assert_problem(&res, 409);
    assert_eq!(res.body["conflicts"][0]["id"], id.as_str());

    let dup = admin.post("/api/v1/rooms", json!({"name": " SALA ", "capacity": 3})).await;
    assert_problem(&dup, 409);
    assert!(dup.error_fields().contains(&"name".to_string()), "{}", dup.body);
    assert_problem(&admin.post("/api/v1/users", json!({"email": "admin@example.test", "name": "Again"})).await, 409);

    assert_problem(&admin.patch_if_match(&format!("/api/v1/rooms/{room}"), 9, json!({"capacity": 5})).await, 412);
    assert_problem(&admin.patch_if_match(&format!("/api/v1/reservations/{id}"), 0, json!({"title": "x"})).await, 412);
    s.stop().await;
}

#[tokio::test]
async fn invalid_reservations_are_422_naming_the_field() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala", 4).await;
    let book = |extra: Value| {
        let admin = admin.clone();
        let mut body = json!({"room_id": room, "title": "T", "start": at(2, 10), "end": at(2, 11)});
        body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
        async move { admin.post("/api/v1/reservations", body).await }
    };
    assert_invalid(&book(json!({"end": at(2, 9)})).await, "end"); // end before start
    assert_invalid(&book(json!({"end": at(2, 10)})).await, "end"); // empty
    assert_invalid(&book(json!({"start": at(-1, 10), "end": at(-1, 11)})).await, "start"); // in the past
    assert_invalid(&book(json!({"end": at(3, 11)})).await, "end"); // 25 hours
    assert_eq!(book(json!({"end": at(3, 10)})).await.status, 201, "exactly 24 hours is allowed");
    assert_invalid(&book(json!({"start": "2030-01-01T10:00:00"})).await, "start"); // no offset
    assert_invalid(&book(json!({"end": "2030-01-01T11:00:00"})).await, "end");
    assert_invalid(&book(json!({"start": at(4, 10), "end": "tomorrow"})).await, "end");
    assert_invalid(&book(json!({"start": at(4000, 10), "end": at(4000, 11)})).await, "start"); // years ahead
    assert_invalid(&book(json!({"title": "   "})).await, "title");
    assert_invalid(&book(json!({"title": 42})).await, "title");
    assert_invalid(&book(json!({"attendees": ["ana@example.org", "not an address"]})).await, "attendees[1]");
    assert_invalid(&book(json!({"room_id": "nope"})).await, "room_id");
    assert_invalid(&book(json!({"colour": "red"})).await, "colour");
    for missing in ["room_id", "title", "start", "end"] {
        let mut body = json!({"room_id": room, "title": "T", "start": at(5, 10), "end": at(5, 11)});
        body.as_object_mut().unwrap().remove(missing);
        assert_invalid(&admin.post("/api/v1/reservations", body).await, missing);
    }
    assert_invalid(&admin.post("/api/v1/reservations", json!("a booking")).await, "body");
    // Several bad fields are all named at once.
    let res = book(json!({"title": "", "end": at(2, 9)})).await;
    assert_invalid(&res, "title");
    assert_invalid(&res, "end");
    assert_eq!(admin.get("/api/v1/reservations").await.body.as_array().map(Vec::len), Some(1), "only the valid one");
    s.stop().await;
}

#[tokio::test]
async fn invalid_rooms_are_422_naming_the_field() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let create = |body: Value| {
        let admin = admin.clone();
        async move { admin.post("/api/v1/rooms", body).await }
    };
    assert_invalid(&create(json!({"name": "R", "capacity": 0})).await, "capacity");
    assert_invalid(&create(json!({"name": "R", "capacity": -1})).await, "capacity");
    assert_invalid(&create(json!({"name": "R", "capacity": 10_001})).await, "capacity");
    assert_invalid(&create(json!({"name": "R", "capacity": "ten"})).await, "capacity");
    assert_invalid(&create(json!({"name": "R", "capacity": 2, "timezone": "Mars/Olympus"})).await, "timezone");
    assert_invalid(&create(json!({"name": "R", "capacity": 2, "timezone": "+02:00"})).await, "timezone");
    assert_invalid(&create(json!({"name": "", "capacity": 2})).await, "name");
    assert_invalid(&create(json!({"name": "x".repeat(101), "capacity": 2})).await, "name");
    assert_invalid(&create(json!({"capacity": 2})).await, "name");
    assert_invalid(&create(json!({"name": "R"})).await, "capacity");
    let res = create(json!({"name": "", "capacity": 0, "timezone": "Mars/Olympus"})).await;
    for field in ["name", "capacity", "timezone"] {
        assert_invalid(&res, field);
    }
    assert_eq!(admin.get("/api/v1/rooms").await.body, json!([]), "nothing was created");

    let room = admin.create_room("R", 2).await;
    assert_invalid(&admin.patch(&format!("/api/v1/rooms/{room}"), json!({"capacity": 0})).await, "capacity");
    assert_invalid(&admin.get("/api/v1/rooms?include_archived=sometimes").await, "include_archived");
    assert_invalid(&admin.get("/api/v1/rooms?colour=red").await, "colour");
    s.stop().await;
}
