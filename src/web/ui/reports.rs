//! The reports page (managers and admins): a date range and room/location filters, the figures
//! with server-drawn SVG charts, and export links that download the same figures as files.

use super::report_charts::{self, Bar, HeatCell, HeatRow, RoomBar};
use super::session::Member;
use super::{Ctx, PageResult, fail, render};
use crate::access::Action;
use crate::reports::Scope;
use crate::reports::export;
use crate::reports::model::Report;
use crate::types::RoomId;
use crate::web::AppState;
use crate::web::api::reports::{Format, ReportQuery, answer};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

const DAY_KEYS: [&str; 7] = ["day_mon", "day_tue", "day_wed", "day_thu", "day_fri", "day_sat", "day_sun"];

/// The filter form; dates are days in the report's zone, `to` included.
#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    room: String,
    #[serde(default)]
    location: String,
}

struct Resolved {
    scope: Scope,
    from: NaiveDate,
    to: NaiveDate,
    room: String,
    location: String,
}

/// Reads the form; missing or unreadable dates fall back to the last 30 days.
fn resolve(state: &AppState, f: &Filters) -> Resolved {
    let settings = state.reports.settings();
    let today = crate::clock::now().with_timezone(&settings.zone).date_naive();
    let parse = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let to = parse(&f.to).unwrap_or(today);
    let from = parse(&f.from).filter(|d| *d <= to).unwrap_or(to - Duration::days(29));
    let room_id: Option<RoomId> = f.room.trim().parse().ok();
    let location = f.location.trim().to_string();
    let midnight = |d: NaiveDate| crate::reports::hours::local_instant(settings.zone, d, 0);
    Resolved {
        scope: Scope {
            from: midnight(from),
            to: midnight(to + Duration::days(1)),
            room_id,
            location: (!location.is_empty()).then(|| location.clone()),
        },
        from,
        to,
        room: room_id.map(|r| r.to_string()).unwrap_or_default(),
        location,
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    ctx: Ctx,
    from: String,
    to: String,
    room: String,
    location: String,
    rooms: Vec<(String, String)>,
    locations: Vec<String>,
    report: Report,
    room_bars: Vec<RoomBar>,
    columns: Vec<Bar>,
    /// The utilization the tallest column stands for.
    column_scale: String,
    heat: Vec<HeatCell>,
    heat_rows: Vec<HeatRow>,
    day_names: Vec<String>,
    short_days: Vec<String>,
    /// The filters as a query string, for the export links.
    query: String,
    subscriptions: Vec<super::report_subscriptions::SubRow>,
}

impl ReportsPage {
    fn pct(&self, v: &f64) -> String {
        format!("{:.1}%", v * 100.0)
    }

    fn num(&self, v: &f64) -> String {
        format!("{v:.1}")
    }

    fn day(&self, weekday: &u8) -> &str {
        self.day_names.get(usize::from(*weekday)).map(String::as_str).unwrap_or("")
    }
}

pub async fn page(State(state): State<AppState>, m: Member, Query(f): Query<Filters>) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ReadReports).map_err(fail(v))?;
    let r = resolve(&state, &f);
    let reports = state.reports.clone();
    let (actor, scope) = (m.actor(), r.scope.clone());
    let report = tokio::task::spawn_blocking(move || reports.report(&actor, &scope))
        .await
        .map_err(|e| fail(v)(crate::reports::ReportError::Export("report", e.to_string())))?
        .map_err(fail(v))?;
    let all_rooms = state.store.view().and_then(|view| view.rooms()).map_err(fail(v))?;
    let mut locations: Vec<String> =
        all_rooms.iter().map(|r| r.location.clone()).filter(|l| !l.trim().is_empty()).collect();
    locations.sort();
    locations.dedup();
    let day_names: Vec<String> = DAY_KEYS.iter().map(|k| v.tr.t(k).to_string()).collect();
    let query = serde_urlencoded::to_string([
        ("from", r.from.to_string()),
        ("to", r.to.to_string()),
        ("room", r.room.clone()),
        ("location", r.location.clone()),
    ])
    .unwrap_or_default();
    let room_bars = report_charts::room_bars(&report);
    let subscriptions =
        super::report_subscriptions::rows(&state, v, &m.actor()).map_err(|p| super::error_page(v, p))?;
    let page = ReportsPage {
        ctx: Ctx::new(v, "reports"),
        from: r.from.to_string(),
        to: r.to.to_string(),
        room: r.room,
        location: r.location,
        rooms: all_rooms.iter().map(|r| (r.id.to_string(), r.name.clone())).collect(),
        locations,
        room_bars,
        columns: report_charts::period_columns(&report),
        column_scale: report_charts::period_scale(&report),
        heat: report_charts::heatmap(&report, &day_names),
        heat_rows: report_charts::heat_table(&report, &day_names),
        short_days: report_charts::short_days(&day_names),
        day_names,
        query,
        report,
        subscriptions,
    };
    Ok(render(StatusCode::OK, &page, v.flash.is_some()))
}

/// `/reports/export/{section}?…&format=csv|xlsx|pdf`: the page's figures as a file.
pub async fn export(
    State(state): State<AppState>,
    m: Member,
    Path(section): Path<String>,
    Query(f): Query<Filters>,
    Query(fmt): Query<FormatParam>,
) -> Result<Response, Response> {
    let v = &m.viewer;
    m.actor().require(Action::ReadReports).map_err(fail(v))?;
    let r = resolve(&state, &f);
    let format = fmt.format.unwrap_or(Format::Csv);
    let reports = state.reports.clone();
    let (actor, scope) = (m.actor(), r.scope.clone());
    let q = ReportQuery::new(&r.scope, format);
    if section == "reservations" {
        return crate::web::api::reports::reservation_file(&state, actor, &q)
            .await
            .map_err(|p| super::error_page(v, p));
    }
    let report = tokio::task::spawn_blocking(move || reports.report(&actor, &scope))
        .await
        .map_err(|e| fail(v)(crate::reports::ReportError::Export("report", e.to_string())))?
        .map_err(fail(v))?;
    let table = match section.as_str() {
        "occupancy" => export::occupancy_table,
        "behaviour" => export::behaviour_table,
        _ => export::utilization_table,
    };
    answer(&q, &section, &report, Clone::clone, table).map_err(fail(v))
}

#[derive(Deserialize)]
pub struct FormatParam {
    format: Option<Format>,
}
