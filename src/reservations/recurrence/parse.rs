//! Reading an RRULE: the RFC 5545 subset Salas books with. Anything outside it is refused with
//! a reason rather than half-understood.

use super::{End, Freq, Rule, RuleError};
use chrono::{NaiveDate, NaiveDateTime, Weekday};

/// The most an `INTERVAL` may be; larger values are typos for meeting rooms.
const MAX_INTERVAL: u32 = 1000;

pub fn parse(text: &str) -> Result<Rule, RuleError> {
    let text = text.trim();
    let body = match text.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("RRULE:") => &text[6..],
        _ => text,
    };
    let mut seen: Vec<String> = Vec::new();
    let (mut freq, mut interval, mut end) = (None, 1, None);
    let (mut by_day, mut by_month_day, mut by_month) = (Vec::new(), Vec::new(), Vec::new());
    for part in body.split(';').filter(|p| !p.trim().is_empty()) {
        let (key, value) = part.split_once('=').ok_or_else(|| syntax(format!("`{part}` is not KEY=VALUE")))?;
        let key = key.trim().to_ascii_uppercase();
        let value = value.trim();
        if seen.contains(&key) {
            return Err(syntax(format!("{key} is given twice")));
        }
        seen.push(key.clone());
        match key.as_str() {
            "FREQ" => freq = Some(parse_freq(value)?),
            "INTERVAL" => {
                interval = number(&key, value)?;
                if !(1..=MAX_INTERVAL).contains(&interval) {
                    return Err(syntax(format!("INTERVAL must be between 1 and {MAX_INTERVAL}")));
                }
            }
            "COUNT" | "UNTIL" if end.is_some() => return Err(syntax("COUNT and UNTIL exclude each other")),
            "COUNT" => {
                let n: u32 = number(&key, value)?;
                if n == 0 {
                    return Err(syntax("COUNT must be at least 1"));
                }
                end = Some(End::Count(n));
            }
            "UNTIL" => end = Some(parse_until(value)?),
            "BYDAY" => by_day = list(value, parse_day)?,
            "BYMONTHDAY" => by_month_day = list(value, |v| bounded(&key, v, 31))?,
            "BYMONTH" => {
                by_month = list(value, |v| {
                    number::<u32>(&key, v).and_then(|m| {
                        if (1..=12).contains(&m) { Ok(m) } else { Err(syntax("BYMONTH takes months 1 to 12")) }
                    })
                })?
            }
            // Weeks start on Monday here; other week starts are refused rather than ignored.
            "WKST" if value.eq_ignore_ascii_case("MO") => {}
            _ => return Err(unsupported(format!("{key}={value} is not supported"))),
        }
    }
    let freq = freq.ok_or_else(|| syntax("FREQ is required"))?;
    if freq == Freq::Weekly && !by_month_day.is_empty() {
        return Err(syntax("BYMONTHDAY does not go with FREQ=WEEKLY"));
    }
    let positioned = by_day.iter().any(|(pos, _)| pos.is_some());
    if positioned && matches!(freq, Freq::Daily | Freq::Weekly) {
        return Err(syntax("positions like 2TU need FREQ=MONTHLY or YEARLY"));
    }
    if positioned && freq == Freq::Yearly && by_month.is_empty() {
        return Err(unsupported("a position in the year (like 20MO) is not supported; add BYMONTH"));
    }
    Ok(Rule { freq, interval, by_day, by_month_day, by_month, end })
}

fn parse_freq(value: &str) -> Result<Freq, RuleError> {
    match value.to_ascii_uppercase().as_str() {
        "DAILY" => Ok(Freq::Daily),
        "WEEKLY" => Ok(Freq::Weekly),
        "MONTHLY" => Ok(Freq::Monthly),
        "YEARLY" => Ok(Freq::Yearly),
        "HOURLY" | "MINUTELY" | "SECONDLY" => Err(unsupported(format!("FREQ={value} is not supported"))),
        _ => Err(syntax(format!("FREQ={value} is not a frequency"))),
    }
}

/// `20271231T235959Z` (an instant) or `20271231` (through that day in the room's zone). A local
/// date-time without `Z` is read as the room's local time.
fn parse_until(value: &str) -> Result<End, RuleError> {
    let bad = || syntax(format!("UNTIL={value} is not a date like 20271231 or 20271231T235959Z"));
    if let Some(utc) = value.strip_suffix('Z').or_else(|| value.strip_suffix('z')) {
        let t = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").map_err(|_| bad())?;
        return Ok(End::UntilUtc(t.and_utc()));
    }
    if value.len() == 8 {
        return NaiveDate::parse_from_str(value, "%Y%m%d").map(End::UntilDate).map_err(|_| bad());
    }
    NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").map(End::UntilLocal).map_err(|_| bad())
}

/// `TU`, `2TU`, `-1FR`, `+3MO`.
fn parse_day(value: &str) -> Result<(Option<i8>, Weekday), RuleError> {
    let split = value.len().checked_sub(2).filter(|&i| value.is_char_boundary(i)).ok_or_else(|| bad_day(value))?;
    let (pos, day) = value.split_at(split);
    let weekday = match day.to_ascii_uppercase().as_str() {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return Err(bad_day(value)),
    };
    if pos.is_empty() {
        return Ok((None, weekday));
    }
    let n: i8 = pos.parse().map_err(|_| bad_day(value))?;
    if n == 0 || n.unsigned_abs() > 5 {
        return Err(syntax(format!("BYDAY position in {value} must be 1 to 5 or -1 to -5")));
    }
    Ok((Some(n), weekday))
}

fn bad_day(value: &str) -> RuleError {
    syntax(format!("BYDAY value `{value}` is not like TU, 2TU or -1FR"))
}

/// A non-zero number within ±`max`.
fn bounded(key: &str, value: &str, max: i8) -> Result<i8, RuleError> {
    let n: i8 = number(key, value)?;
    if n == 0 || n.unsigned_abs() > max.unsigned_abs() {
        return Err(syntax(format!("{key} values must be 1 to {max} or -1 to -{max}")));
    }
    Ok(n)
}

fn number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, RuleError> {
    value.trim_start_matches('+').parse().map_err(|_| syntax(format!("{key}={value} is not a number")))
}

fn list<T>(value: &str, item: impl Fn(&str) -> Result<T, RuleError>) -> Result<Vec<T>, RuleError> {
    value.split(',').map(|v| item(v.trim())).collect()
}

fn syntax(message: impl Into<String>) -> RuleError {
    RuleError { code: "rrule_invalid", message: message.into() }
}

fn unsupported(message: impl Into<String>) -> RuleError {
    RuleError { code: "rrule_unsupported", message: message.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_supported_subset() {
        let r = parse("RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=6").unwrap();
        assert_eq!(
            (r.freq, r.interval, r.by_day, r.end),
            (Freq::Monthly, 1, vec![(Some(-1), Weekday::Fri)], Some(End::Count(6)))
        );
        let r = parse("freq=weekly;interval=2;byday=MO,WE;until=20271231T230000Z").unwrap();
        assert_eq!(r.by_day, vec![(None, Weekday::Mon), (None, Weekday::Wed)]);
        assert!(matches!(r.end, Some(End::UntilUtc(_))));
        assert_eq!(parse("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=-1;UNTIL=20300101").unwrap().by_month_day, vec![-1]);
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        let code = |s: &str| parse(s).unwrap_err().code;
        assert_eq!(code("FREQ=HOURLY;COUNT=3"), "rrule_unsupported");
        assert_eq!(code("FREQ=DAILY;BYSETPOS=1;COUNT=3"), "rrule_unsupported");
        assert_eq!(code("FREQ=YEARLY;BYDAY=2MO;COUNT=3"), "rrule_unsupported");
        assert_eq!(code("COUNT=3"), "rrule_invalid");
        assert_eq!(code("FREQ=DAILY;COUNT=3;UNTIL=20300101"), "rrule_invalid");
        assert_eq!(code("FREQ=DAILY;COUNT=0"), "rrule_invalid");
        assert_eq!(code("FREQ=WEEKLY;BYDAY=2TU;COUNT=3"), "rrule_invalid");
        assert_eq!(code("FREQ=MONTHLY;BYDAY=6TU;COUNT=3"), "rrule_invalid");
        assert_eq!(code("FREQ=MONTHLY;BYMONTHDAY=32;COUNT=3"), "rrule_invalid");
        assert_eq!(code("FREQ=WEEKLY;BYMONTHDAY=3;COUNT=3"), "rrule_invalid");
        assert_eq!(code("FREQ=DAILY;FREQ=DAILY"), "rrule_invalid");
        assert_eq!(code("FREQ=DAILY;BYDAY=XX"), "rrule_invalid");
        assert_eq!(code("FREQ=DAILY;BYDAY=é"), "rrule_invalid");
    }
}
