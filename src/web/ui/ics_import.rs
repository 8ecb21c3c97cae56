//! `/rooms/{id}/import`: a calendar file into a room from the browser. The file is read into the
//! form's text area (static/icsimport.js; pasting works without it), posted as an ordinary form
//! through the one CSRF guard, and answered first with the dry run's report; Confirm posts the
//! same text again to book it. The work is `calendars::import`, as for the API.

use super::session::{Member, Viewer};
use super::{Ctx, PageResult, fail, render};
use crate::calendars::CalendarError;
use crate::calendars::import::{ImportOptions, ImportReport, Skip};
use crate::reservations::series::OnConflict;
use crate::types::RoomId;
use crate::web::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono_tz::Tz;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "ics_import.html")]
struct ImportPage {
    ctx: Ctx,
    room_id: String,
    room: String,
    ics: String,
    skip: bool,
    /// The dry run's report (Confirm offered) or the real run's (done).
    report: Option<Shown>,
    done: bool,
    /// The file could not be read, or (with "book nothing") something clashes.
    error: String,
}

struct Shown {
    created: usize,
    updated: usize,
    unchanged: usize,
    skipped: Vec<Row>,
}

struct Row {
    uid: String,
    when: String,
    reason: String,
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    ics: String,
    #[serde(default)]
    on_conflict: String,
    /// Present on the Confirm button: book for real.
    #[serde(default)]
    confirm: Option<String>,
}

pub async fn page(State(state): State<AppState>, m: Member, Path(id): Path<RoomId>) -> PageResult {
    let v = &m.viewer;
    let room = state.rooms.get(&m.actor(), id).map_err(fail(v))?;
    let page = blank(v, id, room.name);
    Ok(render(StatusCode::OK, &page, v.flash.is_some()))
}

pub async fn submit(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<RoomId>,
    Form(f): Form<ImportForm>,
) -> PageResult {
    let v = &m.viewer;
    let room = state.rooms.get(&m.actor(), id).map_err(fail(v))?;
    let zone: Tz = room.timezone.parse().unwrap_or(Tz::UTC);
    let skip = f.on_conflict == "skip";
    let options = ImportOptions {
        on_conflict: if skip { OnConflict::Skip } else { OnConflict::Fail },
        dry_run: f.confirm.is_none(),
    };
    let mut page = blank(v, id, room.name);
    page.skip = skip;
    page.done = !options.dry_run;
    // Refused as the API refuses it: an unreadable file is a 400, clashes with "book nothing" a 409.
    let status = match state.calendars.import(&m.actor(), id, &f.ics, options).await {
        Ok(report) => {
            page.report = Some(shown(zone, report));
            StatusCode::OK
        }
        Err(CalendarError::BadData(why)) => {
            page.error = v.tr.f("import_unreadable", &[("why", &why)]);
            StatusCode::BAD_REQUEST
        }
        Err(CalendarError::ImportClashes(list)) => {
            page.error = v.tr.t("import_clashes").to_string();
            page.report = Some(shown(zone, ImportReport { skipped: list, ..ImportReport::default() }));
            StatusCode::CONFLICT
        }
        Err(e) => return Err(fail(v)(e)),
    };
    // A booked file is not offered again; a refused or previewed one stays in the form.
    if !page.done || page.report.is_none() {
        page.ics = f.ics;
    }
    Ok(render(status, &page, v.flash.is_some()))
}

fn blank(v: &Viewer, id: RoomId, room: String) -> ImportPage {
    ImportPage {
        ctx: Ctx::new(v, "rooms"),
        room_id: id.to_string(),
        room,
        ics: String::new(),
        skip: false,
        report: None,
        done: false,
        error: String::new(),
    }
}

fn shown(zone: Tz, r: ImportReport) -> Shown {
    let row = |s: &Skip| Row {
        uid: s.uid.clone(),
        when: s.start.map(|t| t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
        reason: s.reason.clone(),
    };
    Shown {
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
        skipped: r.skipped.iter().map(row).collect(),
    }
}
