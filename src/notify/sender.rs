//! The loop that sends a channel's pending deliveries (e-mail, webhooks, SMS, Web Push) and records each
//! outcome durably: sent, or failed with the next attempt after an exponential backoff, or given
//! up (dead) after the last attempt. Deliveries live in the store, so nothing is lost by a
//! restart, and one that was sent is never sent again.

use crate::clock::Clock;
use crate::model::notify::{Channel, Delivery, DeliveryStatus};
use crate::store::{Store, StoreError, Tx};
use crate::types::DeliveryId;
use chrono::{DateTime, Duration, Utc};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{Notify, watch};

/// Deliveries read from the store per pass.
const BATCH: usize = 32;
/// On PostgreSQL, the longest a sender waits before it looks for due deliveries again.
const LOOK_AGAIN_SECS: i64 = 2;
/// The longest wait between two attempts.
const MAX_BACKOFF_SECS: i64 = 3600;

#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles with each further one.
    pub retry: Duration,
    /// How long one attempt may take (the transport's timeout).
    pub timeout: Duration,
}

impl Policy {
    pub fn new(max_attempts: u32, retry_seconds: u32, timeout_seconds: u32) -> Policy {
        Policy {
            max_attempts,
            retry: Duration::seconds(retry_seconds.into()),
            timeout: Duration::seconds(timeout_seconds.into()),
        }
    }

    /// With several processes on one database: how long a process that took a delivery to
    /// send has it to itself. If it dies sending, another (or itself, restarted) sends it once
    /// this has passed: an attempt's timeout, and a margin for recording its outcome.
    fn lease(&self) -> Duration {
        self.timeout + Duration::seconds(5)
    }

    fn backoff(&self, attempts: u32) -> Duration {
        let factor = 1i64 << attempts.saturating_sub(1).min(20);
        Duration::seconds((self.retry.num_seconds().max(1) * factor).min(MAX_BACKOFF_SECS))
    }
}

/// What one attempt came to.
pub struct Outcome {
    /// The subject to record, when the attempt got as far as knowing it (e-mails are rendered
    /// when sent, so an admin's template fix applies to retries).
    pub subject: Option<String>,
    /// Err says why it failed.
    pub result: Result<(), String>,
    /// A failure no retry can mend (a push subscription the browser dropped): dead at once.
    pub dead: bool,
}

pub trait Transport: Send + Sync + 'static {
    fn send(&self, d: &Delivery) -> impl Future<Output = Outcome> + Send;
}

pub async fn run<T: Transport>(
    store: Store,
    clock: Clock,
    channel: Channel,
    policy: Policy,
    transport: T,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let due = store.view().and_then(|v| v.due_deliveries(channel, clock.now(), BATCH));
        let due = match due {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, ?channel, "cannot read pending deliveries");
                Vec::new()
            }
        };
        for d in &due {
            // Taken one at a time, so a process that dies holds one delivery's lease, not a
            // batch's.
            let d = match store.is_shared() {
                false => d.clone(),
                true => match claim(&store, d.id, clock.now(), policy.lease()).await {
                    Ok(Some(d)) => d,
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::error!(error = %e, ?channel, "cannot take a delivery to send");
                        continue;
                    }
                },
            };
            let d = &d;
            let outcome = transport.send(d).await;
            if let Err(e) = record(&store, d.id, outcome, policy, &clock).await {
                tracing::error!(error = %e, ?channel, "cannot record a delivery's outcome");
            }
            if *stop.borrow() {
                return;
            }
        }
        if due.len() == BATCH {
            continue;
        }
        let next = store.view().and_then(|v| v.next_due(channel)).ok().flatten();
        let mut until = next.unwrap_or_else(|| clock.now() + Duration::hours(1));
        if store.is_shared() {
            // Other processes plan deliveries (and die leaving some) without waking this one,
            // and a process that starts after a crash reads a copy a moment behind: look again.
            until = until.min(clock.now() + Duration::seconds(LOOK_AGAIN_SECS));
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = clock.sleep_until(until) => {}
            _ = stop.changed() => {}
        }
    }
}

/// With several processes on one database: takes the delivery `id` unless another process
/// took it in the meantime, by moving its next attempt past the lease. The write is judged on
/// the newest data of every process, so each delivery is taken by one.
async fn claim(
    store: &Store,
    id: DeliveryId,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<Delivery>, StoreError> {
    store
        .write(move |tx: &mut Tx| {
            let Some(mut d) = tx.delivery(id)? else { return Ok(None) };
            if d.status != DeliveryStatus::Pending || d.next_attempt_at > now {
                return Ok(None);
            }
            let taken = d.clone();
            d.next_attempt_at = now + lease;
            tx.put_delivery(d);
            Ok(Some(taken))
        })
        .await
}

async fn record(
    store: &Store,
    id: DeliveryId,
    outcome: Outcome,
    policy: Policy,
    clock: &Clock,
) -> Result<(), StoreError> {
    let now = clock.now();
    store
        .write(move |tx: &mut Tx| {
            let Some(mut d) = tx.delivery(id)? else { return Ok(()) };
            d.attempts += 1;
            if let Some(subject) = outcome.subject {
                d.subject = subject;
            }
            let dead = outcome.dead;
            match outcome.result {
                Ok(()) => {
                    d.status = DeliveryStatus::Sent;
                    d.sent_at = Some(now);
                    d.last_error = None;
                }
                Err(e) => {
                    tracing::warn!(delivery = %d.id, channel = ?d.channel, attempts = d.attempts, error = %e, "delivery failed");
                    d.last_error = Some(e);
                    if d.attempts >= policy.max_attempts || dead {
                        d.status = DeliveryStatus::Dead;
                    } else {
                        d.next_attempt_at = now + policy.backoff(d.attempts);
                    }
                }
            }
            tx.put_delivery(d);
            Ok(())
        })
        .await
}

/// Makes a delivery pending and due now (an admin's "retry").
pub async fn retry(
    store: &Store,
    clock: &Clock,
    channel: Channel,
    id: DeliveryId,
) -> Result<Option<Delivery>, StoreError> {
    let now = clock.now();
    store
        .write(move |tx: &mut Tx| {
            let Some(mut d) = tx.delivery(id)?.filter(|d| d.channel == channel) else { return Ok(None) };
            if d.status != DeliveryStatus::Sent {
                d.status = DeliveryStatus::Pending;
                d.next_attempt_at = now;
                tx.put_delivery(d.clone());
            }
            Ok(Some(d))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let p = Policy::new(10, 30, 10);
        assert_eq!(p.backoff(1), Duration::seconds(30));
        assert_eq!(p.backoff(2), Duration::seconds(60));
        assert_eq!(p.backoff(4), Duration::seconds(240));
        assert_eq!(p.backoff(30), Duration::seconds(3600));
    }
}
