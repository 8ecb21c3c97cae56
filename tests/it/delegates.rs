//! Named delegates: someone a member names on the profile page (or through the API) books for
//! them, and changes and cancels those bookings; nobody else does, and naming stops when the
//! member removes them.

use crate::browser::Browser;
use crate::common::{Api, PASSWORD, TestServer, at};
use serde_json::json;

async fn book_for(api: &Api, room: &str, owner: &str, day: i64) -> crate::common::Res {
    let body =
        json!({"room_id": room, "title": "Board meeting", "start": at(day, 10), "end": at(day, 11), "user_id": owner});
    api.post("/api/v1/reservations", body).await
}

#[tokio::test]
async fn a_named_delegate_books_changes_and_cancels_for_the_member() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Consejo", 10).await;
    let (director, assistant, other) =
        (admin.new_user("member").await, admin.new_user("member").await, admin.new_user("member").await);

    // Before anyone is named, booking for the director is refused.
    assert_eq!(book_for(&assistant, &room, &director.id, 2).await.status, 403);

    let named = director.put("/api/v1/users/me/delegates", json!({"delegates": [assistant.email]})).await;
    assert_eq!(named.status, 200, "{}", named.body);
    assert_eq!(named.body["delegates"][0]["email"], assistant.email.as_str());
    assert_eq!(director.get("/api/v1/users/me/delegates").await.body["delegates"].as_array().unwrap().len(), 1);

    let booked = book_for(&assistant, &room, &director.id, 2).await;
    assert_eq!(booked.status, 201, "{}", booked.body);
    assert_eq!(booked.body["user_id"], director.id.as_str());
    let id = booked.body["id"].as_str().unwrap().to_string();
    // Someone not named may neither book for the director nor touch the booking.
    assert_eq!(book_for(&other, &room, &director.id, 3).await.status, 403);
    assert_eq!(other.post(&format!("/api/v1/reservations/{id}/cancel"), json!({})).await.status, 403);
    // The delegate moves it, then cancels it.
    let moved =
        assistant.patch(&format!("/api/v1/reservations/{id}"), json!({"start": at(2, 12), "end": at(2, 13)})).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let cancelled = assistant.post(&format!("/api/v1/reservations/{id}/cancel"), json!({})).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");

    // Taken back: the delegate books for the director no more.
    let cleared = director.put("/api/v1/users/me/delegates", json!({"delegates": []})).await;
    assert_eq!(cleared.status, 200, "{}", cleared.body);
    assert_eq!(book_for(&assistant, &room, &director.id, 4).await.status, 403);
}

#[tokio::test]
async fn naming_oneself_or_a_stranger_is_refused_with_the_field() {
    let s = TestServer::start().await;
    let member = s.user("member").await;
    for who in [member.email.clone(), "nobody@example.test".to_string()] {
        let res = member.put("/api/v1/users/me/delegates", json!({"delegates": [who]})).await;
        assert_eq!(res.status, 422, "{}", res.body);
        assert_eq!(res.error_fields(), vec!["delegates".to_string()], "{}", res.body);
    }
    assert!(member.get("/api/v1/users/me/delegates").await.body["delegates"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_profile_names_and_removes_delegates_and_the_form_offers_to_book_for_them() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    admin.create_room("Sala Norte", 6).await;
    let (director, assistant) = (admin.new_user("member").await, admin.new_user("member").await);

    let mut browser = Browser::new(&s);
    let csrf = browser.sign_in(&director.email, PASSWORD).await;
    let added = browser.post("/profile/delegates", &[("csrf", &csrf), ("email", &assistant.email)]).await;
    assert_eq!(added.status, 303, "{}", added.html);
    let profile = browser.get("/profile").await;
    assert!(profile.html.contains(&assistant.email), "the delegate is listed");
    let refused = browser.post("/profile/delegates", &[("csrf", &csrf), ("email", "nobody@example.test")]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.html.contains("delegate_email-error"), "the field says what is wrong");

    // The assistant's booking form offers the director; another member's offers nobody.
    let mut theirs = Browser::new(&s);
    theirs.sign_in(&assistant.email, PASSWORD).await;
    let form = theirs.get("/book").await;
    assert!(form.html.contains("id=\"for_user\"") && form.html.contains(&director.email), "book for the director");
    let mut stranger = Browser::new(&s);
    stranger.sign_in(&admin.new_user("member").await.email, PASSWORD).await;
    assert!(!stranger.get("/book").await.html.contains("id=\"for_user\""));

    let remove = format!("/profile/delegates/{}/remove", assistant.id);
    assert_eq!(browser.post(&remove, &[("csrf", &csrf)]).await.status, 303);
    assert!(!browser.get("/profile").await.html.contains(&assistant.email), "removed");
    assert!(!theirs.get("/book").await.html.contains("id=\"for_user\""));
}
