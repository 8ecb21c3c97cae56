//! The day view and the booking form over HTTP: accessible names of blocks, the phone agenda's
//! free gaps, the form's day panel, multi-day bookings and booking for someone else.

use crate::browser::Browser;
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, Api, PASSWORD, TestServer, at};
use serde_json::json;

fn day(days: i64) -> String {
    at(days, 0)[..10].to_string()
}

async fn booking(api: &Api, room: &str, title: &str, start: String, end: String) -> String {
    let res =
        api.post("/api/v1/reservations", json!({"room_id": room, "title": title, "start": start, "end": end})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_day_names_each_booking_and_lists_free_gaps_for_the_phone() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Norte", 8).await;
    let half_past_nine = at(1, 9).replace("T09:00:00", "T09:30:00");
    booking(&admin, &room, "Meeting 73", at(1, 9), half_past_nine).await;
    booking(&admin, &room, "Budget review", at(1, 11), at(1, 12)).await;
    let mut b = Browser::new(&s);
    b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = b.get(&format!("/?date={}", day(1))).await;
    assert_eq!(page.status, 200);
    // The block's text (its accessible name) is the whole title and the time.
    assert!(
        page.html.contains(
            "<span class=\"block-title\">Meeting 73</span><span class=\"sr-only\">, </span><span class=\"block-time\">09:00–09:30</span>"
        ),
        "{}",
        page.html
    );
    assert!(page.html.contains("popovertarget=\"p"), "details in a popover");
    // The agenda's gaps within the day's hours (07:00 to 21:00 here), in time order with the
    // bookings, each a link to the form with the room and the gap.
    let d = day(1);
    let gaps: Vec<String> = ["07:00&#38;end=09:00", "09:30&#38;end=11:00", "12:00&#38;end=21:00"]
        .iter()
        .map(|g| format!("<a class=\"gap\" href=\"/book?room={room}&#38;date={d}&#38;start={g}\">"))
        .collect();
    let at_of = |needle: &str| page.html.find(needle).unwrap_or_else(|| panic!("{needle} missing: {}", page.html));
    let order = [at_of(&gaps[0]), at_of("Meeting 73"), at_of(&gaps[1]), at_of("Budget review"), at_of(&gaps[2])];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "time order: {order:?}");
    // A past day offers no gaps.
    assert!(!b.get(&format!("/?date={}", day(-1))).await.html.contains("class=\"gap\""));
    s.stop().await;
}

#[tokio::test]
async fn the_forms_day_panel_lists_busy_and_free_time_of_the_room() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Norte", 8).await;
    booking(&admin, &room, "Weekly planning", at(1, 10), at(1, 11)).await;
    let mut b = Browser::new(&s);
    b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let d = day(1);
    let form = b.get(&format!("/book?room={room}&date={d}")).await;
    assert!(form.html.contains("id=\"day-panel\"") && form.html.contains("Weekly planning"), "{}", form.html);
    let panel = b.get(&format!("/book/day?room={room}&date={d}")).await;
    assert_eq!(panel.status, 200);
    assert!(!panel.html.contains("<html"), "a fragment");
    assert!(panel.html.contains("Sala Norte") && panel.html.contains("Weekly planning"), "{}", panel.html);
    // Free slots: links that reload the form with the gap's start, an hour at most, and the
    // gap's bounds for the script.
    assert!(
        panel.html.contains(&format!(
            "href=\"/book?room={room}&#38;date={d}&#38;start=07:00&#38;end=08:00\" data-start=\"07:00\" data-end=\"10:00\""
        )),
        "{}",
        panel.html
    );
    assert!(panel.html.contains("data-start=\"11:00\" data-end=\"21:00\""), "{}", panel.html);
    // No room yet: a prompt, not an error.
    let none = b.get(&format!("/book/day?room=&date={d}")).await;
    assert_eq!(none.status, 200);
    assert!(none.html.contains("Choose a room to see its day."), "{}", none.html);
    s.stop().await;
}

#[tokio::test]
async fn the_form_books_over_several_days_and_for_someone_else_when_allowed() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala Norte", 8).await;
    let (d1, d2) = (day(1), day(2));

    // Multi-day, by the member: 16:00 on one day to 10:00 the next.
    let mut m = Browser::new(&s);
    let csrf = m.sign_in(&member.email, PASSWORD).await;
    let form = m.get("/book").await;
    assert!(!form.html.contains("id=\"for_user\""), "a member has no person picker");
    let fields = [
        ("csrf", csrf.as_str()),
        ("room", &room),
        ("title", "Offsite"),
        ("date", &d1),
        ("start", "16:00"),
        ("multi_day", "1"),
        ("end_date", &d2),
        ("end", "10:00"),
    ];
    let res = m.post("/book", &fields).await;
    assert_eq!(res.status, 303, "{}", res.html);
    let list = member.get(&format!("/api/v1/reservations?room_id={room}")).await;
    let offsite = &list.body[0];
    assert_eq!(offsite["title"], "Offsite");
    assert!(offsite["start"].as_str().unwrap().starts_with(&format!("{d1}T16:00")), "{offsite}");
    assert!(offsite["end"].as_str().unwrap().starts_with(&format!("{d2}T10:00")), "{offsite}");
    // Validated like the API: an end before the start on the end date's day is refused.
    let backwards = [
        ("csrf", csrf.as_str()),
        ("room", &room),
        ("title", "Backwards"),
        ("date", &d2),
        ("start", "16:00"),
        ("multi_day", "1"),
        ("end_date", &d1),
        ("end", "10:00"),
    ];
    let res = m.post("/book", &backwards).await;
    assert_eq!(res.status, 422, "{}", res.html);
    assert!(res.html.contains("id=\"end-error\""), "{}", res.html);

    // A plain member may not book for someone else: refused next to the field, nothing booked.
    let admin_id = admin.id.clone();
    let for_admin = [
        ("csrf", csrf.as_str()),
        ("room", &room),
        ("title", "For the admin"),
        ("date", &d2),
        ("start", "12:00"),
        ("end", "13:00"),
        ("for_user", &admin_id),
    ];
    let res = m.post("/book", &for_admin).await;
    assert_eq!(res.status, 403, "{}", res.html);
    assert!(res.html.contains("You may not book for someone else."), "{}", res.html);
    assert_eq!(admin.get(&format!("/api/v1/reservations?room_id={room}")).await.body.as_array().unwrap().len(), 1);

    // The admin picks the member; the booking is the member's and says who booked it.
    let mut a = Browser::new(&s);
    let csrf = a.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let form = a.get("/book").await;
    assert!(form.html.contains("id=\"for_user\"") && form.html.contains(&member.email), "{}", form.html);
    let for_member = [
        ("csrf", csrf.as_str()),
        ("room", &room),
        ("title", "For the member"),
        ("date", &d2),
        ("start", "12:00"),
        ("end", "13:00"),
        ("for_user", &member.id),
    ];
    let res = a.post("/book", &for_member).await;
    assert_eq!(res.status, 303, "{}", res.html);
    let list = member.get(&format!("/api/v1/reservations?user_id={}", member.id)).await;
    let booked = list.body.as_array().unwrap().iter().find(|r| r["title"] == "For the member").expect("booked").clone();
    let page = m.get(&format!("/reservations/{}", booked["id"].as_str().unwrap())).await;
    assert!(page.html.contains(", for "), "booked by the admin for the member: {}", page.html);
    s.stop().await;
}
