//! Identifiers and small value types shared by every module.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id (UUIDv7), so ids sort roughly by creation.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn bytes(&self) -> [u8; 16] {
                *self.0.as_bytes()
            }
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(Uuid::from_bytes(bytes))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        // Hyphenated hex digits need no HTML escaping, so templates write ids as they are: on the
        // day timeline, escaping two ids a block was half of the page's escaping work.
        impl askama::filters::HtmlSafe for $name {}

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(UserId);
id_type!(RoomId);
id_type!(ResourceId);
id_type!(ReservationId);
id_type!(ApiKeyId);
id_type!(EventId);
id_type!(DeliveryId);
id_type!(NotificationId);
id_type!(WebhookId);
id_type!(SeriesId);
id_type!(SubscriptionId);
id_type!(WaitId);
id_type!(GroupId);
id_type!(DisplayId);
id_type!(PushSubscriptionId);
id_type!(BookingFieldId);

/// A half-open interval `[start, end)` of instants. Two meetings that touch (one ends at 10:00,
/// the next starts at 10:00) do not overlap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl TimeRange {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self { start, end }
    }

    pub fn overlaps(&self, other: &TimeRange) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn duration(&self) -> chrono::Duration {
        self.end - self.start
    }
}

/// Microseconds since the Unix epoch: the form instants take in store keys, so that keys sort in
/// time order.
pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, m, 0).unwrap()
    }

    #[test]
    fn touching_ranges_do_not_overlap() {
        let a = TimeRange::new(at(9, 0), at(10, 0));
        let b = TimeRange::new(at(10, 0), at(11, 0));
        assert!(!a.overlaps(&b));
        assert!(!b.overlaps(&a));
        assert!(a.overlaps(&TimeRange::new(at(9, 59), at(10, 1))));
    }

    #[test]
    fn micros_round_trip() {
        let t = at(12, 34);
        assert_eq!(from_micros(micros(t)), t);
    }
}
