//! Recurring reservations through the API: local time kept across DST in the room's zone,
//! monthly positions, `on_conflict` fail and skip, and changes scoped to a series.

use crate::common::{Api, Res, TestServer, at};
use crate::support::{assert_invalid, assert_problem, book_with, booked, parse_time};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Offset, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde_json::{Value, json};

/// Next year: its March and November DST changes are always ahead, and within the horizon.
fn next_year() -> i32 {
    salas::clock::now().year() + 1
}

/// `date` at `hh:mm` local time in `tz`, in RFC 3339.
fn local(tz: Tz, date: NaiveDate, hh: u32, mm: u32) -> String {
    tz.from_local_datetime(&date.and_hms_opt(hh, mm, 0).unwrap()).single().unwrap().to_rfc3339()
}

async fn room_in(api: &Api, name: &str, tz: &str) -> String {
    let res = api.post("/api/v1/rooms", json!({"name": name, "capacity": 8, "timezone": tz})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body["id"].as_str().unwrap().to_string()
}

async fn series(api: &Api, room: &str, start: &str, end: &str, rrule: &str, extra: Value) -> Res {
    let mut body = json!({"rrule": rrule});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    book_with(api, room, start, end, body).await
}

fn starts(occurrences: &Value) -> Vec<DateTime<Utc>> {
    occurrences.as_array().unwrap().iter().map(|o| parse_time(&o["start"])).collect()
}

fn occurrence_ids(res: &Res) -> Vec<String> {
    res.body["occurrences"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn weekly_series_keep_local_time_across_both_dst_changes() {
    let s = TestServer::start().await;
    let member = s.user("member").await;
    let admin = s.admin().await;
    let year = next_year();
    for zone in [chrono_tz::Europe::Madrid, chrono_tz::America::New_York] {
        let room = room_in(&admin, &format!("Room {zone}"), zone.name()).await;
        let first = NaiveDate::from_ymd_opt(year, 3, 1).unwrap();
        let res = series(
            &member,
            &room,
            &local(zone, first, 10, 0),
            &local(zone, first, 11, 0),
            "FREQ=WEEKLY;COUNT=40",
            json!({}),
        )
        .await;
        assert_eq!(res.status, 201, "{}", res.body);
        let series_id = res.body["series_id"].as_str().unwrap().to_string();
        assert_eq!(res.header("location"), Some(format!("/api/v1/series/{series_id}").as_str()));
        let got = starts(&res.body["occurrences"]);
        assert_eq!(got.len(), 40);
        for o in res.body["occurrences"].as_array().unwrap() {
            assert_eq!(o["series_id"], series_id.as_str());
            assert_eq!((parse_time(&o["end"]) - parse_time(&o["start"])).num_minutes(), 60);
        }
        let offsets: std::collections::BTreeSet<i32> =
            got.iter().map(|t| t.with_timezone(&zone).offset().fix().local_minus_utc()).collect();
        assert_eq!(offsets.len(), 2, "{zone}: the series crosses a DST change");
        for t in &got {
            let l = t.with_timezone(&zone);
            assert_eq!(l.time(), NaiveTime::from_hms_opt(10, 0, 0).unwrap(), "{zone}: {l}");
            assert_eq!(l.weekday(), first.weekday());
        }
        let (spring, autumn) =
            (NaiveDate::from_ymd_opt(year, 3, 31).unwrap(), NaiveDate::from_ymd_opt(year, 11, 8).unwrap());
        assert!(got[0].date_naive() < spring && got[39].date_naive() > autumn, "both changes are crossed");
        // The series reads back the same.
        let read = member.get(&format!("/api/v1/series/{series_id}")).await;
        assert_eq!(read.status, 200, "{}", read.body);
        assert_eq!(starts(&read.body["occurrences"]), got);
    }
}

#[tokio::test]
async fn monthly_last_friday_and_second_tuesday() {
    let s = TestServer::start().await;
    let member = s.user("member").await;
    let room = s.admin().await.create_room("Monthly", 6).await;
    let zone = chrono_tz::Europe::Madrid;
    let year = next_year();
    let jan = |day| NaiveDate::from_ymd_opt(year, 1, day).unwrap();
    let last_friday = (25..=31).map(jan).find(|d| d.weekday() == Weekday::Fri).unwrap();
    let second_tuesday = (8..=14).map(jan).find(|d| d.weekday() == Weekday::Tue).unwrap();
    for (first, rule, check) in [
        (
            last_friday,
            "FREQ=MONTHLY;BYDAY=-1FR;COUNT=12",
            (|d: NaiveDate| d.weekday() == Weekday::Fri && (d + chrono::Days::new(7)).month() != d.month())
                as fn(NaiveDate) -> bool,
        ),
        (second_tuesday, "FREQ=MONTHLY;BYDAY=2TU;COUNT=12", |d: NaiveDate| {
            d.weekday() == Weekday::Tue && (8..=14).contains(&d.day())
        }),
    ] {
        let res = series(&member, &room, &local(zone, first, 9, 30), &local(zone, first, 10, 0), rule, json!({})).await;
        assert_eq!(res.status, 201, "{rule}: {}", res.body);
        let days: Vec<NaiveDate> = starts(&res.body["occurrences"])
            .iter()
            .map(|t| {
                let l = t.with_timezone(&zone);
                assert_eq!(l.time(), NaiveTime::from_hms_opt(9, 30, 0).unwrap(), "{rule}: {l}");
                l.date_naive()
            })
            .collect();
        assert_eq!(days.len(), 12);
        for (i, d) in days.iter().enumerate() {
            assert!(check(*d), "{rule}: {d}");
            assert_eq!(d.month0() as usize, i, "{rule}: one a month, in order");
        }
    }
}

#[tokio::test]
async fn one_taken_occurrence_fails_the_series_or_is_skipped() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = room_in(&admin, "Weekly", "UTC").await;
    let (start, end) = (at(7, 9), at(7, 10));
    let third = parse_time(&json!(at(21, 9)));
    let blocker = booked(&admin, &room, &at(21, 9), &at(21, 10)).await;

    let res = series(&member, &room, &start, &end, "FREQ=WEEKLY;COUNT=5", json!({})).await;
    assert_problem(&res, 409);
    let clashes = res.body["occurrences"].as_array().unwrap();
    assert_eq!(clashes.len(), 1, "{}", res.body);
    assert_eq!(parse_time(&clashes[0]["start"]), third);
    assert_eq!(clashes[0]["conflicting_ids"], json!([blocker]));
    assert_eq!(res.body["conflicts"][0]["id"], blocker.as_str());
    let mine = member.get("/api/v1/reservations?mine=true").await;
    assert_eq!(mine.body, json!([]), "nothing of a failed series is booked");

    let res = series(&member, &room, &start, &end, "FREQ=WEEKLY;COUNT=5", json!({"on_conflict": "skip"})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["occurrences"].as_array().unwrap().len(), 4);
    assert_eq!(parse_time(&res.body["skipped"][0]["start"]), third);
    assert_eq!(res.body["skipped"][0]["conflicting_ids"], json!([blocker]));

    // Every occurrence taken: nothing to book, even with skip.
    let res = series(&member, &room, &start, &end, "FREQ=WEEKLY;COUNT=2", json!({"on_conflict": "skip"})).await;
    assert_problem(&res, 409);
    assert_eq!(res.body["occurrences"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn rules_and_caps_are_checked() {
    let s = TestServer::start().await;
    let member = s.user("member").await;
    let room = room_in(&s.admin().await, "Rules", "UTC").await;
    let (start, end) = (at(1, 9), at(1, 10));
    let code = |res: &Res| res.body["errors"][0]["code"].as_str().unwrap_or_default().to_string();
    for (rule, expected) in [
        ("FREQ=SOMETIMES;COUNT=2", "rrule_invalid"),
        ("FREQ=HOURLY;COUNT=2", "rrule_unsupported"),
        ("FREQ=DAILY", "rrule_unbounded"),
        ("FREQ=DAILY;COUNT=367", "too_many_occurrences"),
        ("FREQ=YEARLY;COUNT=3", "beyond_horizon"),
    ] {
        let res = series(&member, &room, &start, &end, rule, json!({})).await;
        assert_invalid(&res, "rrule");
        assert_eq!(code(&res), expected, "{rule}: {}", res.body);
    }
    let weekday = parse_time(&json!(start)).weekday().succ();
    let other_day = format!("FREQ=WEEKLY;BYDAY={};COUNT=2", &format!("{weekday:?}")[..2].to_uppercase());
    let res = series(&member, &room, &start, &end, &other_day, json!({})).await;
    assert_eq!(code(&res), "rrule_start_mismatch", "{}", res.body);
    let res = book_with(&member, &room, &start, &end, json!({"on_conflict": "skip"})).await;
    assert_invalid(&res, "on_conflict");
    let res = series(&member, &room, &start, &end, "FREQ=DAILY;COUNT=2", json!({"on_conflict": "sometimes"})).await;
    assert_problem(&res, 422);
}

#[tokio::test]
async fn edits_and_cancellations_take_a_scope() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let zone = chrono_tz::Europe::Madrid;
    let room = room_in(&admin, "Scoped", zone.name()).await;
    // Six Mondays from early March: the fourth onwards are after the spring change.
    let first = (1..=7)
        .map(|d| NaiveDate::from_ymd_opt(next_year(), 3, d).unwrap())
        .find(|d| d.weekday() == Weekday::Mon)
        .unwrap();
    let res = series(
        &member,
        &room,
        &local(zone, first, 10, 0),
        &local(zone, first, 11, 0),
        "FREQ=WEEKLY;COUNT=6",
        json!({}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let ids = occurrence_ids(&res);
    let series_id = res.body["series_id"].as_str().unwrap().to_string();
    let read = || async { member.get(&format!("/api/v1/series/{series_id}")).await.body["occurrences"].clone() };
    let hour = |o: &Value| parse_time(&o["start"]).with_timezone(&zone).format("%H:%M").to_string();

    // This one only.
    let res = member.patch(&format!("/api/v1/reservations/{}?scope=this", ids[1]), json!({"title": "Just this"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let all = read().await;
    let titles: Vec<&str> = all.as_array().unwrap().iter().map(|o| o["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Meeting", "Just this", "Meeting", "Meeting", "Meeting", "Meeting"]);

    // This and following: an hour later, in local time, across the DST change.
    let third = &all[2];
    let later = |v: &Value| (parse_time(v) + chrono::Duration::hours(1)).to_rfc3339();
    let body = json!({"start": later(&third["start"]), "end": later(&third["end"])});
    let res = member.patch(&format!("/api/v1/reservations/{}?scope=following", ids[2]), body).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["id"], ids[2].as_str());
    let all = read().await;
    let hours: Vec<String> = all.as_array().unwrap().iter().map(hour).collect();
    assert_eq!(hours, ["10:00", "10:00", "11:00", "11:00", "11:00", "11:00"]);

    // A move into someone else's booking is refused whole, naming the occurrence.
    let blocker_day = parse_time(&all[4]["start"]).with_timezone(&zone).date_naive();
    let blocker = booked(&admin, &room, &local(zone, blocker_day, 12, 0), &local(zone, blocker_day, 13, 0)).await;
    let body = json!({"start": later(&all[3]["start"]), "end": later(&all[3]["end"])});
    let res = member.patch(&format!("/api/v1/reservations/{}?scope=following", ids[3]), body).await;
    assert_problem(&res, 409);
    assert_eq!(res.body["occurrences"].as_array().unwrap().len(), 1, "{}", res.body);
    assert_eq!(res.body["occurrences"][0]["conflicting_ids"], json!([blocker]));
    assert_eq!(read().await, all, "nothing moved");

    // Cancel this and following from the fifth.
    let res = member.post(&format!("/api/v1/reservations/{}/cancel?scope=following", ids[4]), json!({})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["status"], "cancelled");
    let statuses = |all: &Value| -> Vec<String> {
        all.as_array().unwrap().iter().map(|o| o["status"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(statuses(&read().await), ["confirmed", "confirmed", "confirmed", "confirmed", "cancelled", "cancelled"]);

    // One occurrence moved to another room on its own stays there through a series-wide edit.
    let annex = room_in(&admin, "Annex", zone.name()).await;
    let res = member.patch(&format!("/api/v1/reservations/{}", ids[0]), json!({"room_id": annex})).await;
    assert_eq!(res.status, 200, "{}", res.body);

    // The whole series: the live occurrences change; cancelled ones stay as they were.
    let res = member.patch(&format!("/api/v1/reservations/{}?scope=series", ids[0]), json!({"title": "Weekly"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let titles: Vec<String> =
        read().await.as_array().unwrap().iter().map(|o| o["title"].as_str().unwrap().to_string()).collect();
    assert_eq!(titles, ["Weekly", "Weekly", "Weekly", "Weekly", "Meeting", "Meeting"]);
    let rooms: Vec<Value> = read().await.as_array().unwrap().iter().map(|o| o["room_id"].clone()).collect();
    assert_eq!(rooms[0], annex.as_str());
    assert!(rooms[1..].iter().all(|r| *r == room.as_str()));

    // Someone else may not touch it.
    let other = s.user("member").await;
    let res = other.post(&format!("/api/v1/reservations/{}/cancel?scope=series", ids[0]), json!({})).await;
    assert_problem(&res, 403);

    let res = member.post(&format!("/api/v1/reservations/{}/cancel?scope=series", ids[1]), json!({})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(statuses(&read().await).iter().all(|s| s == "cancelled"));
    let res = member.post(&format!("/api/v1/reservations/{}/cancel?scope=whenever", ids[1]), json!({})).await;
    assert_problem(&res, 422);
}
