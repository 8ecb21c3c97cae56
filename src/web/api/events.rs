use crate::access::{Action, Actor};
use crate::events::{Event, EventKind};
use crate::types::{EventId, UserId};
use crate::web::AppState;
use crate::web::extract::ApiQuery;
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct EventDto {
    /// Position in the log: 1, 2, 3… without gaps.
    seq: u64,
    #[schema(value_type = String, format = Uuid)]
    id: EventId,
    /// e.g. `reservation.created`.
    #[schema(value_type = String, example = "reservation.created")]
    kind: EventKind,
    #[schema(value_type = Option<String>, format = Uuid)]
    actor: Option<UserId>,
    /// Id of the record the event is about.
    subject: uuid::Uuid,
    at: DateTime<Utc>,
    /// The record after the change.
    #[schema(value_type = Object)]
    data: Box<serde_json::value::RawValue>,
}

impl From<Event> for EventDto {
    fn from(e: Event) -> Self {
        EventDto { seq: e.seq, id: e.id, kind: e.kind, actor: e.actor, subject: e.subject, at: e.at, data: e.data }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Events after this sequence number (default 0: from the start).
    after: Option<u64>,
    /// At most this many (1 to 1000, default 100).
    limit: Option<usize>,
}

/// The event log, oldest first (admins).
#[utoipa::path(get, path = "/events", tag = "events", security(("bearer" = [])), params(EventsQuery),
    responses((status = 200, body = Vec<EventDto>), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<Vec<EventDto>>, Problem> {
    actor.require(Action::ReadEventLog)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let events = state.store.view()?.events_after(q.after.unwrap_or(0), limit)?;
    Ok(Json(events.into_iter().map(Into::into).collect()))
}
