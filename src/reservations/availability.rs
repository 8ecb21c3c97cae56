//! Free and busy time of a room.

use crate::model::policy::{Policy, open_intervals};
use crate::model::room::Room;
use crate::store::{StoreError, View};
use crate::types::TimeRange;
use chrono::Duration;
use chrono_tz::Tz;

/// The free parts of `window` given the busy intervals (sorted by start, non-overlapping, as a
/// room's live reservations always are).
pub fn free_slots(window: TimeRange, busy: &[TimeRange]) -> Vec<TimeRange> {
    let mut free = Vec::new();
    let mut cursor = window.start;
    for b in busy {
        if b.start > cursor {
            free.push(TimeRange::new(cursor, b.start.min(window.end)));
        }
        cursor = cursor.max(b.end);
        if cursor >= window.end {
            break;
        }
    }
    if cursor < window.end {
        free.push(TimeRange::new(cursor, window.end));
    }
    free
}

/// The bookable parts of `window` in a room with policy `p` (zone `tz`): its open time minus
/// the `busy` intervals (sorted by start), each widened by the room's buffer on both sides.
pub fn bookable(tz: Tz, p: &Policy, window: TimeRange, busy: &[TimeRange]) -> Vec<TimeRange> {
    let buffer = Duration::minutes(p.buffer_minutes.into());
    let widened: Vec<TimeRange> = busy.iter().map(|b| TimeRange::new(b.start - buffer, b.end + buffer)).collect();
    let open: Vec<TimeRange> =
        open_intervals(tz, p, window.start, window.end).into_iter().map(|(s, e)| TimeRange::new(s, e)).collect();
    intersect(&open, &free_slots(window, &widened))
}

/// [`bookable`] for a stored room: its policy and the reservations near `window`.
pub fn bookable_in(view: &View, global: &Policy, room: &Room, window: TimeRange) -> Result<Vec<TimeRange>, StoreError> {
    let p = view.room_policy(global, room)?;
    let buffer = Duration::minutes(p.buffer_minutes.into());
    let near = TimeRange::new(window.start - buffer, window.end + buffer);
    let busy: Vec<TimeRange> = view.busy(room.id, near)?.into_iter().map(|(_, r)| r).collect();
    Ok(bookable(room.timezone.parse().unwrap_or(Tz::UTC), &p, window, &busy))
}

/// Whether all of `window` can be booked (see [`bookable`]).
pub fn is_bookable(tz: Tz, p: &Policy, window: TimeRange, busy: &[TimeRange]) -> bool {
    bookable(tz, p, window, busy) == [window]
}

/// The intersection of two sorted lists of disjoint intervals.
pub fn intersect(a: &[TimeRange], b: &[TimeRange]) -> Vec<TimeRange> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let (start, end) = (a[i].start.max(b[j].start), a[i].end.min(b[j].end));
        if start < end {
            out.push(TimeRange::new(start, end));
        }
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn t(h: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 4, h, 0, 0).unwrap()
    }

    fn r(a: u32, b: u32) -> TimeRange {
        TimeRange::new(t(a), t(b))
    }

    #[test]
    fn free_is_the_complement_of_busy() {
        assert_eq!(free_slots(r(8, 18), &[]), vec![r(8, 18)]);
        assert_eq!(free_slots(r(8, 18), &[r(9, 10), r(12, 13)]), vec![r(8, 9), r(10, 12), r(13, 18)]);
        // Busy intervals reaching outside the window are clipped.
        assert_eq!(free_slots(r(8, 18), &[r(7, 9), r(17, 20)]), vec![r(9, 17)]);
        assert_eq!(free_slots(r(8, 18), &[r(7, 20)]), vec![]);
        assert_eq!(free_slots(r(8, 18), &[r(9, 10), r(10, 11)]), vec![r(8, 9), r(11, 18)]);
    }

    #[test]
    fn bookable_time_is_open_and_keeps_the_buffer() {
        use crate::model::policy::WeekHours;
        // Monday 4 May 2026, UTC: open 08:00-18:00, one booking 12:00-13:00, a 30-minute buffer.
        let p = Policy {
            opening_hours: Some(WeekHours::parse_spec("mon-fri 08:00-18:00").unwrap()),
            buffer_minutes: 30,
            ..Policy::default()
        };
        let half = |h: u32, m: u32| Utc.with_ymd_and_hms(2026, 5, 4, h, m, 0).unwrap();
        let free = bookable(Tz::UTC, &p, r(0, 23), &[r(12, 13)]);
        assert_eq!(free, vec![TimeRange::new(t(8), half(11, 30)), TimeRange::new(half(13, 30), t(18))]);
        assert!(is_bookable(Tz::UTC, &p, r(9, 10), &[r(12, 13)]));
        assert!(!is_bookable(Tz::UTC, &p, r(7, 9), &[]));
        assert_eq!(intersect(&[r(1, 5), r(7, 9)], &[r(0, 2), r(4, 8)]), vec![r(1, 2), r(4, 5), r(7, 8)]);
    }
}
