//! A room's `.ics` import on the wire: a `text/calendar` body in, the counts out. The work is
//! `calendars::import`.

use super::series::OnConflictDto;
use crate::access::Actor;
use crate::calendars::import::{ImportOptions, ImportReport, Skip};
use crate::types::RoomId;
use crate::web::AppState;
use crate::web::extract::ApiQuery;
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `fail` (the default): book nothing when any event clashes (a 409 lists them); `skip`: book
    /// the free ones and list the others under `skipped`.
    #[param(value_type = Option<String>)]
    on_conflict: Option<OnConflictDto>,
    /// Report what an import would do and book nothing.
    #[serde(default)]
    dry_run: bool,
}

/// What an import did, meetings counted by UID.
#[derive(Serialize, ToSchema)]
pub struct ImportReportDto {
    created: usize,
    updated: usize,
    unchanged: usize,
    skipped: Vec<SkippedDto>,
}

/// An event (or an occurrence of a series: `start` says which) not booked, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedDto {
    uid: String,
    start: Option<DateTime<Utc>>,
    reason: String,
}

impl From<&Skip> for SkippedDto {
    fn from(s: &Skip) -> Self {
        SkippedDto { uid: s.uid.clone(), start: s.start, reason: s.reason.clone() }
    }
}

impl From<ImportReport> for ImportReportDto {
    fn from(r: ImportReport) -> Self {
        ImportReportDto {
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            skipped: r.skipped.iter().map(Into::into).collect(),
        }
    }
}

/// Import a calendar file (`text/calendar`) into a room, as bookings of the caller, who must be
/// allowed to book the room. Idempotent by UID; recurring events become series (EXDATE and
/// RECURRENCE-ID honoured); past events are skipped with a reason. A file that cannot be read
/// is a 400 naming the line or property at fault.
#[utoipa::path(post, path = "/rooms/{id}/import", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ImportQuery),
    request_body(content = String, content_type = "text/calendar"),
    responses((status = 200, body = ImportReportDto), (status = 400, description = "Not a readable iCalendar file", body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "With on_conflict=fail: `skipped` lists every event that clashes; nothing was booked", body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: String,
) -> Result<Json<ImportReportDto>, Problem> {
    let options = ImportOptions { on_conflict: q.on_conflict.map(Into::into).unwrap_or_default(), dry_run: q.dry_run };
    let report = state.calendars.import(&actor, id, &body, options).await?;
    Ok(Json(report.into()))
}
