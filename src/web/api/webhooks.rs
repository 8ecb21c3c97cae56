//! Webhook administration: register, list, delete; calls and the dead-letter list, with retry.

use super::created;
use super::outbox::{DeliveryDto, DeliveryQuery};
use crate::access::Actor;
use crate::model::notify::{Webhook, WebhookFormat};
use crate::types::{DeliveryId, WebhookId};
use crate::web::AppState;
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::problem::Problem;
use crate::webhooks::NewWebhook;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct WebhookDto {
    #[schema(value_type = String, format = Uuid)]
    id: WebhookId,
    url: String,
    /// Event kinds sent (`reservation.created`…); `*` means all.
    events: Vec<String>,
    active: bool,
    created_at: DateTime<Utc>,
    format: WebhookFormat,
    /// Matrix only: the room posted to (the access token is never shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    matrix_room: Option<String>,
    /// The HMAC-SHA256 key: only in the answer to the creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl WebhookDto {
    fn new(w: Webhook, with_secret: bool) -> Self {
        WebhookDto {
            id: w.id,
            url: w.url,
            events: w.events,
            active: w.active,
            created_at: w.created_at,
            format: w.format,
            matrix_room: w.matrix.map(|m| m.room),
            secret: with_secret.then_some(w.secret),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where to POST: http:// or https://. Matrix: the homeserver's base URL.
    url: String,
    /// Event kinds to send; `["*"]` for all.
    events: Vec<String>,
    /// The signing key (at least 16 characters); absent: one is generated and returned once.
    secret: Option<String>,
    /// The body: `json` (the event, the default), or a readable message for a chat room:
    /// `slack` and `teams` (their incoming webhooks), `matrix` (the client API: the message is
    /// PUT to `{url}/_matrix/client/v3/rooms/{matrix_room}/send/m.room.message/{delivery id}`).
    #[serde(default)]
    format: WebhookFormat,
    /// Matrix only, required there: a room id like `!abc:example.org`.
    matrix_room: Option<String>,
    /// Matrix only, required there: the access token of a user in the room. Stored sealed,
    /// never returned.
    matrix_token: Option<String>,
}

/// Registered webhooks.
#[utoipa::path(get, path = "/admin/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = Vec<WebhookDto>), (status = 403, body = Problem)))]
pub async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Vec<WebhookDto>>, Problem> {
    Ok(Json(state.webhooks.list(&actor)?.into_iter().map(|w| WebhookDto::new(w, false)).collect()))
}

/// Register a webhook. Each call carries `X-Salas-Signature: sha256=<hex>`, the HMAC-SHA256 of
/// `<X-Salas-Timestamp>.<body>` with the secret; `format` chooses the body (the event as JSON, or
/// a chat message for Slack, Teams or Matrix).
#[utoipa::path(post, path = "/admin/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = CreateWebhook,
    responses((status = 201, body = WebhookDto), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> Result<Response, Problem> {
    let input = NewWebhook {
        url: body.url,
        events: body.events,
        secret: body.secret,
        format: body.format,
        matrix_room: body.matrix_room,
        matrix_token: body.matrix_token,
    };
    let hook = state.webhooks.create(&actor, input).await?;
    Ok(created(format!("/api/v1/admin/webhooks/{}", hook.id), None, WebhookDto::new(hook, true)))
}

/// Remove a webhook; its pending calls are given up.
#[utoipa::path(delete, path = "/admin/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<WebhookId>,
) -> Result<Response, Problem> {
    state.webhooks.delete(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Webhook calls, newest first; `?status=dead` is the dead-letter list.
#[utoipa::path(get, path = "/admin/webhooks/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(DeliveryQuery), responses((status = 200, body = Vec<DeliveryDto>), (status = 403, body = Problem)))]
pub async fn deliveries(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> Result<Json<Vec<DeliveryDto>>, Problem> {
    let (status, limit) = q.parse()?;
    Ok(Json(state.webhooks.deliveries(&actor, status, limit)?.into_iter().map(DeliveryDto::webhook).collect()))
}

/// Try a failed or dead call again now.
#[utoipa::path(post, path = "/admin/webhooks/deliveries/{id}/retry", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = DeliveryDto), (status = 404, body = Problem)))]
pub async fn retry(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<DeliveryId>,
) -> Result<Json<DeliveryDto>, Problem> {
    Ok(Json(DeliveryDto::webhook(state.webhooks.retry(&actor, id).await?)))
}
