//! CalDAV (RFC 4791) with raw HTTP: discovery, the request bodies Thunderbird and Apple Calendar
//! send (tests/fixtures/caldav/), reports, booking by PUT through the same rules as the API,
//! DELETE, sync after a change made through the API, privacy of others' bookings, Basic
//! authentication and its lockout; and the free/busy URL.

use crate::common::{Api, TestServer, at};
use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::header::HeaderMap;
use serde_json::json;

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/caldav/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A calendar client: Basic authentication with an e-mail address and a secret.
pub struct Dav {
    pub base: String,
    pub email: String,
    pub secret: String,
    http: reqwest::Client,
}

pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Dav {
    /// A client for `api`'s user with a new API key of theirs.
    pub async fn with_key(api: &Api) -> Dav {
        let res = api.post("/api/v1/api-keys", json!({"name": "calendar"})).await;
        assert_eq!(res.status, 201, "{}", res.body);
        Dav::new(api, res.body["key"].as_str().unwrap())
    }

    pub fn new(api: &Api, secret: &str) -> Dav {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Dav { base: api.base.clone(), email: api.email.clone(), secret: secret.into(), http }
    }

    pub async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req =
            self.http.request(method, format!("{}{path}", self.base)).basic_auth(&self.email, Some(&self.secret));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.body(body.to_string()).send().await.expect("the server answers");
        let (status, headers) = (res.status().as_u16(), res.headers().clone());
        Answer { status, headers, body: res.text().await.unwrap() }
    }

    pub async fn propfind(&self, path: &str, depth: &str, body: &str) -> Answer {
        let a = self.send("PROPFIND", path, &[("depth", depth), ("content-type", "application/xml")], body).await;
        assert_eq!(a.status, 207, "PROPFIND {path}: {}", a.body);
        a
    }

    pub async fn report(&self, path: &str, body: &str) -> Answer {
        self.send("REPORT", path, &[("depth", "1"), ("content-type", "application/xml")], body).await
    }

    pub async fn put(&self, path: &str, headers: &[(&str, &str)], ics: &str) -> Answer {
        let mut all = vec![("content-type", "text/calendar; charset=utf-8")];
        all.extend_from_slice(headers);
        self.send("PUT", path, &all, ics).await
    }
}

/// A VEVENT from `start` to `end` as the client writes them (`TZID=…:…`, `…Z` or floating).
pub fn vevent(uid: &str, title: &str, start: &str, end: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Salas tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART{start}\r\nDTEND{end}\r\nSUMMARY:{title}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// `days` from today at `hour`:00 Madrid time: the instant and its local text.
fn madrid(days: i64, hour: u32) -> (DateTime<Utc>, String) {
    let date = salas::clock::now().date_naive() + Duration::days(days);
    let local = date.and_hms_opt(hour, 0, 0).unwrap();
    let instant = chrono_tz::Europe::Madrid.from_local_datetime(&local).unwrap().with_timezone(&Utc);
    (instant, local.format("%Y%m%dT%H%M%S").to_string())
}

fn utc_text(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The reservations of `room` the API lists, as (title, start, status).
async fn listed(api: &Api, room: &str) -> Vec<(String, DateTime<Utc>, String)> {
    let res = api.get(&format!("/api/v1/reservations?room_id={room}&include_cancelled=true")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let start = DateTime::parse_from_rfc3339(r["start"].as_str().unwrap()).unwrap().to_utc();
            (r["title"].as_str().unwrap().to_string(), start, r["status"].as_str().unwrap().to_string())
        })
        .collect()
}

#[tokio::test]
async fn discovery_with_the_bodies_thunderbird_and_apple_calendar_send() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Goya", 8).await;
    let member = admin.new_user("member").await;
    let dav = Dav::with_key(&member).await;

    // RFC 6764: the well-known address leads to the server's root.
    let a = dav.send("PROPFIND", "/.well-known/caldav", &[("depth", "0")], "").await;
    assert!(matches!(a.status, 301 | 308), "{}", a.status);
    assert_eq!(a.headers["location"], "/dav/");
    let a = dav.send("OPTIONS", "/dav/", &[], "").await;
    assert_eq!(a.status, 200);
    assert!(a.headers["dav"].to_str().unwrap().contains("calendar-access"));

    let principal = format!("/dav/principals/{}/", member.id);
    let home = format!("/dav/calendars/{}/", member.id);
    let root = r#"<propfind xmlns="DAV:"><prop><current-user-principal/></prop></propfind>"#;
    let a = dav.propfind("/dav/", "0", root).await;
    assert!(a.body.contains(&format!("<d:current-user-principal><d:href>{principal}</d:href>")), "{}", a.body);

    let a = dav.propfind(&principal, "0", &fixture("apple-principal-propfind.xml")).await;
    assert!(a.body.contains(&format!("<c:calendar-home-set><d:href>{home}</d:href>")), "{}", a.body);
    assert!(a.body.contains(&format!("mailto:{}", member.email)), "{}", a.body);
    // What Salas does not have is answered 404 in its own propstat, not an error.
    assert!(a.body.contains("dropbox-home-URL") && a.body.contains("404 Not Found"), "{}", a.body);

    let a = dav.propfind(&home, "1", &fixture("apple-home-propfind.xml")).await;
    let room_href = format!("{home}{room}/");
    assert!(a.body.contains(&format!("<d:href>{room_href}</d:href>")), "{}", a.body);
    assert!(a.body.contains("<d:displayname>Sala Goya</d:displayname>"), "{}", a.body);
    assert!(a.body.contains(&format!("<d:href>{home}mine/</d:href>")), "{}", a.body);
    assert!(a.body.contains("<c:calendar/>") && a.body.contains("<d:sync-token>urn:salas:sync:"), "{}", a.body);

    let a = dav.propfind(&room_href, "0", &fixture("thunderbird-collection-propfind.xml")).await;
    assert!(a.body.contains(r#"<c:comp name="VEVENT"/>"#), "{}", a.body);
    assert!(a.body.contains("<cs:getctag>") && a.body.contains("<d:write-content/>"), "{}", a.body);
    assert!(a.body.contains("<c:calendar-multiget/>") && a.body.contains("<d:sync-collection/>"), "{}", a.body);

    // Someone else's tree is not there.
    let other = format!("/dav/calendars/{}/", admin.id);
    assert_eq!(dav.send("PROPFIND", &other, &[("depth", "0")], "").await.status, 404);
}

#[tokio::test]
async fn put_books_through_the_api_rules_and_delete_cancels() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Velázquez", 8).await;
    let member = admin.new_user("member").await;
    let dav = Dav::with_key(&member).await;
    let coll = format!("/dav/calendars/{}/{room}/", member.id);

    // A free slot, in Madrid time: booked at that instant, under the client's own name and UID.
    let (start, local_start) = madrid(10, 10);
    let (_, local_end) = madrid(10, 11);
    let ics = vevent(
        "client-uid-1",
        "Planning",
        &format!(";TZID=Europe/Madrid:{local_start}"),
        &format!(";TZID=Europe/Madrid:{local_end}"),
    );
    let event = format!("{coll}client-uid-1.ics");
    let a = dav.put(&event, &[("if-none-match", "*")], &ics).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.headers["etag"], "\"1\"");
    assert_eq!(listed(&admin, &room).await, [("Planning".to_string(), start, "confirmed".to_string())]);
    let a = dav.send("GET", &event, &[], "").await;
    assert_eq!(a.status, 200);
    assert!(a.body.contains("UID:client-uid-1") && a.body.contains("SUMMARY:Planning"), "{}", a.body);
    assert!(a.body.contains(&format!("DTSTART:{}", utc_text(start))), "{}", a.body);

    // The same name again with If-None-Match: * is refused: it exists.
    assert_eq!(dav.put(&event, &[("if-none-match", "*")], &ics).await.status, 412);

    // Over a taken slot (UTC times this time): 409 with a DAV:error naming why; nothing stored.
    let taken = vevent(
        "client-uid-2",
        "Clash",
        &format!(":{}", utc_text(start)),
        &format!(":{}", utc_text(start + Duration::minutes(30))),
    );
    let a = dav.put(&format!("{coll}client-uid-2.ics"), &[("if-none-match", "*")], &taken).await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(a.body.contains("<d:error") && a.body.contains("<s:no-conflict/>"), "{}", a.body);
    assert!(a.body.contains("already booked"), "{}", a.body);
    assert_eq!(listed(&admin, &room).await.len(), 1);
    assert_eq!(dav.send("GET", &format!("{coll}client-uid-2.ics"), &[], "").await.status, 404);

    // A floating time is the room's wall-clock time. If-Match with the ETag reschedules; a stale
    // ETag is refused.
    let (later, local_later) = madrid(10, 15);
    let (_, local_later_end) = madrid(10, 16);
    let moved = vevent("client-uid-1", "Planning", &format!(":{local_later}"), &format!(":{local_later_end}"));
    assert_eq!(dav.put(&event, &[("if-match", "\"7\"")], &moved).await.status, 412);
    let a = dav.put(&event, &[("if-match", "\"1\"")], &moved).await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(a.headers["etag"], "\"2\"");
    assert_eq!(listed(&admin, &room).await, [("Planning".to_string(), later, "confirmed".to_string())]);

    // A room rule (here: the booking is in the past) is a 409 too, with the reason.
    let past = vevent("old", "Old", ":20200101T100000Z", ":20200101T110000Z");
    let a = dav.put(&format!("{coll}old.ics"), &[], &past).await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(a.body.contains("<s:booking-rule/>") && a.body.contains("<s:reason"), "{}", a.body);
    // No right to book: a viewer gets 403.
    let viewer_api = admin.new_user("viewer").await;
    let viewer = Dav::with_key(&viewer_api).await;
    let viewer_coll = format!("/dav/calendars/{}/{room}/", viewer_api.id);
    let a = viewer
        .put(&format!("{viewer_coll}v.ics"), &[], &vevent("v", "V", ":20300101T100000Z", ":20300101T110000Z"))
        .await;
    assert_eq!(a.status, 403, "{}", a.body);

    // DELETE cancels.
    let a = dav.send("DELETE", &event, &[], "").await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(listed(&admin, &room).await[0].2, "cancelled");
    assert_eq!(dav.send("GET", &event, &[], "").await.status, 404);
}

#[tokio::test]
async fn an_approval_room_shows_a_pending_booking_as_tentative() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Aprobación", 8).await;
    let res = admin.patch(&format!("/api/v1/rooms/{room}"), json!({"requires_approval": true})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let member = admin.new_user("member").await;
    let dav = Dav::with_key(&member).await;
    let event = format!("/dav/calendars/{}/{room}/ask.ics", member.id);
    let a = dav.put(&event, &[], &vevent("ask", "Ask", ":20300301T100000Z", ":20300301T110000Z")).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(listed(&admin, &room).await[0].2, "pending");
    let a = dav.send("GET", &event, &[], "").await;
    assert!(a.body.contains("STATUS:TENTATIVE"), "{}", a.body);
}

#[tokio::test]
async fn reports_sync_and_what_others_see() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Sorolla", 8).await;
    let owner = admin.new_user("member").await;
    let body = json!({"room_id": room, "title": "Budget review", "description": "salaries of everyone",
        "start": at(5, 9), "end": at(5, 10)});
    let res = owner.post("/api/v1/reservations", body).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let booked = res.body["id"].as_str().unwrap().to_string();

    let viewer = admin.new_user("member").await;
    let dav = Dav::with_key(&viewer).await;
    let coll = format!("/dav/calendars/{}/{room}/", viewer.id);

    // Thunderbird's etag query over a time range finds the booking; one outside it does not.
    let range = |from: DateTime<Utc>, to: DateTime<Utc>| {
        fixture("thunderbird-etag-query.xml").replace("{START}", &utc_text(from)).replace("{END}", &utc_text(to))
    };
    let start: DateTime<Utc> = at(5, 9).parse().unwrap();
    let a = dav.report(&coll, &range(start - Duration::hours(1), start + Duration::hours(1))).await;
    assert_eq!(a.status, 207, "{}", a.body);
    let href = format!("{coll}{booked}.ics");
    assert!(a.body.contains(&href) && a.body.contains("<d:getetag>\"1\"</d:getetag>"), "{}", a.body);
    let a = dav.report(&coll, &range(start + Duration::days(1), start + Duration::days(2))).await;
    assert!(!a.body.contains(&href), "{}", a.body);

    // Multiget: the data of the one that exists; 404 for the other. Others' bookings show as
    // busy with their title, never their description.
    let multiget =
        fixture("thunderbird-multiget.xml").replace("{HREF}", &href).replace("{MISSING}", &format!("{coll}nope.ics"));
    let a = dav.report(&coll, &multiget).await;
    assert_eq!(a.status, 207, "{}", a.body);
    assert!(a.body.contains("SUMMARY:Budget review") && a.body.contains("TRANSP:OPAQUE"), "{}", a.body);
    assert!(!a.body.contains("salaries"), "{}", a.body);
    assert!(a.body.contains(&format!("{coll}nope.ics</d:href><d:status>HTTP/1.1 404")), "{}", a.body);
    // The owner sees their description in their own calendar.
    let mine = Dav::with_key(&owner).await;
    let a = mine.send("GET", &format!("/dav/calendars/{}/mine/{booked}.ics", owner.id), &[], "").await;
    assert!(a.body.contains("salaries of everyone"), "{}", a.body);

    // Sync (Apple Calendar's body): from nothing, then after changes made through the API.
    let sync = |token: &str| fixture("apple-sync-collection.xml").replace("{TOKEN}", token);
    let a = dav.report(&coll, &sync("")).await;
    assert_eq!(a.status, 207, "{}", a.body);
    assert!(a.body.contains(&href), "{}", a.body);
    let token = between(&a.body, "<d:sync-token>", "</d:sync-token>");
    let nothing = dav.report(&coll, &sync(&token)).await;
    assert!(!nothing.body.contains("<d:response>"), "{}", nothing.body);

    let res = owner.post(&format!("/api/v1/reservations/{booked}/cancel"), json!({})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let res = owner.book(&room, &at(6, 9), &at(6, 10)).await;
    let added = res.body["id"].as_str().unwrap().to_string();
    let a = dav.report(&coll, &sync(&token)).await;
    assert_eq!(a.status, 207, "{}", a.body);
    assert!(a.body.contains(&format!("{href}</d:href><d:status>HTTP/1.1 404")), "{}", a.body);
    assert!(a.body.contains(&format!("{coll}{added}.ics</d:href><d:propstat>")), "{}", a.body);
    assert_ne!(between(&a.body, "<d:sync-token>", "</d:sync-token>"), token);
    let a = dav.report(&coll, &sync("urn:salas:sync:999999999")).await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body.contains("<d:valid-sync-token/>"), "{}", a.body);

    // free-busy-query on the room's calendar.
    let fb = format!(
        r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="{}" end="{}"/></C:free-busy-query>"#,
        utc_text(start),
        utc_text(start + Duration::days(3))
    );
    let a = dav.report(&coll, &fb).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let added_start: DateTime<Utc> = at(6, 9).parse().unwrap();
    assert!(a.body.contains(&format!("FREEBUSY;FBTYPE=BUSY:{}/", utc_text(added_start))), "{}", a.body);
}

fn between(text: &str, a: &str, b: &str) -> String {
    let start = text.find(a).unwrap_or_else(|| panic!("{a} in {text}")) + a.len();
    let end = start + text[start..].find(b).unwrap();
    text[start..end].to_string()
}

#[tokio::test]
async fn basic_auth_refuses_bad_secrets_and_locks_out_like_sign_in() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = admin.new_user("member").await;
    let good = Dav::with_key(&member).await;
    let a = good.send("PROPFIND", "/dav/", &[("depth", "0")], "").await;
    assert_eq!(a.status, 207, "{}", a.body);
    // The password works too, where local passwords are on.
    assert_eq!(Dav::new(&member, crate::common::PASSWORD).send("PROPFIND", "/dav/", &[], "").await.status, 207);

    // No credentials, and a key of someone else's: 401 with the Basic challenge.
    let anonymous =
        reqwest::Client::new().request(reqwest::Method::from_bytes(b"PROPFIND").unwrap(), format!("{}/dav/", s.url));
    let res = anonymous.send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"].to_str().unwrap(), r#"Basic realm="Salas", charset="UTF-8""#);
    let admin_key = Dav::with_key(&admin).await.secret;
    let stolen = Dav::new(&member, &admin_key);
    assert_eq!(stolen.send("PROPFIND", "/dav/", &[], "").await.status, 401);

    // Failures count like sign-in failures: after five, even the right key waits.
    let wrong = Dav::new(&member, "salas_0000");
    for _ in 0..4 {
        assert_eq!(wrong.send("PROPFIND", "/dav/", &[], "").await.status, 401);
    }
    let a = good.send("PROPFIND", "/dav/", &[], "").await;
    assert_eq!(a.status, 429, "{}", a.body);
    assert!(a.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn the_free_busy_url_answers_with_a_token_or_the_feed_token() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Zurbarán", 8).await;
    let member = admin.new_user("member").await;
    assert_eq!(member.book(&room, &at(3, 9), &at(3, 10)).await.status, 201);
    let (from, to) = (at(2, 0), at(4, 0));
    let q = format!("from={}&to={}", urlencode(&from), urlencode(&to));
    let busy = format!("FREEBUSY;FBTYPE=BUSY:{}/", utc_text(at(3, 9).parse().unwrap()));

    let res = member.get(&format!("/api/v1/rooms/{room}/freebusy.ifb?{q}")).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert!(res.header("content-type").unwrap().starts_with("text/calendar"));
    let text = res.body.as_str().unwrap();
    assert!(text.contains("BEGIN:VFREEBUSY") && text.contains(&busy), "{text}");

    // Without credentials, with the room's feed token (from its ics_url).
    let ics_url = admin.get(&format!("/api/v1/rooms/{room}")).await.body["ics_url"].as_str().unwrap().to_string();
    let token = ics_url.rsplit('/').next().unwrap().trim_end_matches(".ics").to_string();
    let anonymous = s.anonymous();
    let res = anonymous.get(&format!("/api/v1/rooms/{room}/freebusy.ifb?{q}&token={token}")).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert!(res.body.as_str().unwrap().contains(&busy));
    assert_eq!(anonymous.get(&format!("/api/v1/rooms/{room}/freebusy.ifb?{q}&token=00")).await.status, 404);
    assert_eq!(anonymous.get(&format!("/api/v1/rooms/{room}/freebusy.ifb?{q}")).await.status, 401);

    // A bad time names its parameter.
    let res = member.get(&format!("/api/v1/rooms/{room}/freebusy.ifb?from=soon&to={}", urlencode(&to))).await;
    assert_eq!(res.status, 422, "{:?}", res.body);
    assert_eq!(res.error_fields(), ["from"]);
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

/// The Python `caldav` library (tests/it/caldav_client.py): discovery, listing, a time-range
/// search, booking a free slot, refused over a taken one, sync after an API change, delete.
#[tokio::test]
async fn the_python_caldav_library_books_searches_syncs_and_deletes() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Python", 8).await;
    let member = admin.new_user("member").await;
    assert_eq!(member.book(&room, &at(7, 9), &at(7, 10)).await.status, 201);
    let dav = Dav::with_key(&member).await;
    let day: DateTime<Utc> = at(7, 0).parse().unwrap();
    let config = json!({"base": s.url, "email": member.email, "key": dav.secret, "room": "Sala Python",
        "room_id": room, "token": member.token, "day": day.format("%Y-%m-%d").to_string(), "free": 12, "taken": 9});
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/caldav_client.py");
    // On a blocking thread: the script talks to the server, which runs on this test's runtime.
    // The caldav library is in a virtual environment of its own (.ci/run makes it): it brings
    // urllib3-future, which would break schemathesis next to it. Without one, the system's.
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/target/venv-caldav/bin/python3");
    let python = if std::path::Path::new(venv).exists() { venv } else { "python3" };
    let run = move || std::process::Command::new(python).arg(script).arg(config.to_string()).output();
    let out = tokio::task::spawn_blocking(run).await.unwrap().expect("python3 runs");
    assert!(out.status.success(), "caldav_client.py failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    assert!(seen["calendars"].as_array().unwrap().iter().any(|c| c == "Sala Python"), "{seen}");
    assert_eq!(seen["found"], json!(["Meeting"]), "{seen}");
    assert!(seen["refused"].is_string(), "a PUT over a taken slot was accepted: {seen}");
    assert_eq!(seen["synced"], json!(["Booked in the API"]), "{seen}");
    assert_eq!(seen["after_delete"], json!(["Booked in the API", "Meeting"]), "{seen}");

    // What the API says: the client's booking was made and then cancelled; the refused one was
    // never stored.
    let titles: Vec<(String, String)> = listed(&admin, &room).await.into_iter().map(|(t, _, s)| (t, s)).collect();
    assert!(titles.contains(&("From caldav".into(), "cancelled".into())), "{titles:?}");
    assert!(!titles.iter().any(|(t, _)| t == "Over a taken slot"), "{titles:?}");
}

/// vdirsyncer (Debian's package) syncs a room's calendar into a folder: one .ics file a booking.
#[tokio::test]
async fn vdirsyncer_syncs_a_room_calendar_into_a_folder() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Vdir", 8).await;
    let member = admin.new_user("member").await;
    assert_eq!(member.book(&room, &at(4, 9), &at(4, 10)).await.status, 201);
    let dav = Dav::with_key(&member).await;
    let event = format!("/dav/calendars/{}/{room}/from-client.ics", member.id);
    // Within what a collection lists without a time range (a quarter back, about a year ahead).
    let (from, to): (DateTime<Utc>, DateTime<Utc>) = (at(4, 12).parse().unwrap(), at(4, 13).parse().unwrap());
    let ics = vevent("from-client", "Put by a client", &format!(":{}", utc_text(from)), &format!(":{}", utc_text(to)));
    assert_eq!(dav.put(&event, &[], &ics).await.status, 201);

    let dir = tempfile::tempdir().unwrap();
    let (status, local) = (dir.path().join("status"), dir.path().join("local"));
    std::fs::create_dir_all(&local).unwrap();
    let config = format!(
        "[general]\nstatus_path = \"{}/\"\n\n[pair room]\na = \"remote\"\nb = \"local\"\ncollections = null\nconflict_resolution = \"a wins\"\n\n\
         [storage remote]\ntype = \"caldav\"\nurl = \"{}/dav/calendars/{}/{room}/\"\nusername = \"{}\"\npassword = \"{}\"\nread_only = true\n\n\
         [storage local]\ntype = \"filesystem\"\npath = \"{}/\"\nfileext = \".ics\"\n",
        status.display(),
        s.url,
        member.id,
        member.email,
        dav.secret,
        local.display()
    );
    let config_file = dir.path().join("config");
    std::fs::write(&config_file, config).unwrap();
    for step in ["discover", "sync"] {
        let file = config_file.clone();
        let run = move || std::process::Command::new("vdirsyncer").arg("-c").arg(file).arg(step).output();
        let out = tokio::task::spawn_blocking(run).await.unwrap().expect("vdirsyncer runs (apt install vdirsyncer)");
        assert!(out.status.success(), "vdirsyncer {step}:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut summaries: Vec<String> = std::fs::read_dir(&local)
        .unwrap()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .flat_map(|text| {
            text.lines().filter_map(|l| l.strip_prefix("SUMMARY:").map(str::to_string)).collect::<Vec<_>>()
        })
        .collect();
    summaries.sort();
    assert_eq!(summaries, ["Meeting", "Put by a client"]);
}
