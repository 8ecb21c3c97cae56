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
    tested(&state, &m, "/profile#push").await
}

/// The admin page's test: to the admin's own browsers, told on the admin page.
pub async fn admin_test(State(state): State<AppState>, m: Member) -> PageResult {
    m.actor().require(crate::access::Action::ManageNotifications).map_err(fail(&m.viewer))?;
    tested(&state, &m, "/admin/push").await
}

async fn tested(state: &AppState, m: &Member, back: &str) -> PageResult {
    let v = &m.viewer;
    let sent = state.notifier.send_own_push_test(&m.actor()).await.map_err(fail(v))?;
    if sent.is_empty() {
        return Ok(redirect_with(back, v.tr.t("push_none")));
    }
    let failed: Vec<String> = sent.into_iter().filter_map(|(_, r)| r.err()).collect();
    if failed.is_empty() {
        Ok(redirect_with(back, v.tr.t("push_sent")))
    } else {
        Ok(redirect_with(back, &format!("{} {}", v.tr.t("push_failed"), failed.join("; "))))
    }
}

#[derive(askama::Template)]
#[template(path = "admin_push.html")]
struct AdminPage {
    ctx: super::Ctx,
    tab: &'static str,
    public_key: String,
    filter: String,
    rows: Vec<super::admin_email::DeliveryRow>,
}

/// Admin: the server's VAPID key and the push delivery log, with a retry button.
pub async fn admin(
    State(state): State<AppState>,
    m: Member,
    axum::extract::Query(q): axum::extract::Query<super::admin_email::LogQuery>,
) -> PageResult {
    let v = &m.viewer;
    let rows = state.notifier.push_deliveries(&m.actor(), super::admin_email::parse_status(&q.status), 100);
    let rows = rows.map_err(fail(v))?.into_iter().map(|d| super::admin_email::delivery_row(v, d)).collect();
    let public_key = state.notifier.push_key().await.map_err(fail(v))?;
    let page = AdminPage { ctx: super::Ctx::new(v, "admin"), tab: "push", public_key, filter: q.status, rows };
    Ok(super::render(StatusCode::OK, &page, v.flash.is_some()))
}

pub async fn retry(
    State(state): State<AppState>,
    m: Member,
    axum::extract::Path(id): axum::extract::Path<crate::types::DeliveryId>,
) -> PageResult {
    let v = &m.viewer;
    let d = state.notifier.retry_push(&m.actor(), id).await.map_err(fail(v))?;
    Ok(redirect_with("/admin/push", &v.tr.f("delivery_retried", &[("recipient", &d.recipient)])))
}
