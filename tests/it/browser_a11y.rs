//! Every page in headless Chromium, in English and in Spanish (`tests/browser/a11y.py`): axe-core
//! (pinned in tests/axe/package-lock.json, installed by `.ci/run` with `npm ci`) finds no serious
//! or critical violation, and each page is kept as a full-page screenshot at 1366 and at 390 px
//! wide in `target/screenshots/<lang>-<width>-<page>.png`, to be looked at. Seeded here through
//! the API with something on every page: rooms, bookings, a booking field, a
//! group, a door display, and sign-up on.

use crate::common::{TestServer, at, config};
use serde_json::json;

// Several worker threads: the server answers the browser while this test waits for python3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_in_english_and_spanish_and_is_photographed() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.auth.self_signup_domains = vec!["example.test".into()];
    let s = TestServer::start_with(dir, c).await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let mut rooms = Vec::new();
    for (name, capacity) in [("Sala Norte", 8), ("Sala Sur", 4), ("Auditorio", 60)] {
        let body = json!({"name": name, "capacity": capacity, "location": "Floor 1", "timezone": "Europe/Madrid",
            "description": format!("{name}: a quiet room with a screen.")});
        let res = admin.post("/api/v1/rooms", body).await;
        assert_eq!(res.status, 201, "{}", res.body);
        rooms.push(res.body["id"].as_str().expect("room id").to_string());
    }
    let book = |title: &'static str, room: usize, from: i64, to: i64| {
        let body = json!({"room_id": rooms[room], "title": title, "start": at(1, from), "end": at(1, to)});
        (title, body)
    };
    for (title, body) in [book("Weekly planning", 0, 9, 10), book("Budget review", 1, 10, 12)] {
        let res = admin.post("/api/v1/reservations", body).await;
        assert_eq!(res.status, 201, "{title}: {}", res.body);
    }
    let (_, mine) = book("One to one", 1, 14, 15);
    let res = member.post("/api/v1/reservations", mine).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let reservation = res.body["id"].as_str().expect("reservation id").to_string();
    let field = json!({"key": "cost_centre", "label": {"en": "Cost centre", "es": "Centro de coste"}, "kind": "text"});
    let res = admin.post("/api/v1/booking-fields", field).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let group = json!({"name": "Facilities", "description": "Everyone who looks after the buildings"});
    let res = admin.post("/api/v1/groups", group).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let display = admin.post("/api/v1/displays", json!({"room_id": rooms[0], "name": "Door"})).await;
    assert_eq!(display.status, 201, "{}", display.body);
    let display = display.body["url"].as_str().expect("display url");
    let display = &display[display.find("/display/").expect("display path")..];

    let date = at(1, 0)[..10].to_string();
    let more = ["--room", &rooms[0], "--date", &date, "--reservation", &reservation, "--display", display];
    crate::chromium::run("a11y.py", crate::chromium::args(&s, &member, &more)).await;
}
