//! The room door display: a full-screen page reached with a per-room device token (no user
//! sign-in). It shows free or busy in large colour and words, the meeting under way, the next
//! ones today and a clock, and offers "book now", "check in" and "end early". It stays live over
//! an SSE stream of its room's changes and refreshes every 30 s (meetings start and end without
//! any event); `static/display.js` keeps the last state on screen when the server is
//! unreachable and says since when. Every action is a plain form, so it also works without
//! JavaScript (the page then reloads itself every minute).

use super::format;
use super::session::Viewer;
use super::{assets, error_page, redirect_with};
use crate::displays::door::door_state;
use crate::events::EventKind;
use crate::i18n::Tr;
use crate::model::display::Display;
use crate::model::reservation::Reservation;
use crate::reservations::ReservationError;
use crate::types::ReservationId;
use crate::web::AppState;
use crate::web::api::stream::{About, about, accepts_event_stream, last_event_id, sse};
use crate::web::problem::Problem;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::Event as SseEvent;
use axum::response::{IntoResponse, Response};
use chrono_tz::Tz;
use futures_util::StreamExt;
use serde::Deserialize;

pub struct Line {
    pub id: String,
    pub title: String,
    pub when: String,
}

/// The part of the display that changes: refreshed whole by htmx.
pub struct Panel {
    pub tr: Tr,
    pub token: String,
    pub busy: bool,
    /// "Free" / "Busy": the big word.
    pub state: String,
    /// "Free until 14:00" / "Busy until 11:00".
    pub detail: String,
    pub current: Option<Line>,
    pub upcoming: Vec<Line>,
    pub book_lengths: Vec<u32>,
    pub check_in: Option<Line>,
    pub clock: String,
    /// The outcome of the action just taken.
    pub message: Option<String>,
}

impl Panel {
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.tr.t(key)
    }
    pub fn minutes_label(&self, n: &u32) -> String {
        self.tr.f("display_minutes", &[("n", &n.to_string())])
    }
    pub fn book_label(&self, n: &u32) -> String {
        self.tr.f("display_book_label", &[("n", &n.to_string())])
    }
}

#[derive(Template)]
#[template(path = "display.html")]
struct DisplayPage {
    p: Panel,
    room_name: String,
    location: String,
    timezone: String,
    qr: String,
    offline: String,
    css: String,
    htmx: String,
    sse: String,
    js: String,
}

#[derive(Template)]
#[template(path = "_display_panel.html")]
struct PanelFragment {
    p: Panel,
}

/// The display page a device token opens.
pub async fn page(State(state): State<AppState>, v: Viewer, headers: HeaderMap, Path(token): Path<String>) -> Response {
    let display = match state.displays.open(&token) {
        Ok(d) => d,
        Err(e) => return invalid(&v, e.into()),
    };
    let (room, panel) = match panel_for(&state, &v, &display, &token, None) {
        Ok(x) => x,
        Err(e) => return invalid(&v, e),
    };
    let room_url = format!("{}/rooms/{}", crate::web::api::displays::origin(&headers), room.id);
    let page = DisplayPage {
        qr: super::qr::svg(&room_url, v.tr.t("display_qr_label")),
        offline: v.tr.t("display_offline").to_string(),
        room_name: room.name,
        location: room.location,
        timezone: room.timezone,
        p: panel,
        css: assets::url("display.css"),
        htmx: assets::url("vendor/htmx.min.js"),
        sse: assets::url("vendor/htmx-ext-sse.min.js"),
        js: assets::url("display.js"),
    };
    super::render(StatusCode::OK, &page, v.flash.is_some())
}

/// The changing part alone, for htmx to swap in.
pub async fn panel(State(state): State<AppState>, v: Viewer, Path(token): Path<String>) -> Response {
    fragment(&state, &v, &token, None)
}

/// The display's room's changes as Server-Sent Events named `change` (the page refreshes its
/// panel on each). The stream ends when the display is revoked.
pub async fn events(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    let display = match state.displays.open(&token) {
        Ok(d) => d,
        Err(e) => return Problem::from(e).into_response(),
    };
    if !accepts_event_stream(&headers) {
        return Problem::new(StatusCode::NOT_ACCEPTABLE, "not-acceptable", "send Accept: text/event-stream")
            .into_response();
    }
    let after = match last_event_id(&headers) {
        Ok(Some(id)) => id,
        Ok(None) => *state.store.event_signal().borrow(),
        Err(p) => return p.into_response(),
    };
    let (id, room) = (display.id, display.room_id);
    let records = state
        .live
        .follow(state.store.clone(), after)
        .take_while(move |item| {
            let revoked = matches!(item, Ok(e) if e.kind == EventKind::DisplayRevoked && e.subject == id.0);
            std::future::ready(item.is_ok() && !revoked)
        })
        .filter_map(move |item| {
            let record = item.ok().filter(|e| about(e).is_some_and(|a| a.room_id() == room)).map(|e| {
                let what = match about(&e) {
                    Some(About::Room(_)) => "room",
                    _ => "reservation",
                };
                Ok(SseEvent::default().id(e.seq.to_string()).event("change").data(what))
            });
            std::future::ready(record)
        });
    sse(records)
}

#[derive(Deserialize)]
pub struct BookForm {
    #[serde(default)]
    minutes: String,
}

#[derive(Deserialize)]
pub struct MeetingForm {
    #[serde(default)]
    reservation: String,
}

/// "Book now" for 15, 30 or 60 minutes.
pub async fn book(
    State(state): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<BookForm>,
) -> Response {
    let display = match state.displays.open(&token) {
        Ok(d) => d,
        Err(e) => return invalid(&v, e.into()),
    };
    let minutes = f.minutes.trim().parse().unwrap_or(0);
    let title = v.tr.t("display_walk_up_title").to_string();
    let message = match state.reservations.walk_up(&display, minutes, title).await {
        Ok(r) => v.tr.f("display_booked", &[("time", &time_in(&state, &display, &r))]),
        Err(ReservationError::Conflict(_)) => v.tr.t("display_taken").to_string(),
        Err(e) => failure(&v, e),
    };
    answer(&state, &v, &headers, &token, message)
}

/// "End early": the meeting under way ends now.
pub async fn end_early(
    State(state): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<MeetingForm>,
) -> Response {
    meeting_action(state, v, headers, token, f, Action::EndEarly).await
}

/// "Check in" the meeting that is starting.
pub async fn check_in(
    State(state): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<MeetingForm>,
) -> Response {
    meeting_action(state, v, headers, token, f, Action::CheckIn).await
}

enum Action {
    EndEarly,
    CheckIn,
}

async fn meeting_action(
    state: AppState,
    v: Viewer,
    headers: HeaderMap,
    token: String,
    f: MeetingForm,
    action: Action,
) -> Response {
    let display = match state.displays.open(&token) {
        Ok(d) => d,
        Err(e) => return invalid(&v, e.into()),
    };
    let Ok(id) = f.reservation.trim().parse::<ReservationId>() else {
        return answer(&state, &v, &headers, &token, failure(&v, ReservationError::NotFound));
    };
    let outcome = match action {
        Action::EndEarly => state.reservations.end_early(&display, id).await.map(|_| "display_ended"),
        Action::CheckIn => state.reservations.check_in_at_display(&display, id).await.map(|_| "display_checked_in"),
    };
    let message = match outcome {
        Ok(key) => v.tr.t(key).to_string(),
        Err(e) => failure(&v, e),
    };
    answer(&state, &v, &headers, &token, message)
}

/// After an action: htmx gets the refreshed panel with the message; a plain form post is sent
/// back to the page with the message as a flash.
fn answer(state: &AppState, v: &Viewer, headers: &HeaderMap, token: &str, message: String) -> Response {
    if headers.contains_key("hx-request") {
        fragment(state, v, token, Some(message))
    } else {
        redirect_with(&format!("/display/{token}"), &message)
    }
}

fn fragment(state: &AppState, v: &Viewer, token: &str, message: Option<String>) -> Response {
    let display = match state.displays.open(token) {
        Ok(d) => d,
        Err(e) => return Problem::from(e).into_response(),
    };
    match panel_for(state, v, &display, token, message) {
        Ok((_, p)) => html(StatusCode::OK, PanelFragment { p }.render()),
        Err(p) => p.into_response(),
    }
}

fn failure(v: &Viewer, e: ReservationError) -> String {
    v.tr.f("display_failed", &[("detail", &Problem::from(e).detail)])
}

fn time_in(state: &AppState, display: &Display, r: &Reservation) -> String {
    let tz = state.rooms.room(display.room_id).ok().and_then(|room| room.timezone.parse().ok()).unwrap_or(Tz::UTC);
    format::time(tz, r.end)
}

/// Decides what the display shows now.
fn panel_for(
    state: &AppState,
    v: &Viewer,
    display: &Display,
    token: &str,
    message: Option<String>,
) -> Result<(crate::model::room::Room, Panel), Problem> {
    let now = crate::clock::now();
    let (room, meetings) = state.displays.today(display, now)?;
    let tz: Tz = room.timezone.parse().unwrap_or(Tz::UTC);
    let window = state.reservations.checkin_window();
    let s = door_state(&room, &meetings, now, &window);
    let tr = v.tr;
    let line = |r: &Reservation| Line {
        id: r.id.to_string(),
        title: r.title.clone(),
        when: format::range(&tr, tz, r.start, r.end),
    };
    let busy = s.current.is_some();
    let detail = match (s.current, s.free_until) {
        (Some(r), _) => tr.f("display_busy_until", &[("time", &format::time(tz, r.end))]),
        (None, Some(t)) => tr.f("display_free_until", &[("time", &format::time(tz, t))]),
        (None, None) => tr.t("display_free_rest_of_day").to_string(),
    };
    let panel = Panel {
        tr,
        token: token.to_string(),
        busy,
        state: tr.t(if busy { "display_busy" } else { "display_free" }).to_string(),
        detail,
        current: s.current.map(line),
        upcoming: s.upcoming.iter().map(|r| line(r)).collect(),
        book_lengths: s.book_lengths,
        check_in: s.check_in.map(line),
        clock: format::time(tz, now),
        message: message.or_else(|| v.flash.clone()),
    };
    Ok((room, panel))
}

/// An unknown or revoked token: a plain explanation, no hint of what exists.
fn invalid(v: &Viewer, p: Problem) -> Response {
    if p.status == 404 {
        error_page(v, Problem::new(StatusCode::NOT_FOUND, "not-found", v.tr.t("display_invalid")))
    } else {
        error_page(v, p)
    }
}

fn html(status: StatusCode, rendered: Result<String, askama::Error>) -> Response {
    match rendered {
        Ok(body) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Err(e) => {
            let mut res = (StatusCode::INTERNAL_SERVER_ERROR, "the panel could not be rendered").into_response();
            res.extensions_mut().insert(crate::web::problem::InternalCause(e.to_string()));
            res
        }
    }
}
