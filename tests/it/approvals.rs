//! Approvals end to end over HTTP: rooms that require approval create pending reservations that
//! hold their slot; managers approve or decline them (one or a series' worth), members cannot;
//! owners and approvers are told by e-mail (a real SMTP server) and in the inbox.

use crate::browser::Browser;
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, Api, PASSWORD, SmtpSink, TestServer, at, config};
use crate::support::{assert_problem, book_with, post_raw};
use serde_json::{Value, json};

async fn server_with_mail(sink: &SmtpSink) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    sink.configure(&mut c);
    TestServer::start_with(dir, c).await
}

async fn approval_room(admin: &Api, name: &str) -> String {
    let res = admin
        .post(
            "/api/v1/rooms",
            json!({"name": name, "capacity": 8, "timezone": "Europe/Madrid", "requires_approval": true}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body["id"].as_str().unwrap().to_string()
}

fn problem_code(res: &crate::common::Res) -> String {
    res.body["type"].as_str().unwrap_or_default().rsplit(':').next().unwrap_or_default().to_string()
}

fn to(m: &Value, email: &str) -> bool {
    m["rcpt_tos"].as_array().is_some_and(|r| r.iter().any(|r| r == email))
}

fn subject_starts(m: &Value, prefix: &str) -> bool {
    m["subject"].as_str().is_some_and(|s| s.starts_with(prefix))
}

#[tokio::test]
async fn a_pending_request_holds_its_slot_until_a_manager_approves_it() {
    let sink = SmtpSink::start();
    let s = server_with_mail(&sink).await;
    let admin = s.admin().await;
    let manager = s.user("manager").await;
    let member = s.user("member").await;
    let other = s.user("member").await;
    let room = approval_room(&admin, "Sala Consejo").await;

    let res = member.book(&room, &at(2, 10), &at(2, 11)).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["status"], "pending");
    let id = res.body["id"].as_str().unwrap().to_string();

    // The slot is held: another member's overlapping booking is a conflict naming the request.
    let clash = other.book(&room, &at(2, 10), &at(2, 12)).await;
    assert_problem(&clash, 409);
    assert_eq!(clash.body["conflicts"][0]["id"], id.as_str(), "{}", clash.body);
    // Managers' own bookings skip approval.
    let direct = manager.book(&room, &at(3, 10), &at(3, 11)).await;
    assert_eq!(direct.body["status"], "confirmed", "{}", direct.body);

    // The queue: managers see it; a member sees nothing they could approve and cannot approve.
    let queue = manager.get("/api/v1/approvals").await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    let queued: Vec<&str> = queue.body.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(queued, [id.as_str()]);
    assert_eq!(member.get("/api/v1/approvals").await.body, json!([]));
    let refused = member.post(&format!("/api/v1/reservations/{id}/approve"), json!({})).await;
    assert_problem(&refused, 403);
    let viewer = s.user("viewer").await;
    assert_problem(&viewer.post(&format!("/api/v1/reservations/{id}/decline"), json!({})).await, 403);

    // Owner told of the request; the approvers (the manager and the admin) asked to decide.
    sink.wait_for(1, |m| to(m, &member.email) && subject_starts(m, "Waiting for approval")).await;
    let asks = sink.wait_for(2, |m| subject_starts(m, "Approval needed")).await;
    assert!(asks.iter().any(|m| to(m, &manager.email)) && asks.iter().any(|m| to(m, &admin.email)));
    assert!(!asks.iter().any(|m| to(m, &other.email)), "members are not approvers");

    let approved = manager.post(&format!("/api/v1/reservations/{id}/approve"), json!({})).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["status"], "confirmed");
    assert_eq!(approved.body["decided_by"], manager.id.as_str());
    assert!(approved.body["decided_at"].is_string());
    assert_eq!(approved.header("etag"), Some(format!("\"{}\"", approved.body["version"]).as_str()));
    // Only pending reservations are decided.
    let again = manager.post(&format!("/api/v1/reservations/{id}/approve"), json!({})).await;
    assert_problem(&again, 409);
    assert_eq!(problem_code(&again), "not_pending");
    assert_eq!(manager.get("/api/v1/approvals").await.body, json!([]));
    assert_problem(&other.book(&room, &at(2, 10), &at(2, 12)).await, 409);

    // The owner hears of it by e-mail, with the invitation, and in the inbox.
    let mail = sink.wait_for(1, |m| to(m, &member.email) && subject_starts(m, "Approved")).await;
    assert_eq!(mail[0]["ics"]["method"], "REQUEST");
    assert!(mail[0]["text"].as_str().unwrap().contains("Sala Consejo"));
    let mut kinds = Vec::new();
    for _ in 0..100 {
        let inbox = member.get("/api/v1/notifications").await;
        kinds = inbox.body.as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_string()).collect();
        if !kinds.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Not their own request: they made it. The consumer follows the log in order, so the
    // request was handled before the approval arrived.
    assert_eq!(kinds, ["reservation.approved"]);

    // The event log records the decision, in the same transaction as the change.
    let events = admin.get("/api/v1/events").await;
    let approvals: Vec<&Value> =
        events.body.as_array().unwrap().iter().filter(|e| e["kind"] == "reservation.approved").collect();
    assert_eq!(approvals.len(), 1);
    assert_eq!(
        (approvals[0]["subject"].as_str(), approvals[0]["data"]["status"].as_str()),
        (Some(id.as_str()), Some("confirmed"))
    );
}

#[tokio::test]
async fn declining_frees_the_slot_and_tells_the_owner_why() {
    let sink = SmtpSink::start();
    let s = server_with_mail(&sink).await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let other = s.user("member").await;
    let room = approval_room(&admin, "Sala Prensa").await;
    let id = member.book(&room, &at(4, 9), &at(4, 10)).await.body["id"].as_str().unwrap().to_string();

    let too_long = admin.post(&format!("/api/v1/reservations/{id}/decline"), json!({"reason": "x".repeat(1001)})).await;
    assert_problem(&too_long, 422);
    assert_eq!(too_long.error_fields(), ["reason"]);
    let declined = admin
        .post(&format!("/api/v1/reservations/{id}/decline"), json!({"reason": "The room is closed for painting."}))
        .await;
    assert_eq!(declined.status, 200, "{}", declined.body);
    assert_eq!(
        (declined.body["status"].as_str(), declined.body["decline_reason"].as_str()),
        (Some("declined"), Some("The room is closed for painting."))
    );
    assert_problem(&admin.post(&format!("/api/v1/reservations/{id}/approve"), json!({})).await, 409);
    // A declined reservation is history: it cannot be edited, and the slot is free.
    let edit = member.patch(&format!("/api/v1/reservations/{id}"), json!({"title": "Still?"})).await;
    assert_problem(&edit, 409);
    assert_eq!(other.book(&room, &at(4, 9), &at(4, 10)).await.body["status"], "pending");
    // History shows it with the other closed reservations.
    let mine = member.get("/api/v1/reservations?mine=true&include_cancelled=true").await;
    assert!(mine.body.as_array().unwrap().iter().any(|r| r["id"] == id.as_str() && r["status"] == "declined"));
    let live = member.get("/api/v1/reservations?mine=true").await;
    assert!(live.body.as_array().unwrap().is_empty(), "{}", live.body);

    let mail = sink.wait_for(1, |m| to(m, &member.email) && subject_starts(m, "Declined")).await;
    assert!(mail[0]["text"].as_str().unwrap().contains("Reason: The room is closed for painting."), "{}", mail[0]);
    assert_eq!(mail[0]["ics"]["method"], "CANCEL");

    // Declining without a body at all (no reason) works too.
    let second = other.get("/api/v1/reservations?mine=true").await.body[0]["id"].as_str().unwrap().to_string();
    let bare = post_raw(&admin, &format!("/api/v1/reservations/{second}/decline"), None, "").await;
    assert_eq!((bare.status, bare.body["decline_reason"].clone()), (200, Value::Null), "{}", bare.body);
}

#[tokio::test]
async fn series_requests_are_decided_with_a_scope() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = approval_room(&admin, "Sala Series").await;
    let res = book_with(&member, &room, &at(7, 9), &at(7, 10), json!({"rrule": "FREQ=WEEKLY;COUNT=4"})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let series = res.body["series_id"].as_str().unwrap().to_string();
    let statuses = || async {
        let got = member.get(&format!("/api/v1/series/{series}")).await;
        let occ = got.body["occurrences"].as_array().unwrap().clone();
        let ids: Vec<String> = occ.iter().map(|o| o["id"].as_str().unwrap().to_string()).collect();
        let statuses: Vec<String> = occ.iter().map(|o| o["status"].as_str().unwrap().to_string()).collect();
        (ids, statuses)
    };
    let (ids, all) = statuses().await;
    assert_eq!(all, ["pending"; 4]);
    // Oldest request first: the queue lists all four (paged two at a time).
    let page = admin.get("/api/v1/approvals?limit=2").await;
    assert_eq!(page.body.as_array().unwrap().len(), 2);
    let next = page.header("link").unwrap().split(['<', '>']).nth(1).unwrap().to_string();
    let rest = admin.get(next.trim_start_matches(&s.url)).await;
    assert_eq!(rest.body.as_array().unwrap().len(), 2, "{}", rest.body);
    assert!(rest.header("link").is_none());

    let one = admin.post(&format!("/api/v1/reservations/{}/approve?scope=this", ids[0]), json!({})).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(statuses().await.1, ["confirmed", "pending", "pending", "pending"]);
    let following = admin.post(&format!("/api/v1/reservations/{}/decline?scope=following", ids[2]), json!({})).await;
    assert_eq!(following.status, 200, "{}", following.body);
    assert_eq!(statuses().await.1, ["confirmed", "pending", "declined", "declined"]);
    let rest = admin.post(&format!("/api/v1/reservations/{}/approve?scope=series", ids[1]), json!({})).await;
    assert_eq!(rest.status, 200, "{}", rest.body);
    assert_eq!(statuses().await.1, ["confirmed", "confirmed", "declined", "declined"]);
    assert_problem(&admin.post(&format!("/api/v1/reservations/{}/approve?scope=bogus", ids[1]), json!({})).await, 422);
}

#[tokio::test]
async fn managers_approve_from_the_approvals_page() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = approval_room(&admin, "Sala Web").await;
    let id = member.book(&room, &at(5, 15), &at(5, 16)).await.body["id"].as_str().unwrap().to_string();

    let mut browser = Browser::new(&s);
    let csrf = browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = browser.get("/approvals").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains(&format!("/approvals/{id}/approve")), "{}", page.html);
    assert!(page.html.contains("Pending approval"));
    // Without the CSRF token nothing happens.
    let forged = browser.post(&format!("/approvals/{id}/approve"), &[("csrf", "nope")]).await;
    assert_eq!(forged.status, 403);
    let done =
        browser.post(&format!("/approvals/{id}/decline"), &[("csrf", &csrf), ("reason", "Booked for the board")]).await;
    assert_eq!((done.status, done.location()), (303, "/approvals"), "{}", done.html);
    let after = browser.get("/approvals").await;
    assert!(after.html.contains("Declined: Meeting"), "{}", after.html);
    assert!(after.html.contains("Nothing is waiting for approval."));
    let r = admin.get(&format!("/api/v1/reservations/{id}")).await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["decline_reason"].as_str()),
        (Some("declined"), Some("Booked for the board"))
    );
    // The owner's page shows it as declined, in words; members have no Approvals link.
    let mut owner = Browser::new(&s);
    owner.sign_in(&member.email, PASSWORD).await;
    let detail = owner.get(&format!("/reservations/{id}")).await;
    assert!(detail.html.contains("Declined") && detail.html.contains("Booked for the board"), "{}", detail.html);
    assert!(!detail.html.contains("href=\"/approvals\""));
}
