//! Approvals and check-in: the approval queue, approve/decline (with a series scope, like cancel)
//! and checking a meeting in.

use super::reservations::{ReservationDto, paged};
use super::series::ScopeQuery;
use super::with_etag;
use crate::access::Actor;
use crate::reservations::Decision;
use crate::types::ReservationId;
use crate::web::AppState;
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::problem::Problem;
use axum::extract::{FromRequest, OriginalUri, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListApprovals {
    /// From the `Link: <…>; rel="next"` header of the previous page.
    cursor: Option<String>,
    /// Page size, 1 to 500 (default 100).
    limit: Option<usize>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DeclineBody {
    /// Why, in a sentence; the owner is told. At most 1000 characters.
    reason: Option<String>,
}

/// The approval queue: pending reservations of the rooms you may approve (managers and admins:
/// every room), oldest request first, 100 a page by default; the next page's address is in the
/// `Link` header (`rel="next"`), its cursor also in `X-Next-Cursor`.
#[utoipa::path(get, path = "/approvals", tag = "reservations", security(("bearer" = [])), params(ListApprovals),
    responses((status = 200, body = Vec<ReservationDto>), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    OriginalUri(uri): OriginalUri,
    ApiQuery(q): ApiQuery<ListApprovals>,
) -> Result<Response, Problem> {
    let page = state.reservations.approvals(&actor, q.cursor.as_deref(), q.limit.unwrap_or(100))?;
    Ok(paged(&uri, page))
}

/// Approve a pending reservation (status `confirmed`); the owner is told. With `scope`, the
/// pending occurrences of its series that the scope names are approved too. Only for pending
/// reservations (409 otherwise), by those who may approve in the room (403 otherwise).
#[utoipa::path(post, path = "/reservations/{id}/approve", tag = "reservations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ScopeQuery),
    responses((status = 200, body = ReservationDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The reservation is not pending", body = Problem), (status = 422, body = Problem)))]
pub async fn approve(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<ReservationId>,
    ApiQuery(q): ApiQuery<ScopeQuery>,
) -> Result<Response, Problem> {
    let r = state.reservations.decide(&actor, id, Decision::Approve, q.scope()).await?;
    Ok(with_etag(StatusCode::OK, r.version, ReservationDto::from(r)))
}

/// Decline a pending reservation (status `declined`; the slot is free again), optionally with a
/// reason in a JSON body (`{"reason": "…"}`); the owner is told. `scope` as for approve.
#[utoipa::path(post, path = "/reservations/{id}/decline", tag = "reservations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ScopeQuery),
    request_body(content = Option<DeclineBody>, description = "Optional"),
    responses((status = 200, body = ReservationDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The reservation is not pending", body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn decline(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<ReservationId>,
    ApiQuery(q): ApiQuery<ScopeQuery>,
    req: Request,
) -> Result<Response, Problem> {
    // The body is optional: without a Content-Type there is none to read.
    let body = if req.headers().contains_key(header::CONTENT_TYPE) {
        ApiJson::<DeclineBody>::from_request(req, &state).await?.0
    } else {
        DeclineBody::default()
    };
    let decision = Decision::Decline { reason: body.reason };
    let r = state.reservations.decide(&actor, id, decision, q.scope()).await?;
    Ok(with_etag(StatusCode::OK, r.version, ReservationDto::from(r)))
}

/// Check a reservation in (its owner, managers and admins): from a few minutes before the start
/// (`booking.checkin_early_minutes`) until the room's check-in window closes (in rooms that
/// require check-in; elsewhere until the end). A 409 says why it is not possible now
/// (`checkin_not_open`, `checkin_closed`, `not_confirmed`, `closed`). Checking in twice is
/// harmless.
#[utoipa::path(post, path = "/reservations/{id}/check-in", tag = "reservations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ReservationDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Check-in is not open, already closed, or the reservation is not confirmed", body = Problem)))]
pub async fn check_in(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<ReservationId>,
) -> Result<Response, Problem> {
    let r = state.reservations.check_in(&actor, id).await?;
    Ok(with_etag(StatusCode::OK, r.version, ReservationDto::from(r)))
}
