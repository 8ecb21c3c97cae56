//! The scheduler: jobs on cron schedules from `[scheduler]`, as plain async functions, timed by
//! the injectable [`Clock`] (a test moves the clock instead of waiting). A tick missed because
//! the clock jumped, or because the process was down, runs once as soon as it is noticed; the
//! reminder job also runs on start, so reminders due while the server was down still go out if
//! the meeting has not begun, and so does the no-show job, releasing what was missed.

mod backup;
pub use backup::BackupPlan;

use crate::access::{Action, Actor};
use crate::clock::Clock;
use crate::config::{SchedulerConfig, parse_schedule};
use crate::notify::Notifier;
use crate::reservations::Reservations;
use crate::store::{Store, StoreError, Tx};
use chrono::{DateTime, Utc};
use cron::Schedule;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error("no such job")]
    NotFound,
    #[error(transparent)]
    Denied(#[from] crate::access::Denied),
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct JobReport {
    pub name: &'static str,
    /// The expression from the configuration; empty when the job is off.
    pub schedule: String,
    pub last_run: Option<DateTime<Utc>>,
    /// `ok` or `failed`.
    pub last_status: Option<&'static str>,
    /// What the last run did, or why it failed.
    pub last_outcome: Option<String>,
    pub next_run: Option<DateTime<Utc>>,
    pub runs: u64,
}

struct Job {
    schedule: Option<Schedule>,
    report: Mutex<JobReport>,
    /// One run at a time (a manual run waits for a scheduled one).
    running: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
pub struct Scheduler {
    jobs: Arc<Vec<Arc<Job>>>,
    store: Store,
    clock: Clock,
    notifier: Notifier,
    backup: BackupPlan,
    reservations: Reservations,
}

impl Scheduler {
    /// `backup_schedule` is the `[backup]` cron expression (empty: off); the job can still be run
    /// by hand.
    pub fn new(
        c: &SchedulerConfig,
        backup_schedule: &str,
        backup: BackupPlan,
        store: Store,
        clock: Clock,
        notifier: Notifier,
        reservations: Reservations,
    ) -> Result<Scheduler, String> {
        let job = |name: &'static str, expr: &str| -> Result<Arc<Job>, String> {
            Ok(Arc::new(Job {
                schedule: parse_schedule(expr).map_err(|e| format!("scheduler.{name}: {e}"))?,
                report: Mutex::new(JobReport { name, schedule: expr.trim().to_string(), ..Default::default() }),
                running: tokio::sync::Mutex::new(()),
            }))
        };
        let jobs = vec![
            job("reminders", &c.reminders)?,
            job("session_cleanup", &c.session_cleanup)?,
            job("backup", backup_schedule)?,
            job("no_shows", &c.no_shows)?,
            job("reports", &c.reports)?,
        ];
        Ok(Scheduler { jobs: Arc::new(jobs), store, clock, notifier, backup, reservations })
    }

    /// Starts every scheduled job on its own task.
    pub fn spawn(&self, stop: &watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        let jobs: Vec<Arc<Job>> = self.jobs.iter().filter(|j| j.schedule.is_some()).cloned().collect();
        jobs.into_iter().map(|job| tokio::spawn(self.clone().run(job, stop.clone()))).collect()
    }

    pub fn reports(&self, actor: &Actor) -> Result<Vec<JobReport>, SchedulerError> {
        actor.require(Action::ManageNotifications)?;
        Ok(self.jobs.iter().filter_map(|j| j.report.lock().ok().map(|r| r.clone())).collect())
    }

    /// Runs a job now, whatever its schedule, and reports how it went.
    pub async fn run_now(&self, actor: &Actor, name: &str) -> Result<JobReport, SchedulerError> {
        actor.require(Action::ManageNotifications)?;
        let job = self.jobs.iter().find(|j| j.report.lock().is_ok_and(|r| r.name == name));
        let job = job.ok_or(SchedulerError::NotFound)?.clone();
        self.execute(&job).await;
        Ok(job.report.lock().map(|r| r.clone()).unwrap_or_default())
    }

    async fn run(self, job: Arc<Job>, mut stop: watch::Receiver<bool>) {
        let Some(schedule) = job.schedule.clone() else { return };
        let catch_up = job.report.lock().is_ok_and(|r| matches!(r.name, "reminders" | "no_shows" | "reports"));
        if catch_up {
            self.execute(&job).await;
        }
        let mut last = self.clock.now();
        loop {
            let Some(next) = schedule.after(&last).next() else { return };
            if let Ok(mut r) = job.report.lock() {
                r.next_run = Some(next);
            }
            tokio::select! {
                _ = self.clock.sleep_until(next) => {}
                _ = stop.changed() => return,
            }
            if self.claim(&job, next).await {
                self.execute(&job).await;
            }
            last = self.clock.now();
        }
    }

    /// Whether this process runs `job`'s run due at `slot`: the first to record it does, so with
    /// several processes on one database each scheduled run happens once. (Runs asked for by
    /// an admin, and the catch-up runs at start, are not claimed: those jobs are idempotent.)
    async fn claim(&self, job: &Job, slot: chrono::DateTime<chrono::Utc>) -> bool {
        use sha2::Digest;
        let name = job.report.lock().map(|r| r.name).unwrap_or_default();
        let key: [u8; 32] = sha2::Sha256::digest(format!("scheduled job {name} at {}", slot.timestamp_micros())).into();
        let claimed = self
            .store
            .write(move |tx: &mut Tx| {
                if tx.is_done(key)? {
                    return Ok::<bool, StoreError>(false);
                }
                tx.mark_done(key);
                Ok(true)
            })
            .await;
        claimed.unwrap_or_else(|e| {
            tracing::warn!(job = name, error = %e, "cannot record a scheduled run; skipping it");
            false
        })
    }

    async fn execute(&self, job: &Job) {
        let _one_at_a_time = job.running.lock().await;
        let name = job.report.lock().map(|r| r.name).unwrap_or_default();
        let started = self.clock.now();
        let outcome = match name {
            "reminders" => self
                .notifier
                .dispatch_reminders()
                .await
                .map(|n| format!("{n} reminders queued"))
                .map_err(|e| e.to_string()),
            "session_cleanup" => {
                let purged = self
                    .store
                    .write(move |tx: &mut Tx| {
                        tx.purge_expired_sessions(started);
                        tx.purge_login_locks(started);
                        tx.purge_account_links(started);
                        Ok::<(), StoreError>(())
                    })
                    .await;
                match purged {
                    Ok(()) => match self.store.prune_replication_log().await {
                        Ok(0) => Ok("expired sessions and stale sign-in failure counts removed".to_string()),
                        Ok(n) => Ok(format!(
                            "expired sessions and stale sign-in failure counts removed; {n} old replication log entries deleted"
                        )),
                        Err(e) => Err(e.to_string()),
                    },
                    Err(e) => Err(e.to_string()),
                }
            }
            "no_shows" => self
                .reservations
                .release_no_shows(started)
                .await
                .map(|n| format!("{n} reservations released as no-shows"))
                .map_err(|e| e.to_string()),
            "reports" => self
                .notifier
                .dispatch_reports()
                .await
                .map(|n| format!("{n} report e-mails queued"))
                .map_err(|e| e.to_string()),
            "backup" if self.store.is_shared() => {
                Err("the data is in PostgreSQL: back it up with pg_dump (docs/postgres.md)".to_string())
            }
            "backup" => {
                let (store, plan) = (self.store.clone(), self.backup.clone());
                tokio::task::spawn_blocking(move || backup::run(&store, &plan, started))
                    .await
                    .unwrap_or_else(|e| Err(format!("the backup task failed: {e}")))
            }
            other => Err(format!("unknown job {other}")),
        };
        if let Err(e) = &outcome {
            tracing::warn!(job = name, error = %e, "scheduled job failed");
        }
        if let Ok(mut r) = job.report.lock() {
            r.last_run = Some(started);
            r.runs += 1;
            r.last_status = Some(if outcome.is_ok() { "ok" } else { "failed" });
            r.last_outcome = Some(outcome.unwrap_or_else(|e| e));
        }
    }
}
