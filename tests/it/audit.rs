//! The audit log, seen from outside: what admins read at /api/v1/audit (and the admin page),
//! what it records of sign-ins, failures and administrative changes, its filters and pages, its
//! exports, and that it never holds a password, token or secret.

use crate::browser::Browser;
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TestServer};
use crate::support::enc;
use serde_json::{Value, json};

fn actions(body: &Value) -> Vec<String> {
    body.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap().to_string()).collect()
}

fn find<'a>(body: &'a Value, action: &str) -> &'a Value {
    body.as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == action)
        .unwrap_or_else(|| panic!("no {action} record in {body:#}"))
}

#[tokio::test]
async fn records_sign_ins_failures_and_admin_changes_without_secrets() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let anon = s.anonymous();

    // A failed sign-in, in the name of the address tried.
    let wrong =
        anon.post("/api/v1/auth/token", json!({"email": "nobody@example.test", "password": "guess 1234"})).await;
    assert_eq!(wrong.status, 401);

    // A user is created, promoted, disabled and enabled again, and changes their password.
    let created = admin
        .post(
            "/api/v1/users",
            json!({"email": "ana@example.test", "name": "Ana", "role": "member", "password": PASSWORD}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let ana_id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(admin.patch(&format!("/api/v1/users/{ana_id}"), json!({"role": "manager"})).await.status, 200);
    assert_eq!(admin.patch(&format!("/api/v1/users/{ana_id}"), json!({"active": false})).await.status, 200);
    assert_eq!(admin.patch(&format!("/api/v1/users/{ana_id}"), json!({"active": true})).await.status, 200);
    let ana = s.sign_in("ana@example.test", PASSWORD).await;
    let new_password = "a brand new password 9";
    let changed = ana
        .patch(&format!("/api/v1/users/{ana_id}"), json!({"password": new_password, "current_password": PASSWORD}))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let ana = s.sign_in("ana@example.test", new_password).await;

    // API keys: created, used, revoked, then refused.
    let key = ana.post("/api/v1/api-keys", json!({"name": "script"})).await;
    assert_eq!(key.status, 201, "{}", key.body);
    let secret = key.body["key"].as_str().unwrap().to_string();
    let key_id = key.body["id"].as_str().unwrap().to_string();
    assert_eq!(anon.with_token(&secret).get("/api/v1/users/me").await.status, 200);
    assert_eq!(ana.delete(&format!("/api/v1/api-keys/{key_id}")).await.status, 204);
    assert_eq!(anon.with_token(&secret).get("/api/v1/users/me").await.status, 401);

    // Rooms and a webhook with a secret of our choosing.
    let room = ana.create_room("Sala Audit", 6).await;
    assert_eq!(ana.patch(&format!("/api/v1/rooms/{room}"), json!({"capacity": 8})).await.status, 200);
    let hook_secret = "hook-secret-0123456789abcdef";
    let hook = admin
        .post(
            "/api/v1/admin/webhooks",
            json!({"url": "http://127.0.0.1:9/hook", "events": ["*"], "secret": hook_secret}),
        )
        .await;
    assert_eq!(hook.status, 201, "{}", hook.body);

    // The rejected key's record is written without holding up the answer: wait for it.
    let mut log = Value::Null;
    for _ in 0..100 {
        log = admin.get("/api/v1/audit?limit=1000").await.body;
        if actions(&log).iter().any(|a| a == "auth.api_key_rejected") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let all = actions(&log);
    for expected in [
        "auth.sign_in_failed",
        "auth.sign_in",
        "user.created",
        "user.role_changed",
        "user.disabled",
        "user.enabled",
        "user.password_changed",
        "api_key.created",
        "api_key.revoked",
        "auth.api_key_rejected",
        "room.created",
        "room.updated",
        "webhook.created",
    ] {
        assert!(all.iter().any(|a| a == expected), "no {expected} in {all:?}");
    }
    // Newest first.
    let times: Vec<&str> = log.as_array().unwrap().iter().map(|r| r["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    let failed = find(&log, "auth.sign_in_failed");
    assert_eq!(failed["actor_id"], Value::Null);
    assert_eq!(failed["actor_email"], "nobody@example.test");
    assert_eq!(failed["outcome"], "failure");
    assert_eq!(failed["from"], "127.0.0.1");
    assert_eq!(failed["detail"]["reason"], "bad_credentials");

    let role = find(&log, "user.role_changed");
    assert_eq!(role["actor_email"], ADMIN_EMAIL);
    assert_eq!(role["actor_id"], admin.id.as_str());
    assert_eq!(role["target"]["id"], ana_id.as_str());
    assert_eq!(role["target"]["label"], "ana@example.test");
    assert_eq!(role["detail"], json!({"from": "member", "to": "manager"}));
    assert_eq!(role["outcome"], "success");

    let pw = find(&log, "user.password_changed");
    assert_eq!(pw["actor_email"], "ana@example.test");
    let rejected = find(&log, "auth.api_key_rejected");
    assert_eq!(rejected["outcome"], "failure");
    assert_eq!(find(&log, "room.updated")["detail"]["fields"], json!(["capacity"]));

    // Nothing secret anywhere in the log.
    let text = log.to_string();
    for secret in [PASSWORD, new_password, ADMIN_PASSWORD, "guess 1234", secret.as_str(), hook_secret] {
        assert!(!text.contains(secret), "the audit log contains `{secret}`");
    }
    for token in [&admin.token, &ana.token] {
        assert!(!text.contains(token.as_deref().unwrap()), "the audit log contains an access token");
    }

    // Filters: action, actor (part of an address, or an id), and time.
    let only = admin.get("/api/v1/audit?action=user.role_changed").await;
    assert_eq!(actions(&only.body), ["user.role_changed"]);
    let by_ana = admin.get("/api/v1/audit?actor=ANA%40example").await;
    assert!(!by_ana.body.as_array().unwrap().is_empty());
    assert!(by_ana.body.as_array().unwrap().iter().all(|r| r["actor_email"] == "ana@example.test"));
    let by_id = admin.get(&format!("/api/v1/audit?actor={ana_id}")).await;
    assert_eq!(by_id.body.as_array().unwrap().len(), by_ana.body.as_array().unwrap().len());
    let future = admin.get(&format!("/api/v1/audit?from={}", enc("2100-01-01T00:00:00Z"))).await;
    assert_eq!(future.body, json!([]));
    let past = admin.get(&format!("/api/v1/audit?to={}", enc("2000-01-01T00:00:00Z"))).await;
    assert_eq!(past.body, json!([]));
    assert_eq!(admin.get("/api/v1/audit?action=user.exploded").await.status, 422);
    assert_eq!(admin.get("/api/v1/audit?cursor=nonsense").await.status, 422);

    // Pages of 3 through the Link header cover the whole log once, in order.
    let mut seen = Vec::new();
    let mut next = Some("/api/v1/audit?limit=3".to_string());
    while let Some(path) = next {
        let page = admin.get(&path).await;
        assert_eq!(page.status, 200);
        assert!(page.body.as_array().unwrap().len() <= 3);
        seen.extend(page.body.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()));
        next = page.header("link").map(|l| l.split('>').next().unwrap().trim_start_matches('<').to_string());
    }
    let everything: Vec<String> =
        log.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(seen[..everything.len()], everything[..]);

    // Only admins read it.
    assert_eq!(ana.get("/api/v1/audit").await.status, 403);
    assert_eq!(anon.get("/api/v1/audit").await.status, 401);
    assert_eq!(ana.get("/api/v1/audit/export?format=csv").await.status, 403);

    // Exports: JSON (the listing's objects, oldest first) and CSV; each export is recorded.
    let json_export = admin
        .http
        .get(format!("{}/api/v1/audit/export", s.url))
        .bearer_auth(admin.token.as_ref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(json_export.status(), 200);
    assert!(json_export.headers()["content-disposition"].to_str().unwrap().contains("salas-audit.json"));
    let exported: Value = json_export.json().await.unwrap();
    let exported_ids: Vec<&str> = exported.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut oldest_first: Vec<&str> = everything.iter().map(String::as_str).collect();
    oldest_first.reverse();
    assert_eq!(exported_ids[..oldest_first.len()], oldest_first[..]);
    let csv = admin
        .http
        .get(format!("{}/api/v1/audit/export?format=csv&action=user.role_changed", s.url))
        .bearer_auth(admin.token.as_ref().unwrap())
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("at,actor_id,actor_email,action"));
    assert!(lines[1].contains(",user.role_changed,") && lines[1].contains("ana@example.test"), "{csv}");
    let exports = admin.get("/api/v1/audit?action=audit.exported").await;
    assert_eq!(exports.body.as_array().unwrap().len(), 2);
    assert_eq!(exports.body[0]["detail"]["format"], "csv");

    s.stop().await;
}

#[tokio::test]
async fn web_sign_in_sign_out_and_the_admin_page() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let login = b.get("/login").await;
    let failed = b
        .post(
            "/login",
            &[("email", ADMIN_EMAIL), ("password", "not it at all"), ("csrf", &login.input("csrf")), ("next", "/")],
        )
        .await;
    assert_eq!(failed.status, 401);
    let csrf = b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let page = b.get("/admin/audit").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("auth.sign_in_failed") && page.html.contains("auth.sign_in"));
    assert!(page.html.contains("127.0.0.1"));
    assert!(!page.html.contains("not it at all"));
    // The filter form narrows the table.
    let filtered = b.get("/admin/audit?action=auth.sign_in_failed").await;
    assert!(filtered.html.contains("<code>auth.sign_in_failed</code>"));
    assert!(!filtered.html.contains("<code>auth.sign_in</code>"));
    // Days in the viewer's zone: a day long ago shows nothing.
    let empty = b.get("/admin/audit?from=2001-01-01&to=2001-01-02").await;
    assert!(!empty.html.contains("<code>auth."));
    let csv = b.get("/admin/audit/export?format=csv&action=auth.sign_in_failed").await;
    assert_eq!(csv.status, 200);
    assert!(csv.html.contains(",auth.sign_in_failed,"));

    let out = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    let admin = s.admin().await;
    let log = admin.get("/api/v1/audit?action=auth.sign_out").await.body;
    assert_eq!(log.as_array().unwrap().len(), 1, "{log}");
    assert_eq!(log[0]["actor_email"], ADMIN_EMAIL);
    let ui_sign_in = admin.get("/api/v1/audit?action=auth.sign_in").await.body;
    assert!(ui_sign_in.as_array().unwrap().iter().any(|r| r["detail"]["via"] == "ui"));

    // Members do not see the page.
    let member = s.user("member").await;
    let mut mb = Browser::new(&s);
    mb.sign_in(&member.email, PASSWORD).await;
    assert_eq!(mb.get("/admin/audit").await.status, 403);
    s.stop().await;
}

#[tokio::test]
async fn approvals_and_declines_are_recorded_with_the_decision() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let res =
        admin.post("/api/v1/rooms", json!({"name": "Sala Consejo", "capacity": 8, "requires_approval": true})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let room = res.body["id"].as_str().unwrap().to_string();
    let member = s.user("member").await;
    let first = member.book(&room, &crate::common::at(2, 10), &crate::common::at(2, 11)).await;
    let second = member.book(&room, &crate::common::at(3, 10), &crate::common::at(3, 11)).await;
    assert_eq!(first.body["status"], "pending", "{}", first.body);
    let (first, second) = (first.body["id"].as_str().unwrap(), second.body["id"].as_str().unwrap());
    assert_eq!(admin.post(&format!("/api/v1/reservations/{first}/approve"), json!({})).await.status, 200);
    let declined =
        admin.post(&format!("/api/v1/reservations/{second}/decline"), json!({"reason": "board meeting"})).await;
    assert_eq!(declined.status, 200, "{}", declined.body);
    // A member may not decide; the refusal changes nothing and records no decision.
    let third = member.book(&room, &crate::common::at(4, 10), &crate::common::at(4, 11)).await;
    let third = third.body["id"].as_str().unwrap();
    assert_eq!(member.post(&format!("/api/v1/reservations/{third}/approve"), json!({})).await.status, 403);

    let approved = admin.get("/api/v1/audit?action=reservation.approved").await.body;
    assert_eq!(approved.as_array().unwrap().len(), 1, "{approved}");
    assert_eq!(approved[0]["target"]["id"], first);
    assert_eq!(approved[0]["actor_email"], crate::common::ADMIN_EMAIL);
    assert_eq!(approved[0]["detail"]["room_id"], room.as_str());
    let declined = admin.get("/api/v1/audit?action=reservation.declined").await.body;
    assert_eq!(declined.as_array().unwrap().len(), 1, "{declined}");
    assert_eq!(declined[0]["target"]["id"], second);
    assert_eq!(declined[0]["detail"]["reason"], "board meeting");
    s.stop().await;
}
