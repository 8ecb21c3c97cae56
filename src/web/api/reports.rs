//! `/api/v1/reports/*`: utilization, occupancy and behaviour as JSON, or as a file with
//! `?format=csv|xlsx|pdf`; the reservation list of a report as CSV or XLSX.

use super::Instant;
use crate::access::Actor;
use crate::reports::export::{self, Table};
use crate::reports::model::{BehaviourReport, OccupancyReport, Report, UtilizationReport};
use crate::reports::{ReportError, Reports, Scope, pdf};
use crate::types::RoomId;
use crate::web::AppState;
use crate::web::extract::ApiQuery;
use crate::web::problem::Problem;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Json,
    Csv,
    Xlsx,
    Pdf,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// Start of the window, RFC 3339 with an offset.
    #[param(value_type = String, format = DateTime)]
    from: Instant,
    /// End of the window (exclusive); at most 400 days after `from`.
    #[param(value_type = String, format = DateTime)]
    to: Instant,
    /// Only this room.
    #[param(value_type = Option<String>, format = Uuid)]
    room_id: Option<RoomId>,
    /// Only rooms at this location (case-insensitive).
    location: Option<String>,
    /// `json` (default), `csv` (this report's table), `xlsx` (every section, one sheet each) or
    /// `pdf` (a one-page summary with a chart).
    #[param(value_type = Option<String>, example = "xlsx")]
    format: Option<Format>,
}

impl ReportQuery {
    pub(crate) fn new(scope: &Scope, format: Format) -> ReportQuery {
        ReportQuery {
            from: Instant(scope.from),
            to: Instant(scope.to),
            room_id: scope.room_id,
            location: scope.location.clone(),
            format: Some(format),
        }
    }

    fn scope(&self) -> Scope {
        Scope { from: self.from.0, to: self.to.0, room_id: self.room_id, location: self.location.clone() }
    }

    fn file_stem(&self, what: &str) -> String {
        format!("salas-{what}-{}-{}", self.from.0.format("%Y%m%d"), self.to.0.format("%Y%m%d"))
    }
}

pub(crate) fn file(bytes: impl Into<axum::body::Body>, content_type: &'static str, name: &str) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type)), (header::CONTENT_DISPOSITION, disposition)],
        bytes.into(),
    )
        .into_response()
}

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Answers in the asked format: `json` with `section`, `csv` with `table`, the others whole.
pub(crate) fn answer<T: serde::Serialize>(
    q: &ReportQuery,
    what: &str,
    report: &Report,
    section: impl FnOnce(&Report) -> T,
    table: impl FnOnce(&Report) -> Table,
) -> Result<Response, ReportError> {
    let stem = q.file_stem(what);
    Ok(match q.format.unwrap_or_default() {
        Format::Json => axum::Json(section(report)).into_response(),
        Format::Csv => file(export::csv(&table(report)), "text/csv; charset=utf-8", &format!("{stem}.csv")),
        Format::Xlsx => file(export::report_xlsx(report)?, XLSX, &format!("{stem}.xlsx")),
        Format::Pdf => file(pdf::render(report, "Salas room report"), "application/pdf", &format!("{stem}.pdf")),
    })
}

async fn compute(reports: &Reports, actor: Actor, scope: Scope) -> Result<Report, Problem> {
    let reports = reports.clone();
    // Reading a year of reservations and computing over it is CPU work: keep it off the
    // request threads.
    tokio::task::spawn_blocking(move || reports.report(&actor, &scope))
        .await
        .map_err(|e| ReportError::Export("report", e.to_string()))?
        .map_err(Problem::from)
}

/// Booked hours over open hours, per room, location and period.
#[utoipa::path(get, path = "/reports/utilization", tag = "reports", params(ReportQuery),
    responses((status = 200, description = "JSON, or a CSV, XLSX or PDF file with `format`", content((UtilizationReport = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "application/pdf"))),
        (status = 403, body = Problem), (status = 404, body = Problem, description = "no such room"), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn utilization(
    State(s): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, Problem> {
    let report = compute(&s.reports, actor, q.scope()).await?;
    Ok(answer(&q, "utilization", &report, |r| r.utilization.clone(), export::utilization_table)?)
}

/// Weekday × local-hour heatmap of booked hours and occupancy, and the peak times.
#[utoipa::path(get, path = "/reports/occupancy", tag = "reports", params(ReportQuery),
    responses((status = 200, description = "JSON, or a CSV, XLSX or PDF file with `format`", content((OccupancyReport = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "application/pdf"))),
        (status = 403, body = Problem), (status = 404, body = Problem, description = "no such room"), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn occupancy(
    State(s): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, Problem> {
    let report = compute(&s.reports, actor, q.scope()).await?;
    Ok(answer(&q, "occupancy", &report, |r| r.occupancy.clone(), export::occupancy_table)?)
}

/// Cancellations, late cancellations, lead time, meeting length and size, top bookers.
#[utoipa::path(get, path = "/reports/behaviour", tag = "reports", params(ReportQuery),
    responses((status = 200, description = "JSON, or a CSV, XLSX or PDF file with `format`", content((BehaviourReport = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "application/pdf"))),
        (status = 403, body = Problem), (status = 404, body = Problem, description = "no such room"), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn behaviour(
    State(s): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, Problem> {
    let report = compute(&s.reports, actor, q.scope()).await?;
    Ok(answer(&q, "behaviour", &report, |r| r.behaviour.clone(), export::behaviour_table)?)
}

/// Every section at once.
#[utoipa::path(get, path = "/reports/summary", tag = "reports", params(ReportQuery),
    responses((status = 200, description = "JSON, or a CSV (utilization), XLSX or PDF file with `format`", content((Report = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "application/pdf"))),
        (status = 403, body = Problem), (status = 404, body = Problem, description = "no such room"), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn summary(
    State(s): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, Problem> {
    let report = compute(&s.reports, actor, q.scope()).await?;
    Ok(answer(&q, "report", &report, Clone::clone, export::utilization_table)?)
}

/// The reservations (cancelled ones too) of the rooms in scope overlapping the window, as CSV
/// (default) or XLSX.
#[utoipa::path(get, path = "/reports/reservations", tag = "reports", params(ReportQuery),
    responses((status = 200, description = "CSV, or XLSX with `format=xlsx`", content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = Problem), (status = 404, body = Problem, description = "no such room"), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn reservations(
    State(s): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, Problem> {
    reservation_file(&s, actor, &q).await
}

pub(crate) async fn reservation_file(s: &AppState, actor: Actor, q: &ReportQuery) -> Result<Response, Problem> {
    let (reports, scope) = (s.reports.clone(), q.scope());
    let rows = tokio::task::spawn_blocking(move || reports.rows(&actor, &scope))
        .await
        .map_err(|e| ReportError::Export("report", e.to_string()))??;
    let users: HashMap<_, _> = s.store.view()?.users()?.into_iter().map(|u| (u.id, u.email)).collect();
    let fields = s.store.view()?.booking_fields()?;
    let table = export::reservations_table(&rows.reservations, &rows.rooms, &users, &fields);
    let stem = q.file_stem("reservations");
    match q.format.unwrap_or(Format::Csv) {
        Format::Csv => Ok(file(export::csv(&table), "text/csv; charset=utf-8", &format!("{stem}.csv"))),
        Format::Xlsx => Ok(file(export::xlsx(&[table])?, XLSX, &format!("{stem}.xlsx"))),
        Format::Json | Format::Pdf => Err(Problem::invalid(crate::validation::FieldErrors::one(
            "format",
            "unsupported",
            "the reservation list exports as csv or xlsx; GET /api/v1/reservations lists it as JSON",
        ))),
    }
}
