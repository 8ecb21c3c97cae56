//! A room's free/busy time as iCalendar VFREEBUSY, for tools that read an "Internet free/busy"
//! address (Outlook) rather than speak CalDAV: reachable with a bearer token, or with the
//! room's feed token in `?token=` (the one in its `ics_url`).

use super::Instant;
use crate::access::Actor;
use crate::calendars::ical;
use crate::clock;
use crate::reservations::feed::FeedOwner;
use crate::types::{RoomId, TimeRange};
use crate::web::AppState;
use crate::web::extract::ApiQuery;
use crate::web::problem::Problem;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::{HeaderValue, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FreeBusyQuery {
    /// RFC 3339 with an offset.
    #[param(value_type = String, format = DateTime)]
    from: Instant,
    #[param(value_type = String, format = DateTime)]
    to: Instant,
    /// The room's feed token, instead of a bearer token.
    token: Option<String>,
}

/// Busy time of a room in a window (`FBTYPE=BUSY`; `BUSY-TENTATIVE` while awaiting approval).
#[utoipa::path(get, path = "/rooms/{id}/freebusy.ifb", tag = "rooms", security((), ("bearer" = [])),
    params(("id" = String, Path, format = Uuid), FreeBusyQuery),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn room(
    State(state): State<AppState>,
    Path(id): Path<RoomId>,
    ApiQuery(q): ApiQuery<FreeBusyQuery>,
    mut parts: Parts,
) -> Result<Response, Problem> {
    let actor = match (&q.token, parts.headers.contains_key(header::AUTHORIZATION)) {
        (Some(token), false) => {
            state.reservations.check_feed_token(FeedOwner::Room(id), token).map_err(|_| Problem::not_found("room"))?;
            None
        }
        _ => Some(Actor::from_request_parts(&mut parts, &state).await?),
    };
    let window = TimeRange::new(q.from.0, q.to.0);
    let busy = state.calendars.busy(actor.as_ref(), id, window)?;
    let mut res = ical::freebusy(window, &busy, clock::now()).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    Ok(res)
}
