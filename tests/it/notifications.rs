//! E-mail notifications against a real SMTP server: invitations with both parts and a valid
//! iCalendar attachment, cancellations with the same UID, reminders on the (moved) clock,
//! templates, the delivery log and the in-app notification centre.

use crate::common::{SmtpSink, TestServer, config, eventually};
use crate::support::cancel;
use serde_json::{Value, json};

/// A start `hours` from now on a whole minute, in RFC 3339.
fn in_hours(hours: i64) -> String {
    let now = salas::clock::now();
    let t = now + chrono::Duration::hours(hours);
    (t - chrono::Duration::seconds(t.timestamp() % 60)
        - chrono::Duration::nanoseconds(t.timestamp_subsec_nanos().into()))
    .to_rfc3339()
}

async fn server_with_mail(sink: &SmtpSink, clock: salas::clock::Clock) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    sink.configure(&mut c);
    c.scheduler.reminders = "* * * * * *".into(); // every second: the moved clock is noticed at once
    TestServer::start_with_clock(dir, c, clock).await
}

fn for_rcpt<'a>(msgs: &'a [Value], email: &str) -> Vec<&'a Value> {
    msgs.iter().filter(|m| m["rcpt_tos"].as_array().unwrap().iter().any(|r| r == email)).collect()
}

#[tokio::test]
async fn booking_sends_invitations_and_cancelling_sends_cancellations() {
    let sink = SmtpSink::start();
    let s = server_with_mail(&sink, salas::clock::Clock::system()).await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala Norte", 6).await;
    let (start, end) = (in_hours(30), in_hours(31));
    let res = member
        .post(
            "/api/v1/reservations",
            json!({"room_id": room, "title": "Planning", "start": start, "end": end, "attendees": ["guest@example.test"]}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_string();

    let msgs = sink.wait_for(2, |m| m["ics"]["method"] == "REQUEST").await;
    assert_eq!(msgs.len(), 2, "one per recipient: {msgs:#?}");
    for who in [member.email.as_str(), "guest@example.test"] {
        let m = for_rcpt(&msgs, who);
        assert_eq!(m.len(), 1, "{who}: {msgs:#?}");
        let m = m[0];
        assert_eq!(m["mail_from"], "salas@example.test");
        let types: Vec<&str> = m["content_types"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        for t in ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar"] {
            assert!(types.contains(&t), "{t} in {types:?}");
        }
        assert!(m["subject"].as_str().unwrap().contains("Planning"), "{m}");
        assert!(m["text"].as_str().unwrap().contains("Sala Norte"));
        assert!(m["html"].as_str().unwrap().contains("<strong>Sala Norte</strong>"));
        let ics = &m["ics"];
        assert_eq!(ics["uid"], format!("{id}@salas"));
        assert_eq!(ics["sequence"], 1);
        assert_eq!(ics["content_type_method"], "REQUEST");
        assert_eq!(ics["summary"], "Planning");
        let dtstart = chrono::DateTime::parse_from_rfc3339(ics["dtstart"].as_str().unwrap()).unwrap();
        assert_eq!(dtstart, chrono::DateTime::parse_from_rfc3339(&start).unwrap());
        assert!(ics["dtstart"].as_str().unwrap().ends_with("+00:00"), "UTC: {ics}");
        let attendees = ics["attendees"].as_array().unwrap();
        assert!(attendees.iter().any(|a| a == &json!(format!("mailto:{}", member.email))), "{ics}");
    }

    assert_eq!(cancel(&member, &id, None).await.status, 200);
    let cancels = sink.wait_for(2, |m| m["ics"]["method"] == "CANCEL").await;
    for m in &cancels {
        assert_eq!(m["ics"]["uid"], format!("{id}@salas"), "same UID");
        assert_eq!(m["ics"]["sequence"], 2, "SEQUENCE is the version");
        assert_eq!(m["ics"]["status"], "CANCELLED");
        assert!(m["subject"].as_str().unwrap().starts_with("Cancelled"));
    }

    // The delivery log has all four, sent (each is logged just after the sink has it; CI once
    // read the log between the two); the consumers have caught up.
    let log = eventually("four deliveries logged as sent", || async {
        let log = admin.get("/api/v1/admin/email/deliveries?status=sent").await;
        let n = log.body.as_array().map_or(0, Vec::len);
        if log.status == 200 && n >= 4 { Ok(log) } else { Err(format!("{} {}", log.status, log.body)) }
    })
    .await;
    assert_eq!(log.body.as_array().unwrap().len(), 4, "{}", log.body);
    let consumers = admin.get("/api/v1/admin/consumers").await;
    let names: Vec<&str> = consumers.body.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"notify.email") && names.contains(&"webhooks"), "{names:?}");
    let metrics = s.anonymous().get("/metrics").await;
    assert!(metrics.body.as_str().unwrap().contains("salas_consumer_lag_events{consumer=\"notify.email\"}"));
    assert_eq!(member.get("/api/v1/admin/consumers").await.status, 403);
    s.stop().await;
}

#[tokio::test]
async fn reminders_go_out_at_their_time_once_and_reach_the_inbox() {
    let sink = SmtpSink::start();
    let clock = salas::clock::Clock::system();
    let s = server_with_mail(&sink, clock.clone()).await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala Sur", 4).await;
    let res = member.book(&room, &in_hours(3), &in_hours(4)).await;
    assert_eq!(res.status, 201, "{}", res.body);
    sink.wait_for(1, |m| m["ics"]["method"] == "REQUEST").await;
    let is_reminder = |m: &Value| m["subject"].as_str().is_some_and(|s| s.starts_with("Reminder"));

    // 20 minutes before: not yet (the default lead time is 15 minutes).
    clock.advance(chrono::Duration::minutes(3 * 60 - 20));
    let run = admin.post("/api/v1/admin/jobs/reminders/run", json!({})).await;
    assert_eq!(run.status, 200, "{}", run.body);
    assert_eq!(run.body["last_status"], "ok");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(!sink.messages().iter().any(is_reminder), "too early");

    // 10 minutes before: the scheduler (every second here) sends it, once.
    clock.advance(chrono::Duration::minutes(10));
    let reminders = sink.wait_for(1, is_reminder).await;
    assert_eq!(for_rcpt(&reminders, &member.email).len(), 1);
    assert!(reminders[0]["subject"].as_str().unwrap().contains("15 minutes"), "{}", reminders[0]);
    admin.post("/api/v1/admin/jobs/reminders/run", json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(sink.messages().iter().filter(|m| is_reminder(m)).count(), 1, "exactly once");

    let jobs = admin.get("/api/v1/admin/jobs").await;
    let job = jobs.body.as_array().unwrap().iter().find(|j| j["name"] == "reminders").unwrap().clone();
    assert!(job["runs"].as_u64().unwrap() >= 2 && job["next_run"].is_string(), "{job}");

    // The inbox: the reminder, unread until marked; not the member's own booking, which they
    // made themselves (its e-mail confirmation went out above).
    let count = member.get("/api/v1/notifications/unread-count").await;
    assert_eq!(count.body["unread"], 1, "{}", count.body);
    let list = member.get("/api/v1/notifications").await;
    let items = list.body.as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", list.body);
    assert_eq!(items[0]["kind"], "reminder");
    let first = items[0]["id"].as_str().unwrap();
    assert_eq!(member.post(&format!("/api/v1/notifications/{first}/read"), json!({})).await.status, 200);
    assert_eq!(member.get("/api/v1/notifications/unread-count").await.body["unread"], 0);
    assert_eq!(member.post("/api/v1/notifications/read-all", json!({})).await.body["marked"], 0);
    assert_eq!(member.get("/api/v1/notifications?unread=true").await.body, json!([]));
    s.stop().await;
}

#[tokio::test]
async fn preferences_choose_language_channels_and_lead_time() {
    let sink = SmtpSink::start();
    let s = server_with_mail(&sink, salas::clock::Clock::system()).await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let prefs = member.get("/api/v1/users/me/notification-preferences").await;
    assert_eq!(prefs.body["reminder_minutes"], 15, "{}", prefs.body);
    let mut p = prefs.body.clone();
    p["reservation_created"] = json!(false);
    p["reminder_minutes"] = json!(0);
    let bad = member
        .send(member.http.put(format!("{}/api/v1/users/me/notification-preferences", member.base)).json(&p))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    p["reminder_minutes"] = json!(30);
    let ok = member
        .send(member.http.put(format!("{}/api/v1/users/me/notification-preferences", member.base)).json(&p))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["reminder_minutes"], 30);

    // A Spanish-speaking attendee gets Spanish; the member who muted creations gets nothing.
    let es = s.user("member").await;
    let res = admin.patch(&format!("/api/v1/users/{}", es.id), json!({"language": "es"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let room = admin.create_room("Sala Este", 4).await;
    let res = member
        .post(
            "/api/v1/reservations",
            json!({"room_id": room, "title": "Equipo", "start": in_hours(40), "end": in_hours(41), "attendees": [es.email]}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let msgs = sink.wait_for(1, |m| m["ics"]["method"] == "REQUEST").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let msgs = if msgs.len() > 1 { msgs } else { sink.messages() };
    assert_eq!(msgs.len(), 1, "{msgs:#?}");
    assert!(msgs[0]["subject"].as_str().unwrap().starts_with("Reservada"), "{}", msgs[0]);
    assert!(for_rcpt(&msgs, &es.email).len() == 1);
    s.stop().await;
}

#[tokio::test]
async fn templates_are_validated_previewed_saved_and_reset() {
    let sink = SmtpSink::start();
    let s = server_with_mail(&sink, salas::clock::Clock::system()).await;
    let admin = s.admin().await;
    let path = "/api/v1/admin/email/templates/reservation.created/en";
    let t = admin.get(path).await;
    assert_eq!(t.status, 200, "{}", t.body);
    assert_eq!(t.body["customized"], false);
    // Every kind in both languages.
    let listed = admin.get("/api/v1/admin/email/templates").await.body.as_array().unwrap().len();
    assert_eq!(listed, salas::notify::templates::KINDS.len() * salas::notify::templates::LANGUAGES.len());

    let put = |body: Value| {
        let admin = admin.clone();
        async move { admin.send(admin.http.put(format!("{}{path}", admin.base)).json(&body)).await }
    };
    let bad = put(json!({"subject": "{{ reservation.titel }}", "text": "x", "html": "x"})).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let bad = put(json!({"subject": "ok", "text": "{% if %}", "html": "x"})).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let good = json!({"subject": "New: {{ reservation.title }}", "text": "Room {{ room.name }}", "html": "<p>{{ room.name }}</p>"});
    let preview = admin.post(&format!("{path}/preview"), json!({"template": good})).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert_eq!(preview.body["subject"], "New: Quarterly planning");
    assert_eq!(put(good.clone()).await.status, 200);
    assert_eq!(admin.get(path).await.body["customized"], true);

    let member = s.user("member").await;
    let room = admin.create_room("Sala Oeste", 4).await;
    assert_eq!(member.book(&room, &in_hours(50), &in_hours(51)).await.status, 201);
    let msgs = sink.wait_for(1, |m| m["subject"] == "New: Meeting").await;
    assert_eq!(msgs[0]["text"].as_str().unwrap().trim(), "Room Sala Oeste");

    let reset = admin.delete(path).await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert_eq!(reset.body["customized"], false);
    assert_eq!(admin.get("/api/v1/admin/email/templates/nope/en").await.status, 404);
    assert_eq!(member.get(path).await.status, 403);

    let test = admin.post("/api/v1/admin/email/test", json!({"to": "ops@example.test"})).await;
    assert_eq!(test.status, 200, "{}", test.body);
    assert_eq!(test.body["ok"], true, "{}", test.body);
    assert!(test.body["detail"].as_str().unwrap().starts_with("250"), "{}", test.body);
    s.stop().await;
}

#[tokio::test]
async fn without_smtp_email_is_off_and_nothing_breaks() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let status = admin.get("/api/v1/admin/email").await;
    assert_eq!(status.status, 200);
    assert_eq!(status.body["enabled"], false);
    let room = admin.create_room("Sala", 4).await;
    let member = s.user("member").await;
    let for_member =
        json!({"room_id": room, "title": "Visita", "start": in_hours(5), "end": in_hours(6), "user_id": member.id});
    assert_eq!(admin.post("/api/v1/reservations", for_member).await.status, 201);
    let test = admin.post("/api/v1/admin/email/test", json!({"to": "ops@example.test"})).await;
    assert_eq!(test.status, 409, "{}", test.body);
    assert_eq!(admin.get("/api/v1/admin/email/deliveries").await.body, json!([]));
    // The in-app notification still arrives, for the member the admin booked for.
    for _ in 0..50 {
        if member.get("/api/v1/notifications/unread-count").await.body["unread"] == 1 {
            s.stop().await;
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no in-app notification");
}

#[tokio::test]
async fn a_series_invitation_is_one_recurring_event_and_a_move_addresses_its_occurrence() {
    use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
    let sink = SmtpSink::start();
    let s = server_with_mail(&sink, salas::clock::Clock::system()).await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala Serie", 6).await;
    let zone = chrono_tz::Europe::Madrid;
    let first = NaiveDate::from_ymd_opt(salas::clock::now().year() + 1, 3, 15).unwrap();
    let week = |n: i64| first + chrono::Duration::weeks(n);
    let at = |day: NaiveDate, h| zone.from_local_datetime(&day.and_hms_opt(h, 0, 0).unwrap()).single().unwrap();
    // The third date is taken, so the series skips it.
    let taken = crate::support::book_with(
        &admin,
        &room,
        &at(week(2), 10).to_rfc3339(),
        &at(week(2), 11).to_rfc3339(),
        json!({}),
    )
    .await;
    assert_eq!(taken.status, 201, "{}", taken.body);
    let res = member
        .post(
            "/api/v1/reservations",
            json!({"room_id": room, "title": "Weekly", "start": at(first, 10).to_rfc3339(), "end": at(first, 11).to_rfc3339(),
                   "rrule": "FREQ=WEEKLY;COUNT=5", "on_conflict": "skip"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let booked: Vec<(String, DateTime<Utc>)> = res.body["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_string(),
                DateTime::parse_from_rfc3339(o["start"].as_str().unwrap()).unwrap().to_utc(),
            )
        })
        .collect();
    assert_eq!(booked.len(), 4, "{}", res.body);

    let with_rule = sink.wait_for(1, |m| m["ics"]["events"][0]["rrule"].is_string()).await;
    let m = for_rcpt(&with_rule, &member.email)[0];
    assert_eq!(m["ics"]["content_type_method"], "REQUEST");
    let events = m["ics"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "one recurring event: {m}");
    let rule = events[0]["rrule"].as_str().unwrap();
    assert!(rule.starts_with("FREQ=WEEKLY") && rule.contains("COUNT=5"), "{rule}");
    let raw = m["ics"]["raw"].as_str().unwrap();
    assert!(raw.contains("DTSTART;TZID=Europe/Madrid:") && raw.contains("BEGIN:VTIMEZONE"), "{raw}");
    let window = (at(first, 0), at(week(8), 0));
    let calendar = crate::feeds::read_calendar(raw.as_bytes(), (window.0.to_utc(), window.1.to_utc()));
    let starts: Vec<DateTime<Utc>> = crate::feeds::expanded(&calendar).into_iter().map(|(s, _, _)| s).collect();
    let mut expected: Vec<DateTime<Utc>> = booked.iter().map(|(_, t)| *t).collect();
    expected.sort();
    assert_eq!(starts, expected, "the booked dates, the taken one excluded: {calendar}");
    let uid = events[0]["uid"].as_str().unwrap().to_string();

    // Moving the last date tells that occurrence of the series' event.
    let (last, slot) = booked.iter().max_by_key(|(_, t)| *t).unwrap().clone();
    let moved = member
        .patch(
            &format!("/api/v1/reservations/{last}"),
            json!({"start": at(week(4), 12).to_rfc3339(), "end": at(week(4), 13).to_rfc3339()}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let updates = sink.wait_for(1, |m| m["ics"]["events"][0]["recurrence_id"].is_string()).await;
    let event = &updates[0]["ics"]["events"][0];
    assert_eq!(event["uid"], uid.as_str(), "{}", updates[0]);
    assert_eq!(DateTime::parse_from_rfc3339(event["recurrence_id"].as_str().unwrap()).unwrap().to_utc(), slot);
    assert_eq!(
        DateTime::parse_from_rfc3339(event["dtstart"].as_str().unwrap()).unwrap().to_utc(),
        at(week(4), 12).to_utc()
    );
    s.stop().await;
}
