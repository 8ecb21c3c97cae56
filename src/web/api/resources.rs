use super::created;
use crate::access::Actor;
use crate::model::room::Resource;
use crate::rooms::{ResourceInput, ResourcePatch};
use crate::types::ResourceId;
use crate::web::AppState;
use crate::web::extract::ApiJson;
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ResourceDto {
    #[schema(value_type = String, format = Uuid)]
    id: ResourceId,
    name: String,
    description: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Resource> for ResourceDto {
    fn from(r: Resource) -> Self {
        ResourceDto {
            id: r.id,
            name: r.name,
            description: r.description,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateResource {
    name: String,
    description: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateResource {
    name: Option<String>,
    description: Option<String>,
}

/// Resources (equipment and amenities), by name.
#[utoipa::path(get, path = "/resources", tag = "resources", security(("bearer" = [])),
    responses((status = 200, body = Vec<ResourceDto>)))]
pub async fn list(State(state): State<AppState>, _: Actor) -> Result<Json<Vec<ResourceDto>>, Problem> {
    Ok(Json(state.rooms.resources()?.into_iter().map(Into::into).collect()))
}

/// Create a resource (managers and admins).
#[utoipa::path(post, path = "/resources", tag = "resources", security(("bearer" = [])), request_body = CreateResource,
    responses((status = 201, body = ResourceDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<CreateResource>,
) -> Result<Response, Problem> {
    let r = state.rooms.create_resource(&actor, ResourceInput { name: b.name, description: b.description }).await?;
    Ok(created(format!("/api/v1/resources/{}", r.id), None, ResourceDto::from(r)))
}

#[utoipa::path(get, path = "/resources/{id}", tag = "resources", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ResourceDto), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    _: Actor,
    Path(id): Path<ResourceId>,
) -> Result<Json<ResourceDto>, Problem> {
    Ok(Json(state.rooms.resource(id)?.into()))
}

/// Change a resource (managers and admins).
#[utoipa::path(patch, path = "/resources/{id}", tag = "resources", security(("bearer" = [])), request_body = UpdateResource,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ResourceDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<ResourceId>,
    ApiJson(b): ApiJson<UpdateResource>,
) -> Result<Json<ResourceDto>, Problem> {
    let patch = ResourcePatch { name: b.name, description: b.description };
    Ok(Json(state.rooms.update_resource(&actor, id, patch).await?.into()))
}

/// Delete a resource; rooms that had it lose it.
#[utoipa::path(delete, path = "/resources/{id}", tag = "resources", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<ResourceId>,
) -> Result<StatusCode, Problem> {
    state.rooms.delete_resource(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
