//! Failed sign-in tracking: after `max_failures` failures for one e-mail address (or four times
//! as many from one client address) sign-in is refused until the lock ends. Locks always end, so
//! an attacker can slow a user down but never lock them out for good.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

pub struct LoginLimiter {
    max_failures: u32,
    lockout: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Clone, Copy)]
struct Entry {
    failures: u32,
    last: DateTime<Utc>,
}

/// Beyond this many tracked keys, stale ones are dropped so memory stays bounded.
const MAX_ENTRIES: usize = 100_000;

impl LoginLimiter {
    pub fn new(max_failures: u32, lockout_minutes: u32) -> Self {
        Self { max_failures, lockout: Duration::minutes(lockout_minutes.into()), entries: Mutex::new(HashMap::new()) }
    }

    /// Seconds until `email` (from `client`) may try again, if it is locked now.
    pub fn locked_for(&self, email: &str, client: &str, now: DateTime<Utc>) -> Option<u64> {
        let entries = self.entries.lock().ok()?;
        [(email_key(email), self.max_failures), (client_key(client), self.max_failures * 4)]
            .iter()
            .filter_map(|(key, max)| {
                let e = entries.get(key)?;
                let until = e.last + self.lockout;
                (e.failures >= *max && until > now).then(|| (until - now).num_seconds().max(1) as u64)
            })
            .max()
    }

    pub fn failed(&self, email: &str, client: &str, now: DateTime<Utc>) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= MAX_ENTRIES {
            let lockout = self.lockout;
            entries.retain(|_, e| e.last + lockout > now);
        }
        for key in [email_key(email), client_key(client)] {
            let e = entries.entry(key).or_insert(Entry { failures: 0, last: now });
            // A failure long after the previous ones starts a fresh count.
            if e.last + self.lockout <= now {
                e.failures = 0;
            }
            e.failures += 1;
            e.last = now;
        }
    }

    pub fn succeeded(&self, email: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&email_key(email));
        }
    }
}

fn email_key(email: &str) -> String {
    format!("e:{}", email.trim().to_lowercase())
}

fn client_key(client: &str) -> String {
    format!("c:{client}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn locks_after_failures_and_unlocks_later() {
        let l = LoginLimiter::new(3, 15);
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
        for _ in 0..3 {
            assert!(l.locked_for("a@x.org", "1.1.1.1", t0).is_none());
            l.failed("a@x.org", "1.1.1.1", t0);
        }
        assert_eq!(l.locked_for("A@x.org", "2.2.2.2", t0), Some(900));
        assert!(l.locked_for("a@x.org", "1.1.1.1", t0 + Duration::minutes(16)).is_none());
        assert!(l.locked_for("b@x.org", "1.1.1.1", t0).is_none());
        l.succeeded("a@x.org");
        assert!(l.locked_for("a@x.org", "3.3.3.3", t0).is_none());
    }
}
