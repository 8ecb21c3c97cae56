//! Users through the API: the profile, creation by admins, self-service changes, password
//! changes that end old sessions, role changes and deactivation, and the last admin.

use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TestServer, at};
use crate::support::{assert_invalid, assert_problem, ids};
use serde_json::json;

#[tokio::test]
async fn me_and_user_creation() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let me = admin.get("/api/v1/users/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], ADMIN_EMAIL);
    assert_eq!(me.body["role"], "admin");
    assert_eq!(me.body["active"], true);
    assert!(me.body.get("password_hash").is_none() && me.body.get("password").is_none(), "{}", me.body);

    // With a password: 201, Location, no password echoed; the role defaults to member.
    let res =
        admin.post("/api/v1/users", json!({"email": "Ana@Example.org", "name": "Ana", "password": PASSWORD})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let ana = res.body["id"].as_str().unwrap().to_string();
    assert_eq!(res.header("location"), Some(format!("/api/v1/users/{ana}").as_str()));
    assert_eq!(res.body["email"], "ana@example.org", "stored lower-cased");
    assert_eq!(res.body["role"], "member");
    assert_eq!(res.body["language"], "", "not chosen: pages follow the browser");
    assert!(res.body.get("password").is_none(), "{}", res.body);
    let signed_in = s.sign_in("ANA@example.org", PASSWORD).await;
    assert_eq!(signed_in.id, ana);

    // Without one: a generated password, shown once, that works.
    let res = admin
        .post("/api/v1/users", json!({"email": "luis@example.org", "name": "Luis", "role": "viewer", "language": "es"}))
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["role"], "viewer");
    assert_eq!(res.body["language"], "es");
    let generated = res.body["password"].as_str().expect("generated password").to_string();
    assert!(generated.chars().count() >= 10, "{generated}");
    let luis = s.sign_in("luis@example.org", &generated).await;
    assert_eq!(luis.get("/api/v1/users/me").await.body["name"], "Luis");
    let again = admin.get(&format!("/api/v1/users/{}", luis.id)).await;
    assert_eq!(again.status, 200);
    assert!(again.body.get("password").is_none(), "shown once only: {}", again.body);

    // A taken address, in any case, is a conflict.
    let dup = admin.post("/api/v1/users", json!({"email": "ana@EXAMPLE.org", "name": "Otra Ana"})).await;
    assert_problem(&dup, 409);

    let bad = admin
        .post("/api/v1/users", json!({"email": "not-an-address", "name": "", "password": "short", "language": "fr"}))
        .await;
    for field in ["email", "name", "password", "language"] {
        assert_invalid(&bad, field);
    }
    assert_invalid(
        &admin.post("/api/v1/users", json!({"email": "x@example.org", "name": "X", "role": "root"})).await,
        "role",
    );

    let list = admin.get("/api/v1/users").await;
    assert_eq!(list.status, 200);
    let mut got = ids(&list.body);
    got.sort();
    let mut want = vec![admin.id.clone(), ana, luis.id.clone()];
    want.sort();
    assert_eq!(got, want);
    assert_problem(&admin.get(&format!("/api/v1/users/{}", uuid::Uuid::now_v7())).await, 404);
    s.stop().await;
}

#[tokio::test]
async fn users_change_their_own_profile_but_not_their_role() {
    let s = TestServer::start().await;
    let member = s.user("member").await;
    let other = s.user("member").await;
    let path = format!("/api/v1/users/{}", member.id);
    let res = member.patch(&path, json!({"name": "Nuevo Nombre", "language": "es"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["name"], "Nuevo Nombre");
    assert_eq!(res.body["language"], "es");
    let me = member.get("/api/v1/users/me").await;
    assert_eq!((me.body["name"].as_str(), me.body["language"].as_str()), (Some("Nuevo Nombre"), Some("es")));

    assert_invalid(&member.patch(&path, json!({"language": "fr"})).await, "language");
    assert_invalid(&member.patch(&path, json!({"name": " "})).await, "name");
    assert_problem(&member.patch(&path, json!({"role": "admin"})).await, 403);
    assert_problem(&member.patch(&path, json!({"active": false})).await, 403);
    assert_eq!(member.get("/api/v1/users/me").await.body["role"], "member");

    // Other people's accounts are off limits.
    let theirs = format!("/api/v1/users/{}", other.id);
    assert_problem(&member.patch(&theirs, json!({"name": "Hacked"})).await, 403);
    assert_problem(&member.get(&theirs).await, 403);
    assert_eq!(member.get(&path).await.status, 200, "but one's own is readable by id");
    s.stop().await;
}

#[tokio::test]
async fn changing_ones_password_needs_the_current_one_and_ends_old_tokens() {
    let s = TestServer::start().await;
    let member = s.user("member").await;
    let path = format!("/api/v1/users/{}", member.id);
    let new_password = "a brand new password";

    let res = member.patch(&path, json!({"password": new_password})).await;
    assert_invalid(&res, "current_password");
    let res = member.patch(&path, json!({"password": new_password, "current_password": "not it at all"})).await;
    assert_invalid(&res, "current_password");
    let res = member.patch(&path, json!({"password": "short", "current_password": PASSWORD})).await;
    assert_invalid(&res, "password");
    // Changing the e-mail address needs it too.
    let res = member.patch(&path, json!({"email": "elsewhere@example.org"})).await;
    assert_invalid(&res, "current_password");
    assert_eq!(member.get("/api/v1/users/me").await.status, 200, "nothing changed so far");

    let res = member.patch(&path, json!({"password": new_password, "current_password": PASSWORD})).await;
    assert_eq!(res.status, 200, "{}", res.body);

    let old = member.get("/api/v1/users/me").await;
    assert_problem(&old, 401);
    let wrong = s.anonymous().post("/api/v1/auth/token", json!({"email": member.email, "password": PASSWORD})).await;
    assert_problem(&wrong, 401);
    let fresh = s.sign_in(&member.email, new_password).await;
    assert_eq!(fresh.get("/api/v1/users/me").await.body["id"], member.id.as_str());
    s.stop().await;
}

#[tokio::test]
async fn admins_demote_and_deactivate_users() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let manager = s.user("manager").await;
    let room = admin.create_room("Sala", 4).await;
    let path = format!("/api/v1/users/{}", manager.id);

    // Demotion takes effect on the next request, with the same token.
    assert_eq!(manager.post("/api/v1/resources", json!({"name": "Pizarra"})).await.status, 201);
    let res = admin.patch(&path, json!({"role": "viewer"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["role"], "viewer");
    assert_problem(&manager.post("/api/v1/resources", json!({"name": "Proyector"})).await, 403);
    assert_problem(&manager.book(&room, &at(1, 10), &at(1, 11)).await, 403);
    assert_eq!(manager.get("/api/v1/rooms").await.status, 200, "viewers still read");

    // An admin sets someone's password without knowing the old one.
    let res = admin.patch(&path, json!({"password": "set by the admin"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_problem(&manager.get("/api/v1/users/me").await, 401);
    let manager = s.sign_in(&manager.email, "set by the admin").await;

    // Deactivation: the token stops working and sign-in is refused.
    let key =
        manager.post("/api/v1/api-keys", json!({"name": "script"})).await.body["key"].as_str().unwrap().to_string();
    let res = admin.patch(&path, json!({"active": false})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["active"], false);
    assert_problem(&manager.get("/api/v1/users/me").await, 401);
    assert_problem(&manager.with_token(&key).get("/api/v1/users/me").await, 401);
    let res =
        s.anonymous().post("/api/v1/auth/token", json!({"email": manager.email, "password": "set by the admin"})).await;
    assert_problem(&res, 401);
    // Nobody can book for a deactivated user.
    let res = admin
        .post(
            "/api/v1/reservations",
            json!({"room_id": room, "title": "x", "start": at(1, 10), "end": at(1, 11), "user_id": manager.id}),
        )
        .await;
    assert_invalid(&res, "user_id");

    // Reactivated, they can sign in again.
    assert_eq!(admin.patch(&path, json!({"active": true})).await.status, 200);
    s.sign_in(&manager.email, "set by the admin").await;
    s.stop().await;
}

#[tokio::test]
async fn the_last_admin_stays_an_active_admin() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let path = format!("/api/v1/users/{}", admin.id);
    assert_invalid(&admin.patch(&path, json!({"role": "manager"})).await, "role");
    assert_invalid(&admin.patch(&path, json!({"active": false})).await, "active");
    let me = admin.get("/api/v1/users/me").await;
    assert_eq!((me.body["role"].as_str(), me.body["active"].as_bool()), (Some("admin"), Some(true)));

    // With a second admin, the first may step down; then the second is the last one.
    let second = s.user("admin").await;
    let res = admin.patch(&path, json!({"role": "member"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["role"], "member");
    assert_problem(&admin.get("/api/v1/users").await, 403);
    assert_invalid(&second.patch(&format!("/api/v1/users/{}", second.id), json!({"role": "viewer"})).await, "role");

    // A deactivated admin does not count.
    let res = second.patch(&path, json!({"role": "admin", "active": false})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_invalid(&second.patch(&format!("/api/v1/users/{}", second.id), json!({"active": false})).await, "active");
    let res = s.anonymous().post("/api/v1/auth/token", json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})).await;
    assert_problem(&res, 401);
    s.stop().await;
}
