//! Repeating bookings in the web UI: the repeat section's live summary and preview (dates in the
//! room's zone, taken ones marked in words), `fail` versus `skip` when saving, the scope of a
//! change or cancellation, and one e-mail per series at a real SMTP server.

use crate::browser::{Browser, Page};
use crate::common::{Api, PASSWORD, SmtpSink, TestServer, config};
use crate::feeds::{expanded, read_calendar};
use crate::support::{book_with, enc};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use serde_json::{Value, json};

/// A Tuesday at least a week ahead, in winter or not: the tests read the hour from the zone.
fn a_tuesday() -> NaiveDate {
    let mut d = salas::clock::now().date_naive() + Duration::days(8);
    while d.weekday() != Weekday::Tue {
        d += Duration::days(1);
    }
    d
}

/// The hour in Madrid that the form's 09:00 (typed in UTC) is on `d`: 10 in winter, 11 in summer.
/// A series keeps its first date's local time, so this holds for all its dates.
fn madrid_hour(d: NaiveDate) -> u32 {
    chrono_tz::Europe::Madrid.from_utc_datetime(&d.and_hms_opt(9, 0, 0).unwrap()).hour()
}

/// `hh:00–hh+1:00`, as pages and e-mails show an hour-long meeting.
fn hour_span(hh: u32) -> String {
    format!("{hh:02}:00–{:02}:00", hh + 1)
}

/// `d` at `hh:00` in `zone`, RFC 3339.
fn at_local(zone: chrono_tz::Tz, d: NaiveDate, hh: u32) -> String {
    zone.from_local_datetime(&d.and_hms_opt(hh, 0, 0).unwrap()).single().unwrap().to_rfc3339()
}

struct Setup {
    s: TestServer,
    member: Api,
    email: String,
    room: String,
    first: NaiveDate,
}

/// A server, a room in Madrid, and a member; the member's times are typed in UTC (their zone),
/// so the room's local times differ from what they type.
async fn setup(sink: Option<&SmtpSink>) -> Setup {
    let s = match sink {
        Some(sink) => {
            let dir = tempfile::tempdir().unwrap();
            let mut c = config(dir.path());
            sink.configure(&mut c);
            TestServer::start_with(dir, c).await
        }
        None => TestServer::start().await,
    };
    let admin = s.admin().await;
    let res =
        admin.post("/api/v1/rooms", json!({"name": "Sala Norte", "capacity": 8, "timezone": "Europe/Madrid"})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let room = res.body["id"].as_str().unwrap().to_string();
    let email = format!("ana-{}@example.test", uuid::Uuid::now_v7().simple());
    let res = admin
        .post("/api/v1/users", json!({"email": email, "name": "Ana", "role": "member", "password": PASSWORD}))
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let member = s.sign_in(&email, PASSWORD).await;
    Setup { s, member, email, room, first: a_tuesday() }
}

/// The booking form's fields for a series starting on `first`, 09:00–10:00 UTC.
fn series_form<'a>(
    csrf: &'a str,
    room: &'a str,
    date: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("csrf", csrf),
        ("room", room),
        ("title", "Team sync"),
        ("date", date),
        ("start", "09:00"),
        ("end", "10:00"),
        ("repeat", "weekly"),
        ("interval", "2"),
        ("ends", "count"),
        ("count", "4"),
    ];
    f.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    f.extend_from_slice(extra);
    f
}

fn query(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&")
}

async fn reservations(api: &Api, room: &str) -> Vec<Value> {
    let res = api.get(&format!("/api/v1/reservations?room_id={room}&limit=100")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body.get("items").unwrap_or(&res.body).as_array().unwrap().clone()
}

fn count(page: &Page, needle: &str) -> usize {
    page.html.matches(needle).count()
}

#[tokio::test]
async fn the_repeat_section_summarises_previews_and_books_with_fail_or_skip() {
    let Setup { s, member, email, room, first } = setup(None).await;
    let (madrid, hh) = (chrono_tz::Europe::Madrid, madrid_hour(first));
    // Someone else holds the third date (first + 4 weeks) at the series' hour in Madrid.
    let other = s.user("member").await;
    let third = first + Duration::weeks(4);
    let res = book_with(
        &other,
        &room,
        &at_local(madrid, third, hh),
        &at_local(madrid, third, hh + 1),
        json!({"title": "Board meeting"}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.body);

    let mut b = Browser::new(&s);
    let csrf = b.sign_in(&email, PASSWORD).await;
    let form = b.get("/book").await;
    assert_eq!(form.status, 200);
    assert!(form.html.contains("<legend>Repeat</legend>"), "a fieldset with its legend");
    assert!(form.html.contains("<label for=\"repeat\">") && form.html.contains("name=\"day_tu\""));
    assert!(form.html.contains("hx-get=\"/book/repeat\"") && form.html.contains("id=\"repeat-summary\""));
    assert!(!form.html.contains("style="), "no inline styles (CSP)");

    // The live preview: summary, the dates in the room's zone, the taken one said in words.
    let date = first.format("%Y-%m-%d").to_string();
    let fields = series_form("", &room, &date, &[]);
    let preview = b.get(&format!("/book/repeat?{}", query(&fields))).await;
    assert_eq!(preview.status, 200, "{}", preview.html);
    assert!(preview.html.contains("Every 2nd Tuesday, 4 times"), "{}", preview.html);
    assert!(preview.html.contains("4 dates, 1 of them taken."), "{}", preview.html);
    assert!(preview.html.contains("Europe/Madrid"), "{}", preview.html);
    assert_eq!(count(&preview, "<li class=\"occ-free\">"), 3, "{}", preview.html);
    assert_eq!(count(&preview, "<li class=\"occ-taken\">"), 1, "{}", preview.html);
    let taken = format!("Taken:</span> <span class=\"occ-by\">Board meeting, {}", hour_span(hh));
    assert!(preview.html.contains(&taken), "{}", preview.html);
    assert!(preview.html.contains(&hour_span(hh)), "09:00 UTC in Madrid's time: {}", preview.html);
    // Not repeating: nothing to preview.
    let plain = b
        .get(&format!(
            "/book/repeat?{}",
            query(&[("room", &room), ("date", &date), ("start", "09:00"), ("end", "10:00")])
        ))
        .await;
    assert!(!plain.html.contains("<ol"), "{}", plain.html);
    // A weekday that is not the first date's: the message names the problem.
    let bad = series_form("", &room, &date, &[("day_we", "on")]);
    let preview = b.get(&format!("/book/repeat?{}", query(&bad))).await;
    assert!(preview.html.contains("Tick the first date"), "{}", preview.html);

    // Saving with "fail": nothing booked, 409, the taken date listed.
    let fields = series_form(&csrf, &room, &date, &[("on_conflict", "fail")]);
    let refused = b.post("/book", &fields).await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert!(refused.html.contains("nothing was booked"), "{}", refused.html);
    assert!(refused.html.contains("taken by Board meeting"), "{}", refused.html);
    assert!(refused.html.contains("value=\"weekly\" selected"), "the form keeps its values");
    assert_eq!(reservations(&member, &room).await.len(), 1, "only the other booking");

    // A field error is tied to its field.
    let bad = series_form(&csrf, &room, &date, &[("day_we", "on")]);
    let refused = b.post("/book", &bad).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(refused.html.contains("aria-describedby=\"days-error\"") && refused.html.contains("id=\"days-error\""));

    // Saving with "skip": three booked, the taken date reported as skipped.
    let fields = series_form(&csrf, &room, &date, &[("on_conflict", "skip")]);
    let done = b.post("/book", &fields).await;
    assert_eq!(done.status, 201, "{}", done.html);
    assert!(done.html.contains("Every 2nd Tuesday, 4 times"), "{}", done.html);
    assert!(done.html.contains("Booked (3)") && done.html.contains("Skipped because taken (1)"), "{}", done.html);
    assert!(done.html.contains("Board meeting"), "{}", done.html);
    let mine: Vec<Value> =
        reservations(&member, &room).await.into_iter().filter(|r| r["title"] == "Team sync").collect();
    assert_eq!(mine.len(), 3);
    let series = mine[0]["series_id"].as_str().unwrap();
    assert!(mine.iter().all(|r| r["series_id"] == series), "one series");
    let first_start = chrono::DateTime::parse_from_rfc3339(mine[0]["start"].as_str().unwrap()).unwrap();
    assert_eq!(first_start.with_timezone(&madrid).format("%Y-%m-%d %H:%M").to_string(), format!("{date} {hh:02}:00"));
    s.stop().await;
}

#[tokio::test]
async fn an_occurrence_is_changed_or_cancelled_with_a_scope() {
    let Setup { s, member, email, room, first } = setup(None).await;
    let utc = chrono_tz::UTC;
    let res = book_with(
        &member,
        &room,
        &at_local(utc, first, 9),
        &at_local(utc, first, 10),
        json!({"title": "Sync", "rrule": "FREQ=WEEKLY;COUNT=4"}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let ids: Vec<String> =
        res.body["occurrences"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_string()).collect();
    let mut b = Browser::new(&s);
    b.sign_in(&email, PASSWORD).await;

    // Edit the second date "and the following": the title changes from there on.
    let edit = b.get(&format!("/reservations/{}/edit", ids[1])).await;
    assert_eq!(edit.status, 200);
    assert!(edit.html.contains("<legend>Apply to</legend>") && edit.html.contains("value=\"following\""));
    assert!(!edit.html.contains("<legend>Repeat</legend>"), "a series' rule is not edited here");
    let (csrf, version) = (edit.input("csrf"), edit.input("version"));
    let date = (first + Duration::weeks(1)).format("%Y-%m-%d").to_string();
    let res = b
        .post(
            &format!("/reservations/{}/edit", ids[1]),
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("room", &room),
                ("title", "Sync (new agenda)"),
                ("date", &date),
                ("start", "09:00"),
                ("end", "10:00"),
                ("scope", "following"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.html);
    let titles: Vec<String> = {
        let mut all = reservations(&member, &room).await;
        all.sort_by_key(|r| r["start"].as_str().unwrap().to_string());
        all.iter().map(|r| r["title"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(titles, ["Sync", "Sync (new agenda)", "Sync (new agenda)", "Sync (new agenda)"]);

    // A reservation that is not part of a series offers no scope.
    let single = member.book(&room, &at_local(utc, first, 12), &at_local(utc, first, 13)).await;
    let page = b.get(&format!("/reservations/{}/cancel", single.body["id"].as_str().unwrap())).await;
    assert!(!page.html.contains("name=\"scope\""));

    // Cancel the third date "and the following": two left.
    let page = b.get(&format!("/reservations/{}/cancel", ids[2])).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("<legend>Apply to</legend>") && page.html.contains("value=\"series\""));
    let (csrf, version) = (page.input("csrf"), page.input("version"));
    let res = b
        .post(
            &format!("/reservations/{}/cancel", ids[2]),
            &[("csrf", &csrf), ("version", &version), ("scope", "following")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.html);
    let left: Vec<String> = reservations(&member, &room)
        .await
        .iter()
        .filter(|r| r["series_id"].is_string())
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains(&ids[0]) && left.contains(&ids[1]));
    let flash = b.get("/my").await;
    assert!(flash.html.contains("from ") && flash.html.contains("Sync (new agenda)"), "{}", flash.html);

    // And the whole series from its first date.
    let page = b.get(&format!("/reservations/{}/cancel", ids[0])).await;
    let (csrf, version) = (page.input("csrf"), page.input("version"));
    let res = b
        .post(
            &format!("/reservations/{}/cancel", ids[0]),
            &[("csrf", &csrf), ("version", &version), ("scope", "series")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.html);
    assert!(reservations(&member, &room).await.iter().all(|r| !r["series_id"].is_string()), "every date cancelled");
    s.stop().await;
}

fn for_rcpt<'a>(msgs: &'a [Value], email: &str) -> Vec<&'a Value> {
    msgs.iter().filter(|m| m["rcpt_tos"].as_array().unwrap().iter().any(|r| r == email)).collect()
}

#[tokio::test]
async fn a_series_is_one_email_and_cancelling_it_another() {
    let sink = SmtpSink::start();
    let Setup { s, email, room, first, .. } = setup(Some(&sink)).await;
    let mut b = Browser::new(&s);
    let csrf = b.sign_in(&email, PASSWORD).await;
    let date = first.format("%Y-%m-%d").to_string();
    let fields = series_form(&csrf, &room, &date, &[("interval", "1"), ("attendees", "guest@example.test")]);
    let done = b.post("/book", &fields).await;
    assert_eq!(done.status, 201, "{}", done.html);

    // One message per recipient for the four dates, the series one recurring event in it.
    let created = sink.wait_for(2, |m| m["ics"]["method"] == "REQUEST").await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(sink.messages().len(), 2, "not one per occurrence: {:#?}", sink.messages());
    let api = s.sign_in(&email, PASSWORD).await;
    let mut booked: Vec<DateTime<Utc>> = reservations(&api, &room)
        .await
        .iter()
        .map(|r| DateTime::parse_from_rfc3339(r["start"].as_str().unwrap()).unwrap().to_utc())
        .collect();
    booked.sort();
    assert_eq!(booked.len(), 4);
    for who in [email.as_str(), "guest@example.test"] {
        let m = for_rcpt(&created, who);
        assert_eq!(m.len(), 1, "{who}");
        let m = m[0];
        assert!(m["subject"].as_str().unwrap().starts_with("Booked 4 dates: Team sync — Sala Norte"), "{m}");
        let text = m["text"].as_str().unwrap();
        for week in 0..4 {
            let d = (first + Duration::weeks(week)).format("%Y-%m-%d").to_string();
            assert!(text.contains(&format!("{d}  {}", hour_span(madrid_hour(first)))), "{d} in {text}");
        }
        let events = m["ics"]["events"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{m}");
        let rule = events[0]["rrule"].as_str().unwrap();
        assert!(rule.starts_with("FREQ=WEEKLY") && rule.contains("COUNT=4"), "{m}");
        assert_eq!(events[0]["status"], "CONFIRMED");
        assert_eq!(m["ics"]["content_type_method"], "REQUEST");
        // A calendar client expands it to the four dates at the booked Madrid hour.
        let from = Utc.from_utc_datetime(&first.and_hms_opt(0, 0, 0).unwrap());
        let calendar = read_calendar(m["ics"]["raw"].as_str().unwrap().as_bytes(), (from, from + Duration::weeks(8)));
        let starts: Vec<DateTime<Utc>> = expanded(&calendar).into_iter().map(|(start, _, _)| start).collect();
        assert_eq!(starts, booked, "{calendar}");
    }

    // Cancelling one date alone is an ordinary cancellation (of that occurrence of the series'
    // event); the rest of the series, one message.
    let list = reservations(&api, &room).await;
    let mut ids: Vec<(String, String)> = list
        .iter()
        .map(|r| (r["start"].as_str().unwrap().to_string(), r["id"].as_str().unwrap().to_string()))
        .collect();
    ids.sort();
    let res = api.post(&format!("/api/v1/reservations/{}/cancel", ids[0].1), json!({})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let one = sink.wait_for(2, |m| m["ics"]["method"] == "CANCEL").await;
    for m in &one {
        let event = &m["ics"]["events"][0];
        assert_eq!(event["uid"], created[0]["ics"]["uid"], "{m}");
        let at = DateTime::parse_from_rfc3339(event["recurrence_id"].as_str().unwrap()).unwrap().to_utc();
        assert_eq!(at, booked[0], "{m}");
    }
    let res = api.post(&format!("/api/v1/reservations/{}/cancel?scope=series", ids[1].1), json!({})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let cancelled =
        sink.wait_for(2, |m| m["subject"].as_str().is_some_and(|s| s.starts_with("Cancelled 3 dates"))).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(sink.messages().len(), 6, "{:#?}", sink.messages());
    for m in &cancelled {
        let events = m["ics"]["events"].as_array().unwrap();
        assert_eq!(events.len(), 3, "{m}");
        assert!(events.iter().all(|e| e["status"] == "CANCELLED"), "{m}");
        assert!(
            !m["text"].as_str().unwrap().contains(&first.format("%Y-%m-%d").to_string()),
            "the first date was cancelled before"
        );
    }
    s.stop().await;
}
