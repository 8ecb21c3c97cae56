//! Room door displays (admins): create a device token for a room's display, list, revoke.

use super::created;
use crate::access::Actor;
use crate::model::display::Display;
use crate::types::{DisplayId, RoomId, UserId};
use crate::web::AppState;
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct DisplayDto {
    #[schema(value_type = String, format = Uuid)]
    id: DisplayId,
    #[schema(value_type = String, format = Uuid)]
    room_id: RoomId,
    /// Where the device is.
    name: String,
    /// The token's first characters, to tell devices apart.
    token_prefix: String,
    /// The admin who created it; walk-up bookings made on the display are theirs.
    #[schema(value_type = String, format = Uuid)]
    created_by: UserId,
    created_at: DateTime<Utc>,
}

impl From<Display> for DisplayDto {
    fn from(d: Display) -> Self {
        DisplayDto {
            id: d.id,
            room_id: d.room_id,
            name: d.name,
            token_prefix: d.prefix,
            created_by: d.created_by,
            created_at: d.created_at,
        }
    }
}

/// A display just created: the only answer that carries its token.
#[derive(Serialize, ToSchema)]
pub struct CreatedDisplayDto {
    #[serde(flatten)]
    display: DisplayDto,
    /// The device token (shown once; only its hash is kept).
    token: String,
    /// The page to open full-screen on the device: `/display/{token}` on this server.
    url: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDisplay {
    #[schema(value_type = String, format = Uuid)]
    room_id: RoomId,
    /// Where the device is, e.g. "Door, 2nd floor" (1 to 100 characters).
    name: String,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DisplaysQuery {
    /// Only this room's displays.
    #[param(value_type = Option<String>, format = Uuid)]
    room_id: Option<RoomId>,
}

/// Room door displays (admins).
#[utoipa::path(get, path = "/displays", tag = "displays", security(("bearer" = [])), params(DisplaysQuery),
    responses((status = 200, body = Vec<DisplayDto>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<DisplaysQuery>,
) -> Result<Json<Vec<DisplayDto>>, Problem> {
    let all = state.displays.list(&actor, q.room_id)?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Create a device token for a room's door display (admins). The token is in this answer only.
#[utoipa::path(post, path = "/displays", tag = "displays", security(("bearer" = [])), request_body = CreateDisplay,
    responses((status = 201, body = CreatedDisplayDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateDisplay>,
) -> Result<Response, Problem> {
    let made = state.displays.create(&actor, body.room_id, &body.name).await?;
    let url = display_url(&headers, &made.token);
    let location = format!("/api/v1/displays/{}", made.display.id);
    Ok(created(location, None, CreatedDisplayDto { display: made.display.into(), token: made.token, url }))
}

/// Revoke a display's token: the device is refused from then on (admins).
#[utoipa::path(delete, path = "/displays/{id}", tag = "displays", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<DisplayId>,
) -> Result<Response, Problem> {
    state.displays.revoke(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The display page's absolute address, on the host and scheme the client used.
pub fn display_url(headers: &HeaderMap, token: &str) -> String {
    format!("{}/display/{token}", origin(headers))
}

/// `scheme://host` as the client reached this server (`Host`, `X-Forwarded-Proto`).
pub fn origin(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let https = headers.get("x-forwarded-proto").is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}
