//! iCalendar feeds (RFC 5545) of a room's or a user's reservations, for calendar clients to
//! subscribe to. The URL carries a secret token instead of credentials, since calendar clients
//! cannot sign in. A single reservation is a VEVENT in UTC; a series is one recurring VEVENT in
//! its room's zone (see `calendars::recurring`), which expands to exactly the occurrences the
//! API lists. Cancelled reservations stay in the feed with STATUS:CANCELLED, so subscribers drop
//! them; a series' cancelled occurrences are EXDATEs.

use super::rooms::RoomDto;
use super::users::UserDto;
use crate::access::Actor;
use crate::calendars::ics::{Entry, Method, Writer};
use crate::calendars::recurring::{series_event, series_uid};
use crate::clock;
use crate::model::policy::Policy;
use crate::model::reservation::Reservation;
use crate::model::room::Room;
use crate::reservations::feed::{Feed, FeedOwner};
use crate::types::{RoomId, UserId};
use crate::web::AppState;
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use icalendar::Property;
use serde::Serialize;
use utoipa::ToSchema;

/// A room with the address of its calendar feed.
#[derive(Serialize, ToSchema)]
pub struct RoomWithFeed {
    #[serde(flatten)]
    pub room: RoomDto,
    /// What applies to the room: the server's defaults, then its location's, then its own.
    pub effective_policy: Policy,
    /// Subscribe to the room's reservations from a calendar client. Secret: anyone with it can
    /// read the feed; managers replace it with `POST /rooms/{id}/feed-token`.
    pub ics_url: String,
}

/// You, with the address of your calendar feed.
#[derive(Serialize, ToSchema)]
pub struct MeWithFeed {
    #[serde(flatten)]
    pub user: UserDto,
    /// Subscribe to your reservations from a calendar client. Secret: replace it with
    /// `POST /users/me/feed-token` if it leaks.
    pub ics_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct FeedUrl {
    pub ics_url: String,
}

/// A room as the API shows it alone (not in lists): with its feed's address.
// A Problem is large, but it is built at most once per request, on the way out.
#[allow(clippy::result_large_err)]
pub fn with_feed(state: &AppState, headers: &HeaderMap, room: Room) -> Result<RoomWithFeed, Problem> {
    let owner = FeedOwner::Room(room.id);
    let ics_url = ics_url(headers, owner, &state.reservations.feed_token(owner)?);
    let effective_policy = state.rooms.effective_policy(&room)?;
    Ok(RoomWithFeed { room: RoomDto::from(room), effective_policy, ics_url })
}

/// The feed's absolute address, on the host and scheme the client used to reach the API.
pub fn ics_url(headers: &HeaderMap, owner: FeedOwner, token: &str) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let https = headers.get("x-forwarded-proto").is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
    let path = match owner {
        FeedOwner::Room(id) => format!("rooms/{id}"),
        FeedOwner::User(id) => format!("users/{id}"),
    };
    format!("{}://{host}/api/v1/feeds/{path}/{token}.ics", if https { "https" } else { "http" })
}

/// A room's reservations as an iCalendar feed; the address comes from `ics_url`.
#[utoipa::path(get, path = "/feeds/rooms/{id}/{token}", tag = "feeds",
    params(("id" = String, Path, format = Uuid), ("token" = String, Path, description = "`<token>.ics`")),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = Problem)))]
pub async fn room(
    State(state): State<AppState>,
    Path((id, file)): Path<(RoomId, String)>,
) -> Result<Response, Problem> {
    serve(&state, FeedOwner::Room(id), &file)
}

/// A user's reservations as an iCalendar feed; the address comes from `ics_url`.
#[utoipa::path(get, path = "/feeds/users/{id}/{token}", tag = "feeds",
    params(("id" = String, Path, format = Uuid), ("token" = String, Path, description = "`<token>.ics`")),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = Problem)))]
pub async fn user(
    State(state): State<AppState>,
    Path((id, file)): Path<(UserId, String)>,
) -> Result<Response, Problem> {
    serve(&state, FeedOwner::User(id), &file)
}

/// Replace a room's feed address (managers); the old one stops working.
#[utoipa::path(post, path = "/rooms/{id}/feed-token", tag = "feeds", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = FeedUrl), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reset_room(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<RoomId>,
) -> Result<Json<FeedUrl>, Problem> {
    if !state.groups.may_see(&actor, id) {
        return Err(Problem::not_found("room"));
    }
    let owner = FeedOwner::Room(id);
    let token = state.reservations.reset_feed_token(&actor, owner).await?;
    Ok(Json(FeedUrl { ics_url: ics_url(&headers, owner, &token) }))
}

/// Replace your feed address; the old one stops working.
#[utoipa::path(post, path = "/users/me/feed-token", tag = "feeds", security(("bearer" = [])),
    responses((status = 200, body = FeedUrl)))]
pub async fn reset_mine(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
) -> Result<Json<FeedUrl>, Problem> {
    let owner = FeedOwner::User(actor.id);
    let token = state.reservations.reset_feed_token(&actor, owner).await?;
    Ok(Json(FeedUrl { ics_url: ics_url(&headers, owner, &token) }))
}

// A Problem is large, but it is built at most once per request, on the way out.
#[allow(clippy::result_large_err)]
fn serve(state: &AppState, owner: FeedOwner, file: &str) -> Result<Response, Problem> {
    let token = file.strip_suffix(".ics").unwrap_or(file);
    let feed = state.reservations.feed(owner, token, clock::now())?;
    let mut res = render(&feed).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    Ok(res)
}

fn render(feed: &Feed) -> String {
    let mut w = Writer::new(Some(Method::Publish));
    w.property(Property::new("X-WR-CALNAME", &feed.name))
        .property(Property::new("REFRESH-INTERVAL", "PT15M").add_parameter("VALUE", "DURATION").done())
        .property(Property::new("X-PUBLISHED-TTL", "PT15M"));
    let uids: Vec<String> = feed.items.iter().map(|(r, _)| format!("{}@salas", r.id)).collect();
    for ((r, room), uid) in feed.items.iter().zip(&uids) {
        w.event(&entry(uid, r, room));
    }
    for whole in &feed.series {
        let Some(id) = whole.first().and_then(|(r, _)| r.series_id) else { continue };
        let uid = series_uid(id);
        let occurrences: Vec<(&Reservation, &str)> = whole.iter().map(|(r, room)| (r, room.as_str())).collect();
        match series_event(&uid, &occurrences) {
            Some(series) => {
                w.series(&series);
            }
            None => {
                let uids: Vec<String> = whole.iter().map(|(r, _)| format!("{}@salas", r.id)).collect();
                for ((r, room), uid) in whole.iter().zip(&uids) {
                    w.event(&entry(uid, r, room));
                }
            }
        }
    }
    w.finish()
}

/// A reservation on its own, as of its last change.
fn entry<'a>(uid: &'a str, r: &'a Reservation, room: &'a str) -> Entry<'a> {
    Entry {
        uid,
        sequence: r.version,
        stamp: r.updated_at,
        modified: Some(r.updated_at),
        range: r.range(),
        title: &r.title,
        description: &r.description,
        location: room,
        status: r.status,
        people: None,
        recurrence_id: None,
    }
}
