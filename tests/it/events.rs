//! The event log at `/api/v1/events`: admins only, every change in order, `seq` without gaps.

use crate::common::{TestServer, at};
use crate::support::{assert_problem, booked, cancel};
use serde_json::{Value, json};

fn seqs(events: &[Value]) -> Vec<u64> {
    events.iter().map(|e| e["seq"].as_u64().expect("seq")).collect()
}

#[tokio::test]
async fn reservation_changes_are_logged_in_order() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala", 4).await;

    let before = admin.get("/api/v1/events").await;
    assert_eq!(before.status, 200, "{}", before.body);
    let before = before.body.as_array().unwrap().clone();
    let last = *seqs(&before).last().expect("user and room creation are logged");
    assert_eq!(seqs(&before), (1..=last).collect::<Vec<_>>(), "from 1, without gaps");
    assert!(before.iter().any(|e| e["kind"] == "room.created" && e["subject"] == room.as_str()));
    assert!(before.iter().any(|e| e["kind"] == "user.created" && e["subject"] == member.id.as_str()));
    for e in &before {
        assert!(e["data"].get("password_hash").is_none(), "no secrets in the log: {e}");
    }

    let id = booked(&member, &room, &at(2, 10), &at(2, 11)).await;
    let res = member.patch(&format!("/api/v1/reservations/{id}"), json!({"start": at(2, 12), "end": at(2, 13)})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(cancel(&member, &id, None).await.status, 200);
    // Refused requests log nothing.
    assert_eq!(member.book(&room, &at(1, 10), &at(1, 9)).await.status, 422);

    let after = admin.get(&format!("/api/v1/events?after={last}")).await;
    assert_eq!(after.status, 200);
    let events = after.body.as_array().unwrap().clone();
    let kinds: Vec<_> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["reservation.created", "reservation.updated", "reservation.cancelled"]);
    assert_eq!(seqs(&events), [last + 1, last + 2, last + 3], "consecutive");
    for e in &events {
        assert_eq!(e["subject"], id.as_str());
        assert_eq!(e["actor"], member.id.as_str());
        assert!(e["id"].is_string() && e["at"].is_string(), "{e}");
    }
    // Each event carries the record after the change.
    assert_eq!(events[0]["data"]["status"], "confirmed");
    assert_eq!(events[0]["data"]["version"], 1);
    assert_eq!(events[1]["data"]["version"], 2);
    assert_eq!(events[2]["data"]["status"], "cancelled");
    assert_eq!(events[2]["data"]["version"], 3);

    // Paging with `after` and `limit`.
    let page = admin.get(&format!("/api/v1/events?after={last}&limit=2")).await;
    assert_eq!(seqs(page.body.as_array().unwrap()), [last + 1, last + 2]);
    let page = admin.get(&format!("/api/v1/events?after={}", last + 3)).await;
    assert_eq!(page.body, json!([]));
    let all = admin.get("/api/v1/events?limit=1000").await;
    assert_eq!(seqs(all.body.as_array().unwrap()), (1..=last + 3).collect::<Vec<_>>());
    s.stop().await;
}

#[tokio::test]
async fn only_admins_read_the_log() {
    let s = TestServer::start().await;
    for role in ["manager", "member", "viewer"] {
        let api = s.user(role).await;
        assert_problem(&api.get("/api/v1/events").await, 403);
    }
    assert_problem(&s.anonymous().get("/api/v1/events").await, 401);
    assert_eq!(s.admin().await.get("/api/v1/events").await.status, 200);
    s.stop().await;
}
