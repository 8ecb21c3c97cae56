use super::series::{OnConflictDto, ScopeQuery, SeriesCreatedDto};
use super::{Instant, created, with_etag};
use crate::access::Actor;
use crate::model::field::Answers;
use crate::model::reservation::{Reservation, Status};
use crate::reservations::series::{OnConflict, SeriesRequest};
use crate::reservations::{ListQuery, NewReservation, Page, ReservationError, ReservationPatch};
use crate::types::{DisplayId, ReservationId, RoomId, SeriesId, UserId};
use crate::validation::FieldErrors;
use crate::web::AppState;
use crate::web::extract::{ApiJson, ApiQuery, IfMatch};
use crate::web::problem::Problem;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct ReservationDto {
    #[schema(value_type = String, format = Uuid)]
    id: ReservationId,
    #[schema(value_type = String, format = Uuid)]
    room_id: RoomId,
    /// Who the reservation is for.
    #[schema(value_type = String, format = Uuid)]
    user_id: UserId,
    title: String,
    description: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    attendees: Vec<String>,
    /// `confirmed`, `pending` (waiting for approval; it holds its slot), `cancelled`,
    /// `declined` or `no_show` (not checked in within the room's window; released).
    #[schema(value_type = String, example = "confirmed")]
    status: Status,
    /// Send it back in `If-Match` when changing the reservation.
    version: u64,
    #[schema(value_type = String, format = Uuid)]
    created_by: UserId,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    cancelled_at: Option<DateTime<Utc>>,
    /// The recurring series this is an occurrence of (see `GET /series/{id}`).
    #[schema(value_type = Option<String>, format = Uuid)]
    series_id: Option<SeriesId>,
    /// When the meeting was checked in.
    checked_in_at: Option<DateTime<Utc>>,
    /// Who approved or declined the request, and when.
    #[schema(value_type = Option<String>, format = Uuid)]
    decided_by: Option<UserId>,
    decided_at: Option<DateTime<Utc>>,
    /// The approver's reason for declining, if given.
    decline_reason: Option<String>,
    /// The room door display a walk-up booking was made on (`GET /displays`).
    #[schema(value_type = Option<String>, format = Uuid)]
    booked_via: Option<DisplayId>,
    /// Answers to the booking fields (`GET /booking-fields`), by key: text, number or boolean.
    #[schema(value_type = Object)]
    fields: Answers,
}

impl From<&Reservation> for ReservationDto {
    fn from(r: &Reservation) -> Self {
        r.clone().into()
    }
}

impl From<Reservation> for ReservationDto {
    fn from(r: Reservation) -> Self {
        ReservationDto {
            id: r.id,
            room_id: r.room_id,
            user_id: r.user_id,
            title: r.title,
            description: r.description,
            start: r.start,
            end: r.end,
            attendees: r.attendees,
            status: r.status,
            version: r.version,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            cancelled_at: r.cancelled_at,
            series_id: r.series_id,
            checked_in_at: r.checked_in_at,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            decline_reason: r.decline_reason,
            booked_via: r.booked_via,
            fields: r.fields,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReservation {
    #[schema(value_type = String, format = Uuid)]
    room_id: RoomId,
    title: String,
    description: Option<String>,
    /// RFC 3339 with an offset.
    #[schema(value_type = String, format = DateTime)]
    start: Instant,
    #[schema(value_type = String, format = DateTime)]
    end: Instant,
    /// E-mail addresses.
    #[serde(default)]
    attendees: Vec<String>,
    /// Book for someone else (managers and admins).
    #[schema(value_type = Option<String>, format = Uuid)]
    user_id: Option<UserId>,
    /// Repeat: an RFC 5545 RRULE such as `FREQ=WEEKLY;BYDAY=TU;COUNT=10` or
    /// `FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20271231`, with COUNT or UNTIL. `start` is the first
    /// occurrence; every occurrence keeps its local time in the room's time zone.
    #[schema(example = "FREQ=WEEKLY;COUNT=10")]
    rrule: Option<String>,
    /// With `rrule`: `fail` (default) or `skip`.
    on_conflict: Option<OnConflictDto>,
    /// Answers to the booking fields by key; a required one missing or a bad value → 422
    /// naming `fields.KEY`.
    #[serde(default)]
    #[schema(value_type = Object)]
    fields: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateReservation {
    /// Move to another room.
    #[schema(value_type = Option<String>, format = Uuid)]
    room_id: Option<RoomId>,
    title: Option<String>,
    description: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    start: Option<Instant>,
    #[schema(value_type = Option<String>, format = DateTime)]
    end: Option<Instant>,
    attendees: Option<Vec<String>>,
    /// Replaces every answer to the booking fields (judged as for a new booking).
    #[schema(value_type = Option<Object>)]
    fields: Option<BTreeMap<String, serde_json::Value>>,
}

impl CreateReservation {
    /// The booking, and the repeat rule with its conflict handling if there is one. `on_conflict`
    /// without `rrule` is refused here, before anything else is checked.
    pub fn into_parts(self) -> Result<(NewReservation, Option<(String, OnConflict)>), FieldErrors> {
        let input = NewReservation {
            room_id: self.room_id,
            title: self.title,
            description: self.description,
            start: self.start.0,
            end: self.end.0,
            attendees: self.attendees,
            user_id: self.user_id,
            fields: Some(self.fields),
        };
        match (self.rrule, self.on_conflict) {
            (Some(rrule), on_conflict) => Ok((input, Some((rrule, on_conflict.map(Into::into).unwrap_or_default())))),
            (None, Some(_)) => Err(FieldErrors::one("on_conflict", "needs_rrule", "only applies with rrule")),
            (None, None) => Ok((input, None)),
        }
    }
}

impl UpdateReservation {
    pub fn into_patch(self) -> ReservationPatch {
        ReservationPatch {
            room_id: self.room_id,
            title: self.title,
            description: self.description,
            start: self.start.map(|t| t.0),
            end: self.end.map(|t| t.0),
            attendees: self.attendees,
            fields: self.fields,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListReservations {
    #[param(value_type = Option<String>, format = Uuid)]
    room_id: Option<RoomId>,
    /// Reservations of this user.
    #[param(value_type = Option<String>, format = Uuid)]
    user_id: Option<UserId>,
    /// Only your own reservations.
    #[serde(default)]
    mine: bool,
    /// Reservations ending after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<Instant>,
    /// Reservations starting before this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<Instant>,
    /// Include cancelled reservations.
    #[serde(default)]
    include_cancelled: bool,
    /// From the `Link: <…>; rel="next"` header of the previous page.
    cursor: Option<String>,
    /// Page size, 1 to 500 (default 100).
    limit: Option<usize>,
}

/// Reservations in start order, 100 a page by default; the next page's address is in the
/// `Link` header (`rel="next"`), its cursor also in `X-Next-Cursor`.
#[utoipa::path(get, path = "/reservations", tag = "reservations", security(("bearer" = [])), params(ListReservations),
    responses((status = 200, body = Vec<ReservationDto>), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    OriginalUri(uri): OriginalUri,
    ApiQuery(q): ApiQuery<ListReservations>,
) -> Result<Response, Problem> {
    let query = ListQuery {
        room: q.room_id,
        user: q.user_id,
        mine: q.mine,
        from: q.from.map(|t| t.0),
        to: q.to.map(|t| t.0),
        include_cancelled: q.include_cancelled,
        cursor: q.cursor,
        limit: q.limit.unwrap_or(100),
    };
    let page = state.reservations.list(&actor, query)?;
    Ok(paged(&uri, page))
}

/// A page of reservations with the next page's address in `Link` (`rel="next"`) and its cursor in
/// `X-Next-Cursor`.
pub(super) fn paged(uri: &axum::http::Uri, page: Page) -> Response {
    let items: Vec<ReservationDto> = page.items.into_iter().map(Into::into).collect();
    let mut res = axum::Json(items).into_response();
    if let Some(cursor) = page.next_cursor {
        super::link_next(&mut res, uri, &cursor);
    }
    res
}

/// Book a room. An overlap with a live reservation of the room is a 409 listing the conflicts.
/// With `rrule`, books a recurring series in one transaction and answers with every occurrence
/// (`SeriesCreatedDto`); a 409 then also lists each taken occurrence under `occurrences`.
#[utoipa::path(post, path = "/reservations", tag = "reservations", security(("bearer" = [])), request_body = CreateReservation,
    responses((status = 201, body = ReservationDto), (status = 201, description = "With `rrule`", body = SeriesCreatedDto),
        (status = 403, body = Problem),
        (status = 409, description = "The room is taken; `conflicts` lists the reservations in the way", body = Problem),
        (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<CreateReservation>,
) -> Result<Response, Problem> {
    let (input, repeat) = b.into_parts()?;
    if let Some((rrule, on_conflict)) = repeat {
        let result = state.reservations.create_series(&actor, input, SeriesRequest::rule(rrule), on_conflict).await;
        count(&state, &result);
        let s = result?;
        state.metrics.reservations_created.fetch_add(s.booked.len() as u64, Ordering::Relaxed);
        return Ok(created(format!("/api/v1/series/{}", s.series_id), None, SeriesCreatedDto::from(s)));
    }
    let result = state.reservations.create(&actor, input).await;
    count(&state, &result);
    let r = result?;
    state.metrics.reservations_created.fetch_add(1, Ordering::Relaxed);
    Ok(created(format!("/api/v1/reservations/{}", r.id), Some(r.version), ReservationDto::from(r)))
}

/// One reservation (cancelled ones too); the ETag is its version.
#[utoipa::path(get, path = "/reservations/{id}", tag = "reservations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ReservationDto), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<ReservationId>,
) -> Result<Response, Problem> {
    let r = state.reservations.get(&actor, id)?;
    Ok(with_etag(StatusCode::OK, r.version, ReservationDto::from(r)))
}

/// Edit or reschedule (conflict-checked). With `If-Match`, a stale version is a 412. With
/// `scope`, the change applies to later occurrences of its series too: times move by the same
/// local wall-clock shift, all or none (a 409 lists each taken occurrence).
#[utoipa::path(patch, path = "/reservations/{id}", tag = "reservations", security(("bearer" = [])), request_body = UpdateReservation,
    params(("id" = String, Path, format = Uuid), ("If-Match" = Option<String>, Header), ScopeQuery),
    responses((status = 200, body = ReservationDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<ReservationId>,
    IfMatch(version): IfMatch,
    ApiQuery(q): ApiQuery<ScopeQuery>,
    ApiJson(b): ApiJson<UpdateReservation>,
) -> Result<Response, Problem> {
    let result = state.reservations.update_scoped(&actor, id, b.into_patch(), version, q.scope()).await;
    count(&state, &result);
    let r = result?;
    Ok(with_etag(StatusCode::OK, r.version, ReservationDto::from(r)))
}

/// Cancel: the reservation stays readable with `status: cancelled` and its slot is free. With
/// `scope`, later occurrences of its series are cancelled too.
#[utoipa::path(post, path = "/reservations/{id}/cancel", tag = "reservations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("If-Match" = Option<String>, Header), ScopeQuery),
    responses((status = 200, body = ReservationDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<ReservationId>,
    IfMatch(version): IfMatch,
    ApiQuery(q): ApiQuery<ScopeQuery>,
) -> Result<Response, Problem> {
    let r = state.reservations.cancel_scoped(&actor, id, version, q.scope()).await?;
    Ok(with_etag(StatusCode::OK, r.version, ReservationDto::from(r)))
}

fn count<T>(state: &AppState, result: &Result<T, ReservationError>) {
    if let Err(ReservationError::Conflict(_) | ReservationError::SeriesConflict(_)) = result {
        state.metrics.reservation_conflicts.fetch_add(1, Ordering::Relaxed);
    }
}
