//! The VTIMEZONE that a TZID written by Salas refers to, made from the IANA rules chrono-tz
//! carries. Each change of offset in the years covered is its own STANDARD or DAYLIGHT
//! observance with a fixed DTSTART (no RRULE), so the block says exactly what the zone database
//! says, including years whose rules differ. The `icalendar` crate writes no VTIMEZONE (nor any
//! component without UID and DTSTAMP, which a VTIMEZONE must not have), so these few lines —
//! short, ASCII, with no TEXT to escape — are written here and placed in the crate's output.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// One span of the zone's time: from `at` on, `offset` seconds east of UTC.
struct Change {
    at: DateTime<Utc>,
    before: i32,
    after: i32,
    daylight: bool,
    name: String,
}

/// The VTIMEZONE block of `tz` for the years `from` to `to` (both included), CRLF-ended lines.
pub fn vtimezone(tz: Tz, from: i32, to: i32) -> String {
    let start = Utc.from_utc_datetime(&NaiveDate::from_ymd_opt(from, 1, 1).unwrap_or_default().into());
    let end = Utc.from_utc_datetime(&NaiveDate::from_ymd_opt(to + 1, 1, 1).unwrap_or_default().into());
    let mut lines = vec!["BEGIN:VTIMEZONE".to_string(), format!("TZID:{}", tz.name())];
    // The offset in force when the span begins, as an observance of its own, so that every time
    // in the span has one.
    let initial = offset(tz, start);
    let mut observances = vec![Change {
        at: start,
        before: initial,
        after: initial,
        daylight: daylight(tz, start),
        name: name(tz, start),
    }];
    observances.extend(changes(tz, start, end));
    for c in observances {
        let kind = if c.daylight { "DAYLIGHT" } else { "STANDARD" };
        let local = c.at + Duration::seconds(c.before.into());
        lines.extend([
            format!("BEGIN:{kind}"),
            format!("DTSTART:{}", local.format("%Y%m%dT%H%M%S")),
            format!("TZOFFSETFROM:{}", utc_offset(c.before)),
            format!("TZOFFSETTO:{}", utc_offset(c.after)),
            format!("TZNAME:{}", c.name),
            format!("END:{kind}"),
        ]);
    }
    lines.push("END:VTIMEZONE".into());
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

/// The years a VTIMEZONE must cover for these instants.
pub fn years(instants: impl IntoIterator<Item = DateTime<Utc>>) -> Option<(i32, i32)> {
    instants.into_iter().fold(None, |span, t| {
        let y = t.year();
        Some(span.map_or((y, y), |(a, b): (i32, i32)| (a.min(y), b.max(y))))
    })
}

/// Every change of offset in `[start, end)`: found a day at a time, then to the second.
fn changes(tz: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Change> {
    let mut out = Vec::new();
    let mut day = start;
    while day < end {
        let next = day + Duration::days(1);
        let (before, after) = (offset(tz, day), offset(tz, next));
        if before != after {
            let (mut lo, mut hi) = (day, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset(tz, mid) == before { lo = mid } else { hi = mid }
            }
            out.push(Change { at: hi, before, after, daylight: daylight(tz, hi), name: name(tz, hi) });
        }
        day = next;
    }
    out
}

fn offset(tz: Tz, t: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc()
}

fn daylight(tz: Tz, t: DateTime<Utc>) -> bool {
    !tz.offset_from_utc_datetime(&t.naive_utc()).dst_offset().is_zero()
}

fn name(tz: Tz, t: DateTime<Utc>) -> String {
    let offset = tz.offset_from_utc_datetime(&t.naive_utc());
    offset.abbreviation().map(str::to_string).unwrap_or_else(|| utc_offset(offset.fix().local_minus_utc()))
}

/// `+0100`, `-0330`, or with seconds when the offset has them (`+001730`).
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 { format!("{sign}{h:02}{m:02}") } else { format!("{sign}{h:02}{m:02}{sec:02}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn madrid_2027_changes_on_the_last_sundays_of_march_and_october() {
        let block = vtimezone(chrono_tz::Europe::Madrid, 2027, 2027);
        assert!(block.starts_with("BEGIN:VTIMEZONE\r\nTZID:Europe/Madrid\r\n"));
        assert!(block.ends_with("END:VTIMEZONE\r\n"));
        // Winter from the start of the year, summer from 02:00 local on 28 March, winter again
        // from 03:00 local on 31 October.
        assert!(block.contains(
            "BEGIN:STANDARD\r\nDTSTART:20270101T010000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n"
        ));
        assert!(block.contains(
            "BEGIN:DAYLIGHT\r\nDTSTART:20270328T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n"
        ));
        assert!(block.contains(
            "BEGIN:STANDARD\r\nDTSTART:20271031T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n"
        ));
        assert_eq!(block.matches("BEGIN:DAYLIGHT").count(), 1);
        assert_eq!(block.matches("BEGIN:STANDARD").count(), 2);
    }

    #[test]
    fn a_zone_without_changes_has_one_observance() {
        let block = vtimezone(chrono_tz::Asia::Kolkata, 2030, 2031);
        assert_eq!(block.matches("BEGIN:STANDARD").count(), 1);
        assert!(block.contains("TZOFFSETTO:+0530\r\n") && !block.contains("DAYLIGHT"));
        assert_eq!(utc_offset(-12_600), "-0330");
        assert_eq!(utc_offset(1050), "+001730");
    }
}
