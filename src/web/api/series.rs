//! Recurring series on the wire: what a recurring booking answers, what a taken occurrence
//! looks like in a 409, and the list of a series' occurrences.

use super::reservations::ReservationDto;
use crate::access::Actor;
use crate::reservations::series::{Clash, OnConflict, Scope, SeriesBooked};
use crate::types::{ReservationId, SeriesId};
use crate::validation::FieldError;
use crate::web::AppState;
use crate::web::problem::Problem;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An occurrence that is taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClashDto {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// The reservations in its way (listed in full under `conflicts`).
    #[schema(value_type = Vec<String>)]
    conflicting_ids: Vec<ReservationId>,
    /// The room policy rules the occurrence breaks (`outside_opening_hours`, `blackout`,
    /// `buffer_clash`, `quota_exceeded`…), each naming its reason; absent when it is only taken.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reasons: Vec<FieldError>,
}

impl From<&Clash> for ClashDto {
    fn from(c: &Clash) -> Self {
        ClashDto {
            start: c.range.start,
            end: c.range.end,
            conflicting_ids: c.conflicts.iter().map(|r| r.id).collect(),
            reasons: c.reasons.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SeriesCreatedDto {
    #[schema(value_type = String, format = Uuid)]
    series_id: SeriesId,
    /// The occurrences booked, in start order.
    occurrences: Vec<ReservationDto>,
    /// With `on_conflict: skip`, the occurrences left out because they were taken.
    skipped: Vec<ClashDto>,
}

impl From<SeriesBooked> for SeriesCreatedDto {
    fn from(s: SeriesBooked) -> Self {
        SeriesCreatedDto {
            series_id: s.series_id,
            occurrences: s.booked.into_iter().map(Into::into).collect(),
            skipped: s.skipped.iter().map(Into::into).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SeriesDto {
    #[schema(value_type = String, format = Uuid)]
    series_id: SeriesId,
    /// Every occurrence, cancelled ones too, in start order.
    occurrences: Vec<ReservationDto>,
}

/// What to do when some occurrences of a recurring booking are taken.
#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnConflictDto {
    /// Book nothing; the 409 lists each taken occurrence (the default).
    Fail,
    /// Book the free occurrences and list the skipped ones.
    Skip,
}

impl From<OnConflictDto> for OnConflict {
    fn from(o: OnConflictDto) -> Self {
        match o {
            OnConflictDto::Fail => OnConflict::Fail,
            OnConflictDto::Skip => OnConflict::Skip,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ScopeQuery {
    /// For an occurrence of a series: `this` (the default), `following` (this and every later
    /// one) or `series` (every occurrence not yet ended).
    #[param(value_type = Option<String>)]
    scope: Option<ScopeDto>,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ScopeDto {
    This,
    Following,
    Series,
}

impl ScopeQuery {
    pub fn scope(&self) -> Scope {
        match self.scope {
            None | Some(ScopeDto::This) => Scope::This,
            Some(ScopeDto::Following) => Scope::Following,
            Some(ScopeDto::Series) => Scope::Series,
        }
    }
}

/// Every occurrence of a recurring series.
#[utoipa::path(get, path = "/series/{id}", tag = "reservations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = SeriesDto), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<SeriesId>,
) -> Result<axum::Json<SeriesDto>, Problem> {
    let occurrences = state.reservations.series(&actor, id)?;
    Ok(axum::Json(SeriesDto { series_id: id, occurrences: occurrences.into_iter().map(Into::into).collect() }))
}
