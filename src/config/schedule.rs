//! Cron expressions of `[scheduler]` and `[backup]`, read when the configuration loads.

use cron::Schedule;
use std::str::FromStr;

/// Parses a cron expression: 5 fields as in crontab (minute hour day month weekday, weekday
/// 0-7 with Sunday as 0 or 7), or the cron crate's 6-7 fields (seconds first, optional year).
/// Empty: the job is off (None).
pub fn parse_schedule(expr: &str) -> Result<Option<Schedule>, String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let full = match fields.len() {
        0 => return Ok(None),
        5 => format!("0 {} {} {} {} {} *", fields[0], fields[1], fields[2], fields[3], crontab_weekdays(fields[4])),
        6 | 7 => fields.join(" "),
        n => return Err(format!("`{expr}` has {n} fields; use 5 (minute hour day month weekday)")),
    };
    Schedule::from_str(&full).map(Some).map_err(|e| format!("`{expr}` is not a cron expression: {e}"))
}

/// crontab numbers weekdays 0-7 from Sunday; the cron crate 1-7 from Sunday. Step values (after
/// `/`) are counts, not days, and stay as they are.
fn crontab_weekdays(field: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let mut after_slash = false;
    let flush = |digits: &mut String, out: &mut String, after_slash: bool| {
        if digits.is_empty() {
            return;
        }
        match digits.parse::<u32>() {
            Ok(n) if !after_slash => out.push_str(&(n % 7 + 1).to_string()),
            _ => out.push_str(digits),
        }
        digits.clear();
    };
    for c in field.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out, after_slash);
            after_slash = c == '/';
            out.push(c);
        }
    }
    flush(&mut digits, &mut out, after_slash);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn five_fields_become_seven_with_crontab_weekdays() {
        assert_eq!(crontab_weekdays("1-5"), "2-6");
        assert_eq!(crontab_weekdays("0,7"), "1,1");
        assert_eq!(crontab_weekdays("*/2"), "*/2");
        assert_eq!(crontab_weekdays("MON-FRI"), "MON-FRI");
        let s = parse_schedule("30 9 * * 1").unwrap().unwrap();
        let sunday = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        assert_eq!(s.after(&sunday).next().unwrap(), Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap());
        assert!(parse_schedule("").unwrap().is_none());
        assert!(parse_schedule("* * *").is_err());
        assert!(parse_schedule("61 * * * *").is_err());
        assert!(parse_schedule("*/5 * * * * *").unwrap().is_some());
    }
}
