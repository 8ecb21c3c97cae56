//! `/api/v1/reports/subscriptions`: weekly or monthly report e-mails (PDF and XLSX attached) that
//! the scheduler sends once each period is over.

use super::created;
use crate::access::Actor;
use crate::reports::subscriptions::{NewSubscription, Period, Subscription};
use crate::types::{RoomId, SubscriptionId};
use crate::web::AppState;
use crate::web::extract::ApiJson;
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscription {
    /// `weekly` (Monday to Sunday, sent on Monday) or `monthly` (sent on the 1st).
    period: Period,
    /// Only this room.
    #[schema(value_type = Option<String>, format = Uuid)]
    room_id: Option<RoomId>,
    /// Only rooms at this location.
    location: Option<String>,
}

/// The caller's report subscriptions (an admin sees everyone's).
#[utoipa::path(get, path = "/reports/subscriptions", tag = "reports", security(("bearer" = [])),
    responses((status = 200, body = Vec<Subscription>), (status = 403, body = Problem)))]
pub async fn list(State(s): State<AppState>, actor: Actor) -> Result<Json<Vec<Subscription>>, Problem> {
    Ok(Json(s.reports.subscriptions(&actor)?))
}

/// Subscribe to a report e-mailed to you every week or month.
#[utoipa::path(post, path = "/reports/subscriptions", tag = "reports", security(("bearer" = [])),
    request_body = CreateSubscription,
    responses((status = 201, body = Subscription), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<CreateSubscription>,
) -> Result<Response, Problem> {
    let new = NewSubscription { period: body.period, room_id: body.room_id, location: body.location };
    let sub = s.reports.subscribe(&actor, new).await?;
    Ok(created(format!("/api/v1/reports/subscriptions/{}", sub.id), None, sub))
}

/// Stop a report subscription.
#[utoipa::path(delete, path = "/reports/subscriptions/{id}", tag = "reports", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    actor: Actor,
    Path(id): Path<SubscriptionId>,
) -> Result<Response, Problem> {
    if s.reports.unsubscribe(&actor, id).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Problem::not_found("report subscription"))
    }
}
