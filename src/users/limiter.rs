//! Failed sign-in tracking. After `max_failures` failures for one account from one client
//! address, that pair is locked; a client address failing `4 × max_failures` times (with any
//! accounts) is locked as a whole. The first lock is short; each further failure after a lock
//! doubles it, up to a cap.
//!
//! Locks are keyed by the client address, never by the account alone: an attacker elsewhere can
//! slow their own guessing down but cannot lock the real user out, and every lock ends.

use crate::model::user::LoginLock;
use crate::store::{Store, StoreError, Tx};
use chrono::{DateTime, Duration, Utc};

/// The rules; the counts are in the store (store/locks.rs), shared by every process of one
/// database and forgotten by the session clean-up job once stale.
pub struct LoginLimiter {
    max_failures: u32,
    first: Duration,
    cap: Duration,
    /// Put before every key: the same rules count other things (password-reset requests) apart.
    prefix: &'static str,
}

/// A client address may fail this many times as often as one account from it.
const CLIENT_FACTOR: u32 = 4;

impl LoginLimiter {
    pub fn new(max_failures: u32, first_lock_seconds: u32, max_lock_minutes: u32) -> Self {
        let cap = Duration::minutes(max_lock_minutes.into());
        Self { max_failures, first: Duration::seconds(first_lock_seconds.into()).min(cap), cap, prefix: "" }
    }

    /// The same rules, counting under keys of their own.
    pub fn counting(mut self, prefix: &'static str) -> Self {
        self.prefix = prefix;
        self
    }

    fn keys(&self, email: &str, client: &str) -> [String; 2] {
        [format!("{}{}", self.prefix, pair_key(email, client)), format!("{}{}", self.prefix, client_key(client))]
    }

    /// Seconds until `email` from `client` may try again, if it is locked now.
    pub fn locked_for(
        &self,
        store: &Store,
        email: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, StoreError> {
        let view = store.view()?;
        let mut until = None;
        for key in self.keys(email, client) {
            let locked = view.login_lock(&key)?.and_then(|l| l.locked_until).filter(|u| *u > now);
            until = until.max(locked);
        }
        // Whole seconds, rounded up: waiting the time said is always enough.
        Ok(until.map(|until| ((until - now).num_milliseconds() as u64).div_ceil(1000).max(1)))
    }

    /// Counts a failure of `email` from `client`, and of `client`.
    pub async fn failed(
        self: &std::sync::Arc<Self>,
        store: &Store,
        email: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let [pair, whole] = self.keys(email, client);
        let keys = [(pair, self.max_failures), (whole, self.max_failures * CLIENT_FACTOR)];
        let me = self.clone();
        // Replayable: a count lost in a crash only gives a guesser a few more tries.
        store
            .write_replayable(move |tx: &mut Tx| {
                for (key, max) in keys {
                    let lock = me.after_failure(tx.login_lock(&key)?, max, now);
                    tx.put_login_lock(&key, Some(lock));
                }
                Ok(())
            })
            .await
    }

    /// The count of a key after one more failure at `now`.
    fn after_failure(&self, lock: Option<LoginLock>, max: u32, now: DateTime<Utc>) -> LoginLock {
        // A failure after a quiet spell as long as the longest lock starts a fresh count.
        let mut l = lock.filter(|l| l.forget_at > now).unwrap_or(LoginLock {
            failures: 0,
            last: now,
            locked_until: None,
            forget_at: now,
        });
        l.failures += 1;
        l.last = now;
        if l.failures >= max {
            l.locked_until = Some(now + self.lock_length(l.failures - max));
        }
        l.forget_at = l.locked_until.map_or(l.last, |until| until.max(l.last)) + self.cap;
        l
    }

    /// The `n`th lock (from 0) of a key: the first length, doubled `n` times, capped.
    fn lock_length(&self, n: u32) -> Duration {
        let factor = 1i32.checked_shl(n.min(30)).unwrap_or(i32::MAX);
        self.first.checked_mul(factor).map_or(self.cap, |d| d.min(self.cap))
    }

    /// A successful sign-in clears that account's count from that address (the address's own
    /// count stays: one good password must not wipe a spray of guesses at other accounts).
    pub async fn succeeded(&self, store: &Store, email: &str, client: &str) -> Result<(), StoreError> {
        let [key, _] = self.keys(email, client);
        if store.view()?.login_lock(&key)?.is_none() {
            return Ok(()); // the usual case costs no write
        }
        store
            .write_replayable(move |tx: &mut Tx| {
                tx.put_login_lock(&key, None);
                Ok(())
            })
            .await
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
    use std::sync::Arc;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap()
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn locks_the_pair_not_the_account() {
        let (_dir, s) = store();
        let l = Arc::new(LoginLimiter::new(3, 30, 15));
        for _ in 0..3 {
            assert!(l.locked_for(&s, "a@x.org", "1.1.1.1", t0()).unwrap().is_none());
            l.failed(&s, "a@x.org", "1.1.1.1", t0()).await.unwrap();
        }
        assert_eq!(l.locked_for(&s, "A@x.org", "1.1.1.1", t0()).unwrap(), Some(30));
        // The real user, elsewhere, is not locked out.
        assert!(l.locked_for(&s, "a@x.org", "2.2.2.2", t0()).unwrap().is_none());
        assert!(l.locked_for(&s, "b@x.org", "1.1.1.1", t0()).unwrap().is_none());
        assert!(l.locked_for(&s, "a@x.org", "1.1.1.1", t0() + Duration::seconds(31)).unwrap().is_none());
        l.succeeded(&s, "a@x.org", "1.1.1.1").await.unwrap();
        assert!(l.locked_for(&s, "a@x.org", "1.1.1.1", t0()).unwrap().is_none());
    }

    #[tokio::test]
    async fn locks_grow_and_are_capped_and_stale_counts_are_purged() {
        let (_dir, s) = store();
        let l = Arc::new(LoginLimiter::new(2, 30, 2));
        let mut now = t0();
        l.failed(&s, "a@x.org", "1.1.1.1", now).await.unwrap();
        l.failed(&s, "a@x.org", "1.1.1.1", now).await.unwrap();
        let mut seen = Vec::new();
        for _ in 0..4 {
            let wait = l.locked_for(&s, "a@x.org", "1.1.1.1", now).unwrap().unwrap();
            seen.push(wait);
            now += Duration::seconds(wait as i64);
            assert!(l.locked_for(&s, "a@x.org", "1.1.1.1", now).unwrap().is_none(), "every lock ends");
            l.failed(&s, "a@x.org", "1.1.1.1", now).await.unwrap();
        }
        assert_eq!(seen, [30, 60, 120, 120]);
        // A quiet spell as long as the cap forgets the history.
        let later = now + Duration::minutes(5);
        l.failed(&s, "a@x.org", "1.1.1.1", later).await.unwrap();
        assert!(l.locked_for(&s, "a@x.org", "1.1.1.1", later).unwrap().is_none());
        // The clean-up forgets what is stale, and only that.
        let much_later = later + Duration::minutes(3);
        s.write(move |tx: &mut Tx| {
            tx.purge_login_locks(much_later);
            Ok::<(), StoreError>(())
        })
        .await
        .unwrap();
        assert!(s.view().unwrap().login_lock(&pair_key("a@x.org", "1.1.1.1")).unwrap().is_none());
    }

    #[tokio::test]
    async fn a_client_spraying_many_accounts_is_locked() {
        let (_dir, s) = store();
        let l = Arc::new(LoginLimiter::new(2, 30, 15));
        for i in 0..8 {
            assert!(l.locked_for(&s, &format!("u{i}@x.org"), "1.1.1.1", t0()).unwrap().is_none());
            l.failed(&s, &format!("u{i}@x.org"), "1.1.1.1", t0()).await.unwrap();
        }
        assert_eq!(l.locked_for(&s, "anyone@x.org", "1.1.1.1", t0()).unwrap(), Some(30));
        assert!(l.locked_for(&s, "anyone@x.org", "9.9.9.9", t0()).unwrap().is_none());
    }
}
