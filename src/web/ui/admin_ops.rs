//! Admin: the event bus's consumers (position, lag, failures) and the scheduled jobs (last run,
//! next run, outcome) with a "run now" button.

use super::inbox::stamp;
use super::session::{Member, Viewer};
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::access::Action;
use crate::web::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;

pub struct ConsumerRow {
    pub name: String,
    pub position: u64,
    pub lag: u64,
    pub failures: u64,
    /// "when: what", the latest failure.
    pub last_error: String,
}

pub struct JobRow {
    pub name: String,
    pub schedule: String,
    pub last_run: String,
    pub ok: Option<bool>,
    pub outcome: String,
    pub next_run: String,
    pub runs: u64,
}

#[derive(Template)]
#[template(path = "admin_operations.html")]
struct OperationsPage {
    ctx: Ctx,
    tab: &'static str,
    last_seq: u64,
    consumers: Vec<ConsumerRow>,
    jobs: Vec<JobRow>,
}

fn when(v: &Viewer, t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| stamp(v, t)).unwrap_or_else(|| "—".into())
}

pub async fn page(State(state): State<AppState>, m: Member) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ManageNotifications).map_err(fail(v))?;
    let last_seq = state.store.view().and_then(|view| view.last_event_seq()).map_err(fail(v))?;
    let consumers = state
        .bus
        .reports(last_seq)
        .into_iter()
        .map(|r| ConsumerRow {
            name: r.name.into(),
            position: r.position,
            lag: r.lag,
            failures: r.failures,
            last_error: r.last_error.map(|(at, e)| format!("{}: {e}", stamp(v, at))).unwrap_or_default(),
        })
        .collect();
    let jobs = state
        .scheduler
        .reports(&m.actor())
        .map_err(fail(v))?
        .into_iter()
        .map(|r| JobRow {
            name: r.name.into(),
            schedule: r.schedule,
            last_run: when(v, r.last_run),
            ok: r.last_status.map(|s| s == "ok"),
            outcome: r.last_outcome.unwrap_or_default(),
            next_run: when(v, r.next_run),
            runs: r.runs,
        })
        .collect();
    let page = OperationsPage { ctx: Ctx::new(v, "admin"), tab: "operations", last_seq, consumers, jobs };
    Ok(render(StatusCode::OK, &page, v.flash.is_some()))
}

pub async fn run_job(State(state): State<AppState>, m: Member, Path(name): Path<String>) -> PageResult {
    let v = &m.viewer;
    let r = state.scheduler.run_now(&m.actor(), &name).await.map_err(fail(v))?;
    let key = if r.last_status == Some("ok") { "job_ran" } else { "job_failed" };
    let outcome = r.last_outcome.unwrap_or_default();
    Ok(redirect_with("/admin/operations", &v.tr.f(key, &[("job", &name), ("outcome", &outcome)])))
}
