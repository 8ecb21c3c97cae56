//! Room policies over HTTP: every rule and its message, location defaults against room
//! overrides, series that skip what breaks a rule, buffers and quotas under concurrency, and
//! free time and reports that follow the opening hours.

use crate::common::{Api, Res, TestServer};
use crate::support::{assert_problem, book_with, booked};
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Weekday};
use chrono_tz::Europe::Madrid;
use serde_json::{Value, json};

/// The first `wd` at least `min_days` days from today.
fn next(wd: Weekday, min_days: i64) -> NaiveDate {
    let mut d = salas::clock::now().date_naive() + Duration::days(min_days);
    while d.weekday() != wd {
        d += Duration::days(1);
    }
    d
}

/// `date` at `hh:mm` in Madrid, RFC 3339.
fn madrid(date: NaiveDate, hh: u32, mm: u32) -> String {
    Madrid.from_local_datetime(&date.and_hms_opt(hh, mm, 0).unwrap()).earliest().unwrap().to_rfc3339()
}

async fn room_with(api: &Api, name: &str, location: &str, policy: Value) -> String {
    let body =
        json!({"name": name, "capacity": 6, "timezone": "Europe/Madrid", "location": location, "policy": policy});
    let res = api.post("/api/v1/rooms", body).await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body["id"].as_str().unwrap().to_string()
}

/// The one field error of a 422 (or 409): (field, code, message).
fn reason(res: &Res) -> (String, String, String) {
    let e = &res.body["errors"][0];
    let s = |k: &str| e[k].as_str().unwrap_or_default().to_string();
    (s("field"), s("code"), s("message"))
}

fn office_hours() -> Value {
    json!({"mon": ["08:00-18:00"], "tue": ["08:00-18:00"], "wed": ["08:00-18:00"], "thu": ["08:00-18:00"],
           "fri": ["08:00-15:00"]})
}

#[tokio::test]
async fn every_rule_refuses_with_its_reason() {
    let s = TestServer::start().await;
    let (admin, member) = (s.admin().await, s.user("member").await);
    let wed = next(Weekday::Wed, 2);
    let policy = json!({
        "opening_hours": office_hours(),
        "blackouts": [{"from": wed.to_string(), "reason": "Company day"}],
        "min_duration_minutes": 15, "max_duration_minutes": 240, "horizon_days": 60,
    });
    let room = room_with(&admin, "Ruled", "", policy).await;

    let cases = [
        (
            next(Weekday::Fri, 2),
            (14, 0),
            (16, 0),
            "end",
            "outside_opening_hours",
            "The room closes at 15:00 on Fridays",
        ),
        (next(Weekday::Sun, 2), (10, 0), (11, 0), "start", "outside_opening_hours", "The room is closed on Sundays"),
        (next(Weekday::Mon, 2), (7, 0), (9, 0), "start", "outside_opening_hours", "The room opens at 08:00 on Mondays"),
        (
            next(Weekday::Mon, 2),
            (18, 30),
            (19, 0),
            "start",
            "outside_opening_hours",
            "The room closes at 18:00 on Mondays",
        ),
        (wed, (10, 0), (11, 0), "start", "blackout", "Closed: Company day"),
        (next(Weekday::Tue, 2), (10, 0), (10, 10), "end", "too_short_duration", "at least 15 minutes"),
        (next(Weekday::Tue, 2), (9, 0), (14, 0), "end", "too_long_duration", "at most 240 minutes"),
        (next(Weekday::Tue, 70), (10, 0), (11, 0), "start", "beyond_booking_horizon", "at most 60 days ahead"),
    ];
    for (date, (h1, m1), (h2, m2), field, code, message) in cases {
        let res = member.book(&room, &madrid(date, h1, m1), &madrid(date, h2, m2)).await;
        assert_problem(&res, 422);
        let (f, c, m) = reason(&res);
        assert_eq!((f.as_str(), c.as_str()), (field, code), "{date} {h1}:{m1}: {}", res.body);
        assert!(m.contains(message), "`{m}` should say `{message}`");
    }
    // The reason's values come along for clients that translate the message themselves.
    let res = member.book(&room, &madrid(wed, 10, 0), &madrid(wed, 11, 0)).await;
    assert_eq!(res.body["errors"][0]["params"]["reason"], "Company day");

    // Managers and admins are not held to the horizon; everyone is held to the opening hours.
    let far = next(Weekday::Tue, 70);
    assert_eq!(admin.book(&room, &madrid(far, 10, 0), &madrid(far, 11, 0)).await.status, 201);
    let sun = next(Weekday::Sun, 2);
    assert_eq!(admin.book(&room, &madrid(sun, 10, 0), &madrid(sun, 11, 0)).await.status, 422);

    // Inside the rules: booked. Moving it outside them is refused like a new booking; a title
    // change is not re-judged.
    let tue = next(Weekday::Tue, 2);
    let id = booked(&member, &room, &madrid(tue, 17, 0), &madrid(tue, 18, 0)).await;
    let res = member
        .patch(&format!("/api/v1/reservations/{id}"), json!({"start": madrid(sun, 10, 0), "end": madrid(sun, 11, 0)}))
        .await;
    assert_problem(&res, 422);
    assert_eq!(reason(&res).1, "outside_opening_hours");
    let res = member.patch(&format!("/api/v1/reservations/{id}"), json!({"end": madrid(tue, 18, 30)})).await;
    assert_eq!(
        reason(&res),
        ("end".into(), "outside_opening_hours".into(), "The room closes at 18:00 on Tuesdays".into())
    );
    let res = member.patch(&format!("/api/v1/reservations/{id}"), json!({"title": "Renamed"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
}

#[tokio::test]
async fn location_defaults_and_room_overrides() {
    let s = TestServer::start().await;
    let (admin, manager, member) = (s.admin().await, s.user("manager").await, s.user("member").await);
    let hq = json!({
        "opening_hours": office_hours(),
        "blackouts": [{"from": "2030-12-25", "reason": "Christmas Day"}],
        "buffer_minutes": 15,
    });
    // Only admins set a location's defaults; everyone may read them.
    assert_problem(
        &manager.send(manager.http.put(format!("{}/api/v1/locations/HQ/policy", s.url)).json(&hq)).await,
        403,
    );
    let res = admin.send(admin.http.put(format!("{}/api/v1/locations/HQ/policy", s.url)).json(&hq)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["effective_policy"]["buffer_minutes"], 15);
    let res = member.get("/api/v1/locations/hq/policy").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body["policy"]["opening_hours"]["fri"], json!(["08:00-15:00"]));
    // A bad interval names its field.
    let bad = json!({"opening_hours": {"mon": ["18:00-08:00"]}});
    let res = admin.send(admin.http.put(format!("{}/api/v1/locations/HQ/policy", s.url)).json(&bad)).await;
    assert_problem(&res, 422);
    assert!(res.error_fields()[0].starts_with("opening_hours.mon"), "{}", res.body);

    // Room A inherits everything; room B (same location, other spelling) keeps its own hours and
    // no buffer, and adds a blackout of its own to the location's.
    let a = room_with(&admin, "Inherits", "HQ", json!({})).await;
    let b_policy = json!({
        "opening_hours": {"mon": ["00:00-24:00"], "tue": ["00:00-24:00"], "wed": ["00:00-24:00"], "thu": ["00:00-24:00"],
                          "fri": ["00:00-24:00"], "sat": ["00:00-24:00"], "sun": ["00:00-24:00"]},
        "buffer_minutes": 0,
        "blackouts": [{"from": "2030-08-01", "to": "2030-08-31", "reason": "Refurbishment"}],
    });
    let b = room_with(&admin, "Own rules", "hq", b_policy).await;
    let room_a = admin.get(&format!("/api/v1/rooms/{a}")).await.body;
    assert_eq!(room_a["policy"], json!({}));
    assert_eq!(room_a["effective_policy"]["opening_hours"]["sun"], json!([]));
    assert_eq!(room_a["effective_policy"]["buffer_minutes"], 15);
    let room_b = admin.get(&format!("/api/v1/rooms/{b}")).await.body;
    assert_eq!(room_b["effective_policy"]["opening_hours"]["sun"], json!(["00:00-24:00"]));
    assert_eq!(room_b["effective_policy"]["buffer_minutes"], 0);
    let reasons: Vec<&str> = room_b["effective_policy"]["blackouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["Refurbishment", "Christmas Day"]);

    let sun = next(Weekday::Sun, 2);
    let res = member.book(&a, &madrid(sun, 10, 0), &madrid(sun, 11, 0)).await;
    assert_eq!(reason(&res).2, "The room is closed on Sundays");
    assert_eq!(member.book(&b, &madrid(sun, 10, 0), &madrid(sun, 11, 0)).await.status, 201);

    // PATCH replaces the room's settings; `{}` returns it to the location's.
    let res = admin.patch(&format!("/api/v1/rooms/{b}"), json!({"policy": {}})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["effective_policy"]["opening_hours"]["sun"], json!([]));
    // Settings that contradict each other once combined are refused.
    let res = admin
        .patch(
            &format!("/api/v1/rooms/{b}"),
            json!({"policy": {"min_duration_minutes": 90, "max_duration_minutes": 60}}),
        )
        .await;
    assert_problem(&res, 422);
    assert_eq!(res.error_fields(), ["policy.min_duration_minutes"]);
    // Removing the location's defaults: rooms are open again.
    let res = admin.send(admin.http.put(format!("{}/api/v1/locations/HQ/policy", s.url)).json(&json!({}))).await;
    assert_eq!(res.status, 200);
    assert_eq!(member.book(&a, &madrid(sun, 12, 0), &madrid(sun, 13, 0)).await.status, 201);
}

#[tokio::test]
async fn series_skip_occurrences_that_break_the_policy_and_say_why() {
    let s = TestServer::start().await;
    let (admin, member) = (s.admin().await, s.user("member").await);
    let first = next(Weekday::Tue, 2);
    let third = first + Duration::days(14);
    let policy =
        json!({"opening_hours": office_hours(), "blackouts": [{"from": third.to_string(), "reason": "Audit"}]});
    let room = room_with(&admin, "Weekly", "", policy).await;
    let (start, end) = (madrid(first, 10, 0), madrid(first, 11, 0));
    let weekly = json!({"rrule": "FREQ=WEEKLY;COUNT=4"});

    let res = book_with(&member, &room, &start, &end, weekly.clone()).await;
    assert_problem(&res, 409);
    let occurrences = res.body["occurrences"].as_array().unwrap();
    assert_eq!(occurrences.len(), 1, "{}", res.body);
    assert_eq!(occurrences[0]["reasons"][0]["code"], "blackout");
    assert_eq!(occurrences[0]["reasons"][0]["message"], format!("Closed: Audit ({third})"));

    let mut skip = weekly.clone();
    skip["on_conflict"] = json!("skip");
    let res = book_with(&member, &room, &start, &end, skip).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["occurrences"].as_array().unwrap().len(), 3);
    assert_eq!(res.body["skipped"][0]["reasons"][0]["code"], "blackout");
    assert_eq!(crate::support::parse_time(&res.body["skipped"][0]["start"]), crate::support::t(&madrid(third, 10, 0)));

    // Every occurrence too long: the request itself breaks the rule, as for one booking.
    let res = book_with(
        &member,
        &room,
        &madrid(first, 7, 0),
        &madrid(first, 8, 0),
        json!({"rrule": "FREQ=WEEKLY;COUNT=2", "on_conflict": "skip"}),
    )
    .await;
    assert_problem(&res, 422);
    assert_eq!(reason(&res).1, "outside_opening_hours");

    // Moving the series' remaining occurrences to 17:30-18:30 breaks the hours every week: nothing moves.
    let id = res_id(&member, &room).await;
    let res = member
        .patch(
            &format!("/api/v1/reservations/{id}?scope=series"),
            json!({"start": madrid(first, 17, 30), "end": madrid(first, 18, 30)}),
        )
        .await;
    assert_problem(&res, 409);
    assert_eq!(res.body["occurrences"][0]["reasons"][0]["code"], "outside_opening_hours");
}

/// The first live reservation of `room`.
async fn res_id(api: &Api, room: &str) -> String {
    let res = api.get(&format!("/api/v1/reservations?room_id={room}")).await;
    res.body[0]["id"].as_str().unwrap_or_else(|| panic!("{}", res.body)).to_string()
}

#[tokio::test]
async fn buffers_hold_under_concurrency() {
    let s = TestServer::start().await;
    let (admin, member) = (s.admin().await, s.user("member").await);
    let room = room_with(&admin, "Buffered", "", json!({"buffer_minutes": 30})).await;
    let day = next(Weekday::Tue, 2);
    booked(&member, &room, &madrid(day, 10, 0), &madrid(day, 11, 0)).await;
    let res = member.book(&room, &madrid(day, 11, 10), &madrid(day, 12, 0)).await;
    assert_problem(&res, 409);
    assert_eq!(res.body["type"], "urn:salas:problem:buffer");
    assert_eq!(reason(&res).1, "buffer_clash");
    assert_eq!(res.body["conflicts"].as_array().unwrap().len(), 1);
    assert_eq!(member.book(&room, &madrid(day, 11, 30), &madrid(day, 12, 0)).await.status, 201);

    // Eight back-to-back hours asked for at once: whatever wins, no two kept ones are closer
    // than the buffer.
    let other = next(Weekday::Wed, 2);
    let asks = (8..16).map(|h| {
        let m = member.clone();
        let room = room.clone();
        tokio::spawn(async move { m.book(&room, &madrid(other, h, 0), &madrid(other, h + 1, 0)).await.status })
    });
    let mut statuses = Vec::new();
    for ask in asks.collect::<Vec<_>>() {
        statuses.push(ask.await.unwrap());
    }
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    assert!(statuses.contains(&201) && statuses.contains(&409), "{statuses:?}");
    let from = madrid(other, 0, 0);
    let to = madrid(other + Duration::days(1), 0, 0);
    let list = member.get(&format!("/api/v1/reservations?room_id={room}&from={}&to={}", enc(&from), enc(&to))).await;
    let mut kept: Vec<(String, String)> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["start"].as_str().unwrap().to_string(), r["end"].as_str().unwrap().to_string()))
        .collect();
    kept.sort();
    assert_eq!(kept.len(), statuses.iter().filter(|s| **s == 201).count());
    for pair in kept.windows(2) {
        let (end, next_start) = (crate::support::t(&pair[0].1), crate::support::t(&pair[1].0));
        assert!(next_start - end >= Duration::minutes(30), "{pair:?}");
    }
}

fn enc(s: &str) -> String {
    crate::support::enc(s)
}

#[tokio::test]
async fn weekly_quota_holds_under_concurrency_and_spares_managers() {
    let s = TestServer::start().await;
    let (admin, manager, member) = (s.admin().await, s.user("manager").await, s.user("member").await);
    let quota = json!({"weekly_quota_hours": 3});
    let res = admin.send(admin.http.put(format!("{}/api/v1/locations/Annex/policy", s.url)).json(&quota)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let rooms = [
        room_with(&admin, "Annex 1", "Annex", json!({})).await,
        room_with(&admin, "Annex 2", "Annex", json!({})).await,
    ];
    // Five one-hour bookings in one week, all at once, across two rooms: exactly three fit.
    let day = next(Weekday::Tue, 2);
    let asks = (0..5).map(|i| {
        let (m, room) = (member.clone(), rooms[i % 2].clone());
        let h = 9 + i as u32;
        tokio::spawn(async move { m.book(&room, &madrid(day, h, 0), &madrid(day, h + 1, 0)).await })
    });
    let mut answers = Vec::new();
    for ask in asks.collect::<Vec<_>>() {
        answers.push(ask.await.unwrap());
    }
    assert_eq!(answers.iter().filter(|r| r.status == 201).count(), 3, "{answers:?}");
    for refused in answers.iter().filter(|r| r.status != 201) {
        assert_problem(refused, 422);
        let (field, code, message) = reason(refused);
        assert_eq!((field.as_str(), code.as_str()), ("start", "quota_exceeded"));
        assert!(message.contains("the limit is 3 hours a week"), "{message}");
    }
    // The next week is a new week.
    let next_week = day + Duration::days(7);
    assert_eq!(member.book(&rooms[0], &madrid(next_week, 9, 0), &madrid(next_week, 10, 0)).await.status, 201);
    // Managers are not held to the quota.
    for h in 9..14 {
        assert_eq!(
            manager
                .book(&rooms[1], &madrid(day + Duration::days(1), h, 0), &madrid(day + Duration::days(1), h + 1, 0))
                .await
                .status,
            201
        );
    }
}

/// The last Sunday of March next year: Madrid springs forward that night (a 23-hour day).
fn spring_forward_sunday() -> NaiveDate {
    let year = salas::clock::now().year() + 1;
    let mut d = NaiveDate::from_ymd_opt(year, 3, 31).unwrap();
    while d.weekday() != Weekday::Sun {
        d -= Duration::days(1);
    }
    d
}

fn all_day() -> Value {
    let day = json!(["00:00-24:00"]);
    json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day})
}

#[tokio::test]
async fn reports_measure_each_room_s_own_open_hours_across_dst() {
    let s = TestServer::start().await;
    let (admin, manager) = (s.admin().await, s.user("manager").await);
    let sunday = spring_forward_sunday();
    let put = json!({"opening_hours": {"sun": ["10:00-14:00"]}});
    let res = admin.send(admin.http.put(format!("{}/api/v1/locations/Plant/policy", s.url)).json(&put)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let around_the_clock = room_with(&admin, "Always", "", json!({"opening_hours": all_day()})).await;
    room_with(&admin, "Plant room", "Plant", json!({})).await;
    room_with(&admin, "Office hours", "", json!({})).await;
    let holiday = json!({"opening_hours": all_day(), "blackouts": [{"from": sunday.to_string(), "reason": "Fiesta"}]});
    room_with(&admin, "Closed today", "", holiday).await;
    booked(&admin, &around_the_clock, &madrid(sunday, 10, 0), &madrid(sunday, 12, 0)).await;

    let (from, to) = (madrid(sunday, 0, 0), madrid(sunday + Duration::days(1), 0, 0));
    let u = manager.get(&format!("/api/v1/reports/utilization?from={}&to={}", enc(&from), enc(&to))).await;
    assert_eq!(u.status, 200, "{}", u.body);
    let open = |name: &str| {
        let rooms = u.body["rooms"].as_array().unwrap();
        let row = rooms.iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("{name}: {}", u.body));
        (row["open_hours"].as_f64().unwrap(), row["booked_hours"].as_f64().unwrap())
    };
    // Open all day on the 23-hour day; the location's Sunday hours; the working day (Monday to
    // Friday) of a room without hours; nothing on a closed day.
    assert_eq!(open("Always"), (23.0, 2.0));
    assert_eq!(open("Plant room"), (4.0, 0.0));
    assert_eq!(open("Office hours"), (0.0, 0.0));
    assert_eq!(open("Closed today"), (0.0, 0.0));
    assert_eq!(u.body["total"]["open_hours"], 27.0);
}

#[tokio::test]
async fn free_time_and_suggestions_follow_opening_hours() {
    let s = TestServer::start().await;
    let (admin, member) = (s.admin().await, s.user("member").await);
    let policy = json!({"opening_hours": office_hours(), "buffer_minutes": 30});
    let room = room_with(&admin, "Office", "", policy).await;
    let tue = next(Weekday::Tue, 2);
    booked(&member, &room, &madrid(tue, 12, 0), &madrid(tue, 13, 0)).await;
    let (from, to) = (madrid(tue, 0, 0), madrid(tue + Duration::days(1), 0, 0));
    let a = member.get(&format!("/api/v1/rooms/{room}/availability?from={}&to={}", enc(&from), enc(&to))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let free: Vec<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> = a.body["free"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (crate::support::parse_time(&f["start"]), crate::support::parse_time(&f["end"])))
        .collect();
    let t = |h, m| crate::support::t(&madrid(tue, h, m));
    assert_eq!(free, [(t(8, 0), t(11, 30)), (t(13, 30), t(18, 0))]);

    // Sunday: closed, so the room is not free, and the next window offered is Monday 08:00.
    let sun = next(Weekday::Sun, 2);
    let window = format!("from={}&to={}", enc(&madrid(sun, 10, 0)), enc(&madrid(sun, 11, 0)));
    let free_rooms = member.get(&format!("/api/v1/availability?{window}")).await;
    assert_eq!(free_rooms.status, 200, "{}", free_rooms.body);
    assert!(free_rooms.body.as_array().unwrap().is_empty(), "{}", free_rooms.body);
    let found = member.get(&format!("/api/v1/find-room?{window}")).await;
    assert_eq!(found.status, 200, "{}", found.body);
    let next_start = crate::support::parse_time(&found.body["next_windows"][0]["start"]);
    assert_eq!(next_start, crate::support::t(&madrid(sun + Duration::days(1), 8, 0)));
}

#[tokio::test]
async fn admins_set_rules_in_the_web_ui_and_members_read_them_in_spanish() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = room_with(&admin, "Sala UI", "Sede", json!({})).await;
    let mut b = crate::browser::Browser::new(&s);
    let csrf = b.sign_in(crate::common::ADMIN_EMAIL, crate::common::ADMIN_PASSWORD).await;

    // A bad interval comes back next to its field, with what was typed kept.
    let path = format!("/admin/rooms/{room}/policy");
    let form = b.get(&path).await;
    assert_eq!(form.status, 200);
    let version = form.input("version");
    let bad = [("csrf", csrf.as_str()), ("version", &version), ("own_hours", "on"), ("hours_mon", "9-5")];
    let page = b.post(&path, &bad).await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(page.html.contains("id=\"hours_mon-error\""), "{}", page.html);
    assert_eq!(page.input("hours_mon"), "9-5");

    let good = [
        ("csrf", csrf.as_str()),
        ("version", &version),
        ("own_hours", "on"),
        ("hours_mon", "08:00-14:00"),
        ("hours_fri", "08:00-15:00"),
        ("blackouts", "2030-01-06 Reyes"),
        ("buffer_minutes", "10"),
    ];
    let saved = b.post(&path, &good).await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let api_room = admin.get(&format!("/api/v1/rooms/{room}")).await.body;
    assert_eq!(api_room["policy"]["opening_hours"]["mon"], json!(["08:00-14:00"]));
    assert_eq!(api_room["policy"]["buffer_minutes"], 10);

    // The location's defaults page.
    let loc = b.post("/admin/locations/Sede", &[("csrf", csrf.as_str()), ("horizon_days", "30")]).await;
    assert_eq!(loc.status, 303, "{}", loc.html);
    assert_eq!(admin.get("/api/v1/locations/sede/policy").await.body["policy"]["horizon_days"], 30);
    assert!(b.get("/admin/locations").await.html.contains("/admin/locations/Sede"));

    // A member sees the hours on the room page and gets the reason in Spanish while booking.
    let member = s.user("member").await;
    let res = admin.patch(&format!("/api/v1/users/{}", member.id), json!({"language": "es"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let mut m = crate::browser::Browser::new(&s);
    m.sign_in(&member.email, crate::common::PASSWORD).await;
    let page = m.get(&format!("/rooms/{room}")).await;
    assert!(page.html.contains("08:00–14:00") && page.html.contains("Cerrado"), "{}", page.html);
    let fri = next(Weekday::Fri, 2);
    let check = m.get(&format!("/book/check?room={room}&date={fri}&start=14:00&end=16:00")).await;
    assert!(check.html.contains("La sala cierra a las 15:00 los viernes."), "{}", check.html);
}
