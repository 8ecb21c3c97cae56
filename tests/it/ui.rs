//! The web UI over HTTP: every page and form, CSRF, validation messages, RBAC, languages.

use crate::browser::Browser;
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TestServer};
use serde_json::json;

fn tomorrow() -> String {
    (salas::clock::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string()
}

#[tokio::test]
async fn sign_in_sign_out_and_the_headers_of_pages() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let home = b.get("/").await;
    assert_eq!(home.status, 303);
    assert_eq!(home.location(), "/login?next=%2F");

    let login = b.get("/login").await;
    assert_eq!(login.status, 200);
    let csp = login.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(login.html.contains("<label for=\"email\">"));

    // Without the form's CSRF token: refused, nobody signed in.
    let res = b.post("/login", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)]).await;
    assert_eq!(res.status, 403);
    assert!(b.cookie("salas_session").is_none());

    // A wrong password: the form again with a message, 401.
    let csrf = login.input("csrf");
    let res = b.post("/login", &[("email", ADMIN_EMAIL), ("password", "wrong password!"), ("csrf", &csrf)]).await;
    assert_eq!(res.status, 401);
    assert!(res.html.contains("do not match"), "{}", res.html);
    assert!(res.html.contains("aria-invalid=\"true\""));

    let csrf = res.input("csrf");
    let res = b
        .post("/login", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("csrf", &csrf), ("next", "/my")])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location(), "/my");
    let cookie = res
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("salas_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let my = b.get("/my").await;
    assert_eq!(my.status, 200);
    assert!(my.html.contains("Welcome, Administrator."), "the flash message shows once");
    assert!(!b.get("/my").await.html.contains("Welcome, Administrator."));

    // Sign out needs the session's token too.
    let token = my.input("csrf");
    assert_eq!(b.post("/logout", &[("csrf", "nope")]).await.status, 403);
    let out = b.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(b.get("/").await.status, 303, "signed out");
    s.stop().await;
}

#[tokio::test]
async fn book_from_the_form_see_it_on_the_timeline_conflict_and_cancel() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Norte", 8).await;
    let mut b = Browser::new(&s);
    let csrf = b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let day = tomorrow();

    let form = b.get(&format!("/book?room={room}&date={day}&start=10:00&end=11:00")).await;
    assert_eq!(form.status, 200);
    assert!(form.html.contains(&format!("value=\"{room}\" selected")), "prefilled room");

    // The live check says the slot is free.
    let check = b.get(&format!("/book/check?room={room}&date={day}&start=10:00&end=11:00")).await;
    assert!(check.html.contains("check-free") && check.html.contains("Sala Norte is free"), "{}", check.html);

    // Without CSRF: refused, nothing booked.
    let fields =
        [("room", room.as_str()), ("title", "Quarterly review"), ("date", &day), ("start", "10:00"), ("end", "11:00")];
    assert_eq!(b.post("/book", &fields).await.status, 403);
    assert_eq!(admin.get(&format!("/api/v1/reservations?room_id={room}")).await.body.as_array().unwrap().len(), 0);

    let mut with_csrf = fields.to_vec();
    with_csrf.push(("csrf", &csrf));
    let res = b.post("/book", &with_csrf).await;
    assert_eq!(res.status, 303, "{}", res.html);
    assert!(res.location().starts_with(&format!("/?date={day}")));
    let timeline = b.get(&format!("/?date={day}")).await;
    assert!(timeline.html.contains("Booked: Sala Norte"), "flash");
    assert!(timeline.html.contains("Quarterly review"), "the block is on the timeline");
    assert!(
        timeline.html.contains("class=\"block s13 e17 mine\""),
        "10:00–11:00 with the grid starting at 07:00: {}",
        timeline.html
    );

    // The same slot again: the form comes back with the conflict named.
    let res = b.post("/book", &with_csrf).await;
    assert_eq!(res.status, 409);
    assert!(res.html.contains("already booked") && res.html.contains("Quarterly review, 10:00–11:00"), "{}", res.html);
    let check = b.get(&format!("/book/check?room={room}&date={day}&start=10:30&end=11:30")).await;
    assert!(check.html.contains("check-conflict") && check.html.contains("Quarterly review"));

    // Bad input: the message sits next to the field.
    let bad =
        [("room", room.as_str()), ("title", ""), ("date", &day), ("start", "12:00"), ("end", "11:00"), ("csrf", &csrf)];
    let res = b.post("/book", &bad).await;
    assert_eq!(res.status, 422);
    assert!(
        res.html.contains("id=\"end-error\"") && res.html.contains("The end must be after the start."),
        "{}",
        res.html
    );

    // My reservations, then cancel with confirmation.
    let mine = b.get("/my").await;
    assert!(mine.html.contains("Quarterly review"));
    let id =
        admin.get(&format!("/api/v1/reservations?room_id={room}")).await.body[0]["id"].as_str().unwrap().to_string();
    let confirm = b.get(&format!("/reservations/{id}/cancel")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.html.contains("Yes, cancel it"));
    let version = confirm.input("version");
    let res = b.post(&format!("/reservations/{id}/cancel"), &[("csrf", &csrf), ("version", &version)]).await;
    assert_eq!(res.status, 303);
    assert_eq!(admin.get(&format!("/api/v1/reservations/{id}")).await.body["status"], "cancelled");
    assert!(b.get("/my").await.html.contains("Cancelled: Quarterly review"));
    assert!(!b.get(&format!("/?date={day}")).await.html.contains("class=\"block "), "the slot is free again");
    s.stop().await;
}

#[tokio::test]
async fn edit_a_reservation_and_stale_versions() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Sur", 4).await;
    let booked = admin.book(&room, &crate::common::at(2, 9), &crate::common::at(2, 10)).await;
    let id = booked.body["id"].as_str().unwrap();
    let mut b = Browser::new(&s);
    let csrf = b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let edit = b.get(&format!("/reservations/{id}/edit")).await;
    assert_eq!(edit.status, 200);
    let (date, version) = (edit.input("date"), edit.input("version"));
    let fields = |title: &'static str, version: String| {
        vec![
            ("room", room.clone()),
            ("title", title.to_string()),
            ("date", date.clone()),
            ("start", edit.input("start")),
            ("end", edit.input("end")),
            ("csrf", csrf.clone()),
            ("version", version),
        ]
    };
    let f = fields("Renamed", version.clone());
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post(&format!("/reservations/{id}/edit"), &f).await.status, 303);
    assert_eq!(admin.get(&format!("/api/v1/reservations/{id}")).await.body["title"], "Renamed");
    // The same form again carries the old version: refused, nothing overwritten.
    let f = fields("Overwrite", version);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = b.post(&format!("/reservations/{id}/edit"), &f).await;
    assert_eq!(res.status, 412);
    assert!(res.html.contains("Someone else changed this"));
    assert_eq!(admin.get(&format!("/api/v1/reservations/{id}")).await.body["title"], "Renamed");
    s.stop().await;
}

#[tokio::test]
async fn spanish_from_the_profile_and_from_the_browser() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    b.accept_language = Some("es-ES,es;q=0.9".into());
    let login = b.get("/login").await;
    assert!(
        login.html.contains("Iniciar sesión") && login.html.contains("lang=\"es\""),
        "Accept-Language picks Spanish"
    );
    b.accept_language = None;
    let switched = b.get("/login?lang=es").await;
    assert_eq!(switched.status, 303);
    assert!(b.get("/login").await.html.contains("Iniciar sesión"), "the switch is remembered");

    let member = s.user("member").await;
    let mut b = Browser::new(&s);
    let csrf = b.sign_in(&member.email, PASSWORD).await;
    assert!(b.get("/my").await.html.contains("My reservations"));
    let res = b
        .post("/profile", &[("csrf", &csrf), ("name", "Ana"), ("language", "es"), ("timezone", "Europe/Madrid")])
        .await;
    assert_eq!(res.status, 303);
    let page = b.get("/my").await;
    assert!(page.html.contains("Mis reservas") && page.html.contains("Tu perfil está guardado."), "{}", page.html);
    let profile = b.get("/profile").await;
    assert!(profile.html.contains("value=\"Europe/Madrid\" selected"));
    s.stop().await;
}

/// A user created without a language (by an admin, here over the API) has not chosen one: their
/// pages follow the browser after sign-in, until they choose on their profile page.
#[tokio::test]
async fn a_user_who_never_chose_a_language_gets_the_browsers() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let made = admin
        .post(
            "/api/v1/users",
            json!({"email": "lucia@example.org", "name": "Lucía", "role": "member", "password": PASSWORD}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.body["language"], "", "not chosen is stored as such");
    let mut b = Browser::new(&s);
    b.accept_language = Some("es-ES,es;q=0.9,en;q=0.5".into());
    let csrf = b.sign_in("lucia@example.org", PASSWORD).await;
    assert!(b.get("/my").await.html.contains("Mis reservas"), "Spanish, as the browser asks");
    b.accept_language = Some("en-GB".into());
    assert!(b.get("/my").await.html.contains("My reservations"));
    let profile = b.get("/profile").await;
    assert!(profile.html.contains("<option value=\"\">Your browser&#39;s language</option>"), "{}", profile.html);
    // Choosing sticks, whatever the browser says.
    let saved = b.post("/profile", &[("csrf", &csrf), ("name", "Lucía"), ("language", "es"), ("timezone", "")]).await;
    assert_eq!(saved.status, 303);
    assert!(b.get("/my").await.html.contains("Mis reservas"));
    let bad =
        admin.patch(&format!("/api/v1/users/{}", made.body["id"].as_str().unwrap()), json!({"language": "fr"})).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.body["errors"][0]["field"], "language");
    s.stop().await;
}

/// The live "is it free?" answer applies the save's own rules: with `past_grace_minutes = 120`,
/// a meeting that began 30 minutes ago is free to book, in the check as in the save (the check
/// once said "already passed" after 15 minutes, whatever the setting).
#[tokio::test]
async fn the_live_check_agrees_with_the_save_on_a_start_in_the_past() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = crate::common::config(dir.path());
    c.booking.past_grace_minutes = 120;
    let s = TestServer::start_with(dir, c).await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Norte", 8).await;
    // The user's zone puts their local time near noon, so the half hour before now is one date.
    let now = salas::clock::now();
    let offset = 12 - i64::from(chrono::Timelike::hour(&now));
    let zone = if offset >= 0 { format!("Etc/GMT-{offset}") } else { format!("Etc/GMT+{}", -offset) };
    assert_eq!(admin.patch(&format!("/api/v1/users/{}", admin.id), json!({"timezone": zone})).await.status, 200);
    let local = |t: chrono::DateTime<chrono::Utc>| t + chrono::Duration::hours(offset);
    let (start, end) = (local(now - chrono::Duration::minutes(30)), local(now - chrono::Duration::minutes(15)));
    let (date, start, end) =
        (start.format("%Y-%m-%d").to_string(), start.format("%H:%M").to_string(), end.format("%H:%M").to_string());
    let mut b = Browser::new(&s);
    let csrf = b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let check = b.get(&format!("/book/check?room={room}&date={date}&start={start}&end={end}")).await;
    assert!(check.html.contains("check-free"), "{}", check.html);
    let fields = [
        ("room", room.as_str()),
        ("title", "Stand-up"),
        ("date", &date),
        ("start", &start),
        ("end", &end),
        ("csrf", &csrf),
    ];
    assert_eq!(b.post("/book", &fields).await.status, 303, "the save agrees");
    s.stop().await;
}

#[tokio::test]
async fn administration_pages_follow_the_roles() {
    let s = TestServer::start().await;
    let member = s.user("member").await;
    let manager = s.user("manager").await;
    let mut m = Browser::new(&s);
    let csrf = m.sign_in(&member.email, PASSWORD).await;
    assert_eq!(m.get("/admin/rooms").await.status, 403);
    assert_eq!(m.post("/admin/rooms", &[("csrf", &csrf), ("name", "X"), ("capacity", "3")]).await.status, 403);
    assert!(!m.get("/").await.html.contains("/admin/rooms\""), "no admin link for members");

    let mut g = Browser::new(&s);
    let csrf = g.sign_in(&manager.email, PASSWORD).await;
    assert_eq!(g.get("/admin/rooms").await.status, 200);
    assert_eq!(g.get("/admin/users").await.status, 403, "users are for admins");
    let res =
        g.post("/admin/rooms", &[("csrf", &csrf), ("name", "Sala Azul"), ("capacity", "0"), ("timezone", "")]).await;
    assert_eq!(res.status, 422);
    assert!(res.html.contains("id=\"capacity-error\""));
    assert!(res.html.contains("value=\"Sala Azul\""), "what was typed comes back");
    let res = g
        .post("/admin/rooms", &[("csrf", &csrf), ("name", "Sala Azul"), ("capacity", "6"), ("location", "Planta 1")])
        .await;
    assert_eq!(res.status, 303);
    assert!(g.get("/rooms").await.html.contains("Sala Azul"));

    let mut a = Browser::new(&s);
    let csrf = a.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let res = a
        .post("/admin/users", &[("csrf", &csrf), ("name", "Bea"), ("email", "bea@example.test"), ("role", "viewer")])
        .await;
    assert_eq!(res.status, 201);
    assert!(res.html.contains("bea@example.test was added"));
    // Not in the admin's language: Bea has not chosen one, so her browser will.
    let users = s.admin().await.get("/api/v1/users").await;
    let bea = users.body.as_array().unwrap().iter().find(|u| u["email"] == "bea@example.test").unwrap().clone();
    assert_eq!(bea["language"], "", "{bea}");
    s.stop().await;
}

#[tokio::test]
async fn errors_assets_and_page_weight() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let missing = b.get("/no/such/page").await;
    assert_eq!(missing.status, 404);
    assert!(missing.html.contains("Page not found"));
    let api_missing = b.get("/api/v1/nothing").await;
    assert_eq!(api_missing.headers.get("content-type").unwrap(), "application/problem+json");
    let bad_id = b.get("/reservations/01a2262a-2311-7316-b5cb-7aa44dcee994").await;
    assert_eq!(bad_id.status, 404);

    let home = b.get("/").await;
    let css = home.html.split("href=\"/static/").nth(1).unwrap().split('"').next().unwrap().to_string();
    let asset = b.get(&format!("/static/{css}")).await;
    assert_eq!(asset.status, 200);
    assert!(asset.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/css"));
    assert!(asset.headers.get("cache-control").unwrap().to_str().unwrap().contains("immutable"));

    // 50 rooms with bookings: the day's timeline stays small.
    let admin = s.admin().await;
    for i in 0..50 {
        let room = admin.create_room(&format!("Room {i:02}"), 4 + i % 10).await;
        for h in [9, 11, 14] {
            assert_eq!(admin.book(&room, &crate::common::at(1, h), &crate::common::at(1, h + 1)).await.status, 201);
        }
    }
    let day = b.get(&format!("/?date={}", tomorrow())).await;
    assert_eq!(day.status, 200);
    // Each block carries its details popover and each room its free gaps for the phone agenda.
    assert!(day.html.len() < 200_000, "{} bytes", day.html.len());
    assert_eq!(day.html.matches("class=\"block ").count(), 150);
    s.stop().await;
}
