//! A rule written back as RRULE text, for calendars: the series it was booked as, with its end
//! given as the COUNT of occurrences it was expanded to. A COUNT says exactly where the series
//! ends in every client, where an UNTIL would need converting to UTC and a horizon cap would not
//! be written at all.

use super::{Freq, Rule};
use chrono::Weekday;

pub fn rrule_with_count(rule: &Rule, count: usize) -> String {
    let freq = match rule.freq {
        Freq::Daily => "DAILY",
        Freq::Weekly => "WEEKLY",
        Freq::Monthly => "MONTHLY",
        Freq::Yearly => "YEARLY",
    };
    let mut parts = vec![format!("FREQ={freq}")];
    if rule.interval != 1 {
        parts.push(format!("INTERVAL={}", rule.interval));
    }
    if !rule.by_day.is_empty() {
        let days: Vec<String> = rule
            .by_day
            .iter()
            .map(|(n, d)| format!("{}{}", n.map(|n| n.to_string()).unwrap_or_default(), day(*d)))
            .collect();
        parts.push(format!("BYDAY={}", days.join(",")));
    }
    if !rule.by_month_day.is_empty() {
        let days: Vec<String> = rule.by_month_day.iter().map(i8::to_string).collect();
        parts.push(format!("BYMONTHDAY={}", days.join(",")));
    }
    if !rule.by_month.is_empty() {
        let months: Vec<String> = rule.by_month.iter().map(u32::to_string).collect();
        parts.push(format!("BYMONTH={}", months.join(",")));
    }
    parts.push(format!("COUNT={count}"));
    parts.join(";")
}

fn day(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn a_rule_reads_back_as_itself_with_its_count() {
        for (given, written) in [
            ("FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20300101", "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=7"),
            ("RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR;COUNT=7", "FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR;COUNT=7"),
            ("FREQ=YEARLY;BYMONTH=3,9;BYMONTHDAY=-1,15;COUNT=4", "FREQ=YEARLY;BYMONTHDAY=-1,15;BYMONTH=3,9;COUNT=7"),
        ] {
            let rule = parse(given).unwrap();
            assert_eq!(rrule_with_count(&rule, 7), written);
            let again = parse(written).unwrap();
            assert_eq!((again.freq, again.interval, &again.by_day), (rule.freq, rule.interval, &rule.by_day));
            assert_eq!((&again.by_month_day, &again.by_month), (&rule.by_month_day, &rule.by_month));
        }
    }
}
