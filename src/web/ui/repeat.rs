//! The booking form's "Repeat" section: its fields, the RRULE they mean, the live summary and
//! preview of the dates (in the room's zone, taken ones marked), and the page after booking a
//! series. The rule is read and expanded by `reservations::recurrence`, the same code the API
//! books with, so the preview shows exactly what saving would book.

use super::booking::{BookForm, parse_times};
use super::format;
use super::session::{Member, Viewer};
use super::{Ctx, render};
use crate::reservations::ReservationError;
use crate::reservations::recurrence::{self, describe};
use crate::reservations::series::{Clash, OnConflict, Scope, SeriesBooked, SeriesRequest};
use crate::types::RoomId;
use crate::web::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;

/// The repeat fields of the booking form, as typed. Checkboxes are separate fields (`day_mo` …)
/// because a plain form posts repeated names, which the form decoder does not collect.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RepeatFields {
    /// `none` (or empty), `daily`, `weekly`, `monthly`, `yearly`.
    pub repeat: String,
    pub interval: String,
    pub day_mo: String,
    pub day_tu: String,
    pub day_we: String,
    pub day_th: String,
    pub day_fr: String,
    pub day_sa: String,
    pub day_su: String,
    /// Monthly: `day` (the date's day number), `nth` (its weekday's position), `last`.
    pub monthly: String,
    /// `count` or `until`.
    pub ends: String,
    pub count: String,
    pub until: String,
    /// `fail` or `skip`.
    pub on_conflict: String,
    /// Editing or cancelling an occurrence: `this`, `following`, `series`.
    pub scope: String,
    /// Set (to the series id) when the reservation edited belongs to a series.
    pub series: String,
}

const DAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "MO"),
    (Weekday::Tue, "TU"),
    (Weekday::Wed, "WE"),
    (Weekday::Thu, "TH"),
    (Weekday::Fri, "FR"),
    (Weekday::Sat, "SA"),
    (Weekday::Sun, "SU"),
];

impl RepeatFields {
    pub fn repeats(&self) -> bool {
        !matches!(self.repeat.as_str(), "" | "none")
    }

    /// Whether the weekday checkbox `code` (`MO` …) is ticked.
    pub fn day(&self, code: &str) -> bool {
        let v = match code {
            "MO" => &self.day_mo,
            "TU" => &self.day_tu,
            "WE" => &self.day_we,
            "TH" => &self.day_th,
            "FR" => &self.day_fr,
            "SA" => &self.day_sa,
            _ => &self.day_su,
        };
        !v.is_empty()
    }

    pub fn on_conflict(&self) -> OnConflict {
        if self.on_conflict == "skip" { OnConflict::Skip } else { OnConflict::Fail }
    }

    pub fn scope(&self) -> Scope {
        match self.scope.as_str() {
            "following" => Scope::Following,
            "series" => Scope::Series,
            _ => Scope::This,
        }
    }

    /// The form's values for a fresh form: weekly-ready defaults that change nothing until
    /// "repeat" is chosen.
    pub fn with_defaults(mut self) -> RepeatFields {
        let fill = |v: &mut String, d: &str| {
            if v.is_empty() {
                *v = d.to_string()
            }
        };
        fill(&mut self.repeat, "none");
        fill(&mut self.interval, "1");
        fill(&mut self.monthly, "day");
        fill(&mut self.ends, "count");
        fill(&mut self.count, "10");
        fill(&mut self.on_conflict, "fail");
        fill(&mut self.scope, "this");
        self
    }
}

/// The weekday checkboxes, Monday first: field suffix (`mo`), RRULE code, name in the viewer's language.
pub fn weekdays(v: &Viewer) -> Vec<(String, &'static str, String)> {
    const KEYS: [&str; 7] = ["day_mon", "day_tue", "day_wed", "day_thu", "day_fri", "day_sat", "day_sun"];
    DAYS.iter().zip(KEYS).map(|((_, code), key)| (code.to_ascii_lowercase(), *code, v.tr.t(key).to_string())).collect()
}

/// A field of the repeat section and the message key of what is wrong with it.
pub type RepeatError = (&'static str, &'static str);

/// The RRULE the repeat fields mean for a series whose first occurrence is on `first` (a date in
/// the room's zone); None when the booking does not repeat. Monthly and yearly rules name their
/// day explicitly (BYMONTHDAY / BYDAY), so the summary can say it.
pub fn rrule(f: &RepeatFields, first: NaiveDate) -> Result<Option<String>, RepeatError> {
    let freq = match f.repeat.as_str() {
        "" | "none" => return Ok(None),
        "daily" => "DAILY",
        "weekly" => "WEEKLY",
        "monthly" => "MONTHLY",
        "yearly" => "YEARLY",
        _ => return Err(("repeat", "verr_repeat_kind")),
    };
    let interval: u32 = match f.interval.trim() {
        "" => 1,
        s => s.parse().ok().filter(|n| (1..=99).contains(n)).ok_or(("interval", "verr_repeat_interval"))?,
    };
    let mut parts = vec![format!("FREQ={freq}")];
    if interval > 1 {
        parts.push(format!("INTERVAL={interval}"));
    }
    let weekday = DAYS.iter().find(|(w, _)| *w == first.weekday()).map_or("MO", |(_, c)| c);
    match freq {
        "WEEKLY" => {
            let mut chosen: Vec<&str> = DAYS.iter().map(|(_, c)| *c).filter(|c| f.day(c)).collect();
            if chosen.is_empty() {
                chosen.push(weekday);
            } else if !chosen.contains(&weekday) {
                return Err(("days", "verr_repeat_first_day"));
            }
            parts.push(format!("BYDAY={}", chosen.join(",")));
        }
        "MONTHLY" => parts.push(match f.monthly.as_str() {
            "nth" => format!("BYDAY={}{weekday}", (first.day() - 1) / 7 + 1),
            "last" if is_last_of_its_weekday(first) => format!("BYDAY=-1{weekday}"),
            "last" => return Err(("monthly", "verr_repeat_not_last")),
            _ => format!("BYMONTHDAY={}", first.day()),
        }),
        "YEARLY" => parts.push(format!("BYMONTH={};BYMONTHDAY={}", first.month(), first.day())),
        _ => {}
    }
    match f.ends.as_str() {
        "until" => {
            let until = NaiveDate::parse_from_str(f.until.trim(), "%Y-%m-%d").map_err(|_| ("until", "error_date"))?;
            if until < first {
                return Err(("until", "verr_repeat_until_before"));
            }
            parts.push(format!("UNTIL={}", until.format("%Y%m%d")));
        }
        _ => {
            let count: u32 = f.count.trim().parse().ok().filter(|n| *n >= 1).ok_or(("count", "verr_repeat_count"))?;
            parts.push(format!("COUNT={count}"));
        }
    }
    Ok(Some(parts.join(";")))
}

fn is_last_of_its_weekday(d: NaiveDate) -> bool {
    d.checked_add_days(chrono::Days::new(7)).is_none_or(|next| next.month() != d.month())
}

/// One date of a series as the pages list it.
pub struct OccurrenceLine {
    /// "Tuesday 5 January 2027, 10:00–11:00", in the room's zone.
    pub when: String,
    /// What is in its way ("Weekly sync, 09:30–10:30", or a room rule it breaks); empty when free.
    pub taken_by: Vec<String>,
    /// The message key of its state in words: free, taken, or not allowed by the room's rules.
    pub state: &'static str,
}

fn lines(v: &Viewer, tz: Tz, clashes: &[Clash]) -> Vec<OccurrenceLine> {
    clashes
        .iter()
        .map(|c| OccurrenceLine {
            when: when(v, tz, c.range.start, c.range.end),
            state: match (c.conflicts.is_empty(), c.reasons.is_empty()) {
                (true, true) => "repeat_free",
                (false, _) => "repeat_taken",
                (true, false) => "repeat_not_allowed",
            },
            taken_by: c
                .conflicts
                .iter()
                .map(|r| format!("{}, {}", r.title, format::range(&v.tr, tz, r.start, r.end)))
                .chain(c.reasons.iter().map(|r| {
                    let key = format!("verr_{}", r.code);
                    match v.tr.t(&key) {
                        k if k == key => r.message.clone(),
                        m => m.to_string(),
                    }
                }))
                .collect(),
        })
        .collect()
}

fn when(v: &Viewer, tz: Tz, start: chrono::DateTime<chrono::Utc>, end: chrono::DateTime<chrono::Utc>) -> String {
    let day = format::date_long(&v.tr, format::local(tz, start).date_naive());
    format!("{day}, {}", format::range(&v.tr, tz, start, end))
}

#[derive(Template)]
#[template(path = "_repeat_preview.html")]
struct PreviewFragment {
    ctx: Ctx,
    summary: String,
    message: String,
    occurrences: Vec<OccurrenceLine>,
    zone: String,
}

/// The series' first occurrence's date in the room's zone, for reading the repeat fields.
fn first_date(state: &AppState, room: RoomId, start: chrono::DateTime<chrono::Utc>) -> Option<NaiveDate> {
    let room = state.rooms.room(room).ok()?;
    let tz: Tz = room.timezone.parse().unwrap_or(Tz::UTC);
    Some(format::local(tz, start).date_naive())
}

/// The RRULE the form means, with errors translated for the page; None when it does not repeat.
pub fn form_rrule(
    state: &AppState,
    v: &Viewer,
    f: &BookForm,
    room: RoomId,
    start: chrono::DateTime<chrono::Utc>,
) -> Result<Option<String>, (&'static str, String)> {
    let first = first_date(state, room, start).unwrap_or_else(|| format::local(v.tz, start).date_naive());
    rrule(&f.rep, first).map_err(|(field, key)| (field, v.tr.t(key).to_string()))
}

/// `/book/repeat`: the live summary and the dates a series would have, taken ones marked (an
/// htmx fragment; the summary goes out of band into the form's live region).
pub async fn preview(State(state): State<AppState>, m: Member, Query(f): Query<BookForm>) -> Response {
    let v = &m.viewer;
    let mut page = PreviewFragment {
        ctx: Ctx::new(v, "book"),
        summary: String::new(),
        message: String::new(),
        occurrences: Vec::new(),
        zone: String::new(),
    };
    if f.rep.repeats() {
        fill_preview(&state, &m, &f, &mut page);
    }
    render(StatusCode::OK, &page, false)
}

fn fill_preview(state: &AppState, m: &Member, f: &BookForm, page: &mut PreviewFragment) {
    let v = &m.viewer;
    let (range, room) = match (parse_times(v, f), f.room.parse::<RoomId>()) {
        (Err(e), _) => return page.message = e.first().to_string(),
        (_, Err(_)) => return page.message = v.tr.t("check_pick_room").to_string(),
        (Ok(_), Ok(room)) if !state.groups.may_see(&m.actor(), room) => {
            return page.message = v.tr.t("verr_no_room").to_string();
        }
        (Ok(r), Ok(room)) => (r, room),
    };
    let rule = match form_rrule(state, v, f, room, range.start) {
        Ok(Some(rule)) => rule,
        Ok(None) => return,
        Err((_, message)) => return page.message = message,
    };
    if let Ok(parsed) = recurrence::parse(&rule) {
        page.summary = describe(&parsed, v.tr.code());
    }
    match state.reservations.plan_series(&m.actor(), room, range, &SeriesRequest::rule(rule)) {
        Ok(plan) => {
            let taken = plan.occurrences.iter().filter(|o| !o.is_free()).count();
            let total = plan.occurrences.len().to_string();
            page.message = if taken == 0 {
                v.tr.f("repeat_all_free", &[("count", &total)])
            } else {
                v.tr.f("repeat_some_taken", &[("count", &total), ("taken", &taken.to_string())])
            };
            page.zone = plan.timezone.name().to_string();
            page.occurrences = lines(v, plan.timezone, &plan.occurrences);
        }
        Err(ReservationError::Invalid(e)) => {
            page.message = super::booking::FormErrors::from_domain(v, &e).first().to_string();
        }
        Err(_) => page.message = v.tr.t("error_generic").to_string(),
    }
}

#[derive(Template)]
#[template(path = "series_booked.html")]
struct BookedPage {
    ctx: Ctx,
    title: String,
    summary: String,
    room: String,
    zone: String,
    booked: Vec<OccurrenceLine>,
    skipped: Vec<OccurrenceLine>,
}

/// The page after a series is booked: what was booked and which dates were skipped.
pub fn booked_page(state: &AppState, v: &Viewer, rule: &str, s: &SeriesBooked) -> Response {
    let first = s.booked.first();
    let room = first.and_then(|r| state.rooms.room(r.room_id).ok());
    let tz: Tz = room.as_ref().and_then(|r| r.timezone.parse().ok()).unwrap_or(Tz::UTC);
    let booked: Vec<Clash> =
        s.booked.iter().map(|r| Clash { range: r.range(), conflicts: Vec::new(), reasons: Vec::new() }).collect();
    let page = BookedPage {
        ctx: Ctx::new(v, "book"),
        title: first.map(|r| r.title.clone()).unwrap_or_default(),
        summary: recurrence::parse(rule).map(|r| describe(&r, v.tr.code())).unwrap_or_default(),
        room: room.map(|r| r.name).unwrap_or_default(),
        zone: tz.name().to_string(),
        booked: lines(v, tz, &booked),
        skipped: lines(v, tz, &s.skipped),
    };
    render(StatusCode::CREATED, &page, false)
}

/// The taken dates of a refused series, for the form's error box.
pub fn clash_lines(state: &AppState, v: &Viewer, room: Option<RoomId>, clashes: &[Clash]) -> Vec<String> {
    let room = room.and_then(|id| state.rooms.room(id).ok());
    let tz: Tz = room.and_then(|r| r.timezone.parse().ok()).unwrap_or(v.tz);
    lines(v, tz, clashes)
        .into_iter()
        .map(|l| v.tr.f("repeat_taken_line", &[("when", &l.when), ("by", &l.taken_by.join("; "))]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(repeat: &str) -> RepeatFields {
        RepeatFields { repeat: repeat.into(), ..RepeatFields::default() }.with_defaults()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_fields_become_the_rule_they_name() {
        let tue = date("2027-01-12"); // the 2nd Tuesday of January
        assert_eq!(rrule(&fields("none"), tue), Ok(None));
        let mut f = fields("weekly");
        f.interval = "2".into();
        assert_eq!(rrule(&f, tue), Ok(Some("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=10".into())));
        f.day_tu = "on".into();
        f.day_th = "on".into();
        f.ends = "until".into();
        f.until = "2027-03-01".into();
        assert_eq!(rrule(&f, tue), Ok(Some("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20270301".into())));
        let mut f = fields("monthly");
        assert_eq!(rrule(&f, tue), Ok(Some("FREQ=MONTHLY;BYMONTHDAY=12;COUNT=10".into())));
        f.monthly = "nth".into();
        assert_eq!(rrule(&f, tue), Ok(Some("FREQ=MONTHLY;BYDAY=2TU;COUNT=10".into())));
        f.monthly = "last".into();
        assert_eq!(rrule(&f, date("2027-01-29")), Ok(Some("FREQ=MONTHLY;BYDAY=-1FR;COUNT=10".into())));
        assert_eq!(rrule(&fields("yearly"), tue), Ok(Some("FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=12;COUNT=10".into())));
        assert_eq!(rrule(&fields("daily"), tue), Ok(Some("FREQ=DAILY;COUNT=10".into())));
    }

    #[test]
    fn bad_values_name_their_field() {
        let tue = date("2027-01-12");
        let mut f = fields("weekly");
        f.day_we = "on".into();
        assert_eq!(rrule(&f, tue), Err(("days", "verr_repeat_first_day")));
        let mut f = fields("monthly");
        f.monthly = "last".into();
        assert_eq!(rrule(&f, tue), Err(("monthly", "verr_repeat_not_last")));
        let mut f = fields("daily");
        f.interval = "0".into();
        assert_eq!(rrule(&f, tue), Err(("interval", "verr_repeat_interval")));
        let mut f = fields("daily");
        f.count = "many".into();
        assert_eq!(rrule(&f, tue), Err(("count", "verr_repeat_count")));
        f.ends = "until".into();
        f.until = "2027-01-11".into();
        assert_eq!(rrule(&f, tue), Err(("until", "verr_repeat_until_before")));
        f.until = "soon".into();
        assert_eq!(rrule(&f, tue), Err(("until", "error_date")));
        assert_eq!(rrule(&fields("hourly"), tue), Err(("repeat", "verr_repeat_kind")));
    }

    #[test]
    fn every_rule_the_form_makes_is_one_the_parser_accepts() {
        for repeat in ["daily", "weekly", "monthly", "yearly"] {
            for monthly in ["day", "nth", "last"] {
                let f = RepeatFields { monthly: monthly.into(), ..fields(repeat) };
                if let Ok(Some(rule)) = rrule(&f, date("2027-01-26")) {
                    recurrence::parse(&rule).unwrap_or_else(|e| panic!("{rule}: {}", e.message));
                }
            }
        }
    }
}
