//! A room's day as a list: its bookings and the free gaps between them, in time order. The phone
//! agenda and the booking form's day panel show it; the gaps come from the room's bookable time
//! (opening hours, blackouts and buffers already applied by [`super::availability`]).

use crate::types::TimeRange;
use chrono::{DateTime, Duration, Utc};

/// Gaps shorter than this are not offered: nobody books a five-minute meeting from a list.
pub const MIN_GAP_MINUTES: i64 = 15;

/// One entry of a room's day: a booking (by its index in the caller's list) or a free gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    Busy(usize, TimeRange),
    Free(TimeRange),
}

impl Entry {
    fn start(&self) -> DateTime<Utc> {
        match self {
            Entry::Busy(_, r) | Entry::Free(r) => r.start,
        }
    }
}

/// The bookable gaps of `free` that can still be taken: none before `not_before` (now), whose
/// start is moved up to the next quarter hour, and none shorter than [`MIN_GAP_MINUTES`].
pub fn open_gaps(free: &[TimeRange], not_before: DateTime<Utc>) -> Vec<TimeRange> {
    let earliest = next_quarter(not_before);
    free.iter()
        .filter_map(|g| {
            let start = if g.start < not_before { earliest } else { g.start };
            (g.end - start >= Duration::minutes(MIN_GAP_MINUTES)).then(|| TimeRange::new(start, g.end))
        })
        .collect()
}

/// `busy` (the caller's bookings, in any order) and `gaps` merged into one list in time order;
/// a booking and a gap starting together list the booking first.
pub fn day_entries(busy: &[TimeRange], gaps: &[TimeRange]) -> Vec<Entry> {
    let mut out: Vec<Entry> = busy.iter().enumerate().map(|(i, r)| Entry::Busy(i, *r)).collect();
    out.extend(gaps.iter().map(|g| Entry::Free(*g)));
    out.sort_by_key(|e| (e.start(), matches!(e, Entry::Free(_))));
    out
}

/// A slot to offer from a gap: its start, for `length` or to the gap's end if that comes first.
pub fn slot_in(gap: TimeRange, length: Duration) -> TimeRange {
    TimeRange::new(gap.start, gap.end.min(gap.start + length))
}

fn next_quarter(t: DateTime<Utc>) -> DateTime<Utc> {
    let quarter = MIN_GAP_MINUTES * 60;
    let secs = t.timestamp();
    let up = (secs + quarter - 1).div_euclid(quarter) * quarter;
    DateTime::from_timestamp(up, 0).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    fn r(a: (u32, u32), b: (u32, u32)) -> TimeRange {
        TimeRange::new(t(a.0, a.1), t(b.0, b.1))
    }

    #[test]
    fn gaps_in_the_past_are_dropped_and_the_current_one_starts_at_the_next_quarter() {
        let free = [r((7, 0), (9, 0)), r((10, 0), (11, 0)), r((12, 0), (21, 0))];
        assert_eq!(open_gaps(&free, t(10, 7)), vec![r((10, 15), (11, 0)), r((12, 0), (21, 0))]);
        assert_eq!(open_gaps(&free, t(6, 0)), free.to_vec());
        // 10:50 → 11:00 leaves ten minutes: not offered.
        assert_eq!(open_gaps(&free, t(10, 50)), vec![r((12, 0), (21, 0))]);
        assert_eq!(open_gaps(&free, t(10, 45)), vec![r((10, 45), (11, 0)), r((12, 0), (21, 0))]);
    }

    #[test]
    fn short_gaps_are_not_offered() {
        let free = [r((9, 0), (9, 10)), r((9, 40), (10, 0))];
        assert_eq!(open_gaps(&free, t(0, 0)), vec![r((9, 40), (10, 0))]);
    }

    #[test]
    fn entries_come_in_time_order() {
        let busy = [r((11, 0), (11, 30)), r((9, 0), (10, 0))];
        let gaps = [r((7, 0), (9, 0)), r((10, 0), (11, 0)), r((11, 30), (21, 0))];
        assert_eq!(
            day_entries(&busy, &gaps),
            vec![
                Entry::Free(gaps[0]),
                Entry::Busy(1, busy[1]),
                Entry::Free(gaps[1]),
                Entry::Busy(0, busy[0]),
                Entry::Free(gaps[2]),
            ]
        );
        // Same start: the booking first (a gap never starts where a booking does, but a buffer
        // of zero and a rounding could make them touch).
        assert_eq!(day_entries(&[busy[0]], &[busy[0]])[0], Entry::Busy(0, busy[0]));
    }

    #[test]
    fn a_slot_is_the_gap_start_for_the_length_or_less() {
        assert_eq!(slot_in(r((10, 0), (21, 0)), Duration::hours(1)), r((10, 0), (11, 0)));
        assert_eq!(slot_in(r((10, 0), (10, 30)), Duration::hours(1)), r((10, 0), (10, 30)));
    }
}
