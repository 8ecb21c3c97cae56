//! `.ics` import into a room (POST /api/v1/rooms/{id}/import): files shaped like Outlook's,
//! Google Calendar's and MRBS's exports (tests/fixtures/ics/), idempotence by UID, series across
//! the spring DST change, EXDATE and RECURRENCE-ID, dry run, fail and skip, malformed files.

use crate::common::{Api, Res, TestServer};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use serde_json::{Value, json};

/// The first Monday of March of next year: `{D+n}` in a fixture is n days after it.
pub fn base() -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(salas::clock::now().year() + 1, 3, 1).unwrap();
    while d.weekday() != Weekday::Mon {
        d += Duration::days(1);
    }
    d
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/ics/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("{D") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('}').unwrap() + i;
        let days: i64 = rest[i + 2..end].parse().unwrap();
        out.push_str(&(base() + Duration::days(days)).format("%Y%m%d").to_string());
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The UTC instant of day `n` after the base at `hh:mm` UTC.
fn day(n: i64, hh: u32, mm: u32) -> DateTime<Utc> {
    (base() + Duration::days(n)).and_hms_opt(hh, mm, 0).unwrap().and_utc()
}

pub async fn import(api: &Api, room: &str, query: &str, body: &str) -> Res {
    let url = format!("{}/api/v1/rooms/{room}/import{query}", api.base);
    api.send(api.http.post(url).header("content-type", "text/calendar").body(body.to_string())).await
}

/// The live bookings of a room, in start order: (start, end, title).
async fn bookings(api: &Api, room: &str) -> Vec<(DateTime<Utc>, DateTime<Utc>, String)> {
    let res = api.get(&format!("/api/v1/reservations?room_id={room}&limit=500")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let t = |v: &Value| v.as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    res.body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (t(&r["start"]), t(&r["end"]), r["title"].as_str().unwrap().to_string()))
        .collect()
}

fn counts(res: &Res) -> (u64, u64, u64, usize) {
    assert_eq!(res.status, 200, "{}", res.body);
    let n = |k: &str| res.body[k].as_u64().unwrap();
    (n("created"), n("updated"), n("unchanged"), res.body["skipped"].as_array().unwrap().len())
}

#[tokio::test]
async fn an_outlook_export_books_its_series_across_the_dst_change_once() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala Retiro", 8).await;
    let file = fixture("outlook.ics");

    let first = import(&member, &room, "", &file).await;
    assert_eq!(counts(&first), (2, 0, 0, 0), "{}", first.body);
    let booked = bookings(&member, &room).await;
    let starts: Vec<DateTime<Utc>> = booked.iter().map(|b| b.0).collect();
    // Mondays at 10:00 in Madrid: 09:00 UTC in winter, 08:00 UTC once summer time starts; the
    // third Monday is an EXDATE, the fourth was moved to Tuesday 15:00; 12:00 Romance time is
    // the interview on Thursday.
    let mut expected = vec![day(0, 9, 0), day(3, 11, 0), day(7, 9, 0), day(22, 14, 0)];
    for n in [28, 35] {
        let hour = if (base() + Duration::days(n)).ordinal() > last_sunday_of_march().ordinal() { 8 } else { 9 };
        expected.push(day(n, hour, 0));
    }
    assert_eq!(starts, expected);
    assert_eq!(day(35, 8, 0), *starts.last().unwrap(), "the last Monday is in summer time");
    assert_eq!(booked[0].2, "Comité de dirección");
    assert!(booked.iter().all(|b| b.0 + Duration::hours(1) == b.1 || b.2 == "Entrevista"));

    let again = import(&member, &room, "", &file).await;
    assert_eq!(counts(&again), (0, 0, 2, 0), "{}", again.body);
    assert_eq!(bookings(&member, &room).await, booked, "nothing new the second time");
}

fn last_sunday_of_march() -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(base().year(), 3, 31).unwrap();
    while d.weekday() != Weekday::Sun {
        d -= Duration::days(1);
    }
    d
}

#[tokio::test]
async fn a_google_export_dry_run_then_fail_and_skip() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala Prado", 8).await;
    let file = fixture("google.ics");
    // Someone already has the room for the budget review's first half hour.
    let held = admin.book(&room, &day(2, 14, 0).to_rfc3339(), &day(2, 14, 30).to_rfc3339()).await;
    assert_eq!(held.status, 201, "{}", held.body);

    // Dry run with skip: the report a real run would give, and nothing booked.
    let dry = import(&member, &room, "?dry_run=true&on_conflict=skip", &file).await;
    assert_eq!(counts(&dry), (1, 0, 0, 2), "{}", dry.body);
    let skipped = dry.body["skipped"].as_array().unwrap();
    let reason_of = |uid: &str| {
        skipped.iter().find(|s| s["uid"] == uid).map(|s| s["reason"].as_str().unwrap().to_string()).unwrap()
    };
    assert_eq!(reason_of("0p9o8i7u6y5t4r3e2w1q@google.com"), "the event is in the past");
    assert!(reason_of("7hgf6d5s4a3p2o1i0u9y8t7r6e@google.com").contains("already booked"));
    assert_eq!(bookings(&member, &room).await.len(), 1, "a dry run books nothing");

    // Fail (the default): a 409 listing the clash, nothing booked, dry or not.
    for query in ["?dry_run=true", ""] {
        let fail = import(&member, &room, query, &file).await;
        assert_eq!(fail.status, 409, "{}", fail.body);
        assert_eq!(fail.header("content-type"), Some("application/problem+json"));
        assert_eq!(fail.body["skipped"][0]["uid"], "7hgf6d5s4a3p2o1i0u9y8t7r6e@google.com");
        assert_eq!(fail.body["skipped"][0]["start"], json!(day(2, 14, 0)));
        assert_eq!(bookings(&member, &room).await.len(), 1);
    }

    // Skip: the stand-up series is booked (EXDATE left out, the moved occurrence at 10:00).
    let real = import(&member, &room, "?on_conflict=skip", &file).await;
    assert_eq!(counts(&real), (1, 0, 0, 2), "{}", real.body);
    let starts: Vec<DateTime<Utc>> =
        bookings(&member, &room).await.iter().filter(|b| b.2 == "Daily stand-up").map(|b| b.0).collect();
    assert_eq!(starts, [day(1, 8, 0), day(3, 9, 0), day(4, 8, 0)]);
}

#[tokio::test]
async fn an_mrbs_export_changed_and_imported_again_is_updated() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala Retiro", 8).await;
    let file = fixture("mrbs.ics");
    assert_eq!(counts(&import(&member, &room, "", &file).await), (2, 0, 0, 0));
    let before = bookings(&member, &room).await;
    assert_eq!(before.iter().filter(|b| b.2 == "Formación interna").count(), 3, "UNTIL is inclusive");

    // The visit moves an hour later and the course is renamed, with a higher SEQUENCE.
    let changed = file
        .replace("T110000\r\nDTEND;TZID=Europe/Madrid:", "T120000\r\nDTEND;TZID=Europe/Madrid:")
        .replacen("T120000\r\nSUMMARY:Visita", "T130000\r\nSUMMARY:Visita", 1)
        .replace("SUMMARY:Formación interna", "SUMMARY:Formación interna (2ª edición)")
        .replace("SEQUENCE:0", "SEQUENCE:1");
    let again = import(&member, &room, "", &changed).await;
    assert_eq!(counts(&again), (0, 2, 0, 0), "{}", again.body);
    let after = bookings(&member, &room).await;
    assert_eq!(after.len(), 4, "the changed events replace their bookings: {after:?}");
    assert_eq!(after.iter().filter(|b| b.2 == "Formación interna (2ª edición)").count(), 3);
    let visit = after.iter().find(|b| b.2 == "Visita de cliente").unwrap();
    assert_eq!(visit.0, day(4, 11, 0), "12:00 in Madrid in March");
    assert_eq!(counts(&import(&member, &room, "", &changed).await), (0, 0, 2, 0));
}

#[tokio::test]
async fn malformed_files_and_callers_without_the_right_are_refused() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let viewer = s.user("viewer").await;
    let room = admin.create_room("Sala Retiro", 8).await;
    let bad = import(&member, &room, "", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VCALENDAR\r\n").await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.header("content-type"), Some("application/problem+json"));
    assert!(bad.body["detail"].as_str().unwrap().contains("line 4: END:VCALENDAR"), "{}", bad.body);
    let not_ics = import(&member, &room, "", "hello").await;
    assert_eq!(not_ics.status, 400, "{}", not_ics.body);
    assert_eq!(import(&viewer, &room, "", &fixture("mrbs.ics")).await.status, 403);
    assert_eq!(import(&member, &room, "?on_conflict=maybe", &fixture("mrbs.ics")).await.status, 422);
    assert!(bookings(&admin, &room).await.is_empty());
}
