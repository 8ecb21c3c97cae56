//! The one place that reads the wall clock. Domain rules take `now` as an argument, so they are
//! tested with any instant; services call [`now`] once per request and pass it down.
//!
//! Side-effect modules (notifications, the scheduler) take a [`Clock`] handle instead: it reads
//! the same wall clock, but a test can move it forward, and everything sleeping on it wakes up and
//! looks again. That is how reminders are tested without waiting for minutes.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tokio::sync::watch;

/// The current instant, truncated to microseconds: the precision instants are stored with, so a
/// value read back equals the value written.
#[allow(clippy::disallowed_methods)]
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A shareable clock: the wall clock plus an offset that only tests (and nothing in production)
/// change. Cheap to clone; clones share the offset.
#[derive(Clone)]
pub struct Clock {
    offset_micros: Arc<AtomicI64>,
    changed: Arc<watch::Sender<i64>>,
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    /// The wall clock, unshifted.
    pub fn system() -> Clock {
        Clock { offset_micros: Arc::new(AtomicI64::new(0)), changed: Arc::new(watch::channel(0).0) }
    }

    pub fn now(&self) -> DateTime<Utc> {
        now() + Duration::microseconds(self.offset_micros.load(Ordering::SeqCst))
    }

    /// Moves this clock (and every clone) forward by `by`, and wakes every [`Clock::sleep_until`].
    pub fn advance(&self, by: Duration) {
        let us = by.num_microseconds().unwrap_or(0);
        let total = self.offset_micros.fetch_add(us, Ordering::SeqCst) + us;
        self.changed.send_replace(total);
    }

    /// Returns once this clock reads `deadline` or later, whether by waiting or by an `advance`.
    pub async fn sleep_until(&self, deadline: DateTime<Utc>) {
        let mut changed = self.changed.subscribe();
        loop {
            let left = deadline - self.now();
            if left <= Duration::zero() {
                return;
            }
            let wait = left.to_std().unwrap_or_default();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = changed.changed() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn advancing_wakes_sleepers() {
        let clock = Clock::system();
        let target = clock.now() + Duration::hours(2);
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep_until(target).await }
        });
        tokio::task::yield_now().await;
        clock.advance(Duration::hours(3));
        tokio::time::timeout(std::time::Duration::from_secs(5), sleeper).await.unwrap().unwrap();
        assert!(clock.now() >= target);
    }
}
