//! A recurring series is told in one message, not one per occurrence. Booking a series writes one
//! `reservation.created` event per occurrence, and cancelling several occurrences one
//! `reservation.cancelled` each, all in one transaction with the same instant; the consumers
//! regroup them here from the store (the occurrences of that series created, or cancelled, at
//! that instant), so the event log stays one event per reservation. The once key is per series
//! and instant, so a replayed group stages nothing new.

use super::email::Occurrence;
use crate::events::Event;
use crate::model::reservation::{Reservation, Status};
use crate::store::{StoreError, View};
use crate::types::SeriesId;
use chrono::{DateTime, Utc};

pub const CREATED: &str = "series.created";
pub const CANCELLED: &str = "series.cancelled";

/// The one field of a reservation snapshot the regrouping compares.
#[derive(serde::Deserialize)]
struct SeriesOf {
    series_id: Option<SeriesId>,
}

/// Whether an occurrence belongs to the group of an event at this instant.
type InGroup = fn(&Reservation, DateTime<Utc>) -> bool;

/// How a reservation event is told.
pub enum Told {
    /// On its own, as the event's kind says.
    Alone,
    /// In the message of its group, planned with the group's first event.
    WithGroup,
    /// As the first event of a group: one message of `kind` about every occurrence of the group
    /// (start order).
    Group(&'static str, Vec<Reservation>),
}

/// How the event `event` of kind `kind` about `r` is told. A single occurrence cancelled on its
/// own is an ordinary cancellation.
pub fn regroup(view: &View, kind: &str, r: &Reservation, event: &Event) -> Result<Told, StoreError> {
    let Some(series) = r.series_id else { return Ok(Told::Alone) };
    let (series_kind, in_group): (&'static str, InGroup) = match kind {
        // A series waiting for approval is a request (told by the approval messages).
        "reservation.created" if r.status != Status::Pending => (CREATED, |o, at| o.created_at == at),
        "reservation.cancelled" => (CANCELLED, |o, at| o.cancelled_at == Some(at)),
        _ => return Ok(Told::Alone),
    };
    // The group's events are consecutive in the log (one transaction): only its first reads it.
    let previous = match event.seq.checked_sub(2) {
        Some(seq) => view.events_after(seq, 1)?.into_iter().next(),
        None => None,
    };
    if previous.is_some_and(|p| {
        p.kind == event.kind && p.at == event.at && p.snapshot::<SeriesOf>().is_ok_and(|p| p.series_id == Some(series))
    }) {
        return Ok(Told::WithGroup);
    }
    let group: Vec<Reservation> = view.series(series)?.into_iter().filter(|o| in_group(o, event.at)).collect();
    if series_kind == CANCELLED && group.len() < 2 {
        return Ok(Told::Alone);
    }
    Ok(Told::Group(series_kind, group))
}

/// The occurrences as an e-mail carries them.
pub fn occurrences(group: &[Reservation]) -> Vec<Occurrence> {
    group
        .iter()
        .map(|o| Occurrence {
            id: o.id,
            start: o.start,
            end: o.end,
            version: o.version,
            at: o.slot.as_ref().map(|s| s.at),
        })
        .collect()
}

/// The first occurrence of the group, which the message's reservation fields describe.
pub fn first(group: &[Reservation]) -> Option<&Reservation> {
    group.iter().min_by_key(|o| o.start)
}
