//! Booking fields: admins define extra questions; bookings answer them through the API and the
//! form, judged like every other field (422 naming `fields.KEY`, nothing stored), and the
//! answers show on the reservation page, in the API, the event log, the CSV export and e-mails.

use crate::browser::Browser;
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, Api, SmtpSink, TestServer, at, config};
use serde_json::{Value, json};

async fn define(admin: &Api) {
    for body in [
        json!({"key": "cost_centre", "label": {"en": "Cost centre", "es": "Centro de coste"}, "kind": "text", "required": true, "position": 1}),
        json!({"key": "catering", "label": {"en": "Catering"}, "kind": "select", "options": ["none", "coffee"], "position": 2}),
        json!({"key": "guests", "label": {"en": "Guests", "es": "Invitados"}, "kind": "number", "position": 3}),
    ] {
        let res = admin.post("/api/v1/booking-fields", body).await;
        assert_eq!(res.status, 201, "{}", res.body);
    }
}

fn booking(room: &str, fields: Value) -> Value {
    json!({"room_id": room, "title": "Budget review", "start": at(2, 9), "end": at(2, 10), "fields": fields})
}

#[tokio::test]
async fn answers_are_judged_stored_and_shown_everywhere() {
    let sink = SmtpSink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    sink.configure(&mut c);
    let s = TestServer::start_with(dir, c).await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala Norte", 6).await;

    // Only admins define fields; everyone reads them, in form order.
    let refused =
        member.post("/api/v1/booking-fields", json!({"key": "x", "label": {"en": "X"}, "kind": "text"})).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    define(&admin).await;
    let listed = member.get("/api/v1/booking-fields").await;
    let keys: Vec<&str> = listed.body.as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["cost_centre", "catering", "guests"]);
    let taken =
        admin.post("/api/v1/booking-fields", json!({"key": "guests", "label": {"en": "G"}, "kind": "number"})).await;
    assert_eq!((taken.status, taken.error_fields()), (422, vec!["key".to_string()]), "{}", taken.body);
    let bad =
        admin.post("/api/v1/booking-fields", json!({"key": "menu", "label": {"en": "Menu"}, "kind": "select"})).await;
    assert_eq!((bad.status, bad.error_fields()), (422, vec!["options".to_string()]), "{}", bad.body);

    // A missing required answer, a choice not offered, a word for a number and an unknown key
    // are each named; nothing is booked.
    let res = member
        .post("/api/v1/reservations", booking(&room, json!({"catering": "wine", "guests": "many", "x": 1})))
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    let mut named = res.error_fields();
    named.sort();
    assert_eq!(named, ["fields.catering", "fields.cost_centre", "fields.guests", "fields.x"]);
    let none = admin.get(&format!("/api/v1/reservations?room_id={room}")).await;
    assert_eq!(none.body.as_array().unwrap().len(), 0, "nothing stored: {}", none.body);

    let res =
        member.post("/api/v1/reservations", booking(&room, json!({"cost_centre": " CC-104 ", "guests": 12}))).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["fields"], json!({"cost_centre": "CC-104", "guests": 12.0}));
    let id = res.body["id"].as_str().unwrap().to_string();
    let got = member.get(&format!("/api/v1/reservations/{id}")).await;
    assert_eq!(got.body["fields"]["cost_centre"], "CC-104");

    // A change replaces the answers, judged again.
    let patch = member.patch(&format!("/api/v1/reservations/{id}"), json!({"fields": {"catering": "coffee"}})).await;
    assert_eq!((patch.status, patch.error_fields()), (422, vec!["fields.cost_centre".to_string()]), "{}", patch.body);
    let patch = member
        .patch(&format!("/api/v1/reservations/{id}"), json!({"fields": {"cost_centre": "CC-7", "catering": "coffee"}}))
        .await;
    assert_eq!(patch.status, 200, "{}", patch.body);
    assert_eq!(patch.body["fields"], json!({"cost_centre": "CC-7", "catering": "coffee"}));

    // The event log carries the answers.
    let events = admin.get("/api/v1/events").await;
    let created = events.body.as_array().unwrap().iter().find(|e| e["kind"] == "reservation.created").unwrap();
    assert_eq!(created["data"]["fields"]["cost_centre"], "CC-104", "{created}");

    // The CSV export has a column per field.
    let from = at(1, 0).replace('+', "%2B").replace(':', "%3A");
    let to = at(4, 0).replace('+', "%2B").replace(':', "%3A");
    let csv = admin.http.get(format!("{}/api/v1/reports/reservations?from={from}&to={to}", admin.base));
    let csv = admin.send(csv).await;
    let text = csv.body.as_str().unwrap_or_default().to_string();
    let header = text.lines().next().unwrap_or_default();
    assert!(header.ends_with("cancelled_at,fields.cost_centre,fields.catering,fields.guests"), "{text}");
    assert!(text.lines().nth(1).unwrap_or_default().ends_with(",CC-7,coffee,"), "{text}");

    // The confirmation e-mail lists the answers with their labels.
    let mail = sink.wait_for(1, |m| m["subject"].as_str().is_some_and(|s| s.starts_with("Booked"))).await;
    assert!(mail[0]["text"].as_str().unwrap().contains("Cost centre: CC-104"), "{}", mail[0]["text"]);
    assert!(mail[0]["html"].as_str().unwrap().contains("<td>CC-104</td>"), "{}", mail[0]["html"]);

    // The reservation page shows them, labelled in the reader's language.
    let mut es = Browser::new(&s);
    es.accept_language = Some("es".into());
    es.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = es.get(&format!("/reservations/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("<dt>Centro de coste</dt><dd class=\"pre\">CC-7</dd>"), "{}", page.html);
    assert!(page.html.contains("<dt>Catering</dt><dd class=\"pre\">coffee</dd>"), "the English label stands in");

    // Deleting a field takes it off the forms; the answers given stay.
    let defs = admin.get("/api/v1/booking-fields").await;
    let catering = defs.body.as_array().unwrap().iter().find(|f| f["key"] == "catering").unwrap()["id"].clone();
    assert_eq!(admin.delete(&format!("/api/v1/booking-fields/{}", catering.as_str().unwrap())).await.status, 204);
    let kept = member.get(&format!("/api/v1/reservations/{id}")).await;
    assert_eq!(kept.body["fields"]["catering"], "coffee");
    s.stop().await;
}

#[tokio::test]
async fn the_booking_form_renders_and_judges_the_fields() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Sur", 4).await;
    define(&admin).await;
    let mut b = Browser::new(&s);
    let csrf = b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let form = b.get("/book").await;
    assert!(form.html.contains("<label for=\"field-cost_centre\">Cost centre</label>"), "{}", form.html);
    assert!(form.html.contains("name=\"field.cost_centre\""));
    assert!(form.html.contains("<option>coffee</option>"));

    let date = &at(2, 0)[..10];
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("room", room.as_str()),
        ("title", "Form booking"),
        ("date", date),
        ("start", "09:00"),
        ("end", "10:00"),
        ("field.cost_centre", ""),
        ("field.catering", ""),
        ("field.guests", "twelve"),
    ];
    let refused = b.post("/book", &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(refused.html.contains("id=\"fields.cost_centre-error\">This is required."), "{}", refused.html);
    assert!(refused.html.contains("id=\"fields.guests-error\">This value is not valid."), "{}", refused.html);
    assert!(refused.html.contains("value=\"twelve\""), "what was typed comes back");
    assert_eq!(admin.get(&format!("/api/v1/reservations?room_id={room}")).await.body.as_array().unwrap().len(), 0);

    fields[6] = ("field.cost_centre", "CC-9");
    fields[8] = ("field.guests", "3");
    let booked = b.post("/book", &fields).await;
    assert_eq!(booked.status, 303, "{}", booked.html);
    let list = admin.get(&format!("/api/v1/reservations?room_id={room}")).await;
    assert_eq!(list.body[0]["fields"], json!({"cost_centre": "CC-9", "guests": 3.0}), "{}", list.body);

    // Editing shows the answers given.
    let id = list.body[0]["id"].as_str().unwrap();
    let edit = b.get(&format!("/reservations/{id}/edit")).await;
    assert!(edit.html.contains("name=\"field.cost_centre\" maxlength=\"1000\" value=\"CC-9\""), "{}", edit.html);
    s.stop().await;
}

#[tokio::test]
async fn admins_define_fields_on_their_page() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let csrf = b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = b.get("/admin/booking-fields").await;
    assert_eq!(page.status, 200);
    let add = [
        ("csrf", csrf.as_str()),
        ("key", "room_setup"),
        ("label_en", "Room setup"),
        ("label_es", "Montaje"),
        ("kind", "select"),
        ("options", "Boardroom\nTheatre\n"),
        ("required", "on"),
        ("position", "1"),
    ];
    let saved = b.post("/admin/booking-fields", &add).await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let again = b.post("/admin/booking-fields", &add).await;
    assert_eq!(again.status, 422, "the key is taken");
    assert!(again.html.contains("id=\"key-error\""), "{}", again.html);
    let admin = s.admin().await;
    let defs = admin.get("/api/v1/booking-fields").await;
    assert_eq!(defs.body[0]["options"], json!(["Boardroom", "Theatre"]), "{}", defs.body);
    assert_eq!(defs.body[0]["required"], true);
    assert_eq!(defs.body[0]["label"], json!({"en": "Room setup", "es": "Montaje"}));
    let listed = b.get("/admin/booking-fields").await;
    assert!(listed.html.contains("<code>room_setup</code>"), "{}", listed.html);

    // A member may not open the page.
    let member = s.user("member").await;
    let mut m = Browser::new(&s);
    m.sign_in(&member.email, crate::common::PASSWORD).await;
    assert_eq!(m.get("/admin/booking-fields").await.status, 403);
    s.stop().await;
}
