//! The booking form's day panel: the chosen room's day as a compact column of busy blocks and
//! free slots. A free slot is a link that reloads the form prefilled with it; `static/bookday.js`
//! fills the times in place instead. `/book/day` serves the panel alone, for htmx to swap in
//! when the room or the date changes.

use super::format::{self, day_start};
use super::session::Member;
use super::timeline::{grid_for, shown};
use super::{Ctx, render};
use crate::reservations::ReservationError;
use crate::reservations::dayplan::{self, Entry};
use crate::types::{RoomId, TimeRange};
use crate::web::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

/// The slot a free gap offers when clicked without the script (which keeps the form's length).
const SLOT_MINUTES: i64 = 60;

#[derive(Default)]
pub struct Panel {
    /// "Sala Norte · Tuesday 8 December"; empty when no room is chosen.
    pub heading: String,
    pub rows: Vec<PanelRow>,
}

pub struct PanelRow {
    pub free: bool,
    pub when: String,
    /// A busy block's title; empty for a free slot.
    pub title: String,
    /// Height class (`q1`…`q8`): quarter hours, capped, so the column reads like a day.
    pub size: i64,
    /// A free slot: the form prefilled with it, and the gap's bounds for the script.
    pub href: String,
    pub start: String,
    pub end: String,
    pub end_date: String,
}

/// The panel for `room` on `date` (as the form has them: possibly empty or invalid).
pub fn panel(state: &AppState, m: &Member, room: &str, date: &str) -> Result<Panel, ReservationError> {
    let v = &m.viewer;
    let (Ok(room), Ok(day)) = (room.parse::<RoomId>(), NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")) else {
        return Ok(Panel::default());
    };
    let actor = m.actor();
    if !state.groups.may_see(&actor, room) {
        return Ok(Panel::default());
    }
    let window = TimeRange::new(day_start(v.tz, day), day_start(v.tz, day + Duration::days(1)));
    let bookings = state.reservations.live_in(&actor, room, window)?;
    let refs: Vec<&crate::model::reservation::Reservation> = bookings.iter().map(|r| &**r).collect();
    let now = crate::clock::now();
    let grid = grid_for(v.tz, day, &refs, now);
    let shown = shown(&grid, v.tz, day);
    let availability = state.reservations.room_availability(room, shown)?;
    let gaps = dayplan::open_gaps(&availability.free, now);
    let busy: Vec<TimeRange> = bookings.iter().map(|r| r.range()).collect();
    let quarters = |r: TimeRange| ((r.end.min(shown.end) - r.start.max(shown.start)).num_minutes() / 15).clamp(1, 8);
    let rows = dayplan::day_entries(&busy, &gaps)
        .into_iter()
        .map(|e| match e {
            Entry::Busy(i, r) => PanelRow {
                free: false,
                when: format::range(&v.tr, v.tz, r.start, r.end),
                title: bookings[i].title.clone(),
                size: quarters(r),
                href: String::new(),
                start: String::new(),
                end: String::new(),
                end_date: String::new(),
            },
            Entry::Free(g) => {
                let slot = dayplan::slot_in(g, Duration::minutes(SLOT_MINUTES));
                let (date, start, end) = super::booking::local_parts(v, slot.start, slot.end);
                let gap_end = super::booking::local_parts(v, g.start, g.end);
                PanelRow {
                    free: true,
                    when: format::range(&v.tr, v.tz, g.start, g.end),
                    title: String::new(),
                    size: quarters(g),
                    href: format!("/book?room={room}&date={date}&start={start}&end={end}"),
                    start: gap_end.1,
                    end: gap_end.2,
                    end_date: format::local(v.tz, g.end).format("%Y-%m-%d").to_string(),
                }
            }
        })
        .collect();
    let name = availability.room.name;
    Ok(Panel { heading: format!("{name} · {}", format::date_long(&v.tr, day)), rows })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PanelQuery {
    room: String,
    date: String,
}

#[derive(Template)]
#[template(path = "_book_day.html")]
struct PanelFragment {
    ctx: Ctx,
    panel: Panel,
}

/// `/book/day?room=&date=`: the panel alone.
pub async fn fragment(State(state): State<AppState>, m: Member, Query(q): Query<PanelQuery>) -> Response {
    let v = &m.viewer;
    match panel(&state, &m, &q.room, &q.date) {
        Ok(panel) => render(StatusCode::OK, &PanelFragment { ctx: Ctx::new(v, "book"), panel }, false),
        Err(e) => super::error_page(v, e.into()),
    }
}
