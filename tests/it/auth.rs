//! Authentication: access tokens, wrong credentials, the sign-in lock, and API keys.

use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TestServer};
use crate::support::{assert_invalid, assert_problem};
use serde_json::json;

#[tokio::test]
async fn token_exchange_and_wrong_credentials() {
    let s = TestServer::start().await;
    let anon = s.anonymous();
    let res = anon.post("/api/v1/auth/token", json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["token_type"], "Bearer");
    assert!(res.body["expires_in"].as_i64().is_some_and(|s| s > 0), "{}", res.body);
    let token = res.body["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let me = anon.with_token(token).get("/api/v1/users/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], ADMIN_EMAIL);

    // E-mail addresses are matched in any case.
    let upper =
        anon.post("/api/v1/auth/token", json!({"email": ADMIN_EMAIL.to_uppercase(), "password": ADMIN_PASSWORD})).await;
    assert_eq!(upper.status, 200, "{}", upper.body);

    for (email, password) in [(ADMIN_EMAIL, "wrong password"), ("nobody@example.test", ADMIN_PASSWORD)] {
        let res = anon.post("/api/v1/auth/token", json!({"email": email, "password": password})).await;
        assert_problem(&res, 401);
        assert!(res.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")), "{:?}", res.headers);
        assert!(res.body.get("access_token").is_none());
    }
    assert_invalid(&anon.post("/api/v1/auth/token", json!({"email": ADMIN_EMAIL})).await, "password");
    s.stop().await;
}

#[tokio::test]
async fn bad_tokens_are_401() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let anon = s.anonymous();
    let res = anon.get("/api/v1/rooms").await;
    assert_problem(&res, 401);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));

    // A token signed by someone else, a tampered one, garbage, and an unknown API key.
    let token = admin.token.clone().unwrap();
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    let tampered = format!("{signed}.{flipped}{}", &signature[1..]);
    assert_eq!(admin.get("/api/v1/rooms").await.status, 200, "the untampered token works");
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMTkwMDAwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDAiLCJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl";
    for token in [tampered.as_str(), forged, "garbage", "salas_0123456789abcdef"] {
        let res = anon.with_token(token).get("/api/v1/rooms").await;
        assert_problem(&res, 401);
        assert!(res.header("www-authenticate").is_some(), "{token}");
    }
    // Not a bearer scheme at all.
    let res = anon.send(anon.http.get(format!("{}/api/v1/rooms", s.url)).basic_auth("admin", Some("x"))).await;
    assert_problem(&res, 401);
    s.stop().await;
}

#[tokio::test]
async fn five_failures_lock_the_address_with_retry_after() {
    let s = TestServer::start().await;
    let member = s.user("member").await;
    let anon = s.anonymous();
    for i in 0..5 {
        let res =
            anon.post("/api/v1/auth/token", json!({"email": member.email, "password": format!("wrong {i}")})).await;
        assert_problem(&res, 401);
    }
    // Locked now, even with the right password.
    let res = anon.post("/api/v1/auth/token", json!({"email": member.email, "password": PASSWORD})).await;
    assert_problem(&res, 429);
    let retry: u64 = res.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    let res =
        anon.post("/api/v1/auth/token", json!({"email": member.email.to_uppercase(), "password": PASSWORD})).await;
    assert_problem(&res, 429);
    // Tokens already issued keep working, and other addresses are unaffected.
    assert_eq!(member.get("/api/v1/users/me").await.status, 200);
    s.admin().await;
    s.stop().await;
}

#[tokio::test]
async fn api_keys_are_shown_once_work_as_bearer_and_can_be_revoked() {
    let s = TestServer::start().await;
    let member = s.user("member").await;
    let other = s.user("member").await;
    let res = member.post("/api/v1/api-keys", json!({"name": "calendar sync"})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_string();
    let key = res.body["key"].as_str().expect("the secret, once").to_string();
    assert!(key.starts_with("salas_"), "{key}");
    assert_eq!(res.body["name"], "calendar sync");
    let prefix = res.body["prefix"].as_str().unwrap().to_string();
    assert!(key.starts_with(&prefix) && prefix.len() < key.len(), "{prefix}");

    let list = member.get("/api/v1/api-keys").await;
    assert_eq!(list.status, 200);
    let keys = list.body.as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["id"], id.as_str());
    assert_eq!(keys[0]["prefix"], prefix.as_str());
    assert!(keys[0].get("key").is_none(), "the secret is not listed: {}", list.body);
    assert!(!list.body.to_string().contains(&key));
    assert_eq!(other.get("/api/v1/api-keys").await.body, json!([]), "keys are per user");

    let via_key = member.with_token(&key);
    let me = via_key.get("/api/v1/users/me").await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["id"], member.id.as_str());
    // The key acts with its owner's role.
    assert_problem(&via_key.post("/api/v1/rooms", json!({"name": "Nope", "capacity": 2})).await, 403);
    assert_eq!(via_key.get("/api/v1/rooms").await.status, 200);

    // Only its owner (or an admin) can revoke it; then it stops working at once.
    assert_problem(&other.delete(&format!("/api/v1/api-keys/{id}")).await, 404);
    assert_eq!(via_key.get("/api/v1/users/me").await.status, 200);
    let res = member.delete(&format!("/api/v1/api-keys/{id}")).await;
    assert_eq!(res.status, 204, "{}", res.body);
    let res = via_key.get("/api/v1/users/me").await;
    assert_problem(&res, 401);
    assert!(res.header("www-authenticate").is_some());
    assert_eq!(member.get("/api/v1/api-keys").await.body, json!([]));
    assert_problem(&member.delete(&format!("/api/v1/api-keys/{id}")).await, 404);
    assert_invalid(&member.post("/api/v1/api-keys", json!({"name": ""})).await, "name");

    // An admin may revoke anyone's key.
    let theirs = other.post("/api/v1/api-keys", json!({"name": "theirs"})).await;
    let (their_id, their_key) = (theirs.body["id"].as_str().unwrap(), theirs.body["key"].as_str().unwrap());
    assert_eq!(other.with_token(their_key).get("/api/v1/users/me").await.status, 200);
    assert_eq!(s.admin().await.delete(&format!("/api/v1/api-keys/{their_id}")).await.status, 204);
    assert_problem(&other.with_token(their_key).get("/api/v1/users/me").await, 401);
    s.stop().await;
}
