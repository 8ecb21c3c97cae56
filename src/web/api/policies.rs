//! Location policies: each location's defaults for the room policies of the rooms in it.

use crate::access::Actor;
use crate::model::policy::{Policy, PolicyOverrides};
use crate::web::AppState;
use crate::web::extract::ApiJson;
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct LocationPolicyDto {
    /// The location, as rooms name it (matched ignoring case).
    location: String,
    /// The location's own settings; absent ones inherit the server's `[policies]`.
    policy: PolicyOverrides,
    /// What a room of this location without settings of its own gets.
    effective_policy: Policy,
}

/// A location's room policy defaults (anyone signed in may read them).
#[utoipa::path(get, path = "/locations/{name}/policy", tag = "rooms", security(("bearer" = [])),
    params(("name" = String, Path, description = "The location's name, as rooms name it")),
    responses((status = 200, body = LocationPolicyDto), (status = 422, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(name): Path<String>,
) -> Result<Json<LocationPolicyDto>, Problem> {
    let (policy, effective_policy) = state.rooms.location_policy(&actor, &name)?;
    Ok(Json(LocationPolicyDto { location: name.trim().to_string(), policy, effective_policy }))
}

/// Replace a location's room policy defaults (admins). `{}` removes them. Rooms of the location
/// inherit every setting they do not set themselves; blackouts add up.
#[utoipa::path(put, path = "/locations/{name}/policy", tag = "rooms", security(("bearer" = [])),
    request_body = PolicyOverrides,
    params(("name" = String, Path, description = "The location's name, as rooms name it")),
    responses((status = 200, body = LocationPolicyDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put(
    State(state): State<AppState>,
    actor: Actor,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<PolicyOverrides>,
) -> Result<Json<LocationPolicyDto>, Problem> {
    let (policy, effective_policy) = state.rooms.set_location_policy(&actor, &name, body).await?;
    Ok(Json(LocationPolicyDto { location: name.trim().to_string(), policy, effective_policy }))
}
