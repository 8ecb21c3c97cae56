//! `/api/v1/waitlist`: wait for a room at a time that is taken; when it frees, the first in line
//! gets it booked automatically (if the room's rules allow), and is told either way.

use super::{Instant, created};
use crate::access::Actor;
use crate::model::wait::WaitEntry;
use crate::types::{RoomId, WaitId};
use crate::waitlist::Join;
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
pub struct JoinWaitlist {
    #[schema(value_type = String, format = Uuid)]
    room_id: RoomId,
    #[schema(value_type = String, format = DateTime)]
    start: Instant,
    #[schema(value_type = String, format = DateTime)]
    end: Instant,
    /// The title of the reservation made if the slot frees.
    #[serde(default)]
    title: String,
}

/// Join the waitlist for a room at a time that is taken (409 `slot-free` when it is not).
#[utoipa::path(post, path = "/waitlist", tag = "reservations", security(("bearer" = [])),
    request_body = JoinWaitlist,
    responses((status = 201, body = WaitEntry), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn join(
    State(s): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<JoinWaitlist>,
) -> Result<Response, Problem> {
    let entry =
        s.waitlist.join(&actor, Join { room_id: b.room_id, title: b.title, start: b.start.0, end: b.end.0 }).await?;
    Ok(created(format!("/api/v1/waitlist/{}", entry.id), None, entry))
}

/// Your waitlist entries: those still waiting, and what became of the others (booked, refused
/// with the reason) until their time.
#[utoipa::path(get, path = "/waitlist", tag = "reservations", security(("bearer" = [])),
    responses((status = 200, body = Vec<WaitEntry>)))]
pub async fn mine(State(s): State<AppState>, actor: Actor) -> Result<Json<Vec<WaitEntry>>, Problem> {
    Ok(Json(s.waitlist.mine(&actor)?))
}

/// Leave the waitlist.
#[utoipa::path(delete, path = "/waitlist/{id}", tag = "reservations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn leave(State(s): State<AppState>, actor: Actor, Path(id): Path<WaitId>) -> Result<Response, Problem> {
    s.waitlist.leave(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
