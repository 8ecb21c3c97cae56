//! Calendar arithmetic for the week and month views: which days a week or a month grid shows,
//! where a local day starts and ends (DST-safe, in a real IANA zone), which bookings fall on
//! which day, and how much of a room's open time on a day is still free.

use super::availability::{free_slots, intersect};
use crate::model::policy::{Policy, local_instant, open_intervals};
use crate::types::TimeRange;
use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;

/// The hours a room bookable around the clock counts as its day (the day timeline's default
/// span), so its free time reads "12 h free" on a working day rather than "24 h free".
pub const ALL_DAY_ROOM_HOURS: (u32, u32) = (7, 21);

/// The Monday of `d`'s ISO week.
pub fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(d.weekday().num_days_from_monday().into())
}

/// The seven days of `d`'s ISO week, Monday first.
pub fn week_of(d: NaiveDate) -> [NaiveDate; 7] {
    let monday = monday_of(d);
    std::array::from_fn(|i| monday + Duration::days(i as i64))
}

/// The first day of `d`'s month.
pub fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The first day of the month after `d`'s.
pub fn next_month(d: NaiveDate) -> NaiveDate {
    let first = first_of_month(d);
    first_of_month(first + Duration::days(31))
}

/// The first day of the month before `d`'s.
pub fn previous_month(d: NaiveDate) -> NaiveDate {
    first_of_month(first_of_month(d) - Duration::days(1))
}

/// The weeks (Monday first) a month grid shows for `d`'s month: from the Monday on or before
/// the 1st to the Sunday on or after the last day; four to six rows.
pub fn month_grid(d: NaiveDate) -> Vec<[NaiveDate; 7]> {
    let (first, next) = (first_of_month(d), next_month(d));
    let mut weeks = Vec::with_capacity(6);
    let mut monday = monday_of(first);
    while monday < next {
        weeks.push(week_of(monday));
        monday += Duration::days(7);
    }
    weeks
}

/// The instants local day `d` spans in `tz`: 23 or 25 hours on the days clocks change.
pub fn day_window(tz: Tz, d: NaiveDate) -> TimeRange {
    TimeRange::new(local_instant(tz, d, 0), local_instant(tz, d + Duration::days(1), 0))
}

/// The instants from the start of `first` to the end of `last` (local days in `tz`).
pub fn days_window(tz: Tz, first: NaiveDate, last: NaiveDate) -> TimeRange {
    TimeRange::new(day_window(tz, first).start, day_window(tz, last).end)
}

/// For each of `days` (local to `tz`), the indexes of the `items` that overlap it: a booking
/// across midnight is listed on both days.
pub fn bucket_by_day(tz: Tz, days: &[NaiveDate], items: &[TimeRange]) -> Vec<Vec<usize>> {
    days.iter()
        .map(|d| {
            let w = day_window(tz, *d);
            items.iter().enumerate().filter(|(_, r)| r.overlaps(&w)).map(|(i, _)| i).collect()
        })
        .collect()
}

/// One room on one day, as the week view draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayLoad {
    /// The part of the day drawn: the open time, widened to the bookings outside it; `None`
    /// when the room is closed and nothing is booked.
    pub span: Option<TimeRange>,
    /// The busy intervals as thousandths of the span: `(start, end)` with `0 <= start < end <= 1000`.
    pub bars: Vec<(u16, u16)>,
    /// Open minutes of the day.
    pub open_minutes: i64,
    /// Open minutes nobody has booked.
    pub free_minutes: i64,
}

/// How room (zone `room_tz`, policy `p`) is used on the day `window` (a local day of the
/// viewer's), given its `busy` intervals (sorted by start, as a room's live bookings are).
/// Open time follows the opening hours and closures; a room without opening hours counts
/// [`ALL_DAY_ROOM_HOURS`] in its own zone.
pub fn day_load(room_tz: Tz, p: &Policy, window: TimeRange, busy: &[TimeRange]) -> DayLoad {
    let open: Vec<TimeRange> = if p.opening_hours.is_some() {
        open_intervals(room_tz, p, window.start, window.end).into_iter().map(|(s, e)| TimeRange::new(s, e)).collect()
    } else {
        let closed_all_day = open_intervals(room_tz, p, window.start, window.end).is_empty();
        let date = window.start.with_timezone(&room_tz).date_naive();
        let (from, to) = ALL_DAY_ROOM_HOURS;
        let day = TimeRange::new(local_instant(room_tz, date, from * 60), local_instant(room_tz, date, to * 60));
        let clipped = TimeRange::new(day.start.max(window.start), day.end.min(window.end));
        if closed_all_day || clipped.start >= clipped.end { Vec::new() } else { vec![clipped] }
    };
    let busy: Vec<TimeRange> = busy
        .iter()
        .filter(|b| b.overlaps(&window))
        .map(|b| TimeRange::new(b.start.max(window.start), b.end.min(window.end)))
        .collect();
    let minutes = |rs: &[TimeRange]| rs.iter().map(|r| r.duration().num_minutes()).sum::<i64>();
    let open_minutes = minutes(&open);
    let free_minutes = minutes(&intersect(&open, &free_slots(window, &busy)));
    let starts = open.iter().chain(&busy).map(|r| r.start).min();
    let ends = open.iter().chain(&busy).map(|r| r.end).max();
    let span = starts.zip(ends).map(|(s, e)| TimeRange::new(s, e));
    let bars = span.map_or_else(Vec::new, |span| {
        let total = span.duration().num_seconds().max(1);
        let at =
            |t: chrono::DateTime<chrono::Utc>| ((t - span.start).num_seconds() * 1000 / total).clamp(0, 1000) as u16;
        busy.iter().map(|b| (at(b.start), at(b.end).max(at(b.start) + 1).min(1000))).collect()
    });
    DayLoad { span, bars, open_minutes, free_minutes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::policy::WeekHours;
    use chrono::{DateTime, Utc};
    use chrono_tz::Europe::Madrid;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn range(a: &str, b: &str) -> TimeRange {
        TimeRange::new(utc(a), utc(b))
    }

    fn office() -> Policy {
        Policy {
            opening_hours: Some(WeekHours::parse_spec("mon-fri 08:00-18:00; sun 10:00-14:00").unwrap()),
            ..Policy::default()
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(monday_of(d("2026-12-06")), d("2026-11-30"));
        assert_eq!(monday_of(d("2026-11-30")), d("2026-11-30"));
        let w = week_of(d("2027-01-01"));
        assert_eq!((w[0], w[6]), (d("2026-12-28"), d("2027-01-03")));
    }

    #[test]
    fn month_grids_cover_the_month_in_whole_weeks() {
        // February 2027 starts on a Monday and has exactly four weeks.
        let feb = month_grid(d("2027-02-14"));
        assert_eq!(feb.len(), 4);
        assert_eq!((feb[0][0], feb[3][6]), (d("2027-02-01"), d("2027-02-28")));
        // November 2026 starts on a Sunday and ends on a Monday: six rows.
        let nov = month_grid(d("2026-11-30"));
        assert_eq!(nov.len(), 6);
        assert_eq!((nov[0][0], nov[5][6]), (d("2026-10-26"), d("2026-12-06")));
        assert_eq!(next_month(d("2026-12-31")), d("2027-01-01"));
        assert_eq!(previous_month(d("2026-03-31")), d("2026-02-01"));
        assert_eq!(next_month(d("2026-01-31")), d("2026-02-01"));
    }

    #[test]
    fn a_week_across_the_march_change_has_one_short_day() {
        // Madrid moves from +01:00 to +02:00 on Sunday 29 March 2026.
        let week = week_of(d("2026-03-25"));
        let hours: Vec<i64> = week.iter().map(|day| day_window(Madrid, *day).duration().num_hours()).collect();
        assert_eq!(hours, [24, 24, 24, 24, 24, 24, 23]);
        let sunday = day_window(Madrid, week[6]);
        assert_eq!(sunday, range("2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"));
        // The days tile the week: no gap, no overlap.
        for pair in week.windows(2) {
            assert_eq!(day_window(Madrid, pair[0]).end, day_window(Madrid, pair[1]).start);
        }
        assert_eq!(days_window(Madrid, week[0], week[6]).duration().num_hours(), 7 * 24 - 1);
        // Sunday's opening hours are 10:00-14:00 summer time, 08:00-12:00 UTC: four hours.
        let load = day_load(Madrid, &office(), sunday, &[range("2026-03-29T08:00:00Z", "2026-03-29T09:00:00Z")]);
        assert_eq!((load.open_minutes, load.free_minutes), (240, 180));
        assert_eq!(load.bars, [(0, 250)]);
    }

    #[test]
    fn a_week_across_the_october_change_has_one_long_day() {
        // Madrid moves back from +02:00 to +01:00 on Sunday 25 October 2026.
        let week = week_of(d("2026-10-25"));
        let hours: Vec<i64> = week.iter().map(|day| day_window(Madrid, *day).duration().num_hours()).collect();
        assert_eq!(hours, [24, 24, 24, 24, 24, 24, 25]);
        assert_eq!(days_window(Madrid, week[0], week[6]).duration().num_hours(), 7 * 24 + 1);
        // A booking from Saturday 23:00 to Sunday 01:00 local lies on both days.
        let late = range("2026-10-24T21:00:00Z", "2026-10-24T23:00:00Z");
        let buckets = bucket_by_day(Madrid, &week, &[late]);
        assert_eq!(buckets.iter().map(Vec::len).collect::<Vec<_>>(), [0, 0, 0, 0, 0, 1, 1]);
        // Monday after the change: 08:00-18:00 is now 07:00-17:00 UTC.
        let monday = day_window(Madrid, d("2026-10-26"));
        let load = day_load(Madrid, &office(), monday, &[range("2026-10-26T07:00:00Z", "2026-10-26T09:30:00Z")]);
        assert_eq!((load.open_minutes, load.free_minutes), (600, 450));
        assert_eq!(load.span, Some(range("2026-10-26T07:00:00Z", "2026-10-26T17:00:00Z")));
        assert_eq!(load.bars, [(0, 250)]);
    }

    #[test]
    fn closed_days_blackouts_and_rooms_without_hours() {
        let saturday = day_window(Madrid, d("2026-11-28"));
        let closed = day_load(Madrid, &office(), saturday, &[]);
        assert_eq!((closed.span, closed.open_minutes, closed.free_minutes), (None, 0, 0));
        assert!(closed.bars.is_empty());
        // A booking on a closed day is still drawn, over its own span.
        let booked = day_load(Madrid, &office(), saturday, &[range("2026-11-28T09:00:00Z", "2026-11-28T10:00:00Z")]);
        assert_eq!((booked.bars.as_slice(), booked.free_minutes), ([(0, 1000)].as_slice(), 0));
        // No opening hours: the 07:00-21:00 working day counts, and a booking outside it widens
        // the drawn span without adding free time.
        let always = Policy::default();
        let monday = day_window(Madrid, d("2026-11-30"));
        let load = day_load(Madrid, &always, monday, &[range("2026-11-30T20:00:00Z", "2026-11-30T21:00:00Z")]);
        assert_eq!((load.open_minutes, load.free_minutes), (14 * 60, 14 * 60));
        assert_eq!(load.span, Some(range("2026-11-30T06:00:00Z", "2026-11-30T21:00:00Z")));
        assert_eq!(load.bars, [(933, 1000)]);
        // Fully booked: no free minute left.
        let full = day_load(Madrid, &always, monday, &[range("2026-11-30T05:00:00Z", "2026-11-30T21:00:00Z")]);
        assert_eq!(full.free_minutes, 0);
    }
}
