//! Time arithmetic in a room's zone: its open intervals, and cutting an interval at local hour
//! boundaries. Both work on real instants, so a 23- or 25-hour DST day counts what it really has.

/// The one rule for local wall-clock times (DST gaps and repeated hours), shared with policies.
pub use crate::model::policy::local_instant;
use crate::model::policy::{self, Policy};
use chrono::{DateTime, Datelike, Duration, SubsecRound, Timelike, Utc};
use chrono_tz::Tz;

pub use crate::model::report::WorkingDay;

/// The open intervals of a room with effective policy `policy` in `[from, to)`, in order: its
/// opening hours, or `day` where no level sets any, minus its blackout days.
pub fn open_intervals(
    tz: Tz,
    policy: &Policy,
    day: &WorkingDay,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    if policy.opening_hours.is_some() {
        return policy::open_intervals(tz, policy, from, to);
    }
    let with_day = Policy { opening_hours: Some(day.week()), ..policy.clone() };
    policy::open_intervals(tz, &with_day, from, to)
}

/// Seconds of overlap between `[start, end)` and sorted, disjoint `intervals`.
pub fn overlap_seconds(intervals: &[(DateTime<Utc>, DateTime<Utc>)], start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
    let first = intervals.partition_point(|(_, e)| *e <= start);
    intervals[first..]
        .iter()
        .take_while(|(s, _)| *s < end)
        .map(|(s, e)| ((*e).min(end) - (*s).max(start)).num_seconds().max(0))
        .sum()
}

/// Calls `f(weekday, hour, seconds)` (Monday = 0, local hour 0–23) for each piece of
/// `[start, end)` cut at the local hour boundaries of `tz`. The pieces add up to the interval's
/// real length, so the repeated hour of an autumn night gets both of its hours.
pub fn spread(tz: Tz, start: DateTime<Utc>, end: DateTime<Utc>, mut f: impl FnMut(usize, usize, i64)) {
    let mut t = start.trunc_subsecs(0);
    while t < end {
        let local = t.with_timezone(&tz);
        let into_hour = i64::from(local.minute()) * 60 + i64::from(local.second());
        let next = (t + Duration::seconds(3600 - into_hour)).min(end);
        f(local.weekday().num_days_from_monday() as usize, local.hour() as usize, (next - t).num_seconds());
        t = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::policy::{Blackout, WeekHours};
    use chrono::NaiveDate;
    use chrono_tz::Europe::Madrid;

    fn open_intervals(
        tz: Tz,
        day: &WorkingDay,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        super::open_intervals(tz, &Policy::default(), day, from, to)
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn hours(v: &[(DateTime<Utc>, DateTime<Utc>)]) -> f64 {
        v.iter().map(|(s, e)| (*e - *s).num_seconds() as f64 / 3600.0).sum()
    }

    #[test]
    fn a_working_week_has_fifty_hours() {
        // Monday 2026-06-01 to Monday 2026-06-08, Madrid (UTC+2 in summer).
        let v = open_intervals(
            Madrid,
            &WorkingDay::default(),
            utc("2026-06-01T00:00:00+02:00"),
            utc("2026-06-08T00:00:00+02:00"),
        );
        assert_eq!(v.len(), 5);
        assert_eq!(v[0], (utc("2026-06-01T06:00:00Z"), utc("2026-06-01T16:00:00Z")));
        assert_eq!(hours(&v), 50.0);
    }

    #[test]
    fn dst_days_have_the_hours_they_really_have() {
        let all_day = WorkingDay { days: [true; 7], opens: 0, closes: 1440 };
        // Sunday 2026-03-29: Madrid springs forward at 02:00, a 23-hour day.
        let spring =
            open_intervals(Madrid, &all_day, utc("2026-03-29T00:00:00+01:00"), utc("2026-03-30T00:00:00+02:00"));
        assert_eq!(hours(&spring), 23.0);
        // Sunday 2026-10-25: back at 03:00, a 25-hour day.
        let autumn =
            open_intervals(Madrid, &all_day, utc("2026-10-25T00:00:00+02:00"), utc("2026-10-26T00:00:00+01:00"));
        assert_eq!(hours(&autumn), 25.0);
        // An 08:00–18:00 day on the DST Sunday is still 10 hours.
        let sunday = WorkingDay { days: [false, false, false, false, false, false, true], ..WorkingDay::default() };
        let v = open_intervals(Madrid, &sunday, utc("2026-03-28T00:00:00Z"), utc("2026-03-31T00:00:00Z"));
        assert_eq!(v, vec![(utc("2026-03-29T06:00:00Z"), utc("2026-03-29T16:00:00Z"))]);
    }

    #[test]
    fn a_room_s_own_hours_and_blackouts_win_over_the_working_day() {
        // Saturday hours only, and Saturday 6 June a holiday: nothing open that week.
        let own = Policy {
            opening_hours: Some(WeekHours::parse_spec("sat 10:00-14:00").unwrap()),
            blackouts: vec![Blackout { from: "2026-06-06".parse().unwrap(), to: None, reason: "Fiesta".into() }],
            ..Policy::default()
        };
        let week = (utc("2026-06-01T00:00:00+02:00"), utc("2026-06-08T00:00:00+02:00"));
        assert!(super::open_intervals(Madrid, &own, &WorkingDay::default(), week.0, week.1).is_empty());
        // A blackout alone takes a day off the working week.
        let holiday = Policy { opening_hours: None, ..own };
        let blackout = Blackout { from: "2026-06-01".parse().unwrap(), to: None, reason: "Fiesta".into() };
        let holiday = Policy { blackouts: vec![blackout], ..holiday };
        assert_eq!(hours(&super::open_intervals(Madrid, &holiday, &WorkingDay::default(), week.0, week.1)), 40.0);
    }

    #[test]
    fn a_gap_opens_when_the_clocks_jump() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(local_instant(Madrid, d, 150), utc("2026-03-29T03:00:00+02:00"));
    }

    #[test]
    fn overlap_with_open_hours() {
        let v =
            open_intervals(Madrid, &WorkingDay::default(), utc("2026-06-01T00:00:00Z"), utc("2026-06-03T00:00:00Z"));
        // 07:00–09:00 local: one hour before opening, one after.
        assert_eq!(overlap_seconds(&v, utc("2026-06-01T07:00:00+02:00"), utc("2026-06-01T09:00:00+02:00")), 3600);
        // Overnight 17:00 Monday to 09:00 Tuesday: 1 + 1 hours.
        assert_eq!(overlap_seconds(&v, utc("2026-06-01T17:00:00+02:00"), utc("2026-06-02T09:00:00+02:00")), 7200);
        assert_eq!(overlap_seconds(&v, utc("2026-06-06T10:00:00+02:00"), utc("2026-06-06T12:00:00+02:00")), 0);
    }

    #[test]
    fn spread_cuts_at_local_hours_across_dst() {
        let mut cells = Vec::new();
        // 01:30–03:30 local on the spring-forward night is one real hour: 01:30–02:00 and 03:00–03:30.
        spread(Madrid, utc("2026-03-29T01:30:00+01:00"), utc("2026-03-29T03:30:00+02:00"), |d, h, s| {
            cells.push((d, h, s))
        });
        assert_eq!(cells, vec![(6, 1, 1800), (6, 3, 1800)]);
        // Kolkata is UTC+05:30: local hours start at half past the UTC hour.
        let mut cells = Vec::new();
        spread(chrono_tz::Asia::Kolkata, utc("2026-06-01T04:00:00Z"), utc("2026-06-01T05:00:00Z"), |d, h, s| {
            cells.push((d, h, s))
        });
        assert_eq!(cells, vec![(0, 9, 1800), (0, 10, 1800)]);
    }
}
