use super::feeds::{RoomWithFeed, with_feed};
use super::{created, with_etag};
use crate::access::Actor;
use crate::model::policy::PolicyOverrides;
use crate::model::room::{CheckIn, Room};
use crate::rooms::{FutureReservations, RoomInput, RoomPatch};
use crate::types::{ResourceId, RoomId};
use crate::web::AppState;
use crate::web::extract::{ApiJson, ApiQuery, IfMatch};
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct RoomDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: RoomId,
    pub name: String,
    pub capacity: u32,
    pub location: String,
    pub description: String,
    /// IANA time zone; opening hours and "all day" are computed in it.
    pub timezone: String,
    /// Ids of the room's resources (equipment).
    #[schema(value_type = Vec<String>)]
    pub resources: Vec<ResourceId>,
    pub requires_approval: bool,
    /// Reservations must be checked in; those that are not are released as no-shows.
    pub checkin_required: bool,
    /// Minutes after the start check-in stays open; null: the server's default.
    pub checkin_window_minutes: Option<u32>,
    /// The room's own policy settings; absent ones inherit its location's and the server's
    /// (`effective_policy` in single-room answers shows the result).
    pub policy: PolicyOverrides,
    /// False once archived.
    pub active: bool,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Room> for RoomDto {
    fn from(r: Room) -> Self {
        RoomDto {
            id: r.id,
            name: r.name,
            capacity: r.capacity,
            location: r.location,
            description: r.description,
            timezone: r.timezone,
            resources: r.resources,
            requires_approval: r.requires_approval,
            checkin_required: r.checkin.required,
            checkin_window_minutes: r.checkin.window_minutes,
            policy: r.policy,
            active: r.active,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoom {
    name: String,
    /// At least 1.
    capacity: u32,
    location: Option<String>,
    description: Option<String>,
    /// IANA zone such as `Europe/Madrid`; defaults to the server's `booking.default_timezone`.
    timezone: Option<String>,
    /// Resource ids or names.
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    requires_approval: bool,
    /// Reservations must be checked in within the window or are released as no-shows.
    #[serde(default)]
    checkin_required: bool,
    /// 1 to 240; absent: the server's `booking.checkin_window_minutes`.
    checkin_window_minutes: Option<u32>,
    /// The room's own policy settings (opening hours, blackouts, limits); absent ones inherit.
    #[serde(default)]
    policy: PolicyOverrides,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoom {
    name: Option<String>,
    capacity: Option<u32>,
    location: Option<String>,
    description: Option<String>,
    timezone: Option<String>,
    resources: Option<Vec<String>>,
    requires_approval: Option<bool>,
    checkin_required: Option<bool>,
    /// 1 to 240, or 0 to return to the server's default.
    checkin_window_minutes: Option<u32>,
    /// Replaces the room's own policy settings as a whole (`{}` inherits everything).
    policy: Option<PolicyOverrides>,
    /// `true` brings an archived room back.
    active: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListRooms {
    /// Include archived rooms.
    #[serde(default)]
    include_archived: bool,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRoom {
    /// Required when the room has current or future reservations: `cancel` them or `keep` them.
    #[param(value_type = Option<String>)]
    future_reservations: Option<FutureChoice>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum FutureChoice {
    Cancel,
    Keep,
}

/// Rooms, by name.
#[utoipa::path(get, path = "/rooms", tag = "rooms", security(("bearer" = [])), params(ListRooms),
    responses((status = 200, body = Vec<RoomDto>)))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<ListRooms>,
) -> Result<Json<Vec<RoomDto>>, Problem> {
    let rooms = state.groups.visible(&actor, state.rooms.list(q.include_archived)?);
    Ok(Json(rooms.into_iter().map(Into::into).collect()))
}

/// Create a room (managers and admins).
#[utoipa::path(post, path = "/rooms", tag = "rooms", security(("bearer" = [])), request_body = CreateRoom,
    responses((status = 201, body = RoomWithFeed), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    ApiJson(b): ApiJson<CreateRoom>,
) -> Result<Response, Problem> {
    let input = RoomInput {
        name: b.name,
        capacity: b.capacity,
        location: b.location,
        description: b.description,
        timezone: b.timezone,
        resources: b.resources,
        requires_approval: b.requires_approval,
        checkin: CheckIn { required: b.checkin_required, window_minutes: b.checkin_window_minutes },
        policy: b.policy,
    };
    let room = state.rooms.create(&actor, input).await?;
    let (location, version) = (format!("/api/v1/rooms/{}", room.id), room.version);
    Ok(created(location, Some(version), with_feed(&state, &headers, room)?))
}

/// One room; the ETag is its version.
#[utoipa::path(get, path = "/rooms/{id}", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RoomWithFeed), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<RoomId>,
) -> Result<Response, Problem> {
    let room = state.rooms.get(&actor, id)?;
    Ok(with_etag(StatusCode::OK, room.version, with_feed(&state, &headers, room)?))
}

/// Change a room (managers and admins). Send `If-Match` with the ETag to avoid overwriting
/// someone else's change.
#[utoipa::path(patch, path = "/rooms/{id}", tag = "rooms", security(("bearer" = [])), request_body = UpdateRoom,
    params(("id" = String, Path, format = Uuid), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = RoomWithFeed), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<RoomId>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<UpdateRoom>,
) -> Result<Response, Problem> {
    let patch = RoomPatch {
        name: b.name,
        capacity: b.capacity,
        location: b.location,
        description: b.description,
        timezone: b.timezone,
        resources: b.resources,
        requires_approval: b.requires_approval,
        checkin_required: b.checkin_required,
        checkin_window_minutes: b.checkin_window_minutes.map(|m| (m != 0).then_some(m)),
        policy: b.policy,
        active: b.active,
    };
    let room = state.rooms.update(&actor, id, patch, version).await?;
    Ok(with_etag(StatusCode::OK, room.version, with_feed(&state, &headers, room)?))
}

/// Archive a room: it takes no new bookings and leaves the default listing. With current or
/// future reservations, say whether to cancel or keep them (409 otherwise, listing them).
#[utoipa::path(delete, path = "/rooms/{id}", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ArchiveRoom),
    responses((status = 200, body = RoomDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn archive(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    ApiQuery(q): ApiQuery<ArchiveRoom>,
) -> Result<Json<RoomDto>, Problem> {
    let choice = q.future_reservations.map(|c| match c {
        FutureChoice::Cancel => FutureReservations::Cancel,
        FutureChoice::Keep => FutureReservations::Keep,
    });
    Ok(Json(state.rooms.archive(&actor, id, choice).await?.into()))
}
