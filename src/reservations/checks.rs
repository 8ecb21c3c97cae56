//! Checks and constructors shared by the single-reservation and the series write paths.

use super::{MAX_ATTENDEES, NewReservation, ReservationError, Result};
use crate::access::{Action, Actor, Denied, RoomRights, may_manage_reservation};
use crate::model::reservation::{Reservation, Status};
use crate::model::room::Room;
use crate::store::{StoreError, Tx, View};
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

/// `actor` may book for `owner`: themselves; or an active user, if `actor` may book for anyone
/// or was named one of their delegates.
pub(super) fn check_owner(view: &View, owner: UserId, actor: &Actor) -> Result<()> {
    if owner == actor.id {
        return Ok(());
    }
    let for_anyone = actor.may(Action::BookForOthers);
    match view.user(owner)?.filter(|u| u.active) {
        Some(u) if for_anyone || u.delegates.contains(&actor.id) => Ok(()),
        None if for_anyone => Err(FieldErrors::one("user_id", "no_user", "no such active user").into()),
        _ => Err(Denied.into()),
    }
}

/// `owner` (an active user) named `actor` a delegate, who then acts for them.
fn is_delegate_of(view: &View, actor: &Actor, owner: UserId) -> Result<bool> {
    Ok(view.user(owner)?.is_some_and(|u| u.active && u.delegates.contains(&actor.id)))
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
        checked_in_at: None,
        decided_by: None,
        decided_at: None,
        decline_reason: None,
        booked_via: None,
        fields: Default::default(),
        calendar_name: None,
        slot: None,
    }
}

/// What `actor` may do in `room`, decided by [`crate::access::room_rights`] from the room's
/// access rule (its own or its location's) and the actor's groups, read in the same transaction
/// as the write it guards.
pub fn rights(view: &View, actor: &Actor, room: &Room) -> std::result::Result<RoomRights, StoreError> {
    Ok(actor.room_rights(&view.groups_of(actor.id)?, view.rule_for_room(room)?.as_ref()))
}

/// `actor` may book `room`: a room they may not see is "no such room" (as if it did not exist);
/// one they see but may not book is refused with a 403 that says so.
/// Without a rule the role alone refused, and the answer stays the role table's.
pub(super) fn check_may_book(view: &View, actor: &Actor, room: &Room) -> Result<RoomRights> {
    let rule = view.rule_for_room(room)?;
    let rights = actor.room_rights(&view.groups_of(actor.id)?, rule.as_ref());
    if !rights.see {
        return Err(FieldErrors::one("room_id", "no_room", "no such room").into());
    }
    match (rights.book, rule) {
        (true, _) => Ok(rights),
        (false, None) => Err(crate::access::Denied.into()),
        (false, Some(_)) => Err(ReservationError::NotBookable(room.name.clone())),
    }
}

/// The status a new booking of `room` gets: pending where the room requires approval and the
/// actor may not book it without.
pub(super) fn initial_status(view: &View, actor: &Actor, room: &Room) -> Result<Status> {
    if room.requires_approval && !rights(view, actor, room)?.book_without_approval {
        Ok(Status::Pending)
    } else {
        Ok(Status::Confirmed)
    }
}

/// Owners (and their delegates) manage their reservations, managers all, and a room's `manage`
/// groups that room's.
pub(super) fn check_permission(view: &View, actor: &Actor, r: &Reservation) -> Result<()> {
    let acts_for_owner = r.user_id == actor.id
        || (!may_manage_reservation(actor.role, false) && is_delegate_of(view, actor, r.user_id)?);
    if may_manage_reservation(actor.role, acts_for_owner) {
        return Ok(());
    }
    match view.room(r.room_id)? {
        Some(room) if rights(view, actor, &room)?.manage => Ok(()),
        _ => Err(crate::access::Denied.into()),
    }
}

/// The actor may change `r`, it is still live, and it is the version the client last saw.
pub(super) fn check_may_manage(
    view: &View,
    actor: &Actor,
    r: &Reservation,
    expected_version: Option<u64>,
) -> Result<()> {
    check_permission(view, actor, r)?;
    match r.status {
        Status::Cancelled => return Err(ReservationError::Cancelled),
        Status::Declined | Status::NoShow => return Err(ReservationError::Closed(r.status)),
        Status::Confirmed | Status::Pending => {}
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
