use super::rooms::RoomDto;
use super::{Instant, split_list};
use crate::access::{Action, Actor};
use crate::search::finder::{self, Miss, Request};
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
    if !state.groups.may_see(&actor, id) {
        return Err(Problem::not_found("room"));
    }
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
    /// Words the room's name, equipment, location or description must match (accents and case
    /// ignored, typos tolerated, English and Spanish word forms).
    q: Option<String>,
    /// Comma-separated resource ids or names the room must have.
    resources: Option<String>,
}

impl FreeRoomsQuery {
    /// The window and what the room must have; unknown resources are field errors.
    #[allow(clippy::result_large_err)] // a Problem, as every handler returns
    fn request(self, state: &AppState) -> Result<(TimeRange, Request), Problem> {
        let mut errors = FieldErrors::new();
        let mut resources = Vec::new();
        for (i, wanted) in split_list(self.resources.as_deref()).iter().enumerate() {
            let found = match wanted.parse() {
                Ok(id) => state.rooms.resource(id).ok().map(|r| r.id),
                Err(_) => {
                    state.rooms.resources()?.into_iter().find(|r| r.name.eq_ignore_ascii_case(wanted)).map(|r| r.id)
                }
            };
            match found {
                Some(id) => resources.push(id),
                None => errors.add(format!("resources[{i}]"), "no_resource", format!("no resource `{wanted}`")),
            }
        }
        errors.into_result()?;
        let window = TimeRange::new(self.from.0, self.to.0);
        state.reservations.check_window(window)?;
        Ok((window, Request { capacity: self.capacity.unwrap_or(1), text: self.q.unwrap_or_default(), resources }))
    }
}

/// Active rooms free for the whole window that meet the request, best fit first (at most 100):
/// rooms that match the words well, then the size closest above the need, then the better text
/// match.
#[utoipa::path(get, path = "/availability", tag = "rooms", security(("bearer" = [])), params(FreeRoomsQuery),
    responses((status = 200, body = Vec<RoomDto>), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn free_rooms(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<FreeRoomsQuery>,
) -> Result<Json<Vec<RoomDto>>, Problem> {
    actor.require(Action::ReadRooms)?;
    let (window, request) = q.request(&state)?;
    let answer =
        finder::find(&state.search, &state.store, state.rooms.global_policy(), &actor, window, &request).await?;
    Ok(Json(answer.rooms.into_iter().map(Into::into).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct NextWindowDto {
    room: RoomDto,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// The one criterion a room misses: `capacity` (with its `seats`), `resource` (with the
/// missing `resource`'s name) or `text` (it does not match the words).
#[derive(Serialize, ToSchema)]
pub struct MissDto {
    criterion: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    seats: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NearMissDto {
    room: RoomDto,
    missing: MissDto,
}

#[derive(Serialize, ToSchema)]
pub struct FindRoomDto {
    /// The rooms that fit, best first (as `GET /availability`).
    rooms: Vec<RoomDto>,
    /// When no room fits: the next free windows of the same length in rooms that fit otherwise.
    next_windows: Vec<NextWindowDto>,
    /// When no room fits: rooms free for the window that miss exactly one criterion.
    near_misses: Vec<NearMissDto>,
}

impl From<Miss> for MissDto {
    fn from(m: Miss) -> Self {
        match m {
            Miss::Capacity { seats } => MissDto { criterion: "capacity", seats: Some(seats), resource: None },
            Miss::Resource { name } => MissDto { criterion: "resource", seats: None, resource: Some(name) },
            Miss::Text => MissDto { criterion: "text", seats: None, resource: None },
        }
    }
}

/// "Find me a room": the rooms that fit, and when none does, the nearest alternatives.
#[utoipa::path(get, path = "/find-room", tag = "rooms", security(("bearer" = [])), params(FreeRoomsQuery),
    responses((status = 200, body = FindRoomDto), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn find_room(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<FreeRoomsQuery>,
) -> Result<Json<FindRoomDto>, Problem> {
    actor.require(Action::ReadRooms)?;
    let (window, request) = q.request(&state)?;
    let answer =
        finder::find(&state.search, &state.store, state.rooms.global_policy(), &actor, window, &request).await?;
    Ok(Json(FindRoomDto {
        rooms: answer.rooms.into_iter().map(Into::into).collect(),
        next_windows: answer
            .next_windows
            .into_iter()
            .map(|n| NextWindowDto { room: n.room.into(), start: n.window.start, end: n.window.end })
            .collect(),
        near_misses: answer
            .near_misses
            .into_iter()
            .map(|n| NearMissDto { room: n.room.into(), missing: n.miss.into() })
            .collect(),
    }))
}
