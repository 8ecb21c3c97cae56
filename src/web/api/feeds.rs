//! iCalendar feeds (RFC 5545) of a room's or a user's reservations, for calendar clients to
//! subscribe to. The URL carries a secret token instead of credentials, since calendar clients
//! cannot sign in. Every reservation is its own VEVENT with times in UTC, occurrences of a series
//! included: a recurring VEVENT with UTC times would drift an hour at DST changes, and separate
//! events expand to exactly the occurrences the API lists in every client. Cancelled
//! reservations stay in the feed with STATUS:CANCELLED, so subscribers drop them.

use super::rooms::RoomDto;
use super::users::UserDto;
use crate::access::Actor;
use crate::clock;
use crate::model::policy::Policy;
use crate::model::reservation::Status;
use crate::model::room::Room;
use crate::notify::ics::{fold, text, utc};
use crate::reservations::feed::{Feed, FeedOwner};
use crate::types::{RoomId, UserId};
use crate::web::AppState;
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
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
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Salas//Room booking//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!("X-WR-CALNAME:{}", text(&feed.name)),
        "REFRESH-INTERVAL;VALUE=DURATION:PT15M".into(),
        "X-PUBLISHED-TTL:PT15M".into(),
    ];
    for (r, room) in &feed.items {
        lines.extend([
            "BEGIN:VEVENT".to_string(),
            format!("UID:{}@salas", r.id),
            format!("SEQUENCE:{}", r.version),
            format!("DTSTAMP:{}", utc(r.updated_at)),
            format!("LAST-MODIFIED:{}", utc(r.updated_at)),
            format!("DTSTART:{}", utc(r.start)),
            format!("DTEND:{}", utc(r.end)),
            format!("SUMMARY:{}", text(&r.title)),
            format!("LOCATION:{}", text(room)),
            format!("STATUS:{}", if r.status == Status::Cancelled { "CANCELLED" } else { "CONFIRMED" }),
        ]);
        if !r.description.is_empty() {
            lines.push(format!("DESCRIPTION:{}", text(&r.description)));
        }
        if let Some(series) = r.series_id {
            // Groups a series' occurrences for clients that show it; each is its own event.
            lines.push(format!("RELATED-TO;RELTYPE=SIBLING:{series}@salas"));
        }
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|l| fold(l)).collect()
}
