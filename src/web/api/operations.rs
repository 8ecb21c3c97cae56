//! The event bus's consumers and the scheduler's jobs, for admins.

use crate::access::{Action, Actor};
use crate::scheduler::JobReport;
use crate::web::AppState;
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ConsumerDto {
    name: String,
    /// Seq of the last event handled.
    position: u64,
    /// Events in the log not handled yet.
    lag: u64,
    /// Failed attempts since the server started.
    failures: u64,
    last_error: Option<String>,
    last_error_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct JobDto {
    name: String,
    /// The cron expression from `[scheduler]`.
    schedule: String,
    last_run: Option<DateTime<Utc>>,
    /// `ok` or `failed`.
    last_status: Option<String>,
    last_outcome: Option<String>,
    next_run: Option<DateTime<Utc>>,
    runs: u64,
}

impl From<JobReport> for JobDto {
    fn from(r: JobReport) -> Self {
        JobDto {
            name: r.name.into(),
            schedule: r.schedule,
            last_run: r.last_run,
            last_status: r.last_status.map(Into::into),
            last_outcome: r.last_outcome,
            next_run: r.next_run,
            runs: r.runs,
        }
    }
}

/// Every event consumer's position in the log, lag and failures.
#[utoipa::path(get, path = "/admin/consumers", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = Vec<ConsumerDto>), (status = 403, body = Problem)))]
pub async fn consumers(State(state): State<AppState>, actor: Actor) -> Result<Json<Vec<ConsumerDto>>, Problem> {
    actor.require(Action::ManageNotifications)?;
    let last_seq = state.store.view()?.last_event_seq()?;
    let reports = state.bus.reports(last_seq);
    Ok(Json(
        reports
            .into_iter()
            .map(|r| ConsumerDto {
                name: r.name.into(),
                position: r.position,
                lag: r.lag,
                failures: r.failures,
                last_error_at: r.last_error.as_ref().map(|e| e.0),
                last_error: r.last_error.map(|e| e.1),
            })
            .collect(),
    ))
}

/// Scheduled jobs: last run, outcome, next run.
#[utoipa::path(get, path = "/admin/jobs", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = Vec<JobDto>), (status = 403, body = Problem)))]
pub async fn jobs(State(state): State<AppState>, actor: Actor) -> Result<Json<Vec<JobDto>>, Problem> {
    Ok(Json(state.scheduler.reports(&actor)?.into_iter().map(Into::into).collect()))
}

/// Run a job now and report how it went.
#[utoipa::path(post, path = "/admin/jobs/{name}/run", tag = "operations", security(("bearer" = [])),
    params(("name" = String, Path)),
    responses((status = 200, body = JobDto), (status = 404, body = Problem)))]
pub async fn run_job(
    State(state): State<AppState>,
    actor: Actor,
    Path(name): Path<String>,
) -> Result<Json<JobDto>, Problem> {
    Ok(Json(state.scheduler.run_now(&actor, &name).await?.into()))
}
