//! The day view and the booking form in real Chromium (`tests/browser/dayview.py`): 20 rooms and
//! 65 bookings on one day, most of them half an hour long with titles like "Meeting 73", read at
//! 1366×900 and as a phone agenda at 390 px; the form's day panel, a multi-day booking and a
//! booking for someone else. Screenshots land in `target/screenshots/`.

use crate::common::{Api, TestServer, at};
use chrono::{DateTime, Duration};
use serde_json::json;

/// Tomorrow (so nothing is in the past whenever the test runs) at `minutes` past midnight, UTC.
fn tomorrow_at(minutes: i64) -> String {
    (DateTime::parse_from_rfc3339(&at(1, 0)).expect("time") + Duration::minutes(minutes)).to_rfc3339()
}

/// Room `r` (0-based) of the day's 65 bookings: three rounds three hours apart, offsets of half
/// an hour by room so the columns differ, lengths of 30 minutes mostly, some 60 and 90.
fn day_of_bookings() -> Vec<(usize, String, i64, i64)> {
    (0..65)
        .map(|k: usize| {
            let (room, round) = (k % 20, (k / 20) as i64);
            let start = 8 * 60 + round * 180 + (room % 4) as i64 * 30;
            let minutes = if k.is_multiple_of(6) {
                90
            } else if k % 4 == 1 {
                60
            } else {
                30
            };
            let title = match k {
                k if k.is_multiple_of(9) => "Budget review".to_string(),
                k if k % 13 == 5 => "Interviews with candidates".to_string(),
                k => format!("Meeting {}", k + 10),
            };
            (room, title, start, start + minutes)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn day_view_agenda_and_booking_form_in_headless_chromium() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let mut rooms = Vec::new();
    for i in 1..=20 {
        let body = json!({"name": format!("Room {i:02}"), "capacity": 4 + i % 9, "location": format!("Floor {}", 1 + i / 8),
            "timezone": "UTC"});
        let res = admin.post("/api/v1/rooms", body).await;
        assert_eq!(res.status, 201, "{}", res.body);
        rooms.push(res.body["id"].as_str().expect("room id").to_string());
    }
    for (k, (room, title, start, end)) in day_of_bookings().into_iter().enumerate() {
        // A few are the member's own (drawn as "mine").
        let who: &Api = if k % 5 == 2 { &member } else { &admin };
        let res = who
            .post(
                "/api/v1/reservations",
                json!({"room_id": rooms[room], "title": title, "start": tomorrow_at(start), "end": tomorrow_at(end)}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
    }
    let day = |days: i64| at(days, 0)[..10].to_string();

    let args = crate::chromium::args(&s, &member, &["--date", &day(1), "--free-date", &day(2)]);
    println!("{}", crate::chromium::run("dayview.py", args).await);

    // What the browser booked reached the server: the multi-day booking spans two days and the
    // admin's booking is the member's.
    let mine = member.get(&format!("/api/v1/reservations?user_id={}&limit=200", member.id)).await;
    let items = mine.body.as_array().expect("list");
    let offsite = items.iter().find(|r| r["title"] == "Offsite planning").expect("the multi-day booking");
    assert_eq!(offsite["start"].as_str().unwrap()[..10], day(2), "{offsite}");
    assert_eq!(offsite["end"].as_str().unwrap()[..10], day(3), "{offsite}");
    let for_member = items.iter().find(|r| r["title"] == "Booked for the member").expect("booked for the member");
    assert_eq!(for_member["user_id"], member.id.as_str(), "{for_member}");
    s.stop().await;
}
