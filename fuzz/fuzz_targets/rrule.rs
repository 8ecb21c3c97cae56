//! The RRULE parser on arbitrary text; a rule that parses is expanded in a few zones (two with
//! DST, one whose change is at midnight) from a few starts (one the second of a repeated autumn
//! hour) and put into words in English and Spanish. What is checked is what
//! `reservations::recurrence` promises: see docs/fuzzing.md.
#![no_main]

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use libfuzzer_sys::fuzz_target;
use salas::i18n::{Lang, Tr};
use salas::reservations::recurrence::{self, Caps, End, Rule};
use salas::types::TimeRange;

const ZONES: [Tz; 3] = [chrono_tz::UTC, chrono_tz::Europe::Madrid, chrono_tz::America::Santiago];

/// First starts (UTC) and lengths in minutes: the eve of Madrid's spring gap at 02:30 local, the
/// second 02:30 of Madrid's autumn change (CET), the eve of Santiago's midnight gap at 00:30
/// local, a 31st (months without one are skipped), and a long meeting that daily repeats overlap.
const STARTS: [(&str, i64); 5] = [
    ("2027-03-27T01:30:00Z", 60),
    ("2027-10-31T01:30:00Z", 30),
    ("2027-09-04T04:30:00Z", 90),
    ("2027-01-31T09:00:00Z", 45),
    ("2027-02-01T08:00:00Z", 25 * 60),
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let rule = match recurrence::parse(text) {
        Ok(rule) => rule,
        Err(e) => return refusal_is_explained(&e),
    };
    for lang in ["en", "es"] {
        assert!(!recurrence::describe(&rule, lang).trim().is_empty(), "no words for {rule:?}");
    }
    let now: DateTime<Utc> = "2027-01-01T00:00:00Z".parse().unwrap();
    let caps = Caps { max_occurrences: 366, horizon: now + Duration::days(730) };
    for tz in ZONES {
        for (start, minutes) in STARTS {
            let start: DateTime<Utc> = start.parse().unwrap();
            // The series must begin on a date the rule gives: move the start to the first such
            // date from its own (keeping its instant when that is its own date).
            let local = recurrence::local(tz, start);
            let Some(&day0) = recurrence::dates(&rule, local.date(), local.date() + Duration::days(400), 1).first()
            else {
                continue;
            };
            let start = if day0 == local.date() { start } else { recurrence::resolve(tz, day0.and_time(local.time())) };
            let first = TimeRange::new(start, start + Duration::minutes(minutes));
            match recurrence::expand(&rule, tz, first, caps) {
                Ok(occurrences) => series_holds(&rule, tz, first, caps, &occurrences),
                Err(e) => refusal_is_explained(&e),
            }
        }
    }
});

/// A refusal carries a code the UI has words for, in both languages, and a message.
fn refusal_is_explained(e: &recurrence::RuleError) {
    assert!(!e.message.trim().is_empty(), "{e:?}");
    let key = format!("verr_{}", e.code);
    for lang in [Lang::En, Lang::Es] {
        assert_ne!(Tr::new(lang).t(&key), key, "{lang:?} has no message for {e:?}");
    }
}

fn series_holds(rule: &Rule, tz: Tz, first: TimeRange, caps: Caps, occurrences: &[TimeRange]) {
    let ctx = || format!("{rule:?} in {tz} from {first:?}");
    // "The occurrences of `rule` whose first is `first`".
    assert_eq!(occurrences.first(), Some(&first), "the series begins elsewhere: {}", ctx());
    assert!(occurrences.len() <= caps.max_occurrences, "over the cap: {}", ctx());
    if let Some(End::Count(n)) = rule.end {
        assert_eq!(occurrences.len(), n as usize, "COUNT not kept: {}", ctx());
    }
    let time0 = recurrence::local(tz, first.start).time();
    for o in occurrences {
        assert!(o.start <= caps.horizon, "{o:?} starts beyond the horizon: {}", ctx());
        assert_eq!(o.duration(), first.duration(), "{o:?} does not last as long as the first: {}", ctx());
        let local = recurrence::local(tz, o.start);
        assert!(
            o == &first || keeps_wall_clock(tz, local.date(), time0, o.start),
            "{o:?} ({local}) is not at {time0} local: {}",
            ctx()
        );
        match rule.end {
            Some(End::UntilUtc(t)) => assert!(o.start <= t, "{o:?} after UNTIL: {}", ctx()),
            Some(End::UntilLocal(t)) => assert!(local <= t, "{o:?} after UNTIL: {}", ctx()),
            Some(End::UntilDate(d)) => assert!(local.date() <= d, "{o:?} after UNTIL: {}", ctx()),
            _ => {}
        }
    }
    for w in occurrences.windows(2) {
        assert!(w[0].end <= w[1].start, "{:?} and {:?} overlap or are out of order: {}", w[0], w[1], ctx());
    }
}

/// The module's one time rule: the first start's local wall-clock time on the occurrence's date,
/// or, where a DST gap skips that time, the time as far after the gap as it was into it (which
/// can carry it into the next date when the gap is at midnight).
fn keeps_wall_clock(tz: Tz, date: NaiveDate, time0: NaiveTime, start: DateTime<Utc>) -> bool {
    let wanted = |d: NaiveDate| recurrence::resolve(tz, d.and_time(time0));
    wanted(date) == start
        || date
            .pred_opt()
            .is_some_and(|d| wanted(d) == start && tz.from_local_datetime(&d.and_time(time0)).single().is_none())
}
