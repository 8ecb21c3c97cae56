//! The week across rooms, a room's month, and the help page listing the views and their
//! keyboard shortcuts. The calendar arithmetic is `reservations::calendar`'s; these handlers
//! fetch, call it and fill the templates.

use super::format;
use super::room_filter::{FilterForm, RoomFilter};
use super::session::{Member, Viewer};
use super::views_nav::{iso, month_title, parse_date, parse_month, weekday_names};
use super::{Ctx, PageResult, error_page, fail, render, render_sized};
use crate::model::reservation::{Reservation, Status};
use crate::model::room::Room;
use crate::reservations::calendar::{self, DayLoad};
use crate::types::{RoomId, TimeRange};
use crate::web::AppState;
use crate::web::problem::Problem;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use serde::Deserialize;
use std::sync::Arc;

/// Bookings a cell lists before "+N more".
const LISTED: usize = 3;

/// The date, and the day view's room filters.
#[derive(Deserialize, Default)]
pub struct WeekQuery {
    date: Option<String>,
    #[serde(flatten)]
    filter: RoomFilter,
}

#[derive(Deserialize, Default)]
pub struct MonthQuery {
    month: Option<String>,
}

pub struct DayHead {
    pub short: String,
    pub long: String,
    pub href: String,
    pub today: bool,
}

pub struct Entry {
    pub href: String,
    pub when: String,
    pub title: String,
    pub pending: bool,
    pub mine: bool,
}

pub struct WeekCell {
    pub day: String,
    pub long: String,
    /// Busy bars as (x, width) in thousandths of the drawn span.
    pub bars: Vec<(u16, u16)>,
    pub entries: Vec<Entry>,
    pub more: usize,
    pub more_href: String,
    pub free: String,
    /// The booking form for this room and day, while any open time is free (today and later).
    pub book_href: Option<String>,
    pub today: bool,
}

pub struct WeekRow {
    pub name: String,
    pub href: String,
    pub month_href: String,
    pub cells: Vec<WeekCell>,
}

#[derive(Template)]
#[template(path = "week.html")]
struct WeekPage {
    ctx: Ctx,
    heading: String,
    days: Vec<DayHead>,
    rows: Vec<WeekRow>,
    filters: FilterForm,
}

/// A 400 page naming the parameter and the form it takes.
fn bad_parameter(v: &Viewer, key: &str, value: &str) -> Response {
    error_page(v, Problem::new(StatusCode::BAD_REQUEST, "bad_parameter", v.tr.f(key, &[("value", value)])))
}

fn today(v: &Viewer) -> NaiveDate {
    format::local(v.tz, crate::clock::now()).date_naive()
}

/// "3 h free", "2 h 30 min free", "Fully booked", "Closed".
fn free_words(v: &Viewer, load: &DayLoad) -> String {
    let (h, m) = (load.free_minutes / 60, load.free_minutes % 60);
    let time = match (h, m) {
        _ if load.open_minutes == 0 => return v.tr.t("views_closed").to_string(),
        (0, 0) => return v.tr.t("views_full").to_string(),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    };
    v.tr.f("views_free", &[("time", &time)])
}

fn entry(v: &Viewer, m: &Member, r: &Reservation, day: TimeRange) -> Entry {
    Entry {
        href: format!("/reservations/{}", r.id),
        when: format::time(v.tz, r.start.max(day.start)),
        title: r.title.clone(),
        pending: r.status == Status::Pending,
        mine: r.user_id == m.me.user.id,
    }
}

pub async fn week(State(state): State<AppState>, m: Member, Query(q): Query<WeekQuery>) -> PageResult {
    let v = &m.viewer;
    let today = today(v);
    let shown = match q.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => today,
        Some(raw) => parse_date(raw).ok_or_else(|| bad_parameter(v, "views_bad_date", raw))?,
    };
    let days = calendar::week_of(shown);
    let actor = m.actor();
    let all_rooms = state.groups.visible(&actor, state.rooms.list(false).map_err(fail(v))?);
    let rooms: Vec<&Room> = q.filter.apply(&all_rooms);
    let window = calendar::days_window(v.tz, days[0], days[6]);
    let windows: Vec<TimeRange> = days.iter().map(|d| calendar::day_window(v.tz, *d)).collect();
    let mut rows = Vec::with_capacity(rooms.len());
    let mut count = 0;
    for room in rooms {
        let mut items: Vec<Arc<Reservation>> = state.reservations.live_in(&actor, room.id, window).map_err(fail(v))?;
        items.sort_by_key(|r| r.start);
        count += items.len();
        let policy = state.rooms.effective_policy(room).map_err(fail(v))?;
        let room_tz: Tz = room.timezone.parse().unwrap_or(v.tz);
        let busy: Vec<TimeRange> = items.iter().map(|r| r.range()).collect();
        let cells = days
            .iter()
            .zip(&windows)
            .map(|(d, w)| {
                let load = calendar::day_load(room_tz, &policy, *w, &busy);
                let on_day: Vec<&Arc<Reservation>> = items.iter().filter(|r| r.range().overlaps(w)).collect();
                let date = iso(*d);
                WeekCell {
                    day: format::date_short(&v.tr, *d),
                    long: format::date_long(&v.tr, *d),
                    bars: load.bars.iter().map(|(a, b)| (*a, b - a)).collect(),
                    entries: on_day.iter().take(LISTED).map(|r| entry(v, &m, r, *w)).collect(),
                    more: on_day.len().saturating_sub(LISTED),
                    more_href: format!("/?date={date}"),
                    free: free_words(v, &load),
                    // Past days keep their free time in words but offer no booking.
                    book_href: (load.free_minutes > 0 && *d >= today)
                        .then(|| format!("/book?room={}&date={date}", room.id)),
                    today: *d == today,
                }
            })
            .collect();
        rows.push(WeekRow {
            name: room.name.clone(),
            href: format!("/rooms/{}", room.id),
            month_href: format!("/rooms/{}/month?month={}", room.id, shown.format("%Y-%m")),
            cells,
        });
    }
    let filters = q.filter.form(&state, v, "/week", iso(shown), &all_rooms)?;
    let page = WeekPage {
        ctx: Ctx::new(v, "timeline"),
        heading: v.tr.f("week_of", &[("date", &format::date_long(&v.tr, days[0]))]),
        days: days
            .iter()
            .map(|d| DayHead {
                short: format::date_short(&v.tr, *d),
                long: format::date_long(&v.tr, *d),
                href: format!("/?date={}", iso(*d)),
                today: *d == today,
            })
            .collect(),
        rows,
        filters,
    };
    let size = 8192 + 7 * 600 * page.rows.len() + 300 * count;
    Ok(render_sized(StatusCode::OK, &page, v.flash.is_some(), size))
}

pub struct MonthDay {
    pub day: u32,
    pub long: String,
    pub href: String,
    pub entries: Vec<Entry>,
    pub more: usize,
    pub today: bool,
    pub outside: bool,
}

#[derive(Template)]
#[template(path = "room_month.html")]
struct MonthPage {
    ctx: Ctx,
    heading: String,
    room: Room,
    weekdays: Vec<(&'static str, &'static str)>,
    weeks: Vec<Vec<MonthDay>>,
}

pub async fn room_month(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<RoomId>,
    Query(q): Query<MonthQuery>,
) -> PageResult {
    let v = &m.viewer;
    let today = today(v);
    let month = match q.month.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => calendar::first_of_month(today),
        Some(raw) => parse_month(raw).ok_or_else(|| bad_parameter(v, "views_bad_month", raw))?,
    };
    let room = state.rooms.get(&m.actor(), id).map_err(fail(v))?;
    let grid = calendar::month_grid(month);
    let days: Vec<NaiveDate> = grid.iter().flatten().copied().collect();
    let (first, last) = (days[0], days[days.len() - 1]);
    let mut items =
        state.reservations.live_in(&m.actor(), id, calendar::days_window(v.tz, first, last)).map_err(fail(v))?;
    items.sort_by_key(|r| r.start);
    let ranges: Vec<TimeRange> = items.iter().map(|r| r.range()).collect();
    let buckets = calendar::bucket_by_day(v.tz, &days, &ranges);
    let mut cells = days.iter().zip(buckets).map(|(d, on_day)| {
        let w = calendar::day_window(v.tz, *d);
        MonthDay {
            day: d.day(),
            long: format::date_long(&v.tr, *d),
            href: format!("/?date={}", iso(*d)),
            entries: on_day.iter().take(LISTED).map(|i| entry(v, &m, &items[*i], w)).collect(),
            more: on_day.len().saturating_sub(LISTED),
            today: *d == today,
            outside: d.month() != month.month(),
        }
    });
    let weeks = grid.iter().map(|_| cells.by_ref().take(7).collect()).collect();
    let page = MonthPage {
        ctx: Ctx::new(v, "rooms"),
        heading: v.tr.f("views_month_heading", &[("room", &room.name), ("month", &month_title(&v.tr, month))]),
        room,
        weekdays: weekday_names(&v.tr),
        weeks,
    };
    Ok(render_sized(StatusCode::OK, &page, v.flash.is_some(), 16384 + 300 * items.len()))
}

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    ctx: Ctx,
}

/// The views and the keyboard shortcuts; open to everyone, like the sign-in page.
pub async fn help(v: Viewer) -> PageResult {
    Ok(render(StatusCode::OK, &HelpPage { ctx: Ctx::new(&v, "help") }, v.flash.is_some()))
}
