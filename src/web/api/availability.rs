use super::rooms::RoomDto;
use super::{Instant, split_list};
use crate::access::{Action, Actor};
use crate::reservations::availability::Need;
use crate::types::{ReservationId, RoomId, TimeRange};
use crate::validation::FieldErrors;
use crate::web::AppState;
use crate::web::extract::ApiQuery;
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// RFC 3339 with an offset.
    #[param(value_type = String, format = DateTime)]
    from: Instant,
    #[param(value_type = String, format = DateTime)]
    to: Instant,
}

#[derive(Serialize, ToSchema)]
pub struct Interval {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl From<TimeRange> for Interval {
    fn from(r: TimeRange) -> Self {
        Interval { start: r.start, end: r.end }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BusyInterval {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    #[schema(value_type = String, format = Uuid)]
    reservation_id: ReservationId,
}

#[derive(Serialize, ToSchema)]
pub struct RoomAvailabilityDto {
    #[schema(value_type = String, format = Uuid)]
    room_id: RoomId,
    timezone: String,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    /// Live reservations overlapping the window (possibly reaching outside it).
    busy: Vec<BusyInterval>,
    /// The free parts of the window.
    free: Vec<Interval>,
}

/// Busy and free time of a room in a window.
#[utoipa::path(get, path = "/rooms/{id}/availability", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), Window),
    responses((status = 200, body = RoomAvailabilityDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn room(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    ApiQuery(w): ApiQuery<Window>,
) -> Result<Json<RoomAvailabilityDto>, Problem> {
    actor.require(Action::ReadRooms)?;
    let window = TimeRange::new(w.from.0, w.to.0);
    let a = state.reservations.room_availability(id, window).map_err(|e| match e {
        crate::reservations::ReservationError::NotFound => Problem::not_found("room"),
        e => e.into(),
    })?;
    Ok(Json(RoomAvailabilityDto {
        room_id: a.room.id,
        timezone: a.room.timezone,
        from: window.start,
        to: window.end,
        busy: a
            .busy
            .into_iter()
            .map(|(id, r)| BusyInterval { start: r.start, end: r.end, reservation_id: id })
            .collect(),
        free: a.free.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FreeRoomsQuery {
    #[param(value_type = String, format = DateTime)]
    from: Instant,
    #[param(value_type = String, format = DateTime)]
    to: Instant,
    /// Seats needed (default 1).
    capacity: Option<u32>,
    /// Words the room's name, location, description or equipment must contain (accents and
    /// case ignored).
    q: Option<String>,
    /// Comma-separated resource ids or names the room must have.
    resources: Option<String>,
}

/// Active rooms free for the whole window that meet the request, smallest fitting room first.
#[utoipa::path(get, path = "/availability", tag = "rooms", security(("bearer" = [])), params(FreeRoomsQuery),
    responses((status = 200, body = Vec<RoomDto>), (status = 422, body = Problem)))]
pub async fn free_rooms(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<FreeRoomsQuery>,
) -> Result<Json<Vec<RoomDto>>, Problem> {
    actor.require(Action::ReadRooms)?;
    let mut errors = FieldErrors::new();
    let mut resources = Vec::new();
    for (i, wanted) in split_list(q.resources.as_deref()).iter().enumerate() {
        let found = match wanted.parse() {
            Ok(id) => state.rooms.resource(id).ok().map(|r| r.id),
            Err(_) => state.rooms.resources()?.into_iter().find(|r| r.name.eq_ignore_ascii_case(wanted)).map(|r| r.id),
        };
        match found {
            Some(id) => resources.push(id),
            None => errors.add(format!("resources[{i}]"), "no_resource", format!("no resource `{wanted}`")),
        }
    }
    errors.into_result()?;
    let need = Need { capacity: q.capacity.unwrap_or(1), text: q.q.unwrap_or_default(), resources };
    let rooms = state.reservations.free_rooms(TimeRange::new(q.from.0, q.to.0), &need)?;
    Ok(Json(rooms.into_iter().map(Into::into).collect()))
}
