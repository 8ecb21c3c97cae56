//! Small helpers shared by the API test files: problem+json assertions, query encoding and
//! requests the plain [`Api`] helpers cannot make (raw bodies, `If-Match` on POST).

#![allow(dead_code)] // each test file uses a different part

use crate::common::{Api, Res};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Asserts that `res` is an RFC 9457 problem with `status` and the fields the contract names.
#[track_caller]
pub fn assert_problem(res: &Res, status: u16) {
    assert_eq!(res.status, status, "expected {status}, got {}: {}", res.status, res.body);
    let ct = res.header("content-type").unwrap_or_default();
    assert!(ct.starts_with("application/problem+json"), "content-type of a {status} is `{ct}`: {}", res.body);
    for field in ["type", "title", "detail"] {
        assert!(res.body[field].as_str().is_some_and(|s| !s.is_empty()), "problem without `{field}`: {}", res.body);
    }
    assert_eq!(res.body["status"], status, "problem body status: {}", res.body);
}

/// Asserts a 422 problem whose `errors` name `field`.
#[track_caller]
pub fn assert_invalid(res: &Res, field: &str) {
    assert_problem(res, 422);
    assert!(res.error_fields().iter().any(|f| f == field), "422 does not name `{field}`: {}", res.body);
}

/// Percent-encodes a query value (an RFC 3339 `+00:00` would otherwise arrive as a space).
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn parse_time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}"))).expect("RFC 3339").to_utc()
}

pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("RFC 3339").to_utc()
}

/// The ids of a JSON array of records.
pub fn ids(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap_or_else(|| panic!("not an array: {body}"))
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

/// POSTs `body` as-is with `content_type` (None: no Content-Type header).
pub async fn post_raw(api: &Api, path: &str, content_type: Option<&str>, body: &str) -> Res {
    let mut req = api.http.post(format!("{}{path}", api.base)).body(body.to_string());
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    api.send(req).await
}

/// Cancels a reservation, optionally with `If-Match`.
pub async fn cancel(api: &Api, id: &str, if_match: Option<u64>) -> Res {
    let mut req = api.http.post(format!("{}/api/v1/reservations/{id}/cancel", api.base));
    if let Some(v) = if_match {
        req = req.header("if-match", format!("\"{v}\""));
    }
    api.send(req).await
}

/// Books `room` with a JSON body extended by `extra` (e.g. `user_id`).
pub async fn book_with(api: &Api, room: &str, start: &str, end: &str, extra: Value) -> Res {
    let mut body = json!({"room_id": room, "title": "Meeting", "start": start, "end": end});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    api.post("/api/v1/reservations", body).await
}

/// Books and returns the new reservation's id, failing the test on anything but 201.
pub async fn booked(api: &Api, room: &str, start: &str, end: &str) -> String {
    let res = api.book(room, start, end).await;
    assert_eq!(res.status, 201, "booking {start}..{end}: {}", res.body);
    res.body["id"].as_str().expect("reservation id").to_string()
}
