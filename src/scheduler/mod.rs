//! The scheduler: jobs on cron schedules from `[scheduler]`, as plain async functions, timed by
//! the injectable [`Clock`] (a test moves the clock instead of waiting). A tick missed because
//! the clock jumped, or because the process was down, runs once as soon as it is noticed; the
//! reminder job also runs on start, so reminders due while the server was down still go out if
//! the meeting has not begun, and so does the no-show job, releasing what was missed.

mod backup;
pub use backup::BackupPlan;

use crate::access::{Action, Actor};
use crate::clock::Clock;
use crate::config::SchedulerConfig;
use crate::notify::Notifier;
use crate::reservations::Reservations;
use crate::store::{Store, StoreError, Tx};
use chrono::{DateTime, Utc};
use cron::Schedule;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error("no such job")]
    NotFound,
    #[error(transparent)]
    Denied(#[from] crate::access::Denied),
}

/// Parses a cron expression: 5 fields as in crontab (minute hour day month weekday, weekday
/// 0-7 with Sunday as 0 or 7), or the cron crate's 6-7 fields (seconds first, optional year).
/// Empty: the job is off (None).
pub fn parse_schedule(expr: &str) -> Result<Option<Schedule>, String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let full = match fields.len() {
        0 => return Ok(None),
        5 => format!("0 {} {} {} {} {} *", fields[0], fields[1], fields[2], fields[3], crontab_weekdays(fields[4])),
        6 | 7 => fields.join(" "),
        n => return Err(format!("`{expr}` has {n} fields; use 5 (minute hour day month weekday)")),
    };
    Schedule::from_str(&full).map(Some).map_err(|e| format!("`{expr}` is not a cron expression: {e}"))
}

/// crontab numbers weekdays 0-7 from Sunday; the cron crate 1-7 from Sunday. Step values (after
/// `/`) are counts, not days, and stay as they are.
fn crontab_weekdays(field: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let mut after_slash = false;
    let flush = |digits: &mut String, out: &mut String, after_slash: bool| {
        if digits.is_empty() {
            return;
        }
        match digits.parse::<u32>() {
            Ok(n) if !after_slash => out.push_str(&(n % 7 + 1).to_string()),
            _ => out.push_str(digits),
        }
        digits.clear();
    };
    for c in field.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out, after_slash);
            after_slash = c == '/';
            out.push(c);
        }
    }
    flush(&mut digits, &mut out, after_slash);
    out
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
            self.execute(&job).await;
            last = self.clock.now();
        }
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
            "session_cleanup" => self
                .store
                .write(move |tx: &mut Tx| {
                    tx.purge_expired_sessions(started);
                    Ok::<(), StoreError>(())
                })
                .await
                .map(|()| "expired sessions removed".to_string())
                .map_err(|e| e.to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn five_fields_become_seven_with_crontab_weekdays() {
        assert_eq!(crontab_weekdays("1-5"), "2-6");
        assert_eq!(crontab_weekdays("0,7"), "1,1");
        assert_eq!(crontab_weekdays("*/2"), "*/2");
        assert_eq!(crontab_weekdays("MON-FRI"), "MON-FRI");
        let s = parse_schedule("30 9 * * 1").unwrap().unwrap();
        let sunday = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        assert_eq!(s.after(&sunday).next().unwrap(), Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap());
        assert!(parse_schedule("").unwrap().is_none());
        assert!(parse_schedule("* * *").is_err());
        assert!(parse_schedule("61 * * * *").is_err());
        assert!(parse_schedule("*/5 * * * * *").unwrap().is_some());
    }
}
