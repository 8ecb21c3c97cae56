//! The loop that sends a channel's pending deliveries (e-mail, webhooks, SMS, Web Push) and records each
//! outcome durably: sent, or failed with the next attempt after an exponential backoff, or given
//! up (dead) after the last attempt. Deliveries live in the store, so nothing is lost by a
//! restart, and one that was sent is never sent again.

use crate::clock::Clock;
use crate::model::notify::{Channel, Delivery, DeliveryStatus};
use crate::store::{Store, StoreError, Tx};
use crate::types::DeliveryId;
use chrono::Duration;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{Notify, watch};

/// Deliveries read from the store per pass.
const BATCH: usize = 32;
/// The longest wait between two attempts.
const MAX_BACKOFF_SECS: i64 = 3600;

#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles with each further one.
    pub retry: Duration,
}

impl Policy {
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
            Ok(d) if store.is_shared() => claim(&store, d, clock.now()).await,
            Ok(d) => Ok(d),
            Err(e) => Err(e),
        };
        let due = match due {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, ?channel, "cannot read pending deliveries");
                Vec::new()
            }
        };
        for d in &due {
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
        let until = next.unwrap_or_else(|| clock.now() + Duration::hours(1));
        tokio::select! {
            _ = wake.notified() => {}
            _ = clock.sleep_until(until) => {}
            _ = stop.changed() => {}
        }
    }
}

/// How long a process that took deliveries to send has them to itself: if it dies sending,
/// another sends them once this has passed.
const LEASE_SECS: i64 = 30;

/// With several processes on one database: takes those of `due` that no other process took in
/// the meantime, by moving their next attempt past a lease. The write is judged on the newest
/// data of every process, so each delivery is taken by one.
async fn claim(
    store: &Store,
    due: Vec<Delivery>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Delivery>, StoreError> {
    if due.is_empty() {
        return Ok(due);
    }
    let ids: Vec<DeliveryId> = due.iter().map(|d| d.id).collect();
    store
        .write(move |tx: &mut Tx| {
            let mut taken = Vec::new();
            for id in ids {
                let Some(mut d) = tx.delivery(id)? else { continue };
                if d.status != DeliveryStatus::Pending || d.next_attempt_at > now {
                    continue;
                }
                taken.push(d.clone());
                d.next_attempt_at = now + Duration::seconds(LEASE_SECS);
                tx.put_delivery(d);
            }
            Ok(taken)
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
        let p = Policy { max_attempts: 10, retry: Duration::seconds(30) };
        assert_eq!(p.backoff(1), Duration::seconds(30));
        assert_eq!(p.backoff(2), Duration::seconds(60));
        assert_eq!(p.backoff(4), Duration::seconds(240));
        assert_eq!(p.backoff(30), Duration::seconds(3600));
    }
}
