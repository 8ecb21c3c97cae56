//! "My reservations", one reservation's page, and cancelling with confirmation.

use super::booking::local_parts;
use super::format;
use super::session::{Member, Viewer};
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::access::may_manage_reservation;
use crate::model::reservation::{Reservation, Status};
use crate::reservations::ListQuery;
use crate::reservations::series::Scope;
use crate::types::ReservationId;
use crate::web::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Duration;
use serde::Deserialize;

/// A reservation as the lists show it.
pub struct Item {
    pub id: String,
    pub title: String,
    pub room: String,
    pub day: String,
    pub when: String,
    pub cancelled: bool,
    pub repeat_href: String,
    /// `confirmed`, `pending`, `cancelled`, `declined` or `no_show` (a CSS class and a test hook).
    pub status: &'static str,
    /// The status in words, empty for a plain confirmed booking.
    pub status_label: String,
    /// Check-in is open now (its owner or a manager may press the button).
    pub checkin_open: bool,
    pub checked_in: bool,
}

pub fn item(state: &AppState, v: &Viewer, r: &Reservation) -> Item {
    let (date, start, end) = local_parts(v, r.start + Duration::days(7), r.end + Duration::days(7));
    let form =
        [("room", r.room_id.to_string()), ("title", r.title.clone()), ("date", date), ("start", start), ("end", end)];
    let query: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    Item {
        id: r.id.to_string(),
        title: r.title.clone(),
        room: state.rooms.room(r.room_id).map(|r| r.name).unwrap_or_default(),
        day: format::date_long(&v.tr, format::local(v.tz, r.start).date_naive()),
        when: format::range(&v.tr, v.tz, r.start, r.end),
        cancelled: r.status == Status::Cancelled,
        repeat_href: format!("/book?{query}"),
        status: r.status.as_str(),
        status_label: status_label(v, r.status),
        checkin_open: checkin_open(state, r),
        checked_in: r.checked_in_at.is_some(),
    }
}

/// The words for a status; empty for `confirmed`, the ordinary case.
pub fn status_label(v: &Viewer, status: Status) -> String {
    match status {
        Status::Confirmed => String::new(),
        other => v.tr.t(&format!("status_{}", other.as_str())).to_string(),
    }
}

/// Whether `r` may be checked in now (window and status; who may press is checked on submit).
fn checkin_open(state: &AppState, r: &Reservation) -> bool {
    r.checked_in_at.is_none()
        && state
            .rooms
            .room(r.room_id)
            .is_ok_and(|room| state.reservations.checkin_window().refusal(&room, r, crate::clock::now()).is_none())
}

#[derive(Template)]
#[template(path = "mine.html")]
struct MinePage {
    ctx: Ctx,
    upcoming: Vec<Item>,
    past: Vec<Item>,
    waiting: Vec<super::waitlist::WaitRow>,
}

pub async fn list(State(state): State<AppState>, m: Member) -> PageResult {
    let v = &m.viewer;
    let now = crate::clock::now();
    let query = |from, to| ListQuery {
        room: None,
        user: None,
        mine: true,
        from,
        to,
        include_cancelled: false,
        cursor: None,
        limit: 200,
    };
    let upcoming = state.reservations.list(&m.actor(), query(Some(now), None)).map_err(fail(v))?.items;
    let mut past =
        state.reservations.list(&m.actor(), query(Some(now - Duration::days(90)), Some(now))).map_err(fail(v))?.items;
    past.retain(|r| r.end <= now);
    past.reverse();
    let page = MinePage {
        ctx: Ctx::new(v, "mine"),
        upcoming: upcoming.iter().map(|r| item(&state, v, r)).collect(),
        past: past.iter().take(50).map(|r| item(&state, v, r)).collect(),
        waiting: super::waitlist::rows(&state, v, &m.actor()).map_err(|p| super::error_page(v, p))?,
    };
    Ok(render(StatusCode::OK, &page, v.flash.is_some()))
}

#[derive(Template)]
#[template(path = "reservation.html")]
struct DetailPage {
    ctx: Ctx,
    r: Item,
    owner: String,
    description: String,
    attendees: Vec<String>,
    room_href: String,
    may_manage: bool,
    in_series: bool,
    /// The owner or a manager, while check-in is open.
    may_check_in: bool,
    decline_reason: String,
    /// Answers to the booking fields: label, answer.
    fields: Vec<(String, String)>,
}

pub async fn detail(State(state): State<AppState>, m: Member, Path(id): Path<ReservationId>) -> PageResult {
    let v = &m.viewer;
    let r = state.reservations.get(&m.actor(), id).map_err(fail(v))?;
    let names = state.users.names().map_err(fail(v))?;
    let name = |id| names.get(&id).cloned().unwrap_or_default();
    // Booked for someone else: both, "Ana, for Luis".
    let owner = if r.created_by == r.user_id || r.booked_via.is_some() {
        name(r.user_id)
    } else {
        v.tr.f("booked_by_for", &[("by", &name(r.created_by)), ("for", &name(r.user_id))])
    };
    let may_manage = r.status.is_live()
        && r.end > crate::clock::now()
        && may_manage_reservation(m.me.user.role, r.user_id == m.me.user.id);
    let page = DetailPage {
        ctx: Ctx::new(v, "mine"),
        r: item(&state, v, &r),
        owner,
        description: r.description.clone(),
        attendees: r.attendees.clone(),
        room_href: format!("/rooms/{}", r.room_id),
        may_manage,
        in_series: r.series_id.is_some(),
        may_check_in: may_manage && checkin_open(&state, &r),
        decline_reason: r.decline_reason.clone().unwrap_or_default(),
        fields: super::booking_fields::shown(
            v,
            &state.reservations.booking_fields(&m.actor()).map_err(fail(v))?,
            &r.fields,
        ),
    };
    Ok(render(StatusCode::OK, &page, v.flash.is_some()))
}

#[derive(Template)]
#[template(path = "cancel.html")]
struct CancelPage {
    ctx: Ctx,
    r: Item,
    version: u64,
    /// An occurrence of a series: the page asks which dates to cancel.
    in_series: bool,
    /// The preselected scope (`_scope.html`).
    scope: &'static str,
}

pub async fn cancel_page(State(state): State<AppState>, m: Member, Path(id): Path<ReservationId>) -> PageResult {
    let v = &m.viewer;
    let r = state.reservations.get(&m.actor(), id).map_err(fail(v))?;
    let in_series = r.series_id.is_some();
    let page =
        CancelPage { ctx: Ctx::new(v, "mine"), r: item(&state, v, &r), version: r.version, in_series, scope: "this" };
    Ok(render(StatusCode::OK, &page, v.flash.is_some()))
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    version: String,
    /// For an occurrence of a series: `this`, `following` or `series`.
    #[serde(default)]
    scope: String,
}

pub async fn cancel(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<ReservationId>,
    Form(f): Form<CancelForm>,
) -> PageResult {
    let v = &m.viewer;
    let scope = match f.scope.as_str() {
        "following" => Scope::Following,
        "series" => Scope::Series,
        _ => Scope::This,
    };
    let r = state.reservations.cancel_scoped(&m.actor(), id, f.version.parse().ok(), scope).await.map_err(fail(v))?;
    let key = match (scope, r.series_id) {
        (Scope::Following, Some(_)) => "cancelled_following",
        (Scope::Series, Some(_)) => "cancelled_series",
        _ => "cancelled",
    };
    let when = match key {
        "cancelled_following" => format!(
            "{}, {}",
            format::date_long(&v.tr, format::local(v.tz, r.start).date_naive()),
            format::time(v.tz, r.start)
        ),
        _ => format::range(&v.tr, v.tz, r.start, r.end),
    };
    let msg = v.tr.f(key, &[("title", &r.title), ("when", &when)]);
    Ok(redirect_with("/my", &msg))
}
