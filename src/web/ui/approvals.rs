//! The approval queue for managers (approve or decline pending requests, a series at once if
//! wanted) and the check-in button of "my reservations" and the reservation page.

use super::mine::{Item, item};
use super::session::Member;
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::reservations::series::Scope;
use crate::reservations::{Decision, ReservationError};
use crate::types::ReservationId;
use crate::web::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

const PAGE: usize = 50;

/// A request in the queue.
pub struct Request {
    pub r: Item,
    pub requested_by: String,
    pub requested_at: String,
    pub in_series: bool,
}

#[derive(Template)]
#[template(path = "approvals.html")]
struct ApprovalsPage {
    ctx: Ctx,
    requests: Vec<Request>,
    /// The next page's address, if there is one.
    next: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    cursor: Option<String>,
}

pub async fn page(State(state): State<AppState>, m: Member, Query(q): Query<PageQuery>) -> PageResult {
    let v = &m.viewer;
    let page = state.reservations.approvals(&m.actor(), q.cursor.as_deref(), PAGE).map_err(fail(v))?;
    let names = state.users.names().map_err(fail(v))?;
    let requests = page
        .items
        .iter()
        .map(|r| Request {
            r: item(&state, v, r),
            requested_by: names.get(&r.user_id).cloned().unwrap_or_default(),
            requested_at: format!(
                "{}, {}",
                super::format::date_long(&v.tr, super::format::local(v.tz, r.created_at).date_naive()),
                super::format::time(v.tz, r.created_at)
            ),
            in_series: r.series_id.is_some(),
        })
        .collect();
    let next = page.next_cursor.map(|c| {
        format!("/approvals?{}", form_urlencoded::Serializer::new(String::new()).append_pair("cursor", &c).finish())
    });
    let page = ApprovalsPage { ctx: Ctx::new(v, "approvals"), requests, next };
    Ok(render(StatusCode::OK, &page, v.flash.is_some()))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    /// For an occurrence of a series: `this`, `following` or `series`.
    #[serde(default)]
    scope: String,
    /// Declining only: why, for the owner.
    #[serde(default)]
    reason: String,
}

fn scope(s: &str) -> Scope {
    match s {
        "following" => Scope::Following,
        "series" => Scope::Series,
        _ => Scope::This,
    }
}

pub async fn approve(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<ReservationId>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    decide(&state, &m, id, f, true).await
}

pub async fn decline(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<ReservationId>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    decide(&state, &m, id, f, false).await
}

async fn decide(state: &AppState, m: &Member, id: ReservationId, f: DecisionForm, approve: bool) -> PageResult {
    let v = &m.viewer;
    let decision = if approve { Decision::Approve } else { Decision::Decline { reason: Some(f.reason) } };
    match state.reservations.decide(&m.actor(), id, decision, scope(&f.scope)).await {
        Ok(r) => {
            let when = super::format::range(&v.tr, v.tz, r.start, r.end);
            let key = if approve { "approved_flash" } else { "declined_flash" };
            Ok(redirect_with("/approvals", &v.tr.f(key, &[("title", &r.title), ("when", &when)])))
        }
        // Someone else decided first, or the owner withdrew it: say so on the queue.
        Err(ReservationError::NotPending(_)) => Ok(redirect_with("/approvals", v.tr.t("no_longer_pending"))),
        Err(ReservationError::Invalid(e)) => {
            Ok(redirect_with("/approvals", &e.0.first().map(|e| e.message.clone()).unwrap_or_default()))
        }
        Err(e) => Err(fail(v)(e)),
    }
}

#[derive(Deserialize)]
pub struct CheckInForm {
    /// The page to return to: `/my` or the reservation's page.
    #[serde(default)]
    back: String,
}

pub async fn check_in(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<ReservationId>,
    Form(f): Form<CheckInForm>,
) -> PageResult {
    let v = &m.viewer;
    // Only local pages: the field must not turn the form into an open redirect.
    let back = if f.back == "/my" || f.back == format!("/reservations/{id}") { f.back } else { "/my".into() };
    match state.reservations.check_in(&m.actor(), id).await {
        Ok(r) => Ok(redirect_with(&back, &v.tr.f("checked_in_flash", &[("title", &r.title)]))),
        Err(ReservationError::CheckIn { code, .. }) => Ok(redirect_with(&back, v.tr.t(&format!("verr_{code}")))),
        Err(e) => Err(fail(v)(e)),
    }
}
