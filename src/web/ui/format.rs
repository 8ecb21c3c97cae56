//! Dates and times as people read them (the reading side is shared, in `i18n::dates`), and as
//! they type them in forms.

pub use crate::i18n::dates::{date_long, date_short, local, month_year, range, time};
use chrono::{DateTime, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A wall-clock date and time in `tz` as an instant. A time the clocks skip (the spring DST
/// gap) does not exist and is refused; a time that happens twice (autumn) means the first.
pub fn parse_local(tz: Tz, date: &str, time: &str) -> Result<DateTime<Utc>, &'static str> {
    let d = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| "error_date")?;
    let t = NaiveTime::parse_from_str(time.trim(), "%H:%M").map_err(|_| "error_time")?;
    match tz.from_local_datetime(&d.and_time(t)) {
        LocalResult::Single(x) => Ok(x.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        LocalResult::None => Err("error_time_nonexistent"),
    }
}

/// The instant a local day starts in `tz` (midnight, or the first instant after a gap).
pub fn day_start(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    (0..=3)
        .find_map(|h| match tz.from_local_datetime(&d.and_hms_opt(h, 0, 0)?) {
            LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => Some(x.with_timezone(&Utc)),
            LocalResult::None => None,
        })
        .unwrap_or_else(|| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dst_gap_is_refused_and_overlap_takes_the_first() {
        let madrid: Tz = "Europe/Madrid".parse().unwrap();
        // 2026-03-29: clocks jump from 02:00 to 03:00.
        assert_eq!(parse_local(madrid, "2026-03-29", "02:30"), Err("error_time_nonexistent"));
        assert_eq!(parse_local(madrid, "2026-03-29", "03:30").unwrap().to_rfc3339(), "2026-03-29T01:30:00+00:00");
        // 2026-10-25: 02:30 happens twice; the first is still summer time (+02:00).
        assert_eq!(parse_local(madrid, "2026-10-25", "02:30").unwrap().to_rfc3339(), "2026-10-25T00:30:00+00:00");
        assert_eq!(parse_local(madrid, "2026-13-01", "10:00"), Err("error_date"));
    }
}
