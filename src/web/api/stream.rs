//! `GET /api/v1/events/stream`: Server-Sent Events of the reservation and room changes the
//! caller may see, live, resumable with `Last-Event-ID` (each event's `id` is its position in
//! the durable event log). The fan-out and its slow-client rule are in [`crate::events::live`].
//!
//! Authentication is the API's (bearer access token or API key) or, for the web pages'
//! `EventSource`, the session cookie. A request that does not ask for `text/event-stream` gets a
//! 406 instead of a stream that never ends.

use super::reservations::ReservationDto;
use super::rooms::RoomDto;
use crate::access::{Action, Actor};
use crate::events::{Event, EventKind};
use crate::model::reservation::Reservation;
use crate::model::room::Room;
use crate::types::{EventId, RoomId};
use crate::web::AppState;
use crate::web::extract::ApiQuery;
use crate::web::problem::Problem;
use crate::web::ui::session::{SESSION_COOKIE, cookie};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{FromRequestParts, State};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};

/// How often an idle stream sends a comment line, so proxies and clients know it is alive.
pub const KEEPALIVE: Duration = Duration::from_secs(15);
/// How long a client waits before reconnecting after the stream ends (the SSE `retry:` field).
const RETRY: Duration = Duration::from_secs(2);

/// One event on the stream (the `data:` line). The SSE `event:` name is `kind`, the SSE `id:`
/// is `seq`.
#[derive(Serialize, ToSchema)]
pub struct StreamEventDto {
    /// Position in the event log; send the last one seen back in `Last-Event-ID` to resume.
    seq: u64,
    #[schema(value_type = String, format = Uuid)]
    id: EventId,
    /// `reservation.created`, `reservation.updated`, `reservation.cancelled`,
    /// `reservation.approved`, `reservation.declined`, `reservation.checked_in`,
    /// `reservation.no_show`, `room.created`, `room.updated` or `room.archived`.
    #[schema(value_type = String, example = "reservation.created")]
    kind: EventKind,
    at: DateTime<Utc>,
    /// The room the change concerns.
    #[schema(value_type = String, format = Uuid)]
    room_id: RoomId,
    /// For `reservation.*`: the reservation after the change, as `GET /reservations/{id}` shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    reservation: Option<ReservationDto>,
    /// For `room.*`: the room after the change, as `GET /rooms` shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    room: Option<RoomDto>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// Only this room's changes.
    #[param(value_type = Option<String>, format = Uuid)]
    room_id: Option<RoomId>,
    /// Only changes to the caller's own reservations (no room events).
    #[serde(default)]
    mine: bool,
    /// Start after this position of the log, for clients that cannot send `Last-Event-ID`
    /// (the header wins). Without either, the stream starts with the next change.
    after: Option<u64>,
}

/// Who is watching: an API caller or a signed-in browser.
pub struct Watcher(pub Actor);

impl FromRequestParts<AppState> for Watcher {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            return Actor::from_request_parts(parts, state).await.map(Watcher);
        }
        let me = cookie(&parts.headers, SESSION_COOKIE).and_then(|secret| state.users.session(&secret).ok().flatten());
        match me {
            Some(me) => Ok(Watcher(Actor::user(me.user.id, me.user.role))),
            None => Err(Problem::unauthenticated("sign in: send Authorization: Bearer <token>")),
        }
    }
}

/// Live reservation and room changes (Server-Sent Events). Send `Accept: text/event-stream`;
/// resume with `Last-Event-ID`. Each event's `data` is a `StreamEventDto`; comment lines keep
/// an idle stream alive. A client that falls far behind is disconnected and resumes from the log.
#[utoipa::path(get, path = "/events/stream", tag = "events", security(("bearer" = [])),
    params(StreamQuery, ("Last-Event-ID" = Option<String>, Header, description = "The `seq` of the last event received")),
    responses(
        (status = 200, content_type = "text/event-stream", body = StreamEventDto,
            description = "A stream of `id:`/`event:`/`data:` records; `data` is a StreamEventDto"),
        (status = 401, body = Problem), (status = 406, body = Problem), (status = 422, body = Problem)))]
pub async fn stream(
    State(state): State<AppState>,
    Watcher(actor): Watcher,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> Result<Response, Problem> {
    actor.require(Action::ReadReservations)?;
    if !accepts_event_stream(&headers) {
        return Err(Problem::new(
            StatusCode::NOT_ACCEPTABLE,
            "not-acceptable",
            "this is a Server-Sent Events stream: send Accept: text/event-stream",
        ));
    }
    let after = match last_event_id(&headers)? {
        Some(id) => id,
        None => q.after.unwrap_or_else(|| *state.store.event_signal().borrow()),
    };
    let events = state.live.follow(state.store.clone(), after);
    let filter = Filter { actor, room: q.room_id, mine: q.mine };
    let records = events.filter_map(move |item| {
        let out = match item {
            Ok(e) => filter.record(&state, &e).map(|dto| Ok(sse_record(&e, &dto))),
            // Too slow: the stream ends; the client reconnects with its Last-Event-ID.
            Err(_) => None,
        };
        std::future::ready(out)
    });
    Ok(sse(records))
}

/// `GET /api/v1/events/ws`: the same stream over a WebSocket, for clients that speak it rather
/// than Server-Sent Events. The same authentication, rights and filters (`room_id`, `mine`);
/// each text message is one `StreamEventDto`. Resume with `?after=SEQ`, the `seq` of the last
/// message received: nothing is lost or repeated. A client that falls too far behind is closed
/// (code 1008) and resumes from the log. Not in the OpenAPI paths, which cannot describe an
/// upgrade; its description names it.
pub async fn websocket(
    State(state): State<AppState>,
    Watcher(actor): Watcher,
    ApiQuery(q): ApiQuery<StreamQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, Problem> {
    actor.require(Action::ReadReservations)?;
    let after = q.after.unwrap_or_else(|| *state.store.event_signal().borrow());
    let filter = Filter { actor, room: q.room_id, mine: q.mine };
    Ok(upgrade.on_upgrade(move |socket| send_events(state, socket, filter, after)))
}

async fn send_events(state: AppState, mut socket: WebSocket, filter: Filter, after: u64) {
    let mut events = std::pin::pin!(state.live.follow(state.store.clone(), after));
    loop {
        tokio::select! {
            next = events.next() => {
                let text = match next {
                    Some(Ok(e)) => match filter.record(&state, &e).and_then(|dto| serde_json::to_string(&dto).ok()) {
                        Some(text) => text,
                        None => continue,
                    },
                    // Too slow, or the server stops: closed with the reason; the client
                    // resumes with `after`.
                    ended => {
                        let (code, reason) = match ended {
                            Some(Err(_)) => (close_code::POLICY, "too far behind: resume with ?after=SEQ"),
                            _ => (close_code::AWAY, "the server is stopping: resume with ?after=SEQ"),
                        };
                        let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                        return;
                    }
                };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            // The client's own messages are not read for anything but its leaving.
            incoming = socket.recv() => {
                if matches!(incoming, None | Some(Err(_)) | Some(Ok(Message::Close(_)))) {
                    return;
                }
            }
        }
    }
}

/// An SSE response from `records`, with the reconnect delay first and keep-alive comments.
pub fn sse(records: impl Stream<Item = Result<SseEvent, Infallible>> + Send + 'static) -> Response {
    let first = futures_util::stream::once(std::future::ready(Ok(SseEvent::default().retry(RETRY))));
    let mut res = Sse::new(first.chain(records)).keep_alive(KeepAlive::new().interval(KEEPALIVE)).into_response();
    // Reverse proxies (nginx) buffer responses unless told not to; a buffered stream is not live.
    res.headers_mut().insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    res
}

/// True when the client asks for an event stream (an `EventSource` always does).
pub fn accepts_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| m.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("text/event-stream"))
}

/// The `Last-Event-ID` a reconnecting client sends: the seq of the last event it received.
// A Problem is large, but it is built at most once per request, on the way out.
#[allow(clippy::result_large_err)]
pub fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, Problem> {
    let Some(v) = headers.get("last-event-id") else { return Ok(None) };
    let text = v.to_str().unwrap_or("").trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| Problem::bad_request("Last-Event-ID must be the id of an event this stream sent"))
}

/// What one watcher gets to see.
struct Filter {
    actor: Actor,
    room: Option<RoomId>,
    mine: bool,
}

impl Filter {
    /// The record `actor` may see of `e`, or None.
    fn record(&self, state: &AppState, e: &Arc<Event>) -> Option<StreamEventDto> {
        let (room_id, owner, reservation, room) = match about(e)? {
            About::Reservation(r) => {
                if self.mine && r.user_id != self.actor.id {
                    return None;
                }
                (r.room_id, r.user_id == self.actor.id, Some(ReservationDto::from(r)), None)
            }
            About::Room(room) if !self.mine => (room.id, false, None, Some(RoomDto::from(room))),
            About::Room(_) => return None,
        };
        if self.room.is_some_and(|wanted| wanted != room_id) {
            return None;
        }
        // As `GET /reservations/{id}` decides: a reservation is visible to its owner and to
        // those who may see its room.
        if !owner && !may_see_room(state, &self.actor, room_id) {
            return None;
        }
        Some(StreamEventDto { seq: e.seq, id: e.id, kind: e.kind, at: e.at, room_id, reservation, room })
    }
}

/// What a live event is about.
pub enum About {
    Reservation(Reservation),
    Room(Room),
}

/// The reservation or room an event carries, for the kinds the stream shows.
pub fn about(e: &Event) -> Option<About> {
    use EventKind::*;
    match e.kind {
        ReservationCreated | ReservationUpdated | ReservationCancelled | ReservationApproved | ReservationDeclined
        | ReservationCheckedIn | ReservationNoShow => e.snapshot().ok().map(About::Reservation),
        RoomCreated | RoomUpdated | RoomArchived => e.snapshot().ok().map(About::Room),
        _ => None,
    }
}

impl About {
    pub fn room_id(&self) -> RoomId {
        match self {
            About::Reservation(r) => r.room_id,
            About::Room(room) => room.id,
        }
    }
}

/// Whether `actor` may see `room` (and so its rooms' and reservations' changes): the room
/// access rules' in-memory lookup, the one the REST listings use.
fn may_see_room(state: &AppState, actor: &Actor, room: RoomId) -> bool {
    state.groups.may_see(actor, room)
}

fn sse_record(e: &Event, dto: &StreamEventDto) -> SseEvent {
    let kind = serde_json::to_value(e.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    SseEvent::default()
        .id(e.seq.to_string())
        .event(kind)
        .json_data(dto)
        .unwrap_or_else(|_| SseEvent::default().comment("unserializable event"))
}
