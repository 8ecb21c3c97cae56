//! "Find a room": a form (day, from, to, people, words) whose results link to the booking form
//! prefilled, with the alternatives when nothing fits; and the header's live search.

use super::format;
use super::session::Member;
use super::{Ctx, PageResult, fail, render};
use crate::model::room::Room;
use crate::search::finder::{self, Miss, Request};
use crate::types::TimeRange;
use crate::web::AppState;
use crate::web::api::search::{SearchHitDto, hits};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::Duration;
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FindForm {
    q: String,
    date: String,
    start: String,
    end: String,
    capacity: String,
}

/// A room on the results, with the link that books it for the window shown.
pub struct Offer {
    pub room: Room,
    pub when: String,
    pub book: String,
    /// For a near miss: what it lacks, in words.
    pub note: String,
}

#[derive(Template)]
#[template(path = "find.html")]
struct FindPage {
    ctx: Ctx,
    f: FindForm,
    /// False until the form is sent.
    searched: bool,
    error: String,
    rooms: Vec<Offer>,
    next_windows: Vec<Offer>,
    near_misses: Vec<Offer>,
}

#[derive(Template)]
#[template(path = "_search_results.html")]
struct LiveResults {
    ctx: Ctx,
    q: String,
    hits: Vec<SearchHitDto>,
}

/// `/find?q=&date=&start=&end=&capacity=`
pub async fn page(State(state): State<AppState>, m: Member, Query(mut f): Query<FindForm>) -> PageResult {
    let v = &m.viewer;
    let searched = !f.date.is_empty();
    let now = format::local(v.tz, crate::clock::now());
    if f.date.is_empty() {
        f.date = now.format("%Y-%m-%d").to_string();
    }
    if f.start.is_empty() {
        f.start = (now + Duration::hours(1)).format("%H:00").to_string();
    }
    if f.end.is_empty() {
        f.end = (now + Duration::hours(2)).format("%H:00").to_string();
    }
    let mut page = FindPage {
        ctx: Ctx::new(v, "find"),
        f,
        searched,
        error: String::new(),
        rooms: vec![],
        next_windows: vec![],
        near_misses: vec![],
    };
    if searched {
        let window = format::parse_local(v.tz, &page.f.date, &page.f.start)
            .and_then(|s| format::parse_local(v.tz, &page.f.date, &page.f.end).map(|e| TimeRange::new(s, e)));
        let capacity = page.f.capacity.trim();
        let capacity =
            if capacity.is_empty() { Ok(1) } else { capacity.parse::<u32>().map_err(|_| "find_bad_capacity") };
        match (window, capacity) {
            (Ok(window), Ok(capacity)) if window.end > window.start => {
                let request = Request { capacity, text: page.f.q.clone(), resources: vec![] };
                let answer = finder::find(
                    &state.search,
                    &state.store,
                    state.rooms.global_policy(),
                    &m.actor(),
                    window,
                    &request,
                )
                .await
                .map_err(fail(v))?;
                let offer = |room: Room, w: TimeRange, note: String| offer(&m, room, w, note);
                page.rooms = answer.rooms.into_iter().map(|r| offer(r, window, String::new())).collect();
                page.next_windows =
                    answer.next_windows.into_iter().map(|n| offer(n.room, n.window, String::new())).collect();
                page.near_misses =
                    answer.near_misses.into_iter().map(|n| offer(n.room, window, miss_text(&m, &n.miss))).collect();
            }
            (Err(key), _) | (_, Err(key)) => page.error = v.tr.t(key).to_string(),
            _ => page.error = v.tr.t("find_end_before_start").to_string(),
        }
    }
    Ok(render(StatusCode::OK, &page, v.flash.is_some()))
}

fn offer(m: &Member, room: Room, w: TimeRange, note: String) -> Offer {
    let tz = m.viewer.tz;
    let (start, end) = (format::local(tz, w.start), format::local(tz, w.end));
    let book = format!(
        "/book?room={}&date={}&start={}&end={}",
        room.id,
        start.format("%Y-%m-%d"),
        start.format("%H:%M"),
        end.format("%H:%M")
    );
    Offer { when: format::range(&m.viewer.tr, tz, w.start, w.end), book, room, note }
}

fn miss_text(m: &Member, miss: &Miss) -> String {
    let tr = &m.viewer.tr;
    match miss {
        Miss::Capacity { seats } => tr.f("find_miss_capacity", &[("n", &seats.to_string())]),
        Miss::Resource { name } => tr.f("find_miss_resource", &[("name", name)]),
        Miss::Text => tr.t("find_miss_text").to_string(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LiveQuery {
    q: String,
}

/// `/search/live?q=`: the header's results as the person types (an htmx fragment).
pub async fn live(State(state): State<AppState>, m: Member, Query(q): Query<LiveQuery>) -> PageResult {
    let v = &m.viewer;
    let found =
        if q.q.trim().is_empty() { vec![] } else { hits(&state, &m.actor(), &q.q, None, 8).await.map_err(fail(v))? };
    Ok(render(StatusCode::OK, &LiveResults { ctx: Ctx::new(v, ""), q: q.q, hits: found }, false))
}
