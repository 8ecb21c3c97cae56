//! Calendar feeds: what a real iCalendar parser and expander (Python's `icalendar` and
//! `recurring_ical_events`) read from a room's and a user's feed is exactly what the API lists,
//! cancelled single reservations included, a series as one recurring event; tokens are secret
//! and replaceable.

use crate::common::{Api, TestServer};
use crate::support::{assert_problem, book_with, cancel};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc};
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

/// (start, end, status) of every occurrence, as the API lists it or a calendar expands it.
type Seen = Vec<(DateTime<Utc>, DateTime<Utc>, String)>;

/// Reads a calendar object as a client does (`feeds.py`: Python's `icalendar`, and
/// `recurring_ical_events` expanding it over `window`). It runs in the calendar tests' virtual
/// environment (made by .ci/run from .ci/requirements-caldav.txt), whose pins include
/// `recurring-ical-events`: it wants python-dateutil 2, the main environment has 4.
pub fn read_calendar(body: &[u8], window: (DateTime<Utc>, DateTime<Utc>)) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/feeds.py");
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/target/venv-caldav/bin/python3");
    let mut child = Command::new(python)
        .args([script, &window.0.to_rfc3339(), &window.1.to_rfc3339()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "icalendar could not read:\n{}", String::from_utf8_lossy(body));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Fetches `url` without credentials and reads it as a client does.
async fn parse_feed(url: &str, window: (DateTime<Utc>, DateTime<Utc>)) -> Value {
    let res = reqwest::get(url).await.expect("feed");
    assert_eq!(res.status(), 200, "{url}");
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/calendar"), "{ct}");
    read_calendar(&res.bytes().await.unwrap(), window)
}

/// The occurrences a calendar client expands the object to.
pub fn expanded(calendar: &Value) -> Seen {
    let mut seen: Seen = calendar["expanded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let t = |k: &str| DateTime::parse_from_rfc3339(e[k].as_str().unwrap()).unwrap().to_utc();
            (t("start"), t("end"), e["status"].as_str().unwrap().to_lowercase())
        })
        .collect();
    seen.sort();
    seen
}

/// What the API lists: every reservation, except the cancelled occurrences of a series (which
/// leave its recurring event as EXDATEs rather than stay as cancelled events).
async fn from_api(api: &Api, query: &str) -> Seen {
    let res = api.get(&format!("/api/v1/reservations?include_cancelled=true&{query}")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let mut seen: Seen = res
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["series_id"].is_null() || r["status"] != "cancelled")
        .map(|r| {
            let t = |k: &str| DateTime::parse_from_rfc3339(r[k].as_str().unwrap()).unwrap().to_utc();
            let status = if r["status"] == "cancelled" { "cancelled" } else { "confirmed" };
            (t("start"), t("end"), status.to_string())
        })
        .collect();
    seen.sort();
    seen
}

#[tokio::test]
async fn feeds_list_what_the_api_lists() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala Feed Norte", 8).await;
    let zone = chrono_tz::Europe::Madrid;
    let first = NaiveDate::from_ymd_opt(salas::clock::now().year() + 1, 3, 15).unwrap();
    let at = |day: NaiveDate, h| zone.from_local_datetime(&day.and_hms_opt(h, 0, 0).unwrap()).single().unwrap();
    let local = |h| at(first, h).to_rfc3339();
    // A weekly series across the spring DST change, one occurrence cancelled, one moved, and a
    // single booking.
    let res = book_with(&member, &room, &local(10), &local(11), json!({"rrule": "FREQ=WEEKLY;COUNT=5"})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let occurrence = |i: usize| res.body["occurrences"][i]["id"].as_str().unwrap().to_string();
    let (second, fourth) = (occurrence(1), occurrence(3));
    assert_eq!(cancel(&member, &second, None).await.status, 200);
    let fourth_day = first + chrono::Duration::weeks(3);
    let moved = member
        .patch(
            &format!("/api/v1/reservations/{fourth}"),
            json!({"start": at(fourth_day, 12).to_rfc3339(), "end": at(fourth_day, 13).to_rfc3339()}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let single = book_with(&admin, &room, &local(15), &local(16), json!({"title": "Board; annual, \"Q1\""})).await;
    assert_eq!(single.status, 201, "{}", single.body);

    let window =
        (at(first, 0).to_utc() - chrono::Duration::days(1), at(first, 0).to_utc() + chrono::Duration::days(60));
    let room_url = admin.get(&format!("/api/v1/rooms/{room}")).await.body["ics_url"].as_str().unwrap().to_string();
    assert!(room_url.starts_with(&s.url) && room_url.ends_with(".ics"), "{room_url}");
    let feed = parse_feed(&room_url, window).await;
    assert_eq!(feed["name"], "Sala Feed Norte");
    // The series is one recurring event in Madrid time: the cancelled occurrence an EXDATE, the
    // moved one an override.
    let events = feed["events"].as_array().unwrap();
    let recurring: Vec<&Value> = events.iter().filter(|e| !e["rrule"].is_null()).collect();
    assert_eq!(recurring.len(), 1, "{events:?}");
    let rule = recurring[0]["rrule"].as_str().unwrap();
    assert!(rule.starts_with("FREQ=WEEKLY") && rule.contains("COUNT=5"), "{rule}");
    assert_eq!(recurring[0]["exdates"], json!([at(first + chrono::Duration::weeks(1), 10).to_utc().to_rfc3339()]));
    let overrides: Vec<&Value> = events.iter().filter(|e| !e["recurrence_id"].is_null()).collect();
    assert_eq!(overrides.len(), 1, "{events:?}");
    assert_eq!(overrides[0]["recurrence_id"], at(fourth_day, 10).to_utc().to_rfc3339());
    assert_eq!(overrides[0]["uid"], recurring[0]["uid"]);
    assert_eq!(events.len(), 3, "the series, its moved occurrence and the single booking: {events:?}");

    let seen = expanded(&feed);
    assert_eq!(seen.len(), 5, "four occurrences and the single booking: {seen:?}");
    assert_eq!(seen, from_api(&admin, &format!("room_id={room}")).await);
    // The wall-clock hour holds across the change: 09:00 UTC before it, 08:00 UTC after.
    let hours: Vec<u32> =
        seen.iter().filter(|(s, e, _)| *e - *s == chrono::Duration::hours(1)).map(|(s, _, _)| s.hour()).collect();
    assert!(hours.contains(&9) && hours.contains(&8), "{hours:?}");
    let summaries: Vec<&str> = events.iter().map(|e| e["summary"].as_str().unwrap()).collect();
    assert!(summaries.contains(&"Board; annual, \"Q1\""), "{summaries:?}");

    let me = member.get("/api/v1/users/me").await;
    let my_url = me.body["ics_url"].as_str().unwrap().to_string();
    let mine = expanded(&parse_feed(&my_url, window).await);
    assert_eq!(mine.len(), 4);
    assert_eq!(mine, from_api(&member, "mine=true").await);

    // A single cancelled booking stays, as a cancelled event.
    assert_eq!(cancel(&admin, single.body["id"].as_str().unwrap(), None).await.status, 200);
    let seen = expanded(&parse_feed(&room_url, window).await);
    assert!(seen.iter().any(|(_, _, status)| status == "cancelled"), "{seen:?}");
    assert_eq!(seen, from_api(&admin, &format!("room_id={room}")).await);
}

#[tokio::test]
async fn feed_tokens_are_secret_and_replaceable() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Tokens", 4).await;
    let url = member.get(&format!("/api/v1/rooms/{room}")).await.body["ics_url"].as_str().unwrap().to_string();
    assert_eq!(url, admin.get(&format!("/api/v1/rooms/{room}")).await.body["ics_url"], "stable until replaced");
    let status = |u: String| async move { reqwest::get(&u).await.unwrap().status().as_u16() };
    assert_eq!(status(url.clone()).await, 200);

    let (base, token) = url.rsplit_once('/').unwrap();
    let mut wrong = token.to_string();
    wrong.replace_range(0..1, if wrong.starts_with('0') { "1" } else { "0" });
    assert_eq!(status(format!("{base}/{wrong}")).await, 404);
    assert_eq!(status(format!("{base}/short.ics")).await, 404);
    let other_room = admin.create_room("Other", 4).await;
    assert_eq!(status(url.replace(&room, &other_room)).await, 404, "a token belongs to one room");

    assert_problem(&member.post(&format!("/api/v1/rooms/{room}/feed-token"), json!({})).await, 403);
    let res = admin.post(&format!("/api/v1/rooms/{room}/feed-token"), json!({})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let new_url = res.body["ics_url"].as_str().unwrap().to_string();
    assert_ne!(new_url, url);
    assert_eq!(status(url).await, 404, "the old address stops working");
    assert_eq!(status(new_url.clone()).await, 200);
    assert_eq!(admin.get(&format!("/api/v1/rooms/{room}")).await.body["ics_url"], new_url.as_str());

    let mine = member.get("/api/v1/users/me").await.body["ics_url"].as_str().unwrap().to_string();
    let res = member.post("/api/v1/users/me/feed-token", json!({})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(status(mine).await, 404);
    assert_eq!(status(res.body["ics_url"].as_str().unwrap().to_string()).await, 200);
}
