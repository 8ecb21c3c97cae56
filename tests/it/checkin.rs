//! Check-in end to end: the window (opens a few minutes early, closes after the room's minutes),
//! who may check in, the no-show job releasing unchecked reservations when the (moved) clock
//! passes their window, the owner told over real SMTP, and the report's no-show figures.

use crate::browser::Browser;
use crate::common::{Api, PASSWORD, Res, SmtpSink, TestServer, config};
use crate::support::{assert_invalid, assert_problem, cancel, enc};
use serde_json::{Value, json};

/// An instant `minutes` from now (negative: ago), on a whole minute, in RFC 3339.
fn in_minutes(minutes: i64) -> String {
    let t = salas::clock::now() + chrono::Duration::minutes(minutes);
    (t - chrono::Duration::seconds(t.timestamp() % 60)
        - chrono::Duration::nanoseconds(t.timestamp_subsec_nanos().into()))
    .to_rfc3339()
}

async fn room(admin: &Api, name: &str, extra: Value) -> String {
    let mut body = json!({"name": name, "capacity": 6, "timezone": "Europe/Madrid"});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let res = admin.post("/api/v1/rooms", body).await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body["id"].as_str().unwrap().to_string()
}

async fn book(api: &Api, room: &str, from: i64, to: i64) -> Res {
    let res = api.book(room, &in_minutes(from), &in_minutes(to)).await;
    assert_eq!(res.status, 201, "{}", res.body);
    res
}

fn id(res: &Res) -> String {
    res.body["id"].as_str().unwrap().to_string()
}

async fn check_in(api: &Api, id: &str) -> Res {
    api.post(&format!("/api/v1/reservations/{id}/check-in"), json!({})).await
}

fn code(res: &Res) -> &str {
    res.body["type"].as_str().unwrap_or_default().rsplit(':').next().unwrap_or_default()
}

#[tokio::test]
async fn check_in_opens_shortly_before_the_start_and_closes_with_the_rooms_window() {
    // The no-show job is off: it would release the meeting that ended before it was booked (below)
    // as soon as a minute turns, and check-in would answer `closed` instead of `checkin_closed`.
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.scheduler.no_shows = String::new();
    let s = TestServer::start_with(dir, c).await;
    let admin = s.admin().await;
    let manager = s.user("manager").await;
    let member = s.user("member").await;
    let other = s.user("member").await;
    assert_invalid(
        &admin.post("/api/v1/rooms", json!({"name": "Bad", "capacity": 2, "checkin_window_minutes": 0})).await,
        "checkin_window_minutes",
    );
    let strict = room(&admin, "Sala Estricta", json!({"checkin_required": true, "checkin_window_minutes": 5})).await;
    let got = admin.get(&format!("/api/v1/rooms/{strict}")).await;
    assert_eq!(
        (got.body["checkin_required"].as_bool(), got.body["checkin_window_minutes"].as_u64()),
        (Some(true), Some(5))
    );
    let relaxed = room(&admin, "Sala Libre", json!({})).await;

    // An hour ahead: too early (check-in opens 10 minutes before).
    let later = book(&member, &strict, 60, 90).await;
    let early = check_in(&member, &id(&later)).await;
    assert_problem(&early, 409);
    assert_eq!(code(&early), "checkin_not_open");
    assert!(early.body["detail"].as_str().unwrap().contains("opens at"), "{}", early.body);

    // Starting in five minutes: open. Only the owner or a manager may press it; twice is harmless.
    let soon = book(&member, &strict, 5, 35).await;
    assert_problem(&check_in(&other, &id(&soon)).await, 403);
    let done = check_in(&member, &id(&soon)).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body["checked_in_at"].is_string());
    let twice = check_in(&member, &id(&soon)).await;
    assert_eq!((twice.status, &twice.body["version"]), (200, &done.body["version"]));

    // Began ten minutes ago in a five-minute window, but booked just now: the window runs from
    // the booking, or the meeting could never be checked in and would be released unused.
    let strict_too = room(&admin, "Sala Puntual", json!({"checkin_required": true, "checkin_window_minutes": 5})).await;
    let started = book(&member, &strict_too, -10, 20).await;
    assert_eq!(check_in(&member, &id(&started)).await.status, 200);
    // Ended eleven minutes ago (booked afterwards, to record it): closed, as the window never
    // outlasts the meeting. Starting 13 minutes ago keeps clear of the 15-minute limit on starts
    // in the past and of the meeting above, whichever minute each time is rounded in.
    let over = book(&member, &strict_too, -13, -11).await;
    let late = check_in(&member, &id(&over)).await;
    assert_problem(&late, 409);
    assert_eq!(code(&late), "checkin_closed");
    // Where check-in is optional it stays open until the end, and managers may check anyone in.
    let optional = book(&member, &relaxed, -10, 20).await;
    assert_eq!(check_in(&manager, &id(&optional)).await.status, 200);

    // Cancelled and pending reservations cannot be checked in.
    let gone = book(&member, &relaxed, 30, 40).await;
    assert_eq!(cancel(&member, &id(&gone), None).await.status, 200);
    assert_eq!(code(&check_in(&member, &id(&gone)).await), "closed");
    let approval = room(&admin, "Sala Aprobación", json!({"requires_approval": true, "checkin_required": true})).await;
    let pending = book(&member, &approval, 5, 30).await;
    assert_eq!(pending.body["status"], "pending");
    assert_eq!(code(&check_in(&member, &id(&pending)).await), "not_confirmed");
    assert_problem(&check_in(&member, "00000000-0000-7000-8000-000000000000").await, 404);

    // PATCH 0 returns a room to the default window.
    let reset = admin.patch(&format!("/api/v1/rooms/{strict}"), json!({"checkin_window_minutes": 0})).await;
    assert_eq!((reset.status, reset.body["checkin_window_minutes"].clone()), (200, Value::Null), "{}", reset.body);

    // The button on "my reservations" checks in (with the session's CSRF token).
    let walk_up = room(&admin, "Sala Paso", json!({})).await;
    let walk_in = book(&member, &walk_up, 3, 30).await;
    let mut browser = Browser::new(&s);
    let csrf = browser.sign_in(&member.email, PASSWORD).await;
    let mine = browser.get("/my").await;
    let action = format!("/reservations/{}/check-in", id(&walk_in));
    assert!(mine.html.contains(&action), "{}", mine.html);
    assert!(mine.html.contains("Pending approval"), "the pending one says so in words");
    assert_eq!(browser.post(&action, &[("csrf", "forged"), ("back", "/my")]).await.status, 403);
    let pressed = browser.post(&action, &[("csrf", &csrf), ("back", "https://evil.example/")]).await;
    assert_eq!((pressed.status, pressed.location()), (303, "/my"));
    assert!(browser.get("/my").await.html.contains("Checked in"));
    assert!(member.get(&format!("/api/v1/reservations/{}", id(&walk_in))).await.body["checked_in_at"].is_string());
}

#[tokio::test]
async fn reservations_not_checked_in_are_released_as_no_shows() {
    let sink = SmtpSink::start();
    let clock = salas::clock::Clock::system();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    sink.configure(&mut c);
    c.scheduler.no_shows = "* * * * * *".into(); // every second: the moved clock is noticed at once
    let s = TestServer::start_with_clock(dir, c, clock.clone()).await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let other = s.user("member").await;
    let kept = room(&admin, "Sala Kept", json!({"checkin_required": true})).await;
    let missed = room(&admin, "Sala Missed", json!({"checkin_required": true})).await;
    let plain = room(&admin, "Sala Plain", json!({})).await;

    let came = book(&member, &kept, 5, 65).await;
    assert_eq!(check_in(&member, &id(&came)).await.status, 200);
    let absent = book(&member, &missed, 5, 65).await;
    let tomorrow = book(&member, &missed, 24 * 60, 24 * 60 + 30).await;
    let unchecked = book(&member, &plain, 5, 65).await;

    // Nothing happens before the window (15 minutes by default) closes.
    clock.advance(chrono::Duration::minutes(10));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(member.get(&format!("/api/v1/reservations/{}", id(&absent))).await.body["status"], "confirmed");

    clock.advance(chrono::Duration::minutes(15));
    let mut status = Value::Null;
    for _ in 0..100 {
        status = member.get(&format!("/api/v1/reservations/{}", id(&absent))).await.body["status"].clone();
        if status == "no_show" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "no_show");
    for (r, want) in [(&came, "confirmed"), (&tomorrow, "confirmed"), (&unchecked, "confirmed")] {
        assert_eq!(member.get(&format!("/api/v1/reservations/{}", id(r))).await.body["status"], want);
    }
    // The slot is free again. The server checks bookings against the real clock, the job runs on
    // the moved one (25 minutes ahead): a rebooking of the whole slot would itself be a no-show to
    // the job within a second (CI saw it released too), so this one starts 30 minutes into the
    // released slot, 10 minutes after the moved clock.
    let start = chrono::DateTime::parse_from_rfc3339(absent.body["start"].as_str().unwrap()).unwrap();
    let later = (start + chrono::Duration::minutes(30)).to_rfc3339();
    let rebook = other.book(&missed, &later, absent.body["end"].as_str().unwrap()).await;
    assert_eq!(rebook.status, 201, "{}", rebook.body);

    // The owner is told, with a cancellation for the calendar; the log has the event, no actor.
    let mail = sink.wait_for(1, |m| m["subject"].as_str().is_some_and(|s| s.starts_with("Released"))).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0]["rcpt_tos"][0], member.email.as_str());
    assert_eq!(mail[0]["ics"]["method"], "CANCEL");
    let events = admin.get("/api/v1/events").await;
    let released: Vec<&Value> =
        events.body.as_array().unwrap().iter().filter(|e| e["kind"] == "reservation.no_show").collect();
    assert_eq!(released.len(), 1);
    assert_eq!((released[0]["subject"].as_str(), &released[0]["actor"]), (Some(id(&absent).as_str()), &Value::Null));
    let jobs = admin.get("/api/v1/admin/jobs").await;
    let job = jobs.body.as_array().unwrap().iter().find(|j| j["name"] == "no_shows").unwrap().clone();
    assert_eq!(job["last_status"], "ok", "{job}");

    // The report counts the no-show per room, and actual use only where check-in data exists.
    let (from, to) = (in_minutes(-24 * 60), in_minutes(3 * 24 * 60));
    let report = admin.get(&format!("/api/v1/reports/utilization?from={}&to={}", enc(&from), enc(&to))).await;
    assert_eq!(report.status, 200, "{}", report.body);
    let row = |name: &str| report.body["rooms"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap().clone();
    let (k, m, p) = (row("Sala Kept"), row("Sala Missed"), row("Sala Plain"));
    assert_eq!((k["checked_in"].as_u64(), k["no_shows"].as_u64()), (Some(1), Some(0)));
    assert!(k["actual_hours"].is_number() && k["actual_utilization"].is_number(), "{k}");
    // Missed: the no-show, tomorrow's and the rebooking (two live ones) — a third of them missed.
    assert_eq!((m["reservations"].as_u64(), m["no_shows"].as_u64()), (Some(2), Some(1)));
    assert!((m["no_show_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9, "{m}");
    assert!(p["actual_hours"].is_null() && p["actual_utilization"].is_null(), "{p}");
    assert_eq!(report.body["total"]["no_shows"], 1);
    let csv = admin
        .http
        .get(format!("{}/api/v1/reports/utilization?from={}&to={}&format=csv", s.url, enc(&from), enc(&to)))
        .bearer_auth(admin.token.as_deref().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines().next().unwrap().ends_with("no_shows,no_show_rate,checked_in,actual_hours,actual_utilization"),
        "{csv}"
    );
}
