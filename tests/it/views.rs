//! The week across rooms, a room's month, the small calendar and the help page, over HTTP:
//! bookings land in the right day cell, rooms hidden by access rules stay hidden, bad
//! parameters get a 400 page that says what is wrong, and signed-out visitors are sent to sign
//! in as on the day view.

use crate::browser::Browser;
use crate::common::{PASSWORD, TestServer, at};
use chrono::{Datelike, NaiveDate};
use serde_json::json;

fn date_of(rfc3339: &str) -> NaiveDate {
    rfc3339[..10].parse().unwrap()
}

/// The week table's row of `room`: its seven day cells' HTML, Monday first.
fn week_cells(html: &str, room: &str) -> Vec<String> {
    let row = html
        .split("<tr>")
        .find(|r| r.contains(&format!("href=\"/rooms/{room}\"")))
        .unwrap_or_else(|| panic!("no row for {room} in\n{html}"));
    let row = row.split("</tr>").next().unwrap();
    row.split("<td class=\"wk-cell").skip(1).map(str::to_string).collect()
}

#[tokio::test]
async fn the_week_lists_rooms_with_each_booking_in_its_day_cell() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let north = admin.create_room_on("Sala Norte", 6, "Floor 1").await;
    let south = admin.create_room_on("Sala Sur", 6, "Floor 2").await;
    let (start, end) = (at(3, 10), at(3, 12));
    let id = admin.book_titled(&north, "Quarterly review", &start, &end).await;
    let day = date_of(&start);

    let mut b = Browser::new(&s);
    b.sign_in(&admin.email, crate::common::ADMIN_PASSWORD).await;
    let page = b.get(&format!("/week?date={day}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Sala Norte") && page.html.contains("Sala Sur"));
    let cells = week_cells(&page.html, &north);
    assert_eq!(cells.len(), 7);
    let weekday = day.weekday().num_days_from_monday() as usize;
    for (i, cell) in cells.iter().enumerate() {
        assert_eq!(cell.contains("Quarterly review"), i == weekday, "cell {i}: {cell}");
    }
    let cell = &cells[weekday];
    assert!(cell.contains(&format!("href=\"/reservations/{id}\"")), "{cell}");
    assert!(cell.contains("10:00") && cell.contains("<svg class=\"wk-bars\""), "{cell}");
    // The room has no opening hours: 07:00-21:00 counts, two hours of it taken.
    assert!(cell.contains("12 h free"), "{cell}");
    assert!(cell.contains(&format!("href=\"/book?room={north}&#38;date={day}\"")), "{cell}");
    let other = &week_cells(&page.html, &south)[weekday];
    assert!(other.contains("14 h free") && !other.contains("wk-entry"), "{other}");
    // The month of the room, linked from the row.
    assert!(page.html.contains(&format!("/rooms/{north}/month?month={}", day.format("%Y-%m"))));
    // Filtering by location keeps only that location's rooms.
    let floor2 = b.get(&format!("/week?date={day}&location=Floor+2")).await;
    assert!(floor2.html.contains("Sala Sur") && !floor2.html.contains("Sala Norte"));
    // The navigation: week, day and shortcut addresses; the small calendar links to the day.
    assert!(page.html.contains("data-shortcuts"), "{}", page.html);
    assert!(page.html.contains(&format!("aria-current=\"date\">{}</a>", day.day())), "{}", page.html);
    assert!(page.html.contains(&format!("data-next=\"/week?date={}\"", day + chrono::Duration::days(7))));
    assert!(page.html.contains("<h1>Week of Monday"), "{}", page.html);

    // Spanish: weekday and month names, free time in words.
    let csrf = page.input("csrf");
    let saved =
        b.post("/profile", &[("csrf", &csrf), ("name", "Admin"), ("language", "es"), ("timezone", "UTC")]).await;
    assert!(saved.status < 400, "{}", saved.html);
    let page = b.get(&format!("/week?date={day}")).await;
    assert!(page.html.contains("lunes") && page.html.contains("Ir a una fecha"), "{}", page.html);
    assert!(week_cells(&page.html, &north)[weekday].contains("12 h libres"));
}

#[tokio::test]
async fn others_bookings_follow_the_day_views_privacy() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let open = admin.create_room_on("Sala Abierta", 6, "HQ").await;
    let hidden = admin.create_room_on("Sala Secreta", 6, "HQ").await;
    let g = admin.post("/api/v1/groups", json!({"name": "Dirección"})).await.body["id"].as_str().unwrap().to_string();
    let rule = admin
        .send(admin.http.put(format!("{}/api/v1/rooms/{hidden}/access", admin.base)).json(&json!({"see": [g]})))
        .await;
    assert!(rule.status < 300, "{}", rule.body);
    let (start, end) = (at(2, 9), at(2, 10));
    admin.book_titled(&open, "Board lunch", &start, &end).await;
    admin.book_titled(&hidden, "Merger talks", &start, &end).await;
    let day = date_of(&start);

    let mut b = Browser::new(&s);
    b.sign_in(&member.email, PASSWORD).await;
    let timeline = b.get(&format!("/?date={day}")).await;
    let week = b.get(&format!("/week?date={day}")).await;
    let month = b.get(&format!("/rooms/{open}/month?month={}", day.format("%Y-%m"))).await;
    // What the day view shows, the week and month show; what it hides, they hide.
    for (what, page) in [("day", &timeline), ("week", &week), ("month", &month)] {
        assert_eq!(page.status, 200, "{what}: {}", page.html);
        assert!(page.html.contains("Board lunch"), "{what}: {}", page.html);
        assert!(!page.html.contains("Merger talks") && !page.html.contains("Sala Secreta"), "{what}: {}", page.html);
    }
    assert_eq!(b.get(&format!("/rooms/{hidden}/month")).await.status, 404);
}

#[tokio::test]
async fn the_month_shows_bookings_on_their_days() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let north = admin.create_room_on("Sala Norte", 6, "Floor 1").await;
    let (start, end) = (at(4, 8), at(4, 9));
    let id = admin.book_titled(&north, "Team breakfast", &start, &end).await;
    // Four more on another day: three listed, "+1 more" to that day's view.
    let busy_day = at(5, 0);
    for h in 8..12 {
        admin.book_titled(&north, &format!("Slot {h}"), &at(5, h), &at(5, h + 1)).await;
    }
    let (day, busy) = (date_of(&start), date_of(&busy_day));
    let mut b = Browser::new(&s);
    b.sign_in(&admin.email, crate::common::ADMIN_PASSWORD).await;
    let room_page = b.get(&format!("/rooms/{north}")).await;
    assert!(room_page.html.contains(&format!("href=\"/rooms/{north}/month\"")), "linked from the room page");
    let page = b.get(&format!("/rooms/{north}/month?month={}", day.format("%Y-%m"))).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let cell_of = |d: NaiveDate| {
        let label = format!("href=\"/?date={d}\" aria-label=");
        let cell = page.html.split("<td class=\"mday").find(|c| c.contains(&label) && !c.contains("outside"));
        cell.map(|c| c.split("</td>").next().unwrap().to_string())
    };
    let cell = cell_of(day).expect("the booking's day is in the grid");
    assert!(cell.contains("Team breakfast") && cell.contains(&format!("/reservations/{id}")), "{cell}");
    assert!(cell.contains("08:00"), "{cell}");
    if busy.month() == day.month() {
        let cell = cell_of(busy).unwrap();
        assert!(cell.contains("Slot 8") && cell.contains("Slot 10") && !cell.contains("Slot 11"), "{cell}");
        assert!(cell.contains("+1 more"), "{cell}");
    }
    // The other days of the month show neither.
    let others = page.html.split("<td class=\"mday").filter(|c| c.contains("Team breakfast")).count();
    assert_eq!(others, 1);
    assert!(page.html.contains(&format!("<h1>Sala Norte: {}", month_name(day.month()))), "{}", page.html);
}

fn month_name(m: u32) -> &'static str {
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ][m as usize - 1]
}

#[tokio::test]
async fn bad_parameters_get_a_400_page_and_signed_out_visitors_sign_in() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let north = admin.create_room_on("Sala Norte", 6, "Floor 1").await;

    let mut anonymous = Browser::new(&s);
    let day = anonymous.get("/").await;
    for path in ["/week", &format!("/rooms/{north}/month")] {
        let res = anonymous.get(path).await;
        assert_eq!(res.status, day.status, "{path}");
        assert!(res.location().starts_with("/login?next="), "{path}: {}", res.location());
    }
    let help = anonymous.get("/help").await;
    assert_eq!(help.status, 200);

    let mut b = Browser::new(&s);
    b.sign_in(&admin.email, crate::common::ADMIN_PASSWORD).await;
    for (path, says) in [
        ("/week?date=2026-02-30".to_string(), "“2026-02-30” is not a date"),
        ("/week?date=tomorrow".to_string(), "“tomorrow” is not a date"),
        ("/week?date=99999-01-01".to_string(), "is not a date"),
        (format!("/rooms/{north}/month?month=2026-13"), "“2026-13” is not a month"),
        (format!("/rooms/{north}/month?month=%3Cb%3E"), "” is not a month"),
    ] {
        let res = b.get(&path).await;
        assert_eq!(res.status, 400, "{path}: {}", res.html);
        assert!(res.html.contains(says), "{path}: {}", res.html);
        assert_eq!(res.html.matches("<h1").count(), 1, "{path}");
        assert!(!res.html.contains("<b>"), "escaped: {path}");
    }
    // An empty date is today's week, as the day view's date field sends it.
    assert_eq!(b.get("/week?date=").await.status, 200);
    assert_eq!(b.get(&format!("/rooms/{}/month", uuid::Uuid::now_v7())).await.status, 404);
}

#[tokio::test]
async fn the_help_page_lists_views_and_shortcuts_in_both_languages() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let en = b.get("/help").await;
    for text in ["Keyboard shortcuts", "<kbd>t</kbd>", "<kbd>n</kbd>", "New booking", "Go to today", "Week"] {
        assert!(en.html.contains(text), "{text}: {}", en.html);
    }
    b.accept_language = Some("es-ES,es;q=0.9".into());
    let es = b.get("/help").await;
    for text in ["Atajos de teclado", "Nueva reserva", "Ir a hoy", "Semana"] {
        assert!(es.html.contains(text), "{text}: {}", es.html);
    }
    // Linked from every page's footer.
    assert!(b.get("/login").await.html.contains("<a href=\"/help\">Ayuda</a>"));
}
