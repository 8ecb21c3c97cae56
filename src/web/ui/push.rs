//! Browser notifications from the profile page: the service worker (served at `/sw.js` so its
//! scope is the whole site), the subscription the page's script posts as a form (with the
//! session and its CSRF token, like every form), and a test push to the user's browsers.

use super::session::Member;
use super::{PageResult, fail, redirect_with};
use crate::web::AppState;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The worker, not cache-busted: browsers look for updates of it at this fixed URL.
pub async fn service_worker() -> Response {
    let Some(body) = super::assets::file("sw.js") else { return StatusCode::NOT_FOUND.into_response() };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct SubscriptionForm {
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    p256dh: String,
    #[serde(default)]
    auth: String,
}

/// Saves this browser's subscription; 204, or 422 with what was wrong as text.
pub async fn subscribe(State(state): State<AppState>, m: Member, Form(f): Form<SubscriptionForm>) -> Response {
    match state.notifier.subscribe_push(&m.actor(), &f.endpoint, &f.p256dh, &f.auth).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response(),
    }
}

/// Pushes a test notification to the user's browsers and says how it went.
pub async fn test(State(state): State<AppState>, m: Member) -> PageResult {
    let v = &m.viewer;
    let sent = state.notifier.send_own_push_test(&m.actor()).await.map_err(fail(v))?;
    let failed: Vec<String> = sent.into_iter().filter_map(|(_, r)| r.err()).collect();
    if failed.is_empty() {
        Ok(redirect_with("/profile#push", v.tr.t("push_sent")))
    } else {
        Ok(redirect_with("/profile#push", &format!("{} {}", v.tr.t("push_failed"), failed.join("; "))))
    }
}
