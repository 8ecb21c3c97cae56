//! The full RBAC matrix: every operation of /api/openapi.json × every role, no token, an
//! expired access token and a revoked API key → the expected status.
//!
//! The route list comes from the OpenAPI document, so a new route without an expectation in
//! [`RULES`] fails this test: add one line there (`"METHOD /path"` as the document spells it,
//! under `/api/v1`, and who may call it).
//!
//! Requests carry a body and query made from the document's own schemas (required fields only)
//! and a random UUID for every path parameter, so the answer is decided by authentication and the
//! role, not by a missing field. A caller the rule lets in must not get 401/403; anyone else gets
//! 401 without valid credentials and 403 for a role below the rule (404 is accepted there only on
//! a path naming a record, since a missing record may be found before the role is looked at).
//! Nobody ever gets a 5xx.

use crate::common::{PASSWORD, TestServer};
use chrono::Duration;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Need {
    /// No credentials needed (sign-in, feeds with their secret token).
    Public,
    Viewer,
    Member,
    Manager,
    Admin,
}

use Need::*;

/// Who may call each operation. Keep in the document's order of paths; one line per operation.
const RULES: &[(&str, Need)] = &[
    ("GET /admin/consumers", Admin),
    ("GET /admin/email", Admin),
    ("GET /admin/email/deliveries", Admin),
    ("POST /admin/email/deliveries/{id}/retry", Admin),
    ("GET /admin/email/templates", Admin),
    ("DELETE /admin/email/templates/{kind}/{language}", Admin),
    ("GET /admin/email/templates/{kind}/{language}", Admin),
    ("PUT /admin/email/templates/{kind}/{language}", Admin),
    ("POST /admin/email/templates/{kind}/{language}/preview", Admin),
    ("POST /admin/email/test", Admin),
    ("GET /admin/jobs", Admin),
    ("POST /admin/jobs/{name}/run", Admin),
    ("GET /admin/push/deliveries", Admin),
    ("POST /admin/push/deliveries/{id}/retry", Admin),
    ("GET /admin/sms", Admin),
    ("GET /admin/sms/deliveries", Admin),
    ("POST /admin/sms/deliveries/{id}/retry", Admin),
    ("POST /admin/sms/test", Admin),
    ("GET /admin/sms/texts", Admin),
    ("DELETE /admin/sms/texts/{kind}/{language}", Admin),
    ("PUT /admin/sms/texts/{kind}/{language}", Admin),
    ("GET /admin/webhooks", Admin),
    ("POST /admin/webhooks", Admin),
    ("GET /admin/webhooks/deliveries", Admin),
    ("POST /admin/webhooks/deliveries/{id}/retry", Admin),
    ("DELETE /admin/webhooks/{id}", Admin),
    ("GET /api-keys", Viewer),
    ("POST /api-keys", Viewer),
    ("DELETE /api-keys/{id}", Viewer),
    ("GET /approvals", Viewer),
    ("GET /audit", Admin),
    ("GET /audit/export", Admin),
    ("POST /auth/token", Public),
    ("POST /auth/password-reset", Public),
    ("GET /availability", Viewer),
    ("GET /displays", Admin),
    ("POST /displays", Admin),
    ("DELETE /displays/{id}", Admin),
    ("GET /events", Admin),
    ("GET /events/stream", Viewer),
    ("GET /feeds/rooms/{id}/{token}", Public),
    ("GET /feeds/users/{id}/{token}", Public),
    ("GET /find-room", Viewer),
    ("GET /groups", Admin),
    ("POST /groups", Admin),
    ("DELETE /groups/{id}", Admin),
    ("GET /groups/{id}", Admin),
    ("PATCH /groups/{id}", Admin),
    ("DELETE /groups/{id}/members/{user_id}", Admin),
    ("PUT /groups/{id}/members/{user_id}", Admin),
    ("GET /location-access", Manager),
    ("PUT /location-access/{location}", Manager),
    ("GET /locations/{name}/policy", Viewer),
    ("PUT /locations/{name}/policy", Admin),
    ("GET /notifications", Viewer),
    ("POST /notifications/read-all", Viewer),
    ("GET /notifications/unread-count", Viewer),
    ("POST /notifications/{id}/read", Viewer),
    ("GET /push/key", Public),
    ("GET /push/subscriptions", Viewer),
    ("POST /push/subscriptions", Viewer),
    ("DELETE /push/subscriptions/{id}", Viewer),
    ("GET /reports/behaviour", Manager),
    ("GET /reports/occupancy", Manager),
    ("GET /reports/reservations", Manager),
    ("GET /reports/subscriptions", Manager),
    ("POST /reports/subscriptions", Manager),
    ("DELETE /reports/subscriptions/{id}", Manager),
    ("GET /reports/summary", Manager),
    ("GET /reports/utilization", Manager),
    ("GET /reservations", Viewer),
    ("POST /reservations", Member),
    ("GET /reservations/{id}", Viewer),
    ("PATCH /reservations/{id}", Member),
    ("POST /reservations/{id}/approve", Manager),
    ("POST /reservations/{id}/cancel", Member),
    ("POST /reservations/{id}/check-in", Member),
    ("POST /reservations/{id}/decline", Manager),
    ("GET /booking-fields", Viewer),
    ("POST /booking-fields", Admin),
    ("PATCH /booking-fields/{id}", Admin),
    ("DELETE /booking-fields/{id}", Admin),
    ("GET /resources", Viewer),
    ("POST /resources", Manager),
    ("DELETE /resources/{id}", Manager),
    ("GET /resources/{id}", Viewer),
    ("PATCH /resources/{id}", Manager),
    ("GET /rooms", Viewer),
    ("POST /rooms", Manager),
    ("DELETE /rooms/{id}", Manager),
    ("GET /rooms/{id}", Viewer),
    ("PATCH /rooms/{id}", Manager),
    ("GET /rooms/{id}/access", Manager),
    ("PUT /rooms/{id}/access", Manager),
    ("GET /rooms/{id}/availability", Viewer),
    ("POST /rooms/{id}/feed-token", Manager),
    // A bearer token, or the room's feed token in `?token=` (the matrix sends none).
    ("GET /rooms/{id}/freebusy.ifb", Viewer),
    ("POST /rooms/{id}/import", Member),
    ("GET /rooms/{id}/rights", Viewer),
    ("GET /search", Viewer),
    ("GET /series/{id}", Viewer),
    ("GET /users", Manager),
    ("POST /users", Admin),
    ("GET /users/me", Viewer),
    ("GET /users/me/delegates", Viewer),
    ("PUT /users/me/delegates", Viewer),
    ("POST /users/me/feed-token", Viewer),
    ("GET /users/me/notification-preferences", Viewer),
    ("PUT /users/me/notification-preferences", Viewer),
    ("POST /users/me/push/test", Viewer),
    ("POST /users/me/sms/test", Viewer),
    ("GET /users/{id}", Manager),
    ("PATCH /users/{id}", Admin),
    ("POST /users/{id}/password-reset", Admin),
    ("GET /waitlist", Viewer),
    ("POST /waitlist", Member),
    ("DELETE /waitlist/{id}", Viewer),
];

/// Follows `$ref`s into the document's components.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// A value of `schema` (the value of a field or parameter called `name`) with only its required
/// parts filled in. A `room_id` is `room`, a real room, so that a refusal is about the caller,
/// not about a missing room; the end of a window (`to`, `end`) comes a day after its start.
fn sample(doc: &Value, schema: &Value, depth: usize, name: &str, room: &str) -> Value {
    let schema = resolve(doc, schema);
    if depth > 6 {
        return Value::Null;
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(first) = schema[key].as_array().and_then(|a| a.iter().find(|s| s["type"] != "null")) {
            return sample(doc, first, depth + 1, name, room);
        }
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types.iter().find(|t| *t != "null").cloned().unwrap_or(Value::Null),
        t => t.clone(),
    };
    match ty.as_str().unwrap_or(if schema["properties"].is_object() { "object" } else { "" }) {
        "object" => {
            let mut out = Map::new();
            for name in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                out.insert(name.to_string(), sample(doc, &schema["properties"][name], depth + 1, name, room));
            }
            Value::Object(out)
        }
        "array" => json!([]),
        "integer" | "number" => json!(1),
        "boolean" => json!(false),
        "string" if name == "room_id" => json!(room),
        "string" => match schema["format"].as_str() {
            Some("date-time") => {
                let days = if matches!(name, "to" | "end" | "until") { 2 } else { 1 };
                json!((salas::clock::now() + Duration::days(days)).to_rfc3339())
            }
            Some("date") => json!(salas::clock::now().date_naive().to_string()),
            Some("uuid") => json!(uuid::Uuid::now_v7().to_string()),
            _ => json!("x"),
        },
        _ => Value::Null,
    }
}

struct Caller {
    name: &'static str,
    token: Option<String>,
    /// The role's rank, or None for callers without valid credentials.
    rank: Option<Need>,
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_rules_say() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let doc = s.anonymous().get("/api/openapi.json").await.body;
    let room = admin.create_room("Matrix room", 4).await;

    // Every documented operation has a rule, and every rule a documented operation.
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                documented.insert(format!("{} {}", method.to_uppercase(), path.trim_start_matches("/api/v1")));
            }
        }
    }
    let ruled: BTreeSet<String> = RULES.iter().map(|(op, _)| op.to_string()).collect();
    let missing: Vec<&String> = documented.difference(&ruled).collect();
    let stale: Vec<&String> = ruled.difference(&documented).collect();
    assert!(missing.is_empty(), "add these operations to RULES in tests/it/rbac_routes.rs: {missing:#?}");
    assert!(stale.is_empty(), "RULES names operations the API no longer has: {stale:#?}");

    // The callers.
    let mut callers = vec![Caller { name: "admin", token: admin.token.clone(), rank: Some(Admin) }];
    for (role, rank) in [("manager", Manager), ("member", Member), ("viewer", Viewer)] {
        let api = s.user(role).await;
        callers.push(Caller { name: role, token: api.token.clone(), rank: Some(rank) });
    }
    let member = s.user("member").await;
    let key = member.post("/api/v1/api-keys", json!({"name": "soon revoked"})).await;
    let revoked = key.body["key"].as_str().unwrap().to_string();
    assert_eq!(member.delete(&format!("/api/v1/api-keys/{}", key.body["id"].as_str().unwrap())).await.status, 204);
    let keys = salas::users::token::TokenKeys::load_or_create(&s.data_dir()).unwrap();
    let member_id: salas::types::UserId = member.id.parse().unwrap();
    let expired = keys.issue(member_id, salas::clock::now() - Duration::hours(3), 60).token;
    callers.push(Caller { name: "no token", token: None, rank: None });
    callers.push(Caller { name: "expired token", token: Some(expired), rank: None });
    callers.push(Caller { name: "revoked API key", token: Some(revoked), rank: None });
    assert!(PASSWORD.len() > 8);

    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().unwrap();
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let name = format!("{} {}", method.to_uppercase(), path.trim_start_matches("/api/v1"));
            let need = RULES.iter().find(|(o, _)| *o == name).map(|(_, n)| *n).unwrap();
            let mut url = format!("{}{path}", s.url);
            let mut query = Vec::new();
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for p in params.iter().chain(item["parameters"].as_array().into_iter().flatten()) {
                let p = resolve(&doc, p);
                let pname = p["name"].as_str().unwrap();
                let value = match sample(&doc, &p["schema"], 0, pname, &room) {
                    Value::String(s) => s,
                    Value::Null => "x".to_string(),
                    v => v.to_string(),
                };
                match p["in"].as_str() {
                    Some("path") => {
                        let id = if p["schema"]["format"] == "uuid" || pname.ends_with("id") {
                            uuid::Uuid::now_v7().to_string()
                        } else {
                            value
                        };
                        url = url.replace(&format!("{{{pname}}}"), &id);
                    }
                    Some("query") if p["required"] == true => query.push((pname.to_string(), value)),
                    _ => {}
                }
            }
            if !query.is_empty() {
                url.push('?');
                url.push_str(&form_urlencoded::Serializer::new(String::new()).extend_pairs(&query).finish());
            }
            let body = op["requestBody"]["content"]["application/json"]["schema"].clone();
            let body = (!body.is_null()).then(|| sample(&doc, &body, 0, "", &room));
            for c in &callers {
                let mut req = http.request(method.to_uppercase().parse().unwrap(), &url);
                if let Some(t) = &c.token {
                    req = req.bearer_auth(t);
                }
                if let Some(b) = &body {
                    req = req.json(b);
                }
                // Only an error's body is read: a stream (SSE) answers 200 and keeps going.
                let (status, why) = match req.send().await {
                    Ok(r) if r.status().as_u16() >= 400 => {
                        (r.status().as_u16(), r.text().await.unwrap_or_default().chars().take(200).collect())
                    }
                    Ok(r) => (r.status().as_u16(), String::new()),
                    Err(e) => (0, e.to_string()),
                };
                let has_id = path.contains('{');
                let ok = match (need, c.rank) {
                    (_, _) if status >= 500 || status == 0 => false,
                    (Public, _) => status != 403,
                    (_, None) => status == 401,
                    (need, Some(rank)) if rank >= need => status != 401 && status != 403,
                    (_, Some(_)) => status == 403 || (has_id && status == 404),
                };
                if !ok {
                    wrong.push(format!("{name} as {}: {status} (rule: {need:?}) {why}", c.name));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} answers break the rules:\n{}", wrong.len(), wrong.join("\n"));
    s.stop().await;
}
