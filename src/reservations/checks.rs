//! Checks and constructors shared by the single-reservation and the series write paths.

use super::model::{Reservation, Status};
use super::{MAX_ATTENDEES, NewReservation, ReservationError, Result};
use crate::access::{Actor, may_manage_reservation};
use crate::rooms::model::Room;
use crate::store::Tx;
use crate::types::{ReservationId, RoomId, TimeRange, UserId};
use crate::users::rules::{is_plausible_email, normalize_email};
use crate::validation::FieldErrors;
use chrono::{DateTime, Utc};

pub(super) fn check_room(tx: &Tx, room_id: RoomId) -> Result<Room> {
    match tx.room(room_id)? {
        None => Err(FieldErrors::one("room_id", "no_room", "no such room").into()),
        Some(room) if !room.active => {
            Err(FieldErrors::one("room_id", "room_archived", "the room is archived and takes no bookings").into())
        }
        Some(room) => Ok(room),
    }
}

/// Booking for someone else needs that someone to exist and be active.
pub(super) fn check_owner(tx: &Tx, owner: UserId, actor: UserId) -> Result<()> {
    if owner != actor && !tx.user(owner)?.is_some_and(|u| u.active) {
        return Err(FieldErrors::one("user_id", "no_user", "no such active user").into());
    }
    Ok(())
}

/// A confirmed reservation of `input` over `range` (already validated).
pub(super) fn new_reservation(
    input: &NewReservation,
    owner: UserId,
    actor: UserId,
    range: TimeRange,
    now: DateTime<Utc>,
) -> Reservation {
    let mut ignored = FieldErrors::new();
    Reservation {
        id: ReservationId::new(),
        room_id: input.room_id,
        user_id: owner,
        title: input.title.trim().to_string(),
        description: input.description.as_deref().unwrap_or_default().trim().to_string(),
        start: range.start,
        end: range.end,
        attendees: check_text(&mut ignored, None, None, Some(&input.attendees)).unwrap_or_default(),
        status: Status::Confirmed,
        version: 1,
        created_by: actor,
        created_at: now,
        updated_at: now,
        cancelled_at: None,
        series_id: None,
    }
}

pub(super) fn check_permission(actor: &Actor, r: &Reservation) -> Result<()> {
    if may_manage_reservation(actor.role, r.user_id == actor.id) { Ok(()) } else { Err(crate::access::Denied.into()) }
}

/// The actor may change `r`, it is still live, and it is the version the client last saw.
pub(super) fn check_may_manage(actor: &Actor, r: &Reservation, expected_version: Option<u64>) -> Result<()> {
    check_permission(actor, r)?;
    if r.status == Status::Cancelled {
        return Err(ReservationError::Cancelled);
    }
    match expected_version {
        Some(v) if v != r.version => Err(ReservationError::StaleVersion { current: r.version }),
        _ => Ok(()),
    }
}

/// Validates the free-text fields; returns the attendee list normalised.
pub(super) fn check_text(
    errors: &mut FieldErrors,
    title: Option<&str>,
    description: Option<&str>,
    attendees: Option<&Vec<String>>,
) -> Option<Vec<String>> {
    if let Some(t) = title {
        errors.text("title", t, 1, 200);
    }
    if let Some(d) = description {
        errors.text("description", d, 0, 4000);
    }
    let attendees = attendees?;
    errors.check(
        attendees.len() <= MAX_ATTENDEES,
        "attendees",
        "too_many",
        format!("at most {MAX_ATTENDEES} attendees"),
    );
    let mut out: Vec<String> = Vec::new();
    for (i, a) in attendees.iter().enumerate() {
        if is_plausible_email(a) {
            let a = normalize_email(a);
            if !out.contains(&a) {
                out.push(a);
            }
        } else {
            errors.add(format!("attendees[{i}]"), "not_email", "must be an e-mail address");
        }
    }
    Some(out)
}
