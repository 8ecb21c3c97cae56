//! Dates and times as people read them: in a time zone and a language. A leaf, so the pages and
//! the messages sent out (chat webhooks) say a date the same way.

use crate::i18n::Tr;
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

pub fn local(tz: Tz, t: DateTime<Utc>) -> DateTime<Tz> {
    t.with_timezone(&tz)
}

/// "14:05"
pub fn time(tz: Tz, t: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(5);
    push_hm(&mut out, &local(tz, t));
    out
}

/// Appends "14:05", digit by digit rather than through a format pattern: the timeline writes a
/// thousand of these per page, and this was a tenth of its time.
fn push_hm(out: &mut String, t: &DateTime<Tz>) {
    for (i, n) in [t.hour(), t.minute()].into_iter().enumerate() {
        if i == 1 {
            out.push(':');
        }
        out.push(char::from(b'0' + (n / 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    }
}

/// "Monday 30 November 2026" / "lunes, 30 de noviembre de 2026"
pub fn date_long(tr: &Tr, d: NaiveDate) -> String {
    let weekday = tr.t(WEEKDAYS[d.weekday().num_days_from_monday() as usize]);
    let month = tr.t(MONTHS[d.month0() as usize]);
    tr.f(
        "date_long",
        &[("weekday", weekday), ("day", &d.day().to_string()), ("month", month), ("year", &d.year().to_string())],
    )
}

/// "Mon 30 Nov" / "lun 30 nov"
pub fn date_short(tr: &Tr, d: NaiveDate) -> String {
    let weekday = tr.t(WEEKDAYS_SHORT[d.weekday().num_days_from_monday() as usize]);
    let month = tr.t(MONTHS_SHORT[d.month0() as usize]);
    format!("{weekday} {} {month}", d.day())
}

/// "November 2026" / "noviembre de 2026"
pub fn month_year(tr: &Tr, d: NaiveDate) -> String {
    tr.f("month_year", &[("month", tr.t(MONTHS[d.month0() as usize])), ("year", &d.year().to_string())])
}

/// "10:00–11:00", or with the dates when the range spans days.
pub fn range(tr: &Tr, tz: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let (s, e) = (local(tz, start), local(tz, end));
    let mut out = String::with_capacity(32);
    let same_day = s.date_naive() == e.date_naive();
    if !same_day {
        out.push_str(&date_short(tr, s.date_naive()));
        out.push(' ');
    }
    push_hm(&mut out, &s);
    out.push('–');
    if !same_day {
        out.push_str(&date_short(tr, e.date_naive()));
        out.push(' ');
    }
    push_hm(&mut out, &e);
    out
}

const WEEKDAYS: [&str; 7] = ["day_mon", "day_tue", "day_wed", "day_thu", "day_fri", "day_sat", "day_sun"];
const WEEKDAYS_SHORT: [&str; 7] = ["dy_mon", "dy_tue", "dy_wed", "dy_thu", "dy_fri", "dy_sat", "dy_sun"];
const MONTHS: [&str; 12] = [
    "month_1", "month_2", "month_3", "month_4", "month_5", "month_6", "month_7", "month_8", "month_9", "month_10",
    "month_11", "month_12",
];
const MONTHS_SHORT: [&str; 12] =
    ["mon_1", "mon_2", "mon_3", "mon_4", "mon_5", "mon_6", "mon_7", "mon_8", "mon_9", "mon_10", "mon_11", "mon_12"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use chrono::TimeZone;

    #[test]
    fn spanish_dates() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(date_long(&Tr::new(Lang::Es), d), "lunes, 30 de noviembre de 2026");
        assert_eq!(date_long(&Tr::new(Lang::En), d), "Monday 30 November 2026");
    }

    #[test]
    fn times_and_ranges_in_the_viewers_zone() {
        let madrid: Tz = "Europe/Madrid".parse().unwrap();
        let at = |h, m| Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0).unwrap();
        assert_eq!(time(madrid, at(8, 5)), "09:05");
        assert_eq!(time(madrid, at(23, 0)), "00:00");
        let en = Tr::new(Lang::En);
        assert_eq!(range(&en, madrid, at(9, 0), at(10, 30)), "10:00–11:30");
        let across = range(&en, madrid, at(22, 0), at(23, 15));
        assert_eq!(
            across,
            format!(
                "{} 23:00–{} 00:15",
                date_short(&en, at(12, 0).date_naive()),
                date_short(&en, at(12, 0).date_naive().succ_opt().unwrap())
            )
        );
    }
}
