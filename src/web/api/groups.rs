//! User groups (admins) and the access rules of rooms and locations (managers and admins).
//! What the rules mean: docs/access.md.

use super::{created, with_etag};
use crate::access::{AccessRule, Actor, Role, RoomRights};
use crate::groups::{GroupPatch, RuleInput};
use crate::model::group::{Group, LocationRule};
use crate::types::{GroupId, RoomId, UserId};
use crate::web::AppState;
use crate::web::extract::{ApiJson, IfMatch};
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct GroupDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub member_count: usize,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl GroupDto {
    fn new(g: Group, member_count: usize) -> GroupDto {
        GroupDto {
            id: g.id,
            name: g.name,
            description: g.description,
            member_count,
            version: g.version,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MemberDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: UserId,
    pub email: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct GroupWithMembers {
    #[serde(flatten)]
    pub group: GroupDto,
    /// By e-mail.
    pub members: Vec<MemberDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    /// 1 to 100 characters; unique ignoring case.
    name: String,
    description: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    name: Option<String>,
    description: Option<String>,
}

/// An access rule. Each list names groups (by id or name when sent; by id and name when
/// answered); an empty list leaves that right to the roles.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    /// Groups that may see the room; empty: everyone signed in.
    #[serde(default)]
    see: Vec<String>,
    /// Groups that may book it; empty: every role from `min_role_to_book` up.
    #[serde(default)]
    book: Vec<String>,
    /// Groups whose bookings skip approval where the room requires it.
    #[serde(default)]
    book_without_approval: Vec<String>,
    /// Groups that approve and manage the room's reservations.
    #[serde(default)]
    manage: Vec<String>,
    /// `viewer`, `member` (the default), `manager` or `admin`.
    #[schema(value_type = Option<String>)]
    min_role_to_book: Option<Role>,
}

impl From<RuleBody> for RuleInput {
    fn from(b: RuleBody) -> RuleInput {
        RuleInput {
            see: b.see,
            book: b.book,
            book_without_approval: b.book_without_approval,
            manage: b.manage,
            min_role_to_book: b.min_role_to_book,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct GroupRef {
    #[schema(value_type = String, format = Uuid)]
    pub id: GroupId,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct RuleDto {
    pub see: Vec<GroupRef>,
    pub book: Vec<GroupRef>,
    pub book_without_approval: Vec<GroupRef>,
    pub manage: Vec<GroupRef>,
    #[schema(value_type = Option<String>)]
    pub min_role_to_book: Option<Role>,
}

impl RuleDto {
    fn new(rule: AccessRule, names: &HashMap<GroupId, String>) -> RuleDto {
        let refs = |ids: Vec<GroupId>| {
            ids.into_iter().map(|id| GroupRef { id, name: names.get(&id).cloned().unwrap_or_default() }).collect()
        };
        RuleDto {
            see: refs(rule.see),
            book: refs(rule.book),
            book_without_approval: refs(rule.book_without_approval),
            manage: refs(rule.manage),
            min_role_to_book: rule.min_role_to_book,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LocationRuleDto {
    pub location: String,
    pub rule: RuleDto,
}

impl LocationRuleDto {
    fn new(l: LocationRule, names: &HashMap<GroupId, String>) -> LocationRuleDto {
        LocationRuleDto { location: l.location, rule: RuleDto::new(l.rule, names) }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RoomAccessDto {
    /// The room's own rule; when present it replaces the location's as a whole.
    pub room: Option<RuleDto>,
    /// The rule of the room's location.
    pub location: Option<LocationRuleDto>,
    /// Which of the two governs: `room`, `location` or `none` (roles alone).
    pub governed_by: String,
}

#[derive(Serialize, ToSchema)]
pub struct RightsDto {
    pub see: bool,
    pub book: bool,
    pub book_without_approval: bool,
    pub manage: bool,
}

impl From<RoomRights> for RightsDto {
    fn from(r: RoomRights) -> Self {
        RightsDto { see: r.see, book: r.book, book_without_approval: r.book_without_approval, manage: r.manage }
    }
}

/// Groups, by name (admins).
#[utoipa::path(get, path = "/groups", tag = "groups", security(("bearer" = [])),
    responses((status = 200, body = Vec<GroupDto>), (status = 403, body = Problem)))]
pub async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Vec<GroupDto>>, Problem> {
    Ok(Json(state.groups.list(&actor)?.into_iter().map(|(g, n)| GroupDto::new(g, n)).collect()))
}

/// Create a group (admins).
#[utoipa::path(post, path = "/groups", tag = "groups", security(("bearer" = [])), request_body = CreateGroup,
    responses((status = 201, body = GroupDto), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<CreateGroup>,
) -> Result<Response, Problem> {
    let group = state.groups.create(&actor, b.name, b.description).await?;
    let (location, version) = (format!("/api/v1/groups/{}", group.id), group.version);
    Ok(created(location, Some(version), GroupDto::new(group, 0)))
}

/// One group and its members (admins); the ETag is its version.
#[utoipa::path(get, path = "/groups/{id}", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = GroupWithMembers), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, actor: Actor, Path(id): Path<GroupId>) -> Result<Response, Problem> {
    let (group, members) = state.groups.get(&actor, id)?;
    Ok(with_etag(StatusCode::OK, group.version, with_members(group, members)))
}

fn with_members(group: Group, members: Vec<crate::model::user::User>) -> GroupWithMembers {
    GroupWithMembers {
        group: GroupDto::new(group, members.len()),
        members: members.into_iter().map(|u| MemberDto { id: u.id, email: u.email, name: u.name }).collect(),
    }
}

/// Rename or describe a group (admins). Send `If-Match` to avoid overwriting another change.
#[utoipa::path(patch, path = "/groups/{id}", tag = "groups", security(("bearer" = [])), request_body = UpdateGroup,
    params(("id" = String, Path, format = Uuid), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = GroupWithMembers), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<GroupId>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<UpdateGroup>,
) -> Result<Response, Problem> {
    state.groups.update(&actor, id, GroupPatch { name: b.name, description: b.description }, version).await?;
    let (group, members) = state.groups.get(&actor, id)?;
    Ok(with_etag(StatusCode::OK, group.version, with_members(group, members)))
}

/// Delete a group (admins): its memberships go, and rules stop naming it.
#[utoipa::path(delete, path = "/groups/{id}", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(State(state): State<AppState>, actor: Actor, Path(id): Path<GroupId>) -> Result<Response, Problem> {
    state.groups.delete(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Add a user to a group (admins); adding a member again changes nothing.
#[utoipa::path(put, path = "/groups/{id}/members/{user_id}", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("user_id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn add_member(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, user)): Path<(GroupId, UserId)>,
) -> Result<Response, Problem> {
    state.groups.set_member(&actor, id, user, true).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Remove a user from a group (admins); removing a non-member changes nothing.
#[utoipa::path(delete, path = "/groups/{id}/members/{user_id}", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("user_id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_member(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, user)): Path<(GroupId, UserId)>,
) -> Result<Response, Problem> {
    state.groups.set_member(&actor, id, user, false).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[allow(clippy::result_large_err)] // a Problem, as every handler returns
fn room_access(state: &AppState, actor: &Actor, room: RoomId) -> Result<RoomAccessDto, Problem> {
    let (own, location) = state.groups.room_rule(actor, room)?;
    let names = state.groups.names()?;
    let governed_by = match (&own, &location) {
        (Some(_), _) => "room",
        (None, Some(_)) => "location",
        (None, None) => "none",
    };
    Ok(RoomAccessDto {
        room: own.map(|r| RuleDto::new(r, &names)),
        location: location.map(|l| LocationRuleDto::new(l, &names)),
        governed_by: governed_by.to_string(),
    })
}

/// A room's access rule and its location's (managers and admins).
#[utoipa::path(get, path = "/rooms/{id}/access", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RoomAccessDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_room_access(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<Json<RoomAccessDto>, Problem> {
    Ok(Json(room_access(&state, &actor, id)?))
}

/// Replace a room's access rule (managers and admins); an empty rule (`{}`) removes it, and the
/// location's rule applies again.
#[utoipa::path(put, path = "/rooms/{id}/access", tag = "groups", security(("bearer" = [])), request_body = RuleBody,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RoomAccessDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn put_room_access(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    ApiJson(b): ApiJson<RuleBody>,
) -> Result<Json<RoomAccessDto>, Problem> {
    state.groups.set_room_rule(&actor, id, b.into()).await?;
    Ok(Json(room_access(&state, &actor, id)?))
}

/// What the caller may do in a room. Rooms the caller may not see answer 404.
#[utoipa::path(get, path = "/rooms/{id}/rights", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RightsDto), (status = 404, body = Problem)))]
pub async fn my_rights(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<Json<RightsDto>, Problem> {
    let room = state.rooms.room(id)?;
    let rights = state.groups.rights(&actor, room.id);
    if !rights.see {
        return Err(crate::rooms::RoomError::NotFound.into());
    }
    Ok(Json(rights.into()))
}

/// Every location's access rule (managers and admins).
#[utoipa::path(get, path = "/location-access", tag = "groups", security(("bearer" = [])),
    responses((status = 200, body = Vec<LocationRuleDto>), (status = 403, body = Problem)))]
pub async fn list_location_access(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Vec<LocationRuleDto>>, Problem> {
    let names = state.groups.names()?;
    let rules = state.groups.location_rules(&actor)?;
    Ok(Json(rules.into_iter().map(|l| LocationRuleDto::new(l, &names)).collect()))
}

/// Replace the access rule of every room of a location (matched ignoring case; managers and
/// admins). An empty rule (`{}`) removes it: answered with 204.
#[utoipa::path(put, path = "/location-access/{location}", tag = "groups", security(("bearer" = [])),
    request_body = RuleBody, params(("location" = String, Path)),
    responses((status = 200, body = LocationRuleDto), (status = 204), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn put_location_access(
    State(state): State<AppState>,
    actor: Actor,
    Path(location): Path<String>,
    ApiJson(b): ApiJson<RuleBody>,
) -> Result<Response, Problem> {
    match state.groups.set_location_rule(&actor, location, b.into()).await? {
        Some(l) => Ok(Json(LocationRuleDto::new(l, &state.groups.names()?)).into_response()),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}
