//! The waitlist in the UI: "join the waitlist" from a booking form whose slot is taken, and the
//! entries on "my reservations" with what became of them and a button to leave.

use super::booking::{BookForm, parse_times};
use super::format;
use super::session::{Member, Viewer};
use super::{PageResult, fail, redirect_with};
use crate::access::Actor;
use crate::model::wait::WaitStatus;
use crate::types::WaitId;
use crate::waitlist::Join;
use crate::web::AppState;
use crate::web::problem::Problem;
use axum::Form;
use axum::extract::{Path, State};

/// An entry as "my reservations" lists it.
pub struct WaitRow {
    pub id: String,
    pub room: String,
    pub when: String,
    /// `waiting`, `booked` or `refused` (a CSS class and a test hook).
    pub status: &'static str,
    pub status_label: String,
    /// Why the rules refused to book it.
    pub reason: String,
}

pub fn rows(state: &AppState, v: &Viewer, actor: &Actor) -> Result<Vec<WaitRow>, Problem> {
    let view = state.store.view()?;
    let mut out = Vec::new();
    for e in state.waitlist.mine(actor)? {
        let (status, key) = match e.status {
            WaitStatus::Booked => ("booked", "waitlist_booked"),
            WaitStatus::Refused => ("refused", "waitlist_refused"),
            _ => ("waiting", "waitlist_waiting"),
        };
        out.push(WaitRow {
            id: e.id.to_string(),
            room: view.room(e.room_id)?.map(|r| r.name).unwrap_or_default(),
            when: format!(
                "{}, {}",
                format::date_long(&v.tr, format::local(v.tz, e.start).date_naive()),
                format::range(&v.tr, v.tz, e.start, e.end)
            ),
            status,
            status_label: v.tr.t(key).to_string(),
            reason: e.reason.unwrap_or_default(),
        });
    }
    Ok(out)
}

/// The booking form's "join the waitlist" button: the same fields, posted here.
pub async fn join(State(state): State<AppState>, m: Member, Form(f): Form<BookForm>) -> PageResult {
    let v = &m.viewer;
    let Ok(room_id) = f.room.trim().parse() else {
        return Err(fail(v)(Problem::not_found("room")));
    };
    let range = match parse_times(v, &f) {
        Ok(r) => r,
        Err(errors) => {
            return Ok(redirect_with("/book", errors.first()));
        }
    };
    let join = Join { room_id, title: f.title.clone(), start: range.start, end: range.end };
    state.waitlist.join(&m.actor(), join).await.map_err(fail(v))?;
    Ok(redirect_with("/my#waitlist", v.tr.t("waitlist_joined")))
}

pub async fn leave(State(state): State<AppState>, m: Member, Path(id): Path<WaitId>) -> PageResult {
    let v = &m.viewer;
    state.waitlist.leave(&m.actor(), id).await.map_err(fail(v))?;
    Ok(redirect_with("/my#waitlist", v.tr.t("waitlist_left")))
}
