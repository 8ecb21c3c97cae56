//! Property tests: the period-by-period expansion against a brute-force model that walks every
//! day and asks whether the rule, read literally, picks it.

use super::*;
use chrono::{Datelike, Days};
use proptest::prelude::*;

/// The rule read as a predicate on one day.
fn picks(rule: &Rule, first: NaiveDate, d: NaiveDate) -> bool {
    let interval = i64::from(rule.interval);
    let monday = |x: NaiveDate| x - Duration::days(x.weekday().num_days_from_monday().into());
    let months = |x: NaiveDate| i64::from(x.year()) * 12 + i64::from(x.month0());
    let in_step = match rule.freq {
        Freq::Daily => (d - first).num_days() % interval == 0,
        Freq::Weekly => ((monday(d) - monday(first)).num_days() / 7) % interval == 0,
        Freq::Monthly => (months(d) - months(first)) % interval == 0,
        Freq::Yearly => i64::from(d.year() - first.year()) % interval == 0,
    };
    let plain = rule.by_day.is_empty() && rule.by_month_day.is_empty();
    let month_ok = if !rule.by_month.is_empty() {
        rule.by_month.contains(&d.month())
    } else {
        !(rule.freq == Freq::Yearly && plain) || d.month() == first.month()
    };
    // Same-month days, to count "the 2nd Tuesday" and "the last Friday" by listing them.
    let month: Vec<NaiveDate> = (1..=31).filter_map(|n| d.with_day(n)).collect();
    let day_ok = rule.by_day.is_empty()
        || rule.by_day.iter().any(|&(pos, w)| {
            let same: Vec<NaiveDate> = month.iter().copied().filter(|x| x.weekday() == w).collect();
            match pos {
                None => d.weekday() == w,
                Some(p) if p > 0 => same.get(p as usize - 1) == Some(&d),
                Some(p) => same.iter().rev().nth((-p) as usize - 1) == Some(&d),
            }
        });
    let month_day_ok = rule.by_month_day.is_empty()
        || rule
            .by_month_day
            .iter()
            .any(|&m| if m > 0 { d.day() == m as u32 } else { month.iter().rev().nth((-m) as usize - 1) == Some(&d) });
    let default_ok = match rule.freq {
        Freq::Weekly => !rule.by_day.is_empty() || d.weekday() == first.weekday(),
        Freq::Monthly | Freq::Yearly => !plain || d.day() == first.day(),
        Freq::Daily => true,
    };
    in_step && month_ok && day_ok && month_day_ok && default_ok
}

fn model(rule: &Rule, first: NaiveDate, last: NaiveDate, limit: usize) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut d = first;
    while d <= last && out.len() < limit {
        if picks(rule, first, d) {
            out.push(d);
        }
        d = d + Days::new(1);
    }
    out
}

const WEEKDAYS: [Weekday; 7] =
    [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

fn rules() -> impl Strategy<Value = Rule> {
    let freq = prop_oneof![Just(Freq::Daily), Just(Freq::Weekly), Just(Freq::Monthly), Just(Freq::Yearly)];
    let day = (prop_oneof![Just(None), (-5i8..=5).prop_filter("not 0", |p| *p != 0).prop_map(Some)], 0usize..7)
        .prop_map(|(p, w)| (p, WEEKDAYS[w]));
    (
        freq,
        1u32..4,
        proptest::collection::vec(day, 0..3),
        proptest::collection::vec((-31i8..=31).prop_filter("not 0", |m| *m != 0), 0..3),
        proptest::collection::vec(1u32..=12, 0..3),
    )
        .prop_map(|(freq, interval, mut by_day, mut by_month_day, by_month)| {
            // Keep to what `parse` accepts.
            if matches!(freq, Freq::Daily | Freq::Weekly) {
                by_day.iter_mut().for_each(|d| d.0 = None);
            }
            if freq == Freq::Yearly && by_month.is_empty() {
                by_day.iter_mut().for_each(|d| d.0 = None);
            }
            if freq == Freq::Weekly {
                by_month_day.clear();
            }
            Rule { freq, interval, by_day, by_month_day, by_month, end: None }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn expansion_matches_the_model(rule in rules(), offset in 0u64..2000, span in 0u64..1500, limit in 1usize..80) {
        let first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Days::new(offset);
        let last = first + Days::new(span);
        prop_assert_eq!(dates(&rule, first, last, limit), model(&rule, first, last, limit));
    }

    #[test]
    fn occurrences_keep_their_local_start(
        zone in 0usize..4, offset in 0u64..800, minutes in 0u32..1440, weekly in any::<bool>(), count in 1u32..60,
    ) {
        let tz = [chrono_tz::Europe::Madrid, chrono_tz::America::New_York, chrono_tz::Australia::Sydney,
            chrono_tz::Asia::Kolkata][zone];
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Days::new(offset);
        let wall = day.and_hms_opt(minutes / 60, minutes % 60, 0).unwrap();
        let start = resolve(tz, wall);
        let rule = Rule { freq: if weekly { Freq::Weekly } else { Freq::Daily }, interval: 1, by_day: vec![],
            by_month_day: vec![], by_month: vec![], end: Some(End::Count(count)) };
        let caps = Caps { max_occurrences: 100, horizon: start + Duration::days(500) };
        let first = TimeRange::new(start, start + Duration::minutes(45));
        let occ = expand(&rule, tz, first, caps).unwrap();
        // The first start itself may have been moved out of a gap; that is the series' time.
        let time0 = local(tz, start).time();
        prop_assert_eq!(occ.len(), count as usize);
        for o in occ {
            let wanted = local(tz, o.start).date().and_time(time0);
            let exists = !matches!(tz.from_local_datetime(&wanted), chrono::LocalResult::None);
            // Only a start inside a DST gap may move, and only forward, by less than a few hours.
            let got = local(tz, o.start);
            prop_assert!(if exists { got == wanted } else { got > wanted && got - wanted <= Duration::hours(2) },
                "{} became {} in {}", wanted, got, tz);
            prop_assert_eq!(o.duration(), Duration::minutes(45));
        }
    }
}
