//! Wiring of the modules that react to the event log: the bus and its consumers, the e-mail
//! and webhook senders, and the scheduler. Each runs on its own task until [`SideEffects::stop`].

use super::StartError;
use crate::clock::Clock;
use crate::config::Config;
use crate::events::bus::Bus;
use crate::notify::Notifier;
use crate::reports::Reports;
use crate::scheduler::{BackupPlan, Scheduler};
use crate::search::Search;
use crate::store::Store;
use crate::webhooks::Webhooks;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub(super) struct SideEffects {
    pub bus: Bus,
    pub notifier: Notifier,
    pub webhooks: Webhooks,
    pub scheduler: Scheduler,
    pub search: Search,
    pub reports: Reports,
    pub waitlist: crate::waitlist::Waitlist,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

pub(super) fn start(
    config: &Config,
    store: &Store,
    clock: &Clock,
    sealer: crate::secrets::Sealer,
) -> Result<SideEffects, StartError> {
    let failed = |e: String| StartError::Notifications(e);
    let reports = Reports::new(store.clone(), config.report_settings()?);
    let notifier = Notifier::new(store.clone(), clock.clone(), &config.smtp, &config.sms, &config.scheduler)
        .map_err(|e| failed(e.to_string()))?
        .with_reports(reports.clone())
        .with_sealer(sealer.clone())
        .with_push(&config.push, config.push_subject(), sealer.clone())
        .map_err(|e| failed(e.to_string()))?;
    if !notifier.email_enabled() {
        tracing::info!("e-mail is off: no [smtp] host is configured (SALAS_SMTP_HOST)");
    }
    let webhooks =
        Webhooks::new(store.clone(), clock.clone(), &config.webhooks, sealer).map_err(|e| failed(e.to_string()))?;
    let backups = BackupPlan { dir: config.backup_dir(), keep: config.backup.keep as usize };
    let scheduler = Scheduler::new(
        &config.scheduler,
        &config.backup.schedule,
        backups,
        store.clone(),
        clock.clone(),
        notifier.clone(),
        crate::reservations::Reservations::new(store.clone(), &config.booking),
    )
    .map_err(failed)?;
    let (stop, stopped) = watch::channel(false);
    let bus = Bus::default();
    let mut tasks = Vec::new();
    for consumer in notifier.consumers().into_iter().chain([webhooks.consumer()]) {
        tasks.push(bus.spawn(store.clone(), clock.clone(), consumer, stopped.clone()));
    }
    tasks.push(tokio::spawn(notifier.clone().run_sender(stopped.clone())));
    tasks.push(tokio::spawn(notifier.clone().run_sms_sender(stopped.clone())));
    tasks.push(tokio::spawn(notifier.clone().run_push_sender(stopped.clone())));
    tasks.push(tokio::spawn(webhooks.clone().run_sender(stopped.clone())));
    tasks.extend(scheduler.spawn(&stopped));
    let booking =
        crate::reservations::Reservations::new(store.clone(), &config.booking).with_policy(config.global_policy()?);
    let waitlist =
        crate::waitlist::Waitlist::new(store.clone(), booking, clock.clone(), config.booking.no_show_strikes);
    tasks.push(tokio::spawn(waitlist.clone().run(stopped.clone())));
    // The index is opened now and (re)built in the background: /readyz says when it is usable.
    let (search, rebuild) = Search::open(&config.data_dir, store).map_err(|e| StartError::Search(e.to_string()))?;
    tasks.push(tokio::spawn(search.clone().run(store.clone(), clock.clone(), bus.clone(), rebuild, stopped.clone())));
    Ok(SideEffects { bus, notifier, webhooks, scheduler, search, reports, waitlist, stop, tasks })
}

impl SideEffects {
    /// Asks every task to stop and waits for them, so none still holds the store when it closes.
    /// A send in flight finishes first; its outcome is recorded.
    pub(super) async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
