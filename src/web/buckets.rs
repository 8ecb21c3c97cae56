//! Token buckets by key (a client address, a credential), in memory and bounded.
//!
//! A bucket holds up to `burst` tokens and gains `per_minute / 60` a second; a request takes one.
//! A bucket that has refilled completely is the same as no bucket, so those are the first to go
//! when the table is full; if every bucket is busy, the longest idle tenth is dropped (they are
//! forgotten, which errs on the side of letting requests through, never of refusing them).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub struct Buckets {
    per_second: f64,
    burst: f64,
    max: usize,
    table: Mutex<HashMap<String, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Buckets {
    /// None when `per_minute` is 0: that limit is off.
    pub fn new(per_minute: u32, burst: u32, max: usize) -> Option<Buckets> {
        (per_minute > 0).then(|| Buckets {
            per_second: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            max: max.max(1),
            table: Mutex::new(HashMap::new()),
        })
    }

    /// Takes a token from `key`'s bucket; when it is empty, the whole seconds until one is back.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), u64> {
        let Ok(mut table) = self.table.lock() else { return Ok(()) };
        if !table.contains_key(key) && table.len() >= self.max {
            self.evict(&mut table, now);
        }
        let b = table.entry(key.to_string()).or_insert(Bucket { tokens: self.burst, at: now });
        b.tokens = self.level(b, now);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }

    fn level(&self, b: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        (b.tokens + elapsed * self.per_second).min(self.burst)
    }

    fn evict(&self, table: &mut HashMap<String, Bucket>, now: Instant) {
        table.retain(|_, b| self.level(b, now) < self.burst);
        if table.len() < self.max {
            return;
        }
        let mut ages: Vec<Instant> = table.values().map(|b| b.at).collect();
        let tenth = (ages.len() / 10).max(1);
        let (_, cutoff, _) = ages.select_nth_unstable(tenth - 1);
        let cutoff = *cutoff;
        table.retain(|_, b| b.at > cutoff);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.lock().map(|t| t.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refill() {
        let b = Buckets::new(60, 3, 100).unwrap();
        let t = Instant::now();
        for _ in 0..3 {
            assert_eq!(b.take("a", t), Ok(()));
        }
        assert_eq!(b.take("a", t), Err(1));
        assert_eq!(b.take("b", t), Ok(()), "keys are independent");
        assert_eq!(b.take("a", t + Duration::from_millis(1000)), Ok(()));
        assert_eq!(b.take("a", t + Duration::from_millis(1000)), Err(1));
    }

    #[test]
    fn retry_after_counts_whole_seconds() {
        let b = Buckets::new(6, 1, 100).unwrap();
        let t = Instant::now();
        assert_eq!(b.take("a", t), Ok(()));
        assert_eq!(b.take("a", t), Err(10));
        assert_eq!(b.take("a", t + Duration::from_secs(4)), Err(6));
    }

    #[test]
    fn zero_is_off() {
        assert!(Buckets::new(0, 10, 100).is_none());
    }

    #[test]
    fn bounded_and_full_buckets_go_first() {
        let b = Buckets::new(60, 2, 10).unwrap();
        let t = Instant::now();
        for i in 0..10 {
            b.take(&format!("k{i}"), t).unwrap();
        }
        // A minute later every bucket has refilled: all of them can go.
        b.take("new", t + Duration::from_secs(60)).unwrap();
        assert_eq!(b.len(), 1);
        // Busy buckets: the oldest tenth is dropped to make room, never more than the bound.
        for i in 0..30 {
            b.take(&format!("busy{i}"), t + Duration::from_secs(60)).unwrap();
            b.take(&format!("busy{i}"), t + Duration::from_secs(60)).unwrap();
            assert!(b.len() <= 10);
        }
    }
}
