//! The waitlist and no-show strikes end to end: joining a taken slot, the first in line booked
//! automatically when it frees (and told), the others moving up, leaving; a series cancelled from
//! then on after its occurrences were released as no-shows three times in a row (the clock moved,
//! not waited on), with a warning one strike before.

use crate::common::{Api, Res, TestServer, at, config};
use serde_json::{Value, json};

fn id(res: &Res) -> String {
    res.body["id"].as_str().unwrap().to_string()
}

async fn join(api: &Api, room: &str, start: &str, end: &str) -> Res {
    api.post("/api/v1/waitlist", json!({"room_id": room, "start": start, "end": end, "title": "Waiting"})).await
}

/// Polls `path` until `pick` finds what `want` accepts (the waitlist follows the event log).
async fn eventually(api: &Api, path: &str, want: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = api.get(path).await.body;
        if want(&last) {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{path} never got there: {last:#}");
}

#[tokio::test]
async fn the_first_in_line_gets_a_freed_slot_and_the_others_move_up() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Espera", 6).await;
    let (holder, first, second, leaver) =
        (s.user("member").await, s.user("member").await, s.user("member").await, s.user("member").await);
    let (start, end) = (at(2, 10), at(2, 11));
    let held = holder.book(&room, &start, &end).await;
    assert_eq!(held.status, 201);

    // Joining: only a taken slot, once, by someone who may book, in the future.
    let free = join(&first, &room, &at(2, 12), &at(2, 13)).await;
    assert_eq!((free.status, free.body["type"].as_str()), (409, Some("urn:salas:problem:slot-free")));
    assert_eq!(join(&s.user("viewer").await, &room, &start, &end).await.status, 403);
    let past = join(&first, &room, &at(-1, 10), &at(-1, 11)).await;
    assert_eq!((past.status, past.error_fields()), (422, vec!["start".to_string()]));
    let unknown = join(&first, &uuid::Uuid::now_v7().to_string(), &start, &end).await;
    assert_eq!(unknown.status, 404);
    let a = join(&first, &room, &start, &end).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["status"], "waiting");
    assert_eq!(join(&first, &room, &start, &end).await.status, 409, "already waiting");
    let b = join(&second, &room, &start, &start.replace("10:00:00", "10:30:00")).await;
    assert_eq!(b.status, 201, "{}", b.body);
    let gone = join(&leaver, &room, &start, &end).await;
    assert_eq!(leaver.delete(&format!("/api/v1/waitlist/{}", id(&gone))).await.status, 204);
    assert_eq!(leaver.delete(&format!("/api/v1/waitlist/{}", id(&gone))).await.status, 404);
    assert_eq!(second.delete(&format!("/api/v1/waitlist/{}", id(&a))).await.status, 404, "not theirs");
    assert!(leaver.get("/api/v1/waitlist").await.body.as_array().unwrap().is_empty());

    // The holder cancels: the first in line gets the slot, and is told.
    assert_eq!(holder.post(&format!("/api/v1/reservations/{}/cancel", id(&held)), json!({})).await.status, 200);
    let mine = eventually(&first, "/api/v1/waitlist", |v| v[0]["status"] == "booked").await;
    let booked = mine[0]["reservation_id"].as_str().unwrap().to_string();
    let r = first.get(&format!("/api/v1/reservations/{booked}")).await;
    assert_eq!(
        (r.body["start"].as_str(), r.body["user_id"].as_str()),
        (held.body["start"].as_str(), Some(first.id.as_str()))
    );
    let inbox = first.get("/api/v1/notifications").await.body;
    assert!(
        inbox.as_array().unwrap().iter().any(|n| n["title"].as_str().unwrap().starts_with("From the waitlist")),
        "{inbox:#}"
    );
    // The second waits on: half an hour of the first's hour is not free.
    assert_eq!(second.get("/api/v1/waitlist").await.body[0]["status"], "waiting");

    // The first cancels in turn: the second moves up and gets their half hour.
    assert_eq!(first.post(&format!("/api/v1/reservations/{booked}/cancel"), json!({})).await.status, 200);
    eventually(&second, "/api/v1/waitlist", |v| v[0]["status"] == "booked").await;
    s.stop().await;
}

#[tokio::test]
async fn three_no_shows_in_a_row_cancel_the_rest_of_a_series_after_a_warning() {
    let clock = salas::clock::Clock::system();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.scheduler.no_shows = "* * * * * *".into(); // every second: the moved clock is noticed at once
    let s = TestServer::start_with_clock(dir, c, clock.clone()).await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room =
        admin.post("/api/v1/rooms", json!({"name": "Sala Estricta", "capacity": 4, "checkin_required": true})).await;
    let room = id(&room);
    let start = salas::clock::now() + chrono::Duration::minutes(5);
    let start = start - chrono::Duration::seconds(start.timestamp() % 60);
    let start = start - chrono::Duration::nanoseconds(start.timestamp_subsec_nanos().into());
    let series = member
        .post(
            "/api/v1/reservations",
            json!({"room_id": room, "title": "Daily stand-up", "start": start.to_rfc3339(),
                   "end": (start + chrono::Duration::minutes(30)).to_rfc3339(), "rrule": "FREQ=DAILY;COUNT=5"}),
        )
        .await;
    assert_eq!(series.status, 201, "{}", series.body);
    let series_id = series.body["series_id"].as_str().unwrap().to_string();
    let statuses = |v: &Value| -> Vec<String> {
        v["occurrences"]
            .as_array()
            .or(v.as_array())
            .unwrap()
            .iter()
            .map(|o| o["status"].as_str().unwrap().to_string())
            .collect()
    };
    let path = format!("/api/v1/series/{series_id}");

    // Two days missed: both released, the series stands, and its owner is warned.
    clock.advance(chrono::Duration::minutes(25));
    eventually(&member, &path, |v| statuses(v)[0] == "no_show").await;
    clock.advance(chrono::Duration::days(1));
    eventually(&member, &path, |v| statuses(v)[1] == "no_show").await;
    eventually(&member, "/api/v1/notifications", |v| {
        v.as_array().unwrap().iter().any(|n| n["title"].as_str().unwrap().contains("one more cancels the rest"))
    })
    .await;
    assert_eq!(statuses(&member.get(&path).await.body)[2..], ["confirmed", "confirmed", "confirmed"]);

    // The third: the rest of the series is cancelled, and the owner told.
    clock.advance(chrono::Duration::days(1));
    let after = eventually(&member, &path, |v| statuses(v)[3] == "cancelled").await;
    assert_eq!(statuses(&after), ["no_show", "no_show", "no_show", "cancelled", "cancelled"]);
    eventually(&member, "/api/v1/notifications", |v| {
        v.as_array().unwrap().iter().any(|n| n["title"].as_str().unwrap().contains("was cancelled after 3 no-shows"))
    })
    .await;
    s.stop().await;
}

#[tokio::test]
async fn the_booking_form_offers_the_waitlist_and_my_reservations_lists_it() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Cola", 6).await;
    let member = s.user("member").await;
    let mut b = crate::browser::Browser::new(&s);
    let csrf = b.sign_in(&member.email, crate::common::PASSWORD).await;
    let taken = admin.book(&room, &at(3, 10), &at(3, 11)).await;
    let (date, start, end) = (&taken.body["start"].as_str().unwrap()[..10], "10:00", "11:00");
    let form = [
        ("csrf", csrf.as_str()),
        ("room", room.as_str()),
        ("title", "Retro"),
        ("date", date),
        ("start", start),
        ("end", end),
    ];

    let conflict = b.post("/book", &form).await;
    assert_eq!(conflict.status, 409, "{}", conflict.html);
    assert!(conflict.html.contains("formaction=\"/waitlist/join\""), "{}", conflict.html);
    let forged = b
        .post("/waitlist/join", &[("csrf", "nope"), ("room", &room), ("date", date), ("start", start), ("end", end)])
        .await;
    assert_eq!(forged.status, 403);
    let joined = b.post("/waitlist/join", &form).await;
    assert_eq!(joined.status, 303, "{}", joined.html);
    let mine = b.get("/my").await;
    assert!(mine.html.contains("You are on the waitlist") && mine.html.contains("Sala Cola"), "{}", mine.html);
    assert!(mine.html.contains("class=\"wait-waiting\""), "{}", mine.html);

    let entry = member.get("/api/v1/waitlist").await.body[0]["id"].as_str().unwrap().to_string();
    let left = b.post(&format!("/waitlist/{entry}/leave"), &[("csrf", &csrf)]).await;
    assert_eq!(left.status, 303);
    let mine = b.get("/my").await;
    assert!(mine.html.contains("You left the waitlist.") && !mine.html.contains("wait-waiting"), "{}", mine.html);
    s.stop().await;
}
