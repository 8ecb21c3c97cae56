//! Reports and analytics: utilization, occupancy, booking behaviour, and their exports (CSV,
//! XLSX, PDF). The figures are pure functions over plain rows (`compute`, `behaviour`); this
//! service only loads those rows from the store and applies the room and location filters.
//!
//! Open hours: each room's effective opening hours (global `[policies]`, its location's, its own)
//! minus its blackout days, in its zone; a room with no opening hours at any level is open the
//! configurable working day (`[reports]`, by default 08:00–18:00 Monday to Friday).
//! No-shows (reservations released because nobody checked in) and actual use (checked-in hours)
//! come from check-in; actual use is reported only where check-in data exists.

pub mod behaviour;
pub mod compute;
pub mod export;
pub mod hours;
pub mod model;
pub mod pdf;
pub mod subscriptions;

use crate::access::{Action, Actor, Denied};
use crate::model::reservation::{Reservation, Status};
use crate::store::{ListFilter, Store, StoreError};
use crate::types::{RoomId, TimeRange};
use crate::validation::FieldErrors;
use chrono::{DateTime, Duration, Utc};
use model::{BookingRow, Params, Report, RoomRow};
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("invalid report request: {0}")]
    Invalid(FieldErrors),
    #[error("no such room")]
    RoomNotFound,
    #[error("writing the {0} file failed: {1}")]
    Export(&'static str, String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The longest window a report covers: a little over a year, so "last 12 months" always fits.
pub const MAX_DAYS: i64 = 400;

pub use crate::model::report::Settings;

/// What a report is about.
#[derive(Clone, Debug)]
pub struct Scope {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub room_id: Option<RoomId>,
    pub location: Option<String>,
}

/// The rows behind a report: rooms in scope and every reservation of theirs in the window.
pub struct Rows {
    pub rooms: Vec<RoomRow>,
    pub reservations: Vec<Reservation>,
}

impl Rows {
    /// The reservations as report rows. Declined requests never became bookings, so they are
    /// left out of every figure (the reservation list export still shows them).
    pub fn bookings(&self) -> Vec<BookingRow> {
        self.reservations.iter().filter(|r| r.status != Status::Declined).map(booking_row).collect()
    }
}

pub fn booking_row(r: &Reservation) -> BookingRow {
    BookingRow {
        room_id: r.room_id,
        user_id: r.user_id,
        start: r.start,
        end: r.end,
        created_at: r.created_at,
        cancelled_at: (r.status == Status::Cancelled).then(|| r.cancelled_at.unwrap_or(r.updated_at)),
        people: u32::try_from(r.attendees.len()).unwrap_or(u32::MAX).saturating_add(1),
        no_show: r.status == Status::NoShow,
        checked_in: r.checked_in_at.is_some(),
    }
}

#[derive(Clone)]
pub struct Reports {
    store: Store,
    settings: Settings,
}

impl Reports {
    pub fn new(store: Store, settings: Settings) -> Reports {
        Reports { store, settings }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn check(&self, scope: &Scope) -> Result<(), ReportError> {
        let mut errors = FieldErrors::new();
        if scope.to <= scope.from {
            errors.add("to", "before-start", "`to` must be after `from`");
        } else if scope.to - scope.from > Duration::days(MAX_DAYS) {
            errors.add("to", "window-too-long", format!("a report covers at most {MAX_DAYS} days"));
        }
        if errors.is_empty() { Ok(()) } else { Err(ReportError::Invalid(errors)) }
    }

    /// The rooms and reservations a report of `scope` is computed from.
    pub fn rows(&self, actor: &Actor, scope: &Scope) -> Result<Rows, ReportError> {
        actor.require(Action::ReadReports)?;
        self.check(scope)?;
        let view = self.store.view()?;
        if let Some(id) = scope.room_id
            && view.room(id)?.is_none()
        {
            return Err(ReportError::RoomNotFound);
        }
        let location = scope.location.as_deref().map(str::trim).filter(|l| !l.is_empty());
        let rooms: Vec<RoomRow> = view
            .rooms()?
            .into_iter()
            .filter(|r| scope.room_id.is_none_or(|id| r.id == id))
            .filter(|r| location.is_none_or(|l| r.location.eq_ignore_ascii_case(l)))
            .map(|r| {
                Ok(RoomRow {
                    tz: r.timezone.parse().unwrap_or(self.settings.zone),
                    policy: view.room_policy(&self.settings.policy, &r)?,
                    id: r.id,
                    name: r.name,
                    location: r.location,
                    capacity: r.capacity,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let wanted: HashMap<RoomId, ()> = rooms.iter().map(|r| (r.id, ())).collect();
        let filter = ListFilter {
            room: scope.room_id,
            window: Some(TimeRange::new(scope.from, scope.to)),
            include_cancelled: true,
            limit: usize::MAX,
            ..ListFilter::default()
        };
        let mut reservations = view.list(&filter)?;
        reservations.retain(|r| wanted.contains_key(&r.room_id));
        Ok(Rows { rooms, reservations })
    }

    pub fn params(&self, scope: &Scope) -> Params {
        Params {
            from: scope.from,
            to: scope.to,
            working_day: self.settings.working_day,
            late_cancel: self.settings.late_cancel,
            zone: self.settings.zone,
        }
    }

    /// Every figure for `scope`, with the top bookers named.
    pub fn report(&self, actor: &Actor, scope: &Scope) -> Result<Report, ReportError> {
        let rows = self.rows(actor, scope)?;
        let mut report = compute_all(&rows.rooms, &rows.bookings(), &self.params(scope));
        let view = self.store.view()?;
        for booker in &mut report.behaviour.top_bookers {
            booker.name = match view.user(booker.user_id)? {
                Some(u) if u.name.trim().is_empty() => u.email,
                Some(u) => format!("{} <{}>", u.name, u.email),
                None => booker.user_id.to_string(),
            };
        }
        Ok(report)
    }
}

/// Every figure, from plain rows.
pub fn compute_all(rooms: &[RoomRow], bookings: &[BookingRow], p: &Params) -> Report {
    Report {
        from: p.from,
        to: p.to,
        utilization: compute::utilization(rooms, bookings, p),
        occupancy: compute::occupancy(rooms, bookings, p),
        behaviour: behaviour::behaviour(rooms, bookings, p),
    }
}

#[cfg(test)]
mod tests;
