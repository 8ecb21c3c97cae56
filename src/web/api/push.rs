//! Web Push: the server's VAPID key, a user's browser subscriptions, a test push to them, and
//! the admin's delivery log.

use super::created;
use super::outbox::{DeliveryDto, DeliveryQuery};
use crate::access::Actor;
use crate::model::notify::PushSubscription;
use crate::types::{DeliveryId, PushSubscriptionId};
use crate::web::AppState;
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct PushKey {
    /// The VAPID public key (base64url, uncompressed P-256 point): the `applicationServerKey`
    /// to subscribe with.
    public_key: String,
}

/// A browser's `PushSubscription`, as its `toJSON()` gives it (other members are ignored).
#[derive(Deserialize, ToSchema)]
pub struct NewSubscription {
    /// The push service's URL (https).
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    keys: SubscriptionKeys,
}

#[derive(Deserialize, Default, ToSchema)]
pub struct SubscriptionKeys {
    /// The browser's P-256 public key, base64url (65 bytes).
    #[serde(default)]
    p256dh: String,
    /// The auth secret, base64url (16 bytes).
    #[serde(default)]
    auth: String,
}

#[derive(Serialize, ToSchema)]
pub struct SubscriptionDto {
    #[schema(value_type = String, format = Uuid)]
    id: PushSubscriptionId,
    endpoint: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<PushSubscription> for SubscriptionDto {
    fn from(s: PushSubscription) -> Self {
        SubscriptionDto { id: s.id, endpoint: s.endpoint, created_at: s.created_at }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PushTestResult {
    #[schema(value_type = String, format = Uuid)]
    subscription: PushSubscriptionId,
    /// Whether the push service accepted the message.
    ok: bool,
    /// What went wrong, if it did.
    detail: String,
}

/// The server's VAPID public key.
#[utoipa::path(get, path = "/push/key", tag = "notifications", responses((status = 200, body = PushKey)))]
pub async fn key(State(state): State<AppState>) -> Result<Json<PushKey>, Problem> {
    Ok(Json(PushKey { public_key: state.notifier.push_key().await? }))
}

/// Your browsers' push subscriptions.
#[utoipa::path(get, path = "/push/subscriptions", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Vec<SubscriptionDto>)))]
pub async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Vec<SubscriptionDto>>, Problem> {
    Ok(Json(state.notifier.push_subscriptions(&actor)?.into_iter().map(Into::into).collect()))
}

/// Subscribe a browser (422 naming `endpoint`, `keys.p256dh` or `keys.auth`); the same endpoint
/// again replaces the old subscription.
#[utoipa::path(post, path = "/push/subscriptions", tag = "notifications", security(("bearer" = [])),
    request_body = NewSubscription,
    responses((status = 201, body = SubscriptionDto), (status = 422, body = Problem)))]
pub async fn subscribe(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<NewSubscription>,
) -> Result<Response, Problem> {
    let s = state.notifier.subscribe_push(&actor, &body.endpoint, &body.keys.p256dh, &body.keys.auth).await?;
    Ok(created(format!("/api/v1/push/subscriptions/{}", s.id), None, SubscriptionDto::from(s)))
}

/// Remove one of your subscriptions.
#[utoipa::path(delete, path = "/push/subscriptions/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<PushSubscriptionId>,
) -> Result<Response, Problem> {
    state.notifier.unsubscribe_push(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Push a test notification now to each of your browsers.
#[utoipa::path(post, path = "/users/me/push/test", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Vec<PushTestResult>)))]
pub async fn send_own_test(State(state): State<AppState>, actor: Actor) -> Result<Json<Vec<PushTestResult>>, Problem> {
    let sent = state.notifier.send_own_push_test(&actor).await?;
    Ok(Json(
        sent.into_iter()
            .map(|(subscription, r)| PushTestResult {
                subscription,
                ok: r.is_ok(),
                detail: r.err().unwrap_or_default(),
            })
            .collect(),
    ))
}

/// The Web Push delivery log, newest first (`subject` is the title sent).
#[utoipa::path(get, path = "/admin/push/deliveries", tag = "notifications", security(("bearer" = [])),
    params(DeliveryQuery), responses((status = 200, body = Vec<DeliveryDto>), (status = 403, body = Problem)))]
pub async fn deliveries(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> Result<Json<Vec<DeliveryDto>>, Problem> {
    let (status, limit) = q.parse()?;
    Ok(Json(state.notifier.push_deliveries(&actor, status, limit)?.into_iter().map(DeliveryDto::email).collect()))
}

/// Try a failed or given-up push again now.
#[utoipa::path(post, path = "/admin/push/deliveries/{id}/retry", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = DeliveryDto), (status = 404, body = Problem)))]
pub async fn retry(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<DeliveryId>,
) -> Result<Json<DeliveryDto>, Problem> {
    Ok(Json(DeliveryDto::email(state.notifier.retry_push(&actor, id).await?)))
}
