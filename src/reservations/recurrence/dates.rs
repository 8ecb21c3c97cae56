//! Dates a rule yields, period by period (a day, a week from Monday, a month, a year).

use super::{Freq, Rule};
use chrono::{Datelike, Days, Months, NaiveDate};

/// The dates `rule` yields from `first` on, in order: at most `limit`, none after `last`. Dates
/// before `first` in its own period are not occurrences (the series begins at `first`).
pub fn dates(rule: &Rule, first: NaiveDate, last: NaiveDate, limit: usize) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let step = u64::from(rule.interval);
    for k in 0u64.. {
        let Some((period_start, candidates)) = period(rule, first, k * step) else { break };
        if period_start > last || out.len() >= limit {
            break;
        }
        for d in candidates {
            if d >= first && d <= last && out.len() < limit {
                out.push(d);
            }
        }
    }
    out
}

/// The first day of period number `n` (counted in units of the frequency from `first`'s period)
/// and the dates of that period the rule picks.
fn period(rule: &Rule, first: NaiveDate, n: u64) -> Option<(NaiveDate, Vec<NaiveDate>)> {
    let month_ok = |d: &NaiveDate| rule.by_month.is_empty() || rule.by_month.contains(&d.month());
    match rule.freq {
        Freq::Daily => {
            let day = first.checked_add_days(Days::new(n))?;
            let weekday_ok = rule.by_day.is_empty() || rule.by_day.iter().any(|(_, w)| *w == day.weekday());
            let keep = weekday_ok && month_ok(&day) && month_day_ok(rule, day);
            Some((day, if keep { vec![day] } else { vec![] }))
        }
        Freq::Weekly => {
            let monday = first.checked_sub_days(Days::new(first.weekday().num_days_from_monday().into()))?;
            let week = monday.checked_add_days(Days::new(7 * n))?;
            let days = (0..7).filter_map(|i| week.checked_add_days(Days::new(i))).filter(|d| {
                let wanted = if rule.by_day.is_empty() {
                    d.weekday() == first.weekday()
                } else {
                    rule.by_day.iter().any(|(_, w)| *w == d.weekday())
                };
                wanted && month_ok(d)
            });
            Some((week, days.collect()))
        }
        Freq::Monthly => {
            let month = first.with_day(1)?.checked_add_months(Months::new(u32::try_from(n).ok()?))?;
            let days = if month_ok(&month) { month_days(rule, month, first.day()) } else { vec![] };
            Some((month, days))
        }
        Freq::Yearly => {
            let year = NaiveDate::from_ymd_opt(first.year().checked_add(i32::try_from(n).ok()?)?, 1, 1)?;
            let months: Vec<u32> = if !rule.by_month.is_empty() {
                rule.by_month.clone()
            } else if rule.by_day.is_empty() && rule.by_month_day.is_empty() {
                vec![first.month()]
            } else {
                (1..=12).collect()
            };
            let mut days = Vec::new();
            for m in months {
                if let Some(month) = year.with_month(m) {
                    days.extend(month_days(rule, month, first.day()));
                }
            }
            days.sort();
            days.dedup();
            Some((year, days))
        }
    }
}

/// The days of the month starting at `month` that BYMONTHDAY and BYDAY pick (both, when both
/// are given); with neither, the day numbered like the series' first (none if the month is short).
fn month_days(rule: &Rule, month: NaiveDate, default_day: u32) -> Vec<NaiveDate> {
    let all = (0..31).filter_map(|i| month.checked_add_days(Days::new(i))).filter(|d| d.month() == month.month());
    if rule.by_day.is_empty() && rule.by_month_day.is_empty() {
        return all.filter(|d| d.day() == default_day).collect();
    }
    let days: Vec<NaiveDate> = all.collect();
    let len = days.len() as i64;
    days.iter()
        .copied()
        .filter(|d| month_day_ok(rule, *d))
        .filter(|d| {
            rule.by_day.is_empty()
                || rule.by_day.iter().any(|(pos, w)| d.weekday() == *w && position_ok(*pos, d.day().into(), len))
        })
        .collect()
}

fn month_day_ok(rule: &Rule, d: NaiveDate) -> bool {
    let len = days_in_month(d);
    rule.by_month_day.is_empty()
        || rule.by_month_day.iter().any(|&m| {
            let m = i64::from(m);
            if m > 0 { m == i64::from(d.day()) } else { len + 1 + m == i64::from(d.day()) }
        })
}

/// Whether `day` (of a month of `len` days) is the `pos`-th of its weekday, counted from the end
/// when negative.
fn position_ok(pos: Option<i8>, day: i64, len: i64) -> bool {
    match pos {
        None => true,
        Some(p) if p > 0 => (day - 1) / 7 + 1 == i64::from(p),
        Some(p) => (len - day) / 7 + 1 == -i64::from(p),
    }
}

fn days_in_month(d: NaiveDate) -> i64 {
    let first = d.with_day(1).unwrap_or(d);
    first.checked_add_months(Months::new(1)).map(|next| (next - first).num_days()).unwrap_or(31)
}
