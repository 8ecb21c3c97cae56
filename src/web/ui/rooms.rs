//! The room directory and a room's page with this week's bookings.

use super::format::{self, day_start};
use super::session::Member;
use super::timeline::{Grid, Item, Track, blocks, grid_for, page_size};
use super::{Ctx, PageResult, fail, render, render_sized};
use crate::model::reservation::Reservation;
use crate::model::room::Room;
use crate::reservations::ListQuery;
use crate::types::RoomId;
use crate::web::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;

pub struct Card {
    pub room: Room,
    pub equipment: Vec<String>,
}

#[derive(Template)]
#[template(path = "rooms.html")]
struct DirectoryPage {
    ctx: Ctx,
    cards: Vec<Card>,
    q: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DirectoryQuery {
    q: String,
}

fn equipment_of(state: &AppState, room: &Room) -> Vec<String> {
    let all = state.rooms.resources().unwrap_or_default();
    all.into_iter().filter(|r| room.resources.contains(&r.id)).map(|r| r.name).collect()
}

pub async fn directory(State(state): State<AppState>, m: Member, Query(q): Query<DirectoryQuery>) -> PageResult {
    let v = &m.viewer;
    let needle = q.q.trim().to_lowercase();
    let rooms = state.groups.visible(&m.actor(), state.rooms.list(false).map_err(fail(v))?);
    let cards = rooms
        .into_iter()
        .map(|room| Card { equipment: equipment_of(&state, &room), room })
        .filter(|c| {
            needle.is_empty()
                || format!("{} {} {} {}", c.room.name, c.room.location, c.room.description, c.equipment.join(" "))
                    .to_lowercase()
                    .contains(&needle)
        })
        .collect();
    Ok(render(StatusCode::OK, &DirectoryPage { ctx: Ctx::new(v, "rooms"), cards, q: q.q }, v.flash.is_some()))
}

#[derive(Template)]
#[template(path = "room.html")]
struct RoomPage<'a> {
    ctx: Ctx,
    card: Card,
    grid: Grid,
    slots: i64,
    tracks: Vec<Track<'a>>,
    week_label: String,
    prev: String,
    next: String,
    /// A QR code of this page's address, to open it on a phone.
    qr: String,
    /// Opening hours by weekday (empty: bookable at any time) and the coming closures.
    hours: Vec<(String, String)>,
    closures: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WeekQuery {
    week: String,
}

pub async fn room_page(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<RoomId>,
    Query(q): Query<WeekQuery>,
    headers: axum::http::HeaderMap,
) -> PageResult {
    let v = &m.viewer;
    let room = state.rooms.get(&m.actor(), id).map_err(fail(v))?;
    let now = crate::clock::now();
    let today = format::local(v.tz, now).date_naive();
    let any_day = NaiveDate::parse_from_str(&q.week, "%Y-%m-%d").unwrap_or(today);
    let monday = any_day - Duration::days(any_day.weekday().num_days_from_monday().into());
    let days: Vec<NaiveDate> = (0..7).map(|i| monday + Duration::days(i)).collect();
    let query = ListQuery {
        room: Some(id),
        user: None,
        mine: false,
        from: Some(day_start(v.tz, monday)),
        to: Some(day_start(v.tz, monday + Duration::days(7))),
        include_cancelled: false,
        cursor: None,
        limit: 500,
    };
    let week = state.reservations.list(&m.actor(), query).map_err(fail(v))?.items;
    let all: Vec<&Reservation> = week.iter().collect();
    // One grid for the week, wide enough for every day's bookings (the header shows no "now").
    let mut grid = grid_for(v.tz, monday, &all, now);
    grid.now_cols = None;
    let names = state.users.names().map_err(fail(v))?;
    let room_name = room.name.clone();
    let tracks = days
        .iter()
        .map(|d| {
            let (from, to) = (day_start(v.tz, *d), day_start(v.tz, *d + Duration::days(1)));
            let on_day: Vec<&Reservation> = week.iter().filter(|r| r.start < to && r.end > from).collect();
            let grid_day = Grid::new(v.tz, *d, grid.first_hour, grid.last_hour, now);
            let date = d.format("%Y-%m-%d").to_string();
            Track {
                label: format::date_short(&v.tr, *d),
                sublabel: String::new(),
                href: format!("/?date={date}"),
                room_id: id.to_string(),
                items: blocks(&grid_day, v, *d, &on_day, &names, m.me.user.id, &room_name)
                    .into_iter()
                    .map(Item::Block)
                    .collect(),
                book_href: format!("/book?room={id}&date={date}"),
                now_cols: grid_day.now_cols.clone(),
                date,
            }
        })
        .collect();
    let room_url = format!("{}/rooms/{id}", crate::web::api::displays::origin(&headers));
    let policy = state.rooms.effective_policy(&room).map_err(fail(v))?;
    let closures = policy
        .blackouts
        .iter()
        .filter(|b| b.last() >= today)
        .take(5)
        .map(|b| match b.to.filter(|to| *to != b.from) {
            Some(to) => {
                format!("{} – {}: {}", format::date_short(&v.tr, b.from), format::date_short(&v.tr, to), b.reason)
            }
            None => format!("{}: {}", format::date_short(&v.tr, b.from), b.reason),
        })
        .collect();
    let page = RoomPage {
        hours: super::admin_policies::hours_rows(v, &policy),
        closures,
        qr: super::qr::svg(&room_url, v.tr.t("display_qr_label")),
        ctx: Ctx::new(v, "rooms"),
        card: Card { equipment: equipment_of(&state, &room), room },
        slots: grid.slots(),
        grid,
        tracks,
        week_label: v.tr.f("week_of", &[("date", &format::date_long(&v.tr, monday))]),
        prev: (monday - Duration::days(7)).format("%Y-%m-%d").to_string(),
        next: (monday + Duration::days(7)).format("%Y-%m-%d").to_string(),
    };
    Ok(render_sized(StatusCode::OK, &page, v.flash.is_some(), page_size(days.len(), week.len())))
}
