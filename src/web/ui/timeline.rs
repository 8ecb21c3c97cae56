//! The day timeline: rooms as rows, time as columns, bookings as blocks. The grid has one
//! column per quarter hour; blocks are placed with CSS classes (`s5 e9`), never inline styles,
//! so the page keeps a strict content security policy. The same rows carry each room's free
//! gaps in time order with the bookings: hidden on a desktop, they make the phone's agenda.

use super::format::{self, day_start};
use super::room_filter::{FilterForm, RoomFilter};
use super::session::{Member, Viewer};
use super::{Ctx, PageResult, fail, render_sized};
use crate::model::reservation::Reservation;
use crate::model::room::Room;
use crate::reservations::dayplan::{self, Entry};
use crate::types::{ReservationId, RoomId, TimeRange, UserId};
use crate::web::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

const SLOT_MINUTES: i64 = 15;
const FIRST_HOUR: u32 = 7;
const LAST_HOUR: u32 = 21;

/// One row of the grid: a room on a day, or a day of a room.
pub struct Track<'a> {
    pub label: String,
    pub sublabel: String,
    pub href: String,
    pub room_id: String,
    pub date: String,
    /// Bookings and (on the day page) free gaps, in time order.
    pub items: Vec<Item<'a>>,
    pub book_href: String,
    /// Where the "now" line goes, on today's track.
    pub now_cols: Option<String>,
}

pub enum Item<'a> {
    Block(Block<'a>),
    Gap(Gap),
}

/// A free gap of a room within its opening hours, as a link to the form prefilled with it.
pub struct Gap {
    pub when: String,
    pub href: String,
}

/// Borrows the reservation's title and the owner's name: copying them was two allocations a
/// block, on a page that may draw hundreds.
pub struct Block<'a> {
    /// The page writes the links from it (formatting them here was a tenth of the timeline's
    /// time: two allocations and two UUID formats per block).
    pub id: ReservationId,
    pub title: &'a str,
    pub when: String,
    pub owner: &'a str,
    /// For the details popover.
    pub room: &'a str,
    pub range: TimeRange,
    pub mine: bool,
    /// Waiting for approval: drawn hatched and labelled, so it reads as held but not yet booked.
    pub pending: bool,
    /// "Pending approval" (translated) for a pending block, else empty.
    pub status_label: String,
    /// Whether it carries the anchor `r-{id}`: on the day the reservation starts (so each id
    /// is unique on a page). The booking form sends the browser back to `/?date=…#r-{id}`,
    /// which scrolls to the new block.
    pub anchored: bool,
    /// The grid columns it spans (CSS classes `s{start} e{end}`, 1-based).
    pub start_col: i64,
    pub end_col: i64,
}

/// The hours a grid shows, widened to include any booking outside the usual day.
pub struct Grid {
    pub first_hour: u32,
    pub last_hour: u32,
    pub hours: Vec<(String, String)>,
    pub now_cols: Option<String>,
}

impl Grid {
    pub fn slots(&self) -> i64 {
        i64::from(self.last_hour - self.first_hour) * 60 / SLOT_MINUTES
    }
}

pub fn grid_for(tz: Tz, day: NaiveDate, bookings: &[&Reservation], now: DateTime<Utc>) -> Grid {
    let (mut first, mut last) = (FIRST_HOUR, LAST_HOUR);
    for r in bookings {
        let (s, e) = (format::local(tz, r.start), format::local(tz, r.end));
        let ends_at_midnight = e.hour() == 0 && e.minute() == 0 && e.date_naive() == s.date_naive() + Duration::days(1);
        if s.date_naive() == e.date_naive() || ends_at_midnight {
            first = first.min(s.hour());
            last = last.max(if ends_at_midnight {
                24
            } else if e.minute() > 0 {
                e.hour() + 1
            } else {
                e.hour()
            });
        } else {
            // Spans midnight: show the whole day.
            (first, last) = (0, 24);
        }
    }
    Grid::new(tz, day, first, last, now)
}

impl Grid {
    pub fn new(tz: Tz, day: NaiveDate, first: u32, last: u32, now: DateTime<Utc>) -> Grid {
        let hours = (first..last).map(|h| (format!("{h:02}:00"), cols(0, 4, (h - first) as i64 * 4))).collect();
        let mut g = Grid { first_hour: first, last_hour: last, hours, now_cols: None };
        if format::local(tz, now).date_naive() == day {
            let slot = slot_of(&g, tz, day, now);
            if slot >= 0 && slot < g.slots() {
                g.now_cols = Some(cols(slot, slot + 1, 0));
            }
        }
        g
    }
}

fn grid_start(g: &Grid, tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    day_start(tz, day) + Duration::hours(g.first_hour.into())
}

fn slot_of(g: &Grid, tz: Tz, day: NaiveDate, t: DateTime<Utc>) -> i64 {
    (t - grid_start(g, tz, day)).num_minutes().div_euclid(SLOT_MINUTES)
}

/// Grid-column classes for slots `[a, b)`, shifted by `offset`. Columns are 1-based.
fn cols(a: i64, b: i64, offset: i64) -> String {
    format!("s{} e{}", a + offset + 1, b + offset + 1)
}

pub fn blocks<'a>(
    g: &Grid,
    v: &super::session::Viewer,
    day: NaiveDate,
    rs: &[&'a Reservation],
    names: &'a HashMap<UserId, String>,
    me: UserId,
    room: &'a str,
) -> Vec<Block<'a>> {
    let tz = v.tz;
    // Once per row, not per block: each is a time-zone conversion.
    let (origin, midnight) = (grid_start(g, tz, day), day_start(tz, day));
    rs.iter()
        .filter_map(|r| {
            let a = (r.start - origin).num_minutes().div_euclid(SLOT_MINUTES).max(0);
            let end_minutes = (r.end - origin).num_minutes();
            let b = ((end_minutes + SLOT_MINUTES - 1).div_euclid(SLOT_MINUTES)).min(g.slots());
            (b > a).then(|| Block {
                id: r.id,
                title: &r.title,
                when: format::range(&v.tr, tz, r.start, r.end),
                owner: names.get(&r.user_id).map_or("", String::as_str),
                room,
                range: r.range(),
                mine: r.user_id == me,
                pending: r.status == crate::model::reservation::Status::Pending,
                status_label: super::mine::status_label(v, r.status),
                anchored: r.start >= midnight,
                start_col: a + 1,
                end_col: b.max(a + 1) + 1,
            })
        })
        .collect()
}

/// The instants the grid of `day` shows.
pub fn shown(g: &Grid, tz: Tz, day: NaiveDate) -> TimeRange {
    TimeRange::new(grid_start(g, tz, day), day_start(tz, day) + Duration::hours(g.last_hour.into()))
}

/// A room's blocks and free `gaps` merged in time order.
pub fn with_gaps<'a>(v: &Viewer, blocks: Vec<Block<'a>>, gaps: &[TimeRange], room: RoomId) -> Vec<Item<'a>> {
    let ranges: Vec<TimeRange> = blocks.iter().map(|b| b.range).collect();
    let mut blocks: Vec<Option<Block<'a>>> = blocks.into_iter().map(Some).collect();
    dayplan::day_entries(&ranges, gaps)
        .into_iter()
        .filter_map(|e| match e {
            Entry::Busy(i, _) => blocks[i].take().map(Item::Block),
            Entry::Free(g) => Some(Item::Gap(gap_link(v, room, g))),
        })
        .collect()
}

/// The booking form prefilled with `room` and the gap `g`.
pub fn gap_link(v: &Viewer, room: RoomId, g: TimeRange) -> Gap {
    let (date, start, end) = super::booking::local_parts(v, g.start, g.end);
    Gap {
        when: format::range(&v.tr, v.tz, g.start, g.end),
        href: format!("/book?room={room}&date={date}&start={start}&end={end}"),
    }
}

#[derive(Deserialize, Default)]
pub struct DayQuery {
    date: Option<String>,
    #[serde(flatten)]
    filter: RoomFilter,
}

#[derive(Template)]
#[template(path = "timeline.html")]
struct DayPage<'a> {
    ctx: Ctx,
    heading: String,
    grid: Grid,
    tracks: Vec<Track<'a>>,
    slots: i64,
    filters: FilterForm,
}

pub async fn day(State(state): State<AppState>, m: Member, Query(q): Query<DayQuery>) -> PageResult {
    let v = &m.viewer;
    let now = crate::clock::now();
    let today = format::local(v.tz, now).date_naive();
    let day = q.date.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).unwrap_or(today);
    let all_rooms = state.groups.visible(&m.actor(), state.rooms.list(false).map_err(fail(v))?);
    let rooms: Vec<Room> = q.filter.apply(&all_rooms).into_iter().cloned().collect();
    let (from, to) = (day_start(v.tz, day), day_start(v.tz, day + Duration::days(1)));
    let (actor, window) = (m.actor(), TimeRange::new(from, to));
    let mut by_room: Vec<(Room, Vec<Arc<Reservation>>)> = Vec::new();
    for room in rooms {
        let items = state.reservations.live_in(&actor, room.id, window).map_err(fail(v))?;
        by_room.push((room, items));
    }
    let everything: Vec<&Reservation> = by_room.iter().flat_map(|(_, rs)| rs.iter().map(|r| &**r)).collect();
    let grid = grid_for(v.tz, day, &everything, now);
    let names = state.users.names().map_err(fail(v))?;
    let date = day.format("%Y-%m-%d").to_string();
    let shown = shown(&grid, v.tz, day);
    let mut tracks = Vec::with_capacity(by_room.len());
    for (room, rs) in &by_room {
        let refs: Vec<&Reservation> = rs.iter().map(|r| &**r).collect();
        let free = state.reservations.room_availability(room.id, shown).map_err(fail(v))?.free;
        let gaps = dayplan::open_gaps(&free, now);
        let blocks = blocks(&grid, v, day, &refs, &names, m.me.user.id, &room.name);
        tracks.push(Track {
            label: room.name.clone(),
            sublabel: format!("{} · {}", room.capacity, room.location).trim_end_matches(" · ").to_string(),
            href: format!("/rooms/{}", room.id),
            room_id: room.id.to_string(),
            date: date.clone(),
            items: with_gaps(v, blocks, &gaps, room.id),
            book_href: format!("/book?room={}&date={date}", room.id),
            now_cols: grid.now_cols.clone(),
        });
    }
    let filters = q.filter.form(&state, v, "/", date, &all_rooms)?;
    let page = DayPage {
        ctx: Ctx::new(v, "timeline"),
        heading: format::date_long(&v.tr, day),
        slots: grid.slots(),
        grid,
        tracks,
        filters,
    };
    let size = page_size(by_room.len(), everything.len());
    Ok(render_sized(StatusCode::OK, &page, v.flash.is_some(), size))
}

/// Bytes enough for a timeline page of `tracks` rows and `blocks` bookings (a block with its
/// details popover takes ~850, a row with its free gaps ~1400), so the page renders into one
/// buffer instead of growing one by copies.
pub fn page_size(tracks: usize, blocks: usize) -> usize {
    8192 + 1408 * tracks + 896 * blocks
}
