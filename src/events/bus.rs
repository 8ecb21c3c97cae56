//! The event bus: each consumer keeps a durable cursor (the seq of the last event it handled) in
//! the store, reads the log after it, and is woken by the store's "new events" signal. On start
//! it resumes from its cursor, so an event committed before a crash is handled after it.
//!
//! A consumer only *plans*: it turns an event into writes (deliveries, inbox entries) that are
//! committed together with the cursor move, so each event's work is recorded exactly once even
//! though an event may be read twice. Those writes need no disk flush of their own (see
//! [`Store::write_replayable`]). Sending happens later, in the channels' own senders, so a
//! slow SMTP server never holds up the log, the writer, or the other consumers.

use crate::clock::Clock;
use crate::events::Event;
use crate::store::{Store, StoreError, Tx, View};
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// A write a consumer wants committed with its cursor move.
pub type Staging = Box<dyn FnOnce(&mut Tx) -> Result<(), StoreError> + Send>;

/// Events read per transaction.
const BATCH: usize = 256;

pub trait Consumer: Send + Sync + 'static {
    /// Stable: the cursor is stored under it.
    fn name(&self) -> &'static str;
    /// The writes `event` calls for, decided from `view`. Must be idempotent (key the writes by
    /// event id with [`Tx::mark_done`]): after a failed commit the same event comes again.
    fn plan(&self, view: &View, event: &Event) -> Result<Vec<Staging>, String>;
    /// Called after a batch of plans was committed (to wake a sender).
    fn committed(&self) {}
}

/// What the admin page shows about one consumer.
#[derive(Debug)]
pub struct ConsumerStatus {
    pub name: &'static str,
    position: AtomicU64,
    failures: AtomicU64,
    last_error: Mutex<Option<(DateTime<Utc>, String)>>,
}

#[derive(Clone, Debug)]
pub struct ConsumerReport {
    pub name: &'static str,
    /// Seq of the last event handled.
    pub position: u64,
    /// Events in the log it has not handled yet.
    pub lag: u64,
    pub failures: u64,
    pub last_error: Option<(DateTime<Utc>, String)>,
}

impl ConsumerStatus {
    pub fn report(&self, last_seq: u64) -> ConsumerReport {
        let position = self.position.load(Ordering::SeqCst);
        ConsumerReport {
            name: self.name,
            position,
            lag: last_seq.saturating_sub(position),
            failures: self.failures.load(Ordering::SeqCst),
            last_error: self.last_error.lock().ok().and_then(|e| e.clone()),
        }
    }

    fn fail(&self, at: DateTime<Utc>, error: String) {
        tracing::warn!(consumer = self.name, %error, "event consumer failed; will retry");
        self.failures.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut e) = self.last_error.lock() {
            *e = Some((at, error));
        }
    }
}

/// Every consumer of this process, for the admin page and `/metrics`.
#[derive(Clone, Default)]
pub struct Bus {
    consumers: Arc<Mutex<Vec<Arc<ConsumerStatus>>>>,
}

impl Bus {
    pub fn reports(&self, last_seq: u64) -> Vec<ConsumerReport> {
        let list = self.consumers.lock().map(|c| c.clone()).unwrap_or_default();
        list.iter().map(|c| c.report(last_seq)).collect()
    }

    /// Starts `consumer` on its own task; it runs until `stop` turns true.
    pub fn spawn(
        &self,
        store: Store,
        clock: Clock,
        consumer: Arc<dyn Consumer>,
        stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let status = Arc::new(ConsumerStatus {
            name: consumer.name(),
            position: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            last_error: Mutex::new(None),
        });
        if let Ok(mut list) = self.consumers.lock() {
            list.push(status.clone());
        }
        tokio::spawn(run(store, clock, consumer, status, stop))
    }
}

async fn run(
    store: Store,
    clock: Clock,
    consumer: Arc<dyn Consumer>,
    status: Arc<ConsumerStatus>,
    mut stop: watch::Receiver<bool>,
) {
    let mut signal = store.event_signal();
    let mut backoff = Backoff::default();
    let mut cursor = loop {
        match start_cursor(&store, consumer.name()).await {
            Ok(c) => break c,
            Err(e) => {
                status.fail(clock.now(), e.to_string());
                if backoff.wait(&mut stop).await {
                    return;
                }
            }
        }
    };
    status.position.store(cursor, Ordering::SeqCst);
    loop {
        if *stop.borrow() {
            return;
        }
        let (moved, error) = step(&store, consumer.as_ref(), cursor).await;
        if let Some(next) = moved {
            cursor = next;
            status.position.store(cursor, Ordering::SeqCst);
        }
        if let Some(e) = error {
            status.fail(clock.now(), e);
            if backoff.wait(&mut stop).await {
                return;
            }
            continue;
        }
        backoff = Backoff::default();
        if moved.is_none() {
            // Caught up: sleep until the writer announces a newer event.
            signal.borrow_and_update();
            if *signal.borrow() > cursor {
                continue;
            }
            tokio::select! {
                r = signal.changed() => if r.is_err() { return },
                _ = stop.changed() => {}
            }
        }
    }
}

/// The stored cursor, or, for a consumer new to this store, the end of the log: a consumer
/// added by an upgrade does not replay (and e-mail about) the whole history.
async fn start_cursor(store: &Store, name: &'static str) -> Result<u64, StoreError> {
    store
        .write(move |tx: &mut Tx| match tx.cursor(name)? {
            Some(c) => Ok(c),
            None => {
                let last = tx.last_event_seq()?;
                tx.set_cursor(name, last);
                Ok(last)
            }
        })
        .await
}

/// Handles the events after `cursor`: returns the new cursor (None when nothing moved) and the
/// failure, if any. A plan that fails stops the batch there: the events before it are committed,
/// it is retried after a pause.
async fn step(store: &Store, consumer: &dyn Consumer, cursor: u64) -> (Option<u64>, Option<String>) {
    // Another process of the same database may have handled these events already (the cursor
    // is shared): start where the stored cursor is, if it is further.
    let stored = store.view().and_then(|v| v.cursor(consumer.name())).ok().flatten().unwrap_or(0);
    if stored > cursor {
        return (Some(stored), None);
    }
    // The events first, then the view: it is at least as new as they are.
    let events = match store.events_after(cursor, BATCH) {
        Ok(events) => events,
        Err(e) => return (None, Some(e.to_string())),
    };
    let view = match store.view() {
        Ok(v) => v,
        Err(e) => return (None, Some(e.to_string())),
    };
    let (mut stagings, mut last, mut failure) = (Vec::new(), cursor, None);
    for event in &events {
        match consumer.plan(&view, event) {
            Ok(s) => {
                stagings.extend(s);
                last = event.seq;
            }
            Err(e) => {
                failure = Some(format!("event {}: {e}", event.seq));
                break;
            }
        }
    }
    drop(view);
    if last == cursor {
        return (None, failure);
    }
    let name = consumer.name();
    // Replayable: lost in a crash, the cursor is behind and these events are planned again,
    // and their once keys went with them.
    let written = store
        .write_replayable(move |tx: &mut Tx| {
            for s in stagings {
                s(tx)?;
            }
            // Never backwards: another process may have gone further meanwhile.
            if tx.cursor(name)?.is_none_or(|c| c < last) {
                tx.set_cursor(name, last);
            }
            Ok::<(), StoreError>(())
        })
        .await;
    match written {
        Ok(()) => {
            consumer.committed();
            (Some(last), failure)
        }
        Err(e) => (None, Some(e.to_string())),
    }
}

/// Exponential backoff between failed attempts: 1 s doubling up to 5 min.
#[derive(Default)]
struct Backoff(u32);

impl Backoff {
    /// Waits; true if asked to stop meanwhile.
    async fn wait(&mut self, stop: &mut watch::Receiver<bool>) -> bool {
        let secs = (1u64 << self.0.min(9)).min(300);
        self.0 += 1;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(secs)) => *stop.borrow(),
            _ = stop.changed() => true,
        }
    }
}
