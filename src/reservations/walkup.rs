//! What a room door display may do: book the room now for a short while ("walk-up"), check in
//! the meeting that is starting, and end the current meeting early. The display's device token,
//! not a user, is the authority ([`crate::access::display_may`]): each action is confined to the
//! display's own room. A walk-up booking is attributed to the display (`booked_via`) and owned
//! by the admin who set the display up, who may manage it like any of their bookings.

use super::checks::check_room;
use super::{ReservationError, Reservations, Result};
use crate::access::display_may;
use crate::clock;
use crate::events::{EventKind, NewEvent};
use crate::model::display::Display;
use crate::model::reservation::{Reservation, Status};
use crate::store::Tx;
use crate::types::{ReservationId, TimeRange};
use crate::validation::FieldErrors;
use chrono::{DateTime, Duration, Utc};

/// The lengths a walk-up booking may have, in minutes (the display's buttons).
pub const WALK_UP_MINUTES: [u32; 3] = [15, 30, 60];

/// A walk-up booking from `now` (not from the start of the minute: a meeting ended early a few
/// seconds ago ends at that instant, and the room is free right after it). None for a length
/// the display does not offer.
pub fn walk_up_range(now: DateTime<Utc>, minutes: u32) -> Option<TimeRange> {
    WALK_UP_MINUTES.contains(&minutes).then(|| TimeRange::new(now, now + Duration::minutes(minutes.into())))
}

/// Why meeting `r` cannot be ended early at `now`, if it cannot: only a live meeting that is
/// under way can be.
pub fn end_early_refusal(r: &Reservation, now: DateTime<Utc>) -> Option<&'static str> {
    if !r.status.is_live() {
        Some("not_live")
    } else if now < r.start {
        Some("not_started")
    } else if now >= r.end {
        Some("already_over")
    } else {
        None
    }
}

impl Reservations {
    /// Books `display`'s room from now for `minutes` (15, 30 or 60), titled `title`.
    pub async fn walk_up(&self, display: &Display, minutes: u32, title: String) -> Result<Reservation> {
        let now = clock::now();
        let range = walk_up_range(now, minutes).ok_or_else(|| {
            ReservationError::Invalid(FieldErrors::one("minutes", "walk_up_length", "must be 15, 30 or 60"))
        })?;
        let display = display.clone();
        self.store
            .write(move |tx: &mut Tx| {
                check_room(tx, display.room_id)?;
                let conflicts = tx.conflicts(display.room_id, range, None)?;
                if !conflicts.is_empty() {
                    return Err(ReservationError::Conflict(conflicts));
                }
                let r = Reservation {
                    id: ReservationId::new(),
                    room_id: display.room_id,
                    user_id: display.created_by,
                    title,
                    description: String::new(),
                    start: range.start,
                    end: range.end,
                    attendees: Vec::new(),
                    status: Status::Confirmed,
                    version: 1,
                    created_by: display.created_by,
                    created_at: now,
                    updated_at: now,
                    cancelled_at: None,
                    series_id: None,
                    // Booked at the door: whoever pressed the button is there.
                    checked_in_at: Some(now),
                    decided_by: None,
                    decided_at: None,
                    decline_reason: None,
                    booked_via: Some(display.id),
                    fields: Default::default(),
                    calendar_name: None,
                    slot: None,
                };
                tx.put_reservation(r.clone());
                tx.append_event(display_event(EventKind::ReservationCreated, &r, now));
                Ok(r)
            })
            .await
    }

    /// Ends meeting `id`, which is under way in `display`'s room, now: the rest of its slot is free.
    pub async fn end_early(&self, display: &Display, id: ReservationId) -> Result<Reservation> {
        let (room, now) = (display.room_id, clock::now());
        self.store
            .write(move |tx: &mut Tx| {
                let mut r = tx.reservation(id)?.ok_or(ReservationError::NotFound)?;
                if !display_may(room, r.room_id) {
                    return Err(ReservationError::NotFound);
                }
                if let Some(code) = end_early_refusal(&r, now) {
                    return Err(ReservationError::NotUnderWay(code));
                }
                // Under way means start <= now < end, so this neither empties nor lengthens it.
                if now > r.start {
                    r.end = now;
                    r.version += 1;
                    r.updated_at = now;
                    tx.put_reservation(r.clone());
                    tx.append_event(display_event(EventKind::ReservationUpdated, &r, now));
                }
                Ok(r)
            })
            .await
    }

    /// Checks in meeting `id` of `display`'s room at the door (same window as any check-in).
    pub async fn check_in_at_display(&self, display: &Display, id: ReservationId) -> Result<Reservation> {
        let (room, now, window) = (display.room_id, clock::now(), self.checkin);
        self.store
            .write(move |tx: &mut Tx| {
                let r = tx.reservation(id)?.ok_or(ReservationError::NotFound)?;
                if !display_may(room, r.room_id) {
                    return Err(ReservationError::NotFound);
                }
                let made = |r: &Reservation| display_event(EventKind::ReservationCheckedIn, r, now);
                super::checkin::stage_check_in(tx, r, &window, now, made)
            })
            .await
    }
}

/// A display acts for no user: its events have no actor; the reservation's `booked_via` or the
/// display's audit trail says where it came from.
fn display_event(kind: EventKind, r: &Reservation, at: DateTime<Utc>) -> NewEvent {
    NewEvent::new(kind, None, r.id.0, at, r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, h, m, s).unwrap()
    }

    #[test]
    fn walk_up_starts_now_and_offers_three_lengths() {
        let r = walk_up_range(t(10, 7, 42), 30).unwrap();
        assert_eq!((r.start, r.end), (t(10, 7, 42), t(10, 37, 42)));
        assert!(walk_up_range(t(10, 0, 0), 45).is_none());
        assert!(walk_up_range(t(10, 0, 0), 0).is_none());
    }

    #[test]
    fn only_a_meeting_under_way_ends_early() {
        let u = crate::types::UserId::new();
        let mut r = Reservation {
            id: ReservationId::new(),
            room_id: crate::types::RoomId::new(),
            user_id: u,
            title: "x".into(),
            description: String::new(),
            start: t(10, 0, 0),
            end: t(11, 0, 0),
            attendees: vec![],
            status: Status::Confirmed,
            version: 1,
            created_by: u,
            created_at: t(9, 0, 0),
            updated_at: t(9, 0, 0),
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
        };
        assert_eq!(end_early_refusal(&r, t(9, 59, 0)), Some("not_started"));
        assert_eq!(end_early_refusal(&r, t(10, 30, 0)), None);
        assert_eq!(end_early_refusal(&r, t(11, 0, 0)), Some("already_over"));
        r.status = Status::Cancelled;
        assert_eq!(end_early_refusal(&r, t(10, 30, 0)), Some("not_live"));
    }
}
