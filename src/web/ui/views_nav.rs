//! The navigation shared by the day, week and month views (`_views_nav.html`): the Day / Week /
//! Month switch, the addresses the keyboard shortcuts follow, and the small calendar to jump to
//! any date. It is derived from the page's own address, so a view includes it with one line and
//! its handler passes nothing more.

use super::Ctx;
use super::format;
use crate::i18n::Tr;
use crate::reservations::calendar::{first_of_month, month_grid, next_month, previous_month, week_of};
use chrono::{Datelike, Duration, NaiveDate};

pub struct ViewsNav {
    /// "day", "week" or "month": the current view.
    pub kind: &'static str,
    pub day_href: String,
    pub week_href: String,
    /// Only on a room's month page: the month view is per room.
    pub month_href: Option<String>,
    /// Where the shortcuts go: ←, →, `t` and `n`.
    pub prev: String,
    pub next: String,
    pub today: String,
    pub new: String,
    pub cal: Option<MiniCal>,
}

/// A month of links to days: each date opens the current view on it.
pub struct MiniCal {
    /// Open when the visitor paged through months (the `cal` parameter), so the grid stays in view.
    pub open: bool,
    pub label: String,
    pub prev_href: String,
    pub prev_label: String,
    pub next_href: String,
    pub next_label: String,
    /// (short, full) weekday names, Monday first.
    pub weekdays: Vec<(&'static str, &'static str)>,
    pub weeks: Vec<Vec<CalDay>>,
}

pub struct CalDay {
    pub day: u32,
    pub href: String,
    /// The full date, as screen readers say it.
    pub label: String,
    /// The date the page shows.
    pub current: bool,
    pub today: bool,
    /// In the month before or after.
    pub outside: bool,
}

impl Ctx {
    /// The views navigation of this page (see the module documentation).
    pub fn views_nav(&self) -> ViewsNav {
        let today = format::local(self.tz, crate::clock::now()).date_naive();
        ViewsNav::of(&self.tr, &self.path, today)
    }
}

/// `date` as the views' `date` parameter: "2026-11-30".
pub fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A "YYYY-MM-DD" (`date`) or "YYYY-MM" (`month`) parameter, within years people book in.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok().filter(|d| (1970..=9999).contains(&d.year()))
}

pub fn parse_month(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    (s.len() == 7).then(|| parse_date(&format!("{s}-01"))).flatten()
}

/// "November 2026" / "Noviembre de 2026", capitalised as a title.
pub fn month_title(tr: &Tr, d: NaiveDate) -> String {
    let s = format::month_year(tr, d);
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

const WEEKDAYS: [(&str, &str); 7] = [
    ("dy_mon", "day_mon"),
    ("dy_tue", "day_tue"),
    ("dy_wed", "day_wed"),
    ("dy_thu", "day_thu"),
    ("dy_fri", "day_fri"),
    ("dy_sat", "day_sat"),
    ("dy_sun", "day_sun"),
];

/// Weekday names (short, full), Monday first.
pub fn weekday_names(tr: &Tr) -> Vec<(&'static str, &'static str)> {
    WEEKDAYS.iter().map(|(s, l)| (tr.t(s), tr.t(l))).collect()
}

impl ViewsNav {
    /// The i18n keys of the period toolbar (`_period_nav.html`): its label, then previous, this
    /// and next period.
    pub fn period_keys(&self) -> [&'static str; 4] {
        match self.kind {
            "week" => ["week_nav", "previous_week", "views_this_week", "next_week"],
            "month" => ["views_month_nav", "previous_month", "views_this_month", "next_month"],
            _ => ["day_nav", "previous_day", "today", "next_day"],
        }
    }

    /// The navigation of the page at `address` (path and query) on `today`.
    pub fn of(tr: &Tr, address: &str, today: NaiveDate) -> ViewsNav {
        let (path, query) = address.split_once('?').unwrap_or((address, ""));
        let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
        // The room filters (location, capacity, equipment) travel with every link.
        let kept: String = params
            .iter()
            .filter(|(k, v)| !matches!(k.as_str(), "date" | "cal" | "month") && !v.is_empty())
            .map(|(k, v)| format!("&{}", form_urlencoded::Serializer::new(String::new()).append_pair(k, v).finish()))
            .collect();
        let shown = parse_date(param("date")).unwrap_or(today);
        let at = |view: &str, d: NaiveDate| format!("{view}?date={}{kept}", iso(d));
        if let Some(room) = path.strip_prefix("/rooms/").and_then(|r| r.strip_suffix("/month")) {
            let month = parse_month(param("month")).unwrap_or_else(|| first_of_month(today));
            let anchor = if first_of_month(today) == month { today } else { month };
            let month_at = |d: NaiveDate| format!("{path}?month={}", d.format("%Y-%m"));
            return ViewsNav {
                kind: "month",
                day_href: at("/", anchor),
                week_href: at("/week", anchor),
                month_href: Some(month_at(month)),
                prev: month_at(previous_month(month)),
                next: month_at(next_month(month)),
                today: month_at(today),
                new: format!("/book?room={room}"),
                cal: None,
            };
        }
        let (kind, view, step) = if path == "/week" { ("week", "/week", 7) } else { ("day", "/", 1) };
        let cal_month = parse_month(param("cal"));
        let cal = mini_cal(
            tr,
            today,
            shown,
            cal_month.unwrap_or(shown),
            cal_month.is_some(),
            |d| at(view, d),
            |m| format!("{view}?date={}&cal={}{kept}", iso(shown), m.format("%Y-%m")),
        );
        let new_date = if kind == "week" && week_of(shown).contains(&today) { today } else { shown };
        ViewsNav {
            kind,
            day_href: at("/", shown),
            week_href: at("/week", shown),
            month_href: None,
            prev: at(view, shown - Duration::days(step)),
            next: at(view, shown + Duration::days(step)),
            today: at(view, today),
            new: format!("/book?date={}", iso(new_date)),
            cal: Some(cal),
        }
    }
}

fn mini_cal(
    tr: &Tr,
    today: NaiveDate,
    shown: NaiveDate,
    month: NaiveDate,
    open: bool,
    day_href: impl Fn(NaiveDate) -> String,
    month_href: impl Fn(NaiveDate) -> String,
) -> MiniCal {
    let (prev, next) = (previous_month(month), next_month(month));
    let weeks = month_grid(month)
        .iter()
        .map(|week| {
            week.iter()
                .map(|d| CalDay {
                    day: d.day(),
                    href: day_href(*d),
                    label: format::date_long(tr, *d),
                    current: *d == shown,
                    today: *d == today,
                    outside: d.month() != month.month(),
                })
                .collect()
        })
        .collect();
    MiniCal {
        open,
        label: month_title(tr, month),
        prev_href: month_href(prev),
        prev_label: format!("{}: {}", tr.t("previous_month"), format::month_year(tr, prev)),
        next_href: month_href(next),
        next_label: format!("{}: {}", tr.t("next_month"), format::month_year(tr, next)),
        weekdays: weekday_names(tr),
        weeks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_day_view_moves_by_days_and_keeps_its_filters() {
        let nav = ViewsNav::of(&Tr::new(Lang::En), "/?date=2026-11-30&location=HQ+North&capacity=", d("2026-12-07"));
        assert_eq!(nav.kind, "day");
        assert_eq!(nav.prev, "/?date=2026-11-29&location=HQ+North");
        assert_eq!(nav.next, "/?date=2026-12-01&location=HQ+North");
        assert_eq!(nav.today, "/?date=2026-12-07&location=HQ+North");
        assert_eq!(nav.week_href, "/week?date=2026-11-30&location=HQ+North");
        assert_eq!(nav.new, "/book?date=2026-11-30");
        let cal = nav.cal.unwrap();
        assert!(!cal.open);
        assert_eq!(cal.label, "November 2026");
        assert_eq!(cal.prev_href, "/?date=2026-11-30&cal=2026-10&location=HQ+North");
        let current: Vec<&CalDay> = cal.weeks.iter().flatten().filter(|c| c.current).collect();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0].label, "Monday 30 November 2026");
        assert_eq!(current[0].href, "/?date=2026-11-30&location=HQ+North");
    }

    #[test]
    fn the_week_view_moves_by_weeks_and_pages_the_small_calendar() {
        let nav = ViewsNav::of(&Tr::new(Lang::Es), "/week?date=2026-12-02&cal=2027-01", d("2026-12-01"));
        assert_eq!(
            (nav.kind, nav.prev.as_str(), nav.next.as_str()),
            ("week", "/week?date=2026-11-25", "/week?date=2026-12-09")
        );
        // Today is in the shown week: a new booking starts today.
        assert_eq!(nav.new, "/book?date=2026-12-01");
        let cal = nav.cal.unwrap();
        assert!(cal.open);
        assert_eq!(cal.label, "Enero de 2027");
        assert_eq!(cal.weekdays[0], ("lun", "lunes"));
        assert!(cal.weeks.iter().flatten().all(|c| !c.current), "the shown date is in December");
    }

    #[test]
    fn a_rooms_month_moves_by_months() {
        let nav = ViewsNav::of(&Tr::new(Lang::En), "/rooms/abc/month?month=2026-12", d("2026-12-07"));
        assert_eq!(nav.kind, "month");
        assert_eq!(nav.prev, "/rooms/abc/month?month=2026-11");
        assert_eq!(nav.next, "/rooms/abc/month?month=2027-01");
        assert_eq!(nav.today, "/rooms/abc/month?month=2026-12");
        assert_eq!(nav.day_href, "/?date=2026-12-07");
        assert_eq!(nav.new, "/book?room=abc");
        assert!(nav.cal.is_none());
    }

    #[test]
    fn parameters_parse_strictly() {
        assert_eq!(parse_date("2026-11-30"), Some(d("2026-11-30")));
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("30/11/2026"), None);
        assert_eq!(parse_date("99999-01-01"), None);
        assert_eq!(parse_month("2026-11"), Some(d("2026-11-01")));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("2026-11-01"), None);
    }
}
