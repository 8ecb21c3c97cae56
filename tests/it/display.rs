//! Room door displays over HTTP: admins create and revoke device tokens; the token opens its
//! room's display page and its actions (walk-up booking, end early, check in) and nothing else;
//! a revoked token is refused.

use crate::common::{Api, TestServer, at};
use crate::stream::Sse;
use crate::support::booked;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

struct Door {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Door {
    /// `(status, body)` of a GET of the display's `path` ("" for the page itself).
    async fn get(&self, path: &str) -> (u16, String) {
        let res = self.http.get(format!("{}/display/{}{path}", self.base, self.token)).send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// Posts a display form as htmx does (the answer is the refreshed panel).
    async fn post(&self, action: &str, form: &[(&str, &str)]) -> (u16, String) {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let res = self
            .http
            .post(format!("{}/display/{}/{action}", self.base, self.token))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("hx-request", "true")
            .body(body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }
}

async fn create_display(s: &TestServer, admin: &Api, room: &str) -> (Value, Door) {
    let res = admin.post("/api/v1/displays", json!({"room_id": room, "name": "Door"})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let token = res.body["token"].as_str().unwrap().to_string();
    assert!(res.body["url"].as_str().unwrap().ends_with(&format!("/display/{token}")));
    (res.body.clone(), Door { http: reqwest::Client::new(), base: s.url.clone(), token })
}

async fn room_reservations(api: &Api, room: &str) -> Vec<Value> {
    let res = api.get(&format!("/api/v1/reservations?room_id={room}")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body["items"].as_array().cloned().unwrap_or_else(|| res.body.as_array().cloned().unwrap_or_default())
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn admins_create_and_revoke_tokens_and_a_revoked_token_is_refused() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let manager = s.user("manager").await;
    let room = admin.create_room("Sala Puerta", 6).await;
    let res = manager.post("/api/v1/displays", json!({"room_id": room, "name": "Door"})).await;
    assert_eq!(res.status, 403, "only admins manage displays");
    let res = admin.post("/api/v1/displays", json!({"room_id": room, "name": " "})).await;
    assert_eq!((res.status, res.error_fields()), (422, vec!["name".to_string()]));

    let (made, door) = create_display(&s, &admin, &room).await;
    let id = made["id"].as_str().unwrap();
    let (status, page) = door.get("").await;
    assert_eq!(status, 200);
    assert!(page.contains("Sala Puerta") && page.contains("Free"), "{page}");
    assert!(page.contains("<svg class=\"qr\"") && !page.contains("style="), "a QR code, no inline styles");
    let list = admin.get("/api/v1/displays").await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert!(list.body[0].get("token").is_none(), "the token is shown once: {}", list.body);
    assert!(door.token.starts_with(list.body[0]["token_prefix"].as_str().unwrap()));

    assert_eq!(admin.delete(&format!("/api/v1/displays/{id}")).await.status, 204);
    assert_eq!(door.get("").await.0, 404);
    assert_eq!(door.get("/panel").await.0, 404);
    assert_eq!(door.post("book", &[("minutes", "15")]).await.0, 404);
    assert!(room_reservations(&admin, &room).await.is_empty(), "a revoked token books nothing");
    assert_eq!(admin.delete(&format!("/api/v1/displays/{id}")).await.status, 404);
    // A token is no user credential.
    let res = admin.with_token(&door.token).get("/api/v1/reservations").await;
    assert_eq!(res.status, 401);
    s.stop().await;
}

#[tokio::test]
async fn walk_up_booking_then_end_early_frees_the_room() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Walk", 4).await;
    let other = admin.create_room("Sala Otra", 4).await;
    let (made, door) = create_display(&s, &admin, &room).await;
    let mut live = Sse::open(&admin, &format!("/api/v1/events/stream?room_id={room}"), None).await;

    let (status, panel) = door.post("book", &[("minutes", "45")]).await;
    assert_eq!(status, 200);
    assert!(panel.contains("15, 30 or 60"), "{panel}");
    let (status, panel) = door.post("book", &[("minutes", "30")]).await;
    assert_eq!(status, 200);
    assert!(panel.contains("Busy") && panel.contains("Booked until"), "{panel}");
    let list = room_reservations(&admin, &room).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let r = &list[0];
    assert_eq!(r["booked_via"], made["id"], "attributed to the display");
    assert_eq!(r["user_id"], admin.id.as_str(), "owned by the admin who set the display up");
    assert_eq!(time(&r["end"]) - time(&r["start"]), Duration::minutes(30));
    assert!((time(&r["start"]) - salas::clock::now()).num_seconds().abs() <= 61, "starts now: {r}");
    let event = live.next(std::time::Duration::from_secs(10)).await.expect("streamed");
    assert_eq!(event.data["reservation"]["booked_via"], made["id"]);

    // Busy: no more walk-up booking.
    let (_, panel) = door.post("book", &[("minutes", "15")]).await;
    assert!(panel.contains("Someone has just booked"), "{panel}");
    assert_eq!(room_reservations(&admin, &room).await.len(), 1);

    // The display acts on its own room only.
    let elsewhere = booked(&admin, &other, &at(1, 9), &at(1, 10)).await;
    let (_, panel) = door.post("end", &[("reservation", &elsewhere)]).await;
    assert!(panel.contains("That did not work"), "{panel}");
    let untouched = admin.get(&format!("/api/v1/reservations/{elsewhere}")).await;
    assert_eq!(untouched.body["version"], 1);

    let id = r["id"].as_str().unwrap();
    let (status, panel) = door.post("end", &[("reservation", id)]).await;
    assert_eq!(status, 200);
    assert!(panel.contains("Free") && panel.contains("the room is free again"), "{panel}");
    let ended = admin.get(&format!("/api/v1/reservations/{id}")).await.body;
    assert_eq!(ended["status"], "confirmed");
    assert!(time(&ended["end"]) <= salas::clock::now() && time(&ended["end"]) > time(&ended["start"]), "{ended}");
    // The freed time can be booked again at the door.
    let (_, panel) = door.post("book", &[("minutes", "15")]).await;
    assert!(panel.contains("Booked until"), "{panel}");

    // Without htmx, a plain form post is sent back to the page.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/display/{}/book", s.url, door.token))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("minutes=15")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("/display/{}", door.token).as_str());
    s.stop().await;
}

#[tokio::test]
async fn check_in_at_the_door_and_the_display_stream() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Check", 4).await;
    let res = admin.patch(&format!("/api/v1/rooms/{room}"), json!({"checkin_required": true})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let other = admin.create_room("Sala Lejos", 4).await;
    let (_, door) = create_display(&s, &admin, &room).await;

    // The display's own stream: a `change` for its room, nothing for others.
    let mut changes = reqwest::Client::new()
        .get(format!("{}/display/{}/events", s.url, door.token))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(changes.status(), 200);
    booked(&admin, &other, &at(2, 9), &at(2, 10)).await;
    let start = (salas::clock::now() + Duration::minutes(3)).to_rfc3339();
    let end = (salas::clock::now() + Duration::minutes(63)).to_rfc3339();
    let id = booked(&admin, &room, &start, &end).await;
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !text.contains("event: change") {
        let chunk = tokio::time::timeout_at(deadline, changes.chunk()).await.expect("a change").unwrap().unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert_eq!(text.matches("event: change").count(), 1, "only its own room: {text}");

    let (_, panel) = door.get("/panel").await;
    assert!(panel.contains("Check in"), "check-in opens 10 minutes before: {panel}");
    let (status, panel) = door.post("check-in", &[("reservation", &id)]).await;
    assert_eq!(status, 200);
    assert!(panel.contains("Checked in") && !panel.contains(">Check in<"), "{panel}");
    let r = admin.get(&format!("/api/v1/reservations/{id}")).await.body;
    assert!(r["checked_in_at"].is_string(), "{r}");
    s.stop().await;
}

#[tokio::test]
async fn the_admin_page_shows_the_address_once() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Admin", 4).await;
    let mut b = crate::browser::Browser::new(&s);
    b.sign_in(crate::common::ADMIN_EMAIL, crate::common::ADMIN_PASSWORD).await;
    let page = b.get("/admin/displays").await;
    let csrf = page.input("csrf");
    let made = b.post("/admin/displays", &[("csrf", &csrf), ("room", &room), ("name", "Puerta norte")]).await;
    assert!(made.html.contains("/display/sd_"), "{}", made.html);
    let again = b.get("/admin/displays").await;
    assert!(again.html.contains("Puerta norte") && !again.html.contains("/display/sd_"), "shown once");
    s.stop().await;
}
