//! The role matrix, through the API: for every role and action, the status the server answers.
//! Members manage only their own reservations; managers and admins manage all; viewers only read.

use crate::common::{Api, TestServer, at};
use crate::support::{assert_problem, book_with, booked, cancel};
use serde_json::json;

const ROLES: [&str; 4] = ["admin", "manager", "member", "viewer"];

#[derive(Clone, Copy, Debug)]
enum Action {
    ListRooms,
    CreateRoom,
    PatchRoom,
    ArchiveRoom,
    CreateResource,
    BookForSelf,
    BookForOther,
    PatchOthersReservation,
    CancelOthersReservation,
    CancelOwnReservation,
    ListReservations,
    ListUsers,
    CreateUser,
    ReadEventLog,
}

/// The expected status for admin, manager, member, viewer.
const MATRIX: [(Action, [u16; 4]); 14] = [
    (Action::ListRooms, [200, 200, 200, 200]),
    (Action::CreateRoom, [201, 201, 403, 403]),
    (Action::PatchRoom, [200, 200, 403, 403]),
    (Action::ArchiveRoom, [200, 200, 403, 403]),
    (Action::CreateResource, [201, 201, 403, 403]),
    (Action::BookForSelf, [201, 201, 201, 403]),
    (Action::BookForOther, [201, 201, 403, 403]),
    (Action::PatchOthersReservation, [200, 200, 403, 403]),
    (Action::CancelOthersReservation, [200, 200, 403, 403]),
    (Action::CancelOwnReservation, [200, 200, 200, 403]),
    (Action::ListReservations, [200, 200, 200, 200]),
    (Action::ListUsers, [200, 200, 403, 403]),
    (Action::CreateUser, [201, 403, 403, 403]),
    (Action::ReadEventLog, [200, 403, 403, 403]),
];

struct Fixture {
    admin: Api,
    /// Someone else, whose reservations the actor is not the owner of.
    bystander: Api,
    room: String,
}

/// Performs `action` as `actor` (whose role is `role`, the `n`th one) and returns the status,
/// checking that whatever was refused left no trace.
async fn perform(f: &Fixture, actor: &Api, role: &str, n: i64, action: Action) -> u16 {
    let slot = |h: i64| (at(1 + n, h), at(1 + n, h + 1));
    match action {
        Action::ListRooms => actor.get("/api/v1/rooms").await.status,
        Action::CreateRoom => {
            actor.post("/api/v1/rooms", json!({"name": format!("By {role}"), "capacity": 3})).await.status
        }
        Action::PatchRoom => {
            actor.patch(&format!("/api/v1/rooms/{}", f.room), json!({"description": role})).await.status
        }
        Action::ArchiveRoom => {
            let room = f.admin.create_room(&format!("To archive {role}"), 3).await;
            let res = actor.delete(&format!("/api/v1/rooms/{room}")).await;
            let active = f.admin.get(&format!("/api/v1/rooms/{room}")).await.body["active"].as_bool();
            assert_eq!(active, Some(res.status != 200), "{role}: {}", res.body);
            res.status
        }
        Action::CreateResource => actor.post("/api/v1/resources", json!({"name": format!("Kit {role}")})).await.status,
        Action::BookForSelf => {
            let (start, end) = slot(8);
            let res = actor.book(&f.room, &start, &end).await;
            if res.status == 201 {
                assert_eq!(res.body["user_id"], actor.id.as_str());
            }
            res.status
        }
        Action::BookForOther => {
            let (start, end) = slot(9);
            let res = book_with(actor, &f.room, &start, &end, json!({"user_id": f.bystander.id})).await;
            if res.status == 201 {
                assert_eq!(res.body["user_id"], f.bystander.id.as_str());
                assert_eq!(res.body["created_by"], actor.id.as_str());
            }
            res.status
        }
        Action::PatchOthersReservation => {
            let (start, end) = slot(10);
            let id = booked(&f.bystander, &f.room, &start, &end).await;
            let res = actor.patch(&format!("/api/v1/reservations/{id}"), json!({"title": format!("By {role}")})).await;
            let title = f.admin.get(&format!("/api/v1/reservations/{id}")).await.body["title"].clone();
            assert_eq!(title == "Meeting", res.status != 200, "{role}: {title}");
            res.status
        }
        Action::CancelOthersReservation => {
            let (start, end) = slot(11);
            let id = booked(&f.bystander, &f.room, &start, &end).await;
            let res = cancel(actor, &id, None).await;
            let status = f.admin.get(&format!("/api/v1/reservations/{id}")).await.body["status"].clone();
            assert_eq!(status == "confirmed", res.status != 200, "{role}: {status}");
            res.status
        }
        Action::CancelOwnReservation => {
            // Booked for the actor by the admin, so that viewers own one too.
            let (start, end) = slot(12);
            let res = book_with(&f.admin, &f.room, &start, &end, json!({"user_id": actor.id})).await;
            assert_eq!(res.status, 201, "{}", res.body);
            cancel(actor, res.body["id"].as_str().unwrap(), None).await.status
        }
        Action::ListReservations => actor.get(&format!("/api/v1/reservations?room_id={}", f.room)).await.status,
        Action::ListUsers => actor.get("/api/v1/users").await.status,
        Action::CreateUser => {
            let email = format!("made-by-{role}@example.test");
            actor.post("/api/v1/users", json!({"email": email, "name": "New"})).await.status
        }
        Action::ReadEventLog => actor.get("/api/v1/events").await.status,
    }
}

#[tokio::test]
async fn role_matrix() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let bystander = s.user("member").await;
    let room = admin.create_room("Matrix", 10).await;
    let f = Fixture { admin: admin.clone(), bystander, room };
    let mut actors = Vec::new();
    for role in ROLES {
        // The admin acts as itself; the others are fresh users of their role.
        actors.push(if role == "admin" { admin.clone() } else { s.user(role).await });
    }

    let mut mismatches = Vec::new();
    for (action, expected) in MATRIX {
        for (n, role) in ROLES.iter().enumerate() {
            let status = perform(&f, &actors[n], role, n as i64, action).await;
            if status != expected[n] {
                mismatches.push(format!("{role} {action:?}: expected {}, got {status}", expected[n]));
            }
        }
    }
    assert!(mismatches.is_empty(), "role matrix mismatches:\n{}", mismatches.join("\n"));
    s.stop().await;
}

#[tokio::test]
async fn refusals_are_problems_and_change_nothing() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let viewer = s.user("viewer").await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala", 4).await;
    let theirs = booked(&admin, &room, &at(2, 10), &at(2, 11)).await;

    assert_problem(&viewer.book(&room, &at(3, 10), &at(3, 11)).await, 403);
    assert_problem(&member.patch(&format!("/api/v1/rooms/{room}"), json!({"capacity": 99})).await, 403);
    assert_problem(
        &member.patch(&format!("/api/v1/reservations/{theirs}"), json!({"start": at(4, 10), "end": at(4, 11)})).await,
        403,
    );
    assert_problem(&cancel(&member, &theirs, None).await, 403);
    assert_problem(&member.delete(&format!("/api/v1/rooms/{room}")).await, 403);

    assert_eq!(admin.get(&format!("/api/v1/rooms/{room}")).await.body["capacity"], 4);
    let r = admin.get(&format!("/api/v1/reservations/{theirs}")).await;
    assert_eq!((r.body["status"].as_str(), r.body["version"].as_u64()), (Some("confirmed"), Some(1)));
    assert_eq!(admin.get("/api/v1/reservations").await.body.as_array().map(Vec::len), Some(1));
    // Members may read anyone's reservation (the calendar is shared), just not change it.
    assert_eq!(member.get(&format!("/api/v1/reservations/{theirs}")).await.status, 200);
    s.stop().await;
}
