//! Failed sign-in tracking. After `max_failures` failures for one account from one client
//! address, that pair is locked; a client address failing `4 × max_failures` times (with any
//! accounts) is locked as a whole. The first lock is short; each further failure after a lock
//! doubles it, up to a cap.
//!
//! Locks are keyed by the client address, never by the account alone: an attacker elsewhere can
//! slow their own guessing down but cannot lock the real user out, and every lock ends.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

pub struct LoginLimiter {
    max_failures: u32,
    first: Duration,
    cap: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Clone, Copy)]
struct Entry {
    failures: u32,
    last: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
}

impl Entry {
    /// Since when nothing has happened: the last failure, or the end of its lock.
    fn quiet_since(&self) -> DateTime<Utc> {
        self.locked_until.map_or(self.last, |until| until.max(self.last))
    }
}

/// Beyond this many tracked keys, stale ones are dropped so memory stays bounded.
const MAX_ENTRIES: usize = 100_000;

/// A client address may fail this many times as often as one account from it.
const CLIENT_FACTOR: u32 = 4;

impl LoginLimiter {
    pub fn new(max_failures: u32, first_lock_seconds: u32, max_lock_minutes: u32) -> Self {
        let cap = Duration::minutes(max_lock_minutes.into());
        Self {
            max_failures,
            first: Duration::seconds(first_lock_seconds.into()).min(cap),
            cap,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until `email` from `client` may try again, if it is locked now.
    pub fn locked_for(&self, email: &str, client: &str, now: DateTime<Utc>) -> Option<u64> {
        let entries = self.entries.lock().ok()?;
        [pair_key(email, client), client_key(client)]
            .iter()
            .filter_map(|key| entries.get(key)?.locked_until.filter(|until| *until > now))
            .max()
            // Whole seconds, rounded up: waiting the time said is always enough.
            .map(|until| ((until - now).num_milliseconds() as u64).div_ceil(1000).max(1))
    }

    pub fn failed(&self, email: &str, client: &str, now: DateTime<Utc>) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= MAX_ENTRIES {
            let cap = self.cap;
            entries.retain(|_, e| e.quiet_since() + cap > now);
        }
        for (key, max) in
            [(pair_key(email, client), self.max_failures), (client_key(client), self.max_failures * CLIENT_FACTOR)]
        {
            let e = entries.entry(key).or_insert(Entry { failures: 0, last: now, locked_until: None });
            // A failure after a quiet spell as long as the longest lock starts a fresh count.
            if e.quiet_since() + self.cap <= now {
                *e = Entry { failures: 0, last: now, locked_until: None };
            }
            e.failures += 1;
            e.last = now;
            if e.failures >= max {
                e.locked_until = Some(now + self.lock_length(e.failures - max));
            }
        }
    }

    /// The `n`th lock (from 0) of a key: the first length, doubled `n` times, capped.
    fn lock_length(&self, n: u32) -> Duration {
        let factor = 1i32.checked_shl(n.min(30)).unwrap_or(i32::MAX);
        self.first.checked_mul(factor).map_or(self.cap, |d| d.min(self.cap))
    }

    /// A successful sign-in clears that account's count from that address (the address's own
    /// count stays: one good password must not wipe a spray of guesses at other accounts).
    pub fn succeeded(&self, email: &str, client: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&pair_key(email, client));
        }
    }
}

fn pair_key(email: &str, client: &str) -> String {
    format!("e:{}|{client}", email.trim().to_lowercase())
}

fn client_key(client: &str) -> String {
    format!("c:{client}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap()
    }

    #[test]
    fn locks_the_pair_not_the_account() {
        let l = LoginLimiter::new(3, 30, 15);
        for _ in 0..3 {
            assert!(l.locked_for("a@x.org", "1.1.1.1", t0()).is_none());
            l.failed("a@x.org", "1.1.1.1", t0());
        }
        assert_eq!(l.locked_for("A@x.org", "1.1.1.1", t0()), Some(30));
        // The real user, elsewhere, is not locked out.
        assert!(l.locked_for("a@x.org", "2.2.2.2", t0()).is_none());
        assert!(l.locked_for("b@x.org", "1.1.1.1", t0()).is_none());
        assert!(l.locked_for("a@x.org", "1.1.1.1", t0() + Duration::seconds(31)).is_none());
        l.succeeded("a@x.org", "1.1.1.1");
        assert!(l.locked_for("a@x.org", "1.1.1.1", t0()).is_none());
    }

    #[test]
    fn locks_grow_and_are_capped() {
        let l = LoginLimiter::new(2, 30, 2);
        let mut now = t0();
        l.failed("a@x.org", "1.1.1.1", now);
        l.failed("a@x.org", "1.1.1.1", now);
        let mut seen = Vec::new();
        for _ in 0..4 {
            let wait = l.locked_for("a@x.org", "1.1.1.1", now).unwrap();
            seen.push(wait);
            now += Duration::seconds(wait as i64);
            assert!(l.locked_for("a@x.org", "1.1.1.1", now).is_none(), "every lock ends");
            l.failed("a@x.org", "1.1.1.1", now);
        }
        assert_eq!(seen, [30, 60, 120, 120]);
        // A quiet spell as long as the cap forgets the history.
        let later = now + Duration::minutes(5);
        l.failed("a@x.org", "1.1.1.1", later);
        assert!(l.locked_for("a@x.org", "1.1.1.1", later).is_none());
    }

    #[test]
    fn a_client_spraying_many_accounts_is_locked() {
        let l = LoginLimiter::new(2, 30, 15);
        for i in 0..8 {
            assert!(l.locked_for(&format!("u{i}@x.org"), "1.1.1.1", t0()).is_none());
            l.failed(&format!("u{i}@x.org"), "1.1.1.1", t0());
        }
        assert_eq!(l.locked_for("anyone@x.org", "1.1.1.1", t0()), Some(30));
        assert!(l.locked_for("anyone@x.org", "9.9.9.9", t0()).is_none());
    }
}
