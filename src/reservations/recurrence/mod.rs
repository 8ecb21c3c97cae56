//! Recurring reservations: the RRULE subset Salas accepts (FREQ daily/weekly/monthly/yearly,
//! INTERVAL, BYDAY with positions like 2TU and -1FR, BYMONTHDAY, BYMONTH, COUNT or UNTIL) and
//! its expansion into occurrences in a room's time zone. Pure: no clock, no store.
//!
//! The one time rule: every occurrence starts at the first occurrence's local wall-clock time in
//! the room's zone, whatever the UTC offset on its date, and lasts as long as the first one
//! (elapsed time). A local start that does not exist on a date (skipped by a DST change, such as
//! 02:30 on the last Sunday of March in Madrid) is read with the UTC offset in force before the
//! gap, so it lands as far after the gap as it was into it (03:30); a local start that happens
//! twice (the autumn change) is the first of the two. This is RFC 5545 §3.3.5's rule, which
//! calendar clients follow too.

mod dates;
mod describe;
#[cfg(test)]
mod model_test;
mod parse;
mod text;

pub use dates::dates;
pub use describe::describe;
pub use parse::parse;
pub use text::rrule_with_count;

use crate::types::TimeRange;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Count(u32),
    /// Occurrences starting at or before this instant.
    UntilUtc(DateTime<Utc>),
    /// Occurrences starting at or before this local time in the room's zone.
    UntilLocal(NaiveDateTime),
    /// Occurrences on or before this local date.
    UntilDate(NaiveDate),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub freq: Freq,
    pub interval: u32,
    /// `2TU` is `(Some(2), Tue)`, `-1FR` is `(Some(-1), Fri)`, `MO` is `(None, Mon)`.
    pub by_day: Vec<(Option<i8>, Weekday)>,
    /// 1 to 31, or -1 (the last day) to -31.
    pub by_month_day: Vec<i8>,
    pub by_month: Vec<u32>,
    pub end: Option<End>,
}

/// Why a rule or a series is refused; `code` is the field error code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub code: &'static str,
    pub message: String,
}

/// How big a series may be.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    pub max_occurrences: usize,
    /// No occurrence may start after this.
    pub horizon: DateTime<Utc>,
}

/// The occurrences of `rule` whose first is `first`, in the zone `tz`. `first` must itself be an
/// occurrence of the rule, so that the series and its exported calendar agree on where it begins.
pub fn expand(rule: &Rule, tz: Tz, first: TimeRange, caps: Caps) -> Result<Vec<TimeRange>, RuleError> {
    let local = first.start.with_timezone(&tz).naive_local();
    let (date0, time0) = (local.date(), local.time());
    let duration = first.duration();
    let horizon_date = caps.horizon.with_timezone(&tz).date_naive();
    let beyond = || RuleError {
        code: "beyond_horizon",
        message: format!("the series must end by {}", caps.horizon.format("%Y-%m-%d")),
    };
    let (last, limit) = match rule.end {
        None => {
            return Err(RuleError { code: "rrule_unbounded", message: "the rule needs COUNT or UNTIL".into() });
        }
        Some(End::Count(n)) => {
            if n as usize > caps.max_occurrences {
                return Err(too_many(caps));
            }
            (horizon_date, n as usize)
        }
        Some(End::UntilUtc(t)) if t > caps.horizon => return Err(beyond()),
        Some(End::UntilUtc(t)) => (t.with_timezone(&tz).date_naive(), caps.max_occurrences + 1),
        Some(End::UntilLocal(t)) if t.date() > horizon_date => return Err(beyond()),
        Some(End::UntilLocal(t)) => (t.date(), caps.max_occurrences + 1),
        Some(End::UntilDate(d)) if d > horizon_date => return Err(beyond()),
        Some(End::UntilDate(d)) => (d, caps.max_occurrences + 1),
    };
    let days = dates(rule, date0, last, limit);
    if days.first() != Some(&date0) {
        return Err(RuleError {
            code: "rrule_start_mismatch",
            message: "the start is not an occurrence of the rule: start on the first date it gives".into(),
        });
    }
    let mut out: Vec<TimeRange> = Vec::with_capacity(days.len());
    for day in days {
        let start = resolve(tz, day.and_time(time0));
        let keep = match rule.end {
            Some(End::UntilUtc(t)) => start <= t,
            Some(End::UntilLocal(t)) => day.and_time(time0) <= t,
            _ => true,
        };
        if keep {
            out.push(TimeRange::new(start, start + duration));
        }
    }
    // The series begins with `first` itself: not with nothing (an UNTIL before its start drops
    // it), nor with the first of a repeated autumn hour when `first` is the second (the exported
    // calendar, which says 02:30 local, would then disagree with what was booked).
    match out.first() {
        Some(o) if o.start == first.start => {}
        Some(_) => {
            return Err(RuleError {
                code: "rrule_start_mismatch",
                message:
                    "the start is in the hour repeated when clocks go back: a series may start at the first of the two"
                        .into(),
            });
        }
        None => {
            return Err(RuleError { code: "rrule_start_mismatch", message: "UNTIL is before the start".into() });
        }
    }
    if out.len() > caps.max_occurrences {
        return Err(too_many(caps));
    }
    if matches!(rule.end, Some(End::Count(n)) if out.len() < n as usize) || out.iter().any(|o| o.start > caps.horizon) {
        return Err(beyond());
    }
    if out.windows(2).any(|w| w[0].end > w[1].start) {
        return Err(RuleError {
            code: "occurrences_overlap",
            message: "occurrences of the series would overlap one another".into(),
        });
    }
    Ok(out)
}

fn too_many(caps: Caps) -> RuleError {
    RuleError {
        code: "too_many_occurrences",
        message: format!("a series may have at most {} occurrences", caps.max_occurrences),
    }
}

/// The instant a local wall-clock time names in `tz`, by the rule in the module comment.
pub fn resolve(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => {
            // In a gap: use the offset of a day earlier (gaps are hours long, and no zone changes
            // offset twice within a day), i.e. the offset in force before the gap.
            let before = tz.offset_from_utc_datetime(&(local - Duration::days(1)));
            let offset = chrono::Offset::fix(&before);
            (local - Duration::seconds(offset.local_minus_utc().into())).and_utc()
        }
    }
}

/// The local wall-clock time `t` has in `tz`.
pub fn local(tz: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveTime, Offset, Timelike};

    fn series(rule: &str, tz: Tz, local_start: &str, minutes: i64) -> Vec<TimeRange> {
        let start = resolve(tz, NaiveDateTime::parse_from_str(local_start, "%Y-%m-%d %H:%M").unwrap());
        let caps = Caps { max_occurrences: 500, horizon: start + Duration::days(800) };
        expand(&parse(rule).unwrap(), tz, TimeRange::new(start, start + Duration::minutes(minutes)), caps).unwrap()
    }

    #[test]
    fn weekly_keeps_local_time_across_both_dst_changes() {
        for tz in [chrono_tz::Europe::Madrid, chrono_tz::America::New_York] {
            let occ = series("FREQ=WEEKLY;COUNT=40", tz, "2027-03-01 10:00", 60);
            assert_eq!(occ.len(), 40);
            let offsets: std::collections::BTreeSet<i32> =
                occ.iter().map(|o| o.start.with_timezone(&tz).offset().fix().local_minus_utc()).collect();
            assert_eq!(offsets.len(), 2, "the series crosses the spring change in {tz}");
            for o in &occ {
                assert_eq!(local(tz, o.start).time(), NaiveTime::from_hms_opt(10, 0, 0).unwrap(), "{tz}");
                assert_eq!(o.duration(), Duration::hours(1));
            }
            let last = local(tz, occ[39].start);
            assert!(last.date() > NaiveDate::from_ymd_opt(2027, 11, 7).unwrap(), "and the autumn one: {last}");
        }
    }

    #[test]
    fn nonexistent_and_ambiguous_times_follow_the_rule() {
        let madrid = chrono_tz::Europe::Madrid;
        let gap = resolve(madrid, NaiveDateTime::parse_from_str("2027-03-28 02:30", "%Y-%m-%d %H:%M").unwrap());
        assert_eq!(gap.to_rfc3339(), "2027-03-28T01:30:00+00:00"); // 03:30 CEST
        let twice = resolve(madrid, NaiveDateTime::parse_from_str("2027-10-31 02:30", "%Y-%m-%d %H:%M").unwrap());
        assert_eq!(twice.to_rfc3339(), "2027-10-31T00:30:00+00:00"); // the first 02:30, CEST
        let occ = series("FREQ=DAILY;COUNT=3", madrid, "2027-03-27 02:30", 30);
        let hours: Vec<u32> = occ.iter().map(|o| local(madrid, o.start).hour()).collect();
        assert_eq!(hours, vec![2, 3, 2]);
    }

    #[test]
    fn monthly_positions() {
        let tz = chrono_tz::Europe::Madrid;
        let days = |rule: &str, start: &str| -> Vec<String> {
            series(rule, tz, start, 60).iter().map(|o| local(tz, o.start).format("%Y-%m-%d").to_string()).collect()
        };
        assert_eq!(
            days("FREQ=MONTHLY;BYDAY=-1FR;COUNT=4", "2027-01-29 09:00"),
            ["2027-01-29", "2027-02-26", "2027-03-26", "2027-04-30"]
        );
        assert_eq!(
            days("FREQ=MONTHLY;BYDAY=2TU;COUNT=4", "2027-01-12 09:00"),
            ["2027-01-12", "2027-02-09", "2027-03-09", "2027-04-13"]
        );
        assert_eq!(days("FREQ=MONTHLY;COUNT=3", "2027-01-31 09:00"), ["2027-01-31", "2027-03-31", "2027-05-31"]);
    }

    #[test]
    fn caps_and_shape_are_enforced() {
        let tz = chrono_tz::UTC;
        let start = resolve(tz, NaiveDate::from_ymd_opt(2027, 1, 4).unwrap().and_hms_opt(10, 0, 0).unwrap());
        let first = TimeRange::new(start, start + Duration::hours(1));
        let caps = Caps { max_occurrences: 10, horizon: start + Duration::days(30) };
        let code = |rule: &str, first: TimeRange| expand(&parse(rule).unwrap(), tz, first, caps).unwrap_err().code;
        assert_eq!(code("FREQ=DAILY;COUNT=11", first), "too_many_occurrences");
        assert_eq!(code("FREQ=DAILY;UNTIL=20270131", first), "too_many_occurrences");
        assert_eq!(code("FREQ=WEEKLY;COUNT=6", first), "beyond_horizon");
        assert_eq!(code("FREQ=WEEKLY;UNTIL=20270301", first), "beyond_horizon");
        assert_eq!(code("FREQ=WEEKLY", first), "rrule_unbounded");
        assert_eq!(code("FREQ=WEEKLY;BYDAY=TU;COUNT=3", first), "rrule_start_mismatch");
        let long = TimeRange::new(start, start + Duration::hours(25));
        assert_eq!(code("FREQ=DAILY;COUNT=3", long), "occurrences_overlap");
        let until = expand(&parse("FREQ=DAILY;UNTIL=20270106T100000Z").unwrap(), tz, first, caps).unwrap();
        assert_eq!(until.len(), 3, "UNTIL is inclusive");
    }

    // Found by the fuzz target `rrule`: an UNTIL earlier on the first day than the first start
    // expanded to no occurrences at all, which create_series turned into a 422 naming no field.
    #[test]
    fn until_before_the_first_start_is_refused() {
        let tz = chrono_tz::Europe::Madrid;
        let start = resolve(tz, NaiveDate::from_ymd_opt(2027, 3, 1).unwrap().and_hms_opt(10, 0, 0).unwrap());
        let first = TimeRange::new(start, start + Duration::hours(1));
        let caps = Caps { max_occurrences: 10, horizon: start + Duration::days(30) };
        for rule in ["FREQ=DAILY;UNTIL=20270301T080000Z", "FREQ=DAILY;UNTIL=20270301T090000"] {
            let e = expand(&parse(rule).unwrap(), tz, first, caps).unwrap_err();
            assert_eq!((e.code, e.message.as_str()), ("rrule_start_mismatch", "UNTIL is before the start"), "{rule}");
        }
    }

    // Found by the fuzz target `rrule`: a first start at the second 02:30 of the autumn change
    // (CET) was silently booked an hour earlier, at the first 02:30 (CEST).
    #[test]
    fn a_start_in_the_second_of_a_repeated_hour_is_refused_not_moved() {
        let madrid = chrono_tz::Europe::Madrid;
        let caps = |start| Caps { max_occurrences: 10, horizon: start + Duration::days(30) };
        let second: DateTime<Utc> = "2027-10-31T01:30:00Z".parse().unwrap();
        assert_eq!(local(madrid, second).time(), NaiveTime::from_hms_opt(2, 30, 0).unwrap());
        let first = TimeRange::new(second, second + Duration::minutes(30));
        let rule = parse("FREQ=DAILY;COUNT=3").unwrap();
        assert_eq!(expand(&rule, madrid, first, caps(second)).unwrap_err().code, "rrule_start_mismatch");
        // The first 02:30 (CEST) is where the series may start; the next days keep 02:30.
        let earlier = TimeRange::new(second - Duration::hours(1), second - Duration::minutes(30));
        let occ = expand(&rule, madrid, earlier, caps(second)).unwrap();
        assert_eq!(occ[0], earlier);
        assert!(occ.iter().all(|o| local(madrid, o.start).time() == NaiveTime::from_hms_opt(2, 30, 0).unwrap()));
    }
}
