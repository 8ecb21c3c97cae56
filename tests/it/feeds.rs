//! Calendar feeds: what a real iCalendar parser (Python's `icalendar`) reads from a room's and a
//! user's feed is exactly what the API lists, cancelled reservations included; tokens are secret
//! and replaceable.

use crate::common::{Api, TestServer};
use crate::support::{assert_problem, book_with, cancel};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

/// (id, start, end, status) of every reservation, as the API or the feed says.
type Seen = BTreeSet<(String, DateTime<Utc>, DateTime<Utc>, String)>;

/// Fetches `url` without credentials and parses it with `icalendar`.
async fn parse_feed(url: &str) -> Value {
    let res = reqwest::get(url).await.expect("feed");
    assert_eq!(res.status(), 200, "{url}");
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/calendar"), "{ct}");
    let body = res.bytes().await.unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/feeds.py");
    let mut child =
        Command::new("python3").arg(script).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("python3");
    child.stdin.take().unwrap().write_all(&body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "icalendar could not read the feed:\n{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn from_feed(feed: &Value) -> Seen {
    feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let id = e["uid"].as_str().unwrap().trim_end_matches("@salas").to_string();
            let t = |k: &str| DateTime::parse_from_rfc3339(e[k].as_str().unwrap()).unwrap().to_utc();
            (id, t("start"), t("end"), e["status"].as_str().unwrap().to_lowercase())
        })
        .collect()
}

async fn from_api(api: &Api, query: &str) -> Seen {
    let res = api.get(&format!("/api/v1/reservations?include_cancelled=true&{query}")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let t = |k: &str| DateTime::parse_from_rfc3339(r[k].as_str().unwrap()).unwrap().to_utc();
            let status = if r["status"] == "cancelled" { "cancelled" } else { "confirmed" };
            (r["id"].as_str().unwrap().to_string(), t("start"), t("end"), status.to_string())
        })
        .collect()
}

#[tokio::test]
async fn feeds_list_what_the_api_lists() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala Feed Norte", 8).await;
    let zone = chrono_tz::Europe::Madrid;
    let first = NaiveDate::from_ymd_opt(salas::clock::now().year() + 1, 3, 15).unwrap();
    let local = |h| zone.from_local_datetime(&first.and_hms_opt(h, 0, 0).unwrap()).single().unwrap().to_rfc3339();
    // A weekly series across the spring DST change, one occurrence cancelled, and a single booking.
    let res = book_with(&member, &room, &local(10), &local(11), json!({"rrule": "FREQ=WEEKLY;COUNT=5"})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let second = res.body["occurrences"][1]["id"].as_str().unwrap().to_string();
    assert_eq!(cancel(&member, &second, None).await.status, 200);
    let single = book_with(&admin, &room, &local(15), &local(16), json!({"title": "Board; annual, \"Q1\""})).await;
    assert_eq!(single.status, 201, "{}", single.body);

    let room_url = admin.get(&format!("/api/v1/rooms/{room}")).await.body["ics_url"].as_str().unwrap().to_string();
    assert!(room_url.starts_with(&s.url) && room_url.ends_with(".ics"), "{room_url}");
    let feed = parse_feed(&room_url).await;
    assert_eq!(feed["name"], "Sala Feed Norte");
    let seen = from_feed(&feed);
    assert_eq!(seen.len(), 6);
    assert_eq!(seen, from_api(&admin, &format!("room_id={room}")).await);
    assert!(seen.iter().any(|(id, _, _, status)| *id == second && status == "cancelled"));
    let summaries: Vec<&str> =
        feed["events"].as_array().unwrap().iter().map(|e| e["summary"].as_str().unwrap()).collect();
    assert!(summaries.contains(&"Board; annual, \"Q1\""), "{summaries:?}");

    let me = member.get("/api/v1/users/me").await;
    let my_url = me.body["ics_url"].as_str().unwrap().to_string();
    let mine = from_feed(&parse_feed(&my_url).await);
    assert_eq!(mine.len(), 5);
    assert_eq!(mine, from_api(&member, "mine=true").await);
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
