//! What a door display shows and offers at one instant, decided from the room's live meetings
//! of the day. Pure: the page handler reads the store, this decides.

use crate::model::reservation::Reservation;
use crate::model::room::Room;
use crate::reservations::CheckInWindow;
use crate::reservations::walkup::WALK_UP_MINUTES;
use chrono::{DateTime, Duration, Utc};

pub struct DoorState<'a> {
    /// The meeting under way, if any: the room is busy.
    pub current: Option<&'a Reservation>,
    /// Meetings starting later (until the end of the window read), in order.
    pub upcoming: Vec<&'a Reservation>,
    /// When free: until when (the next meeting's start); None if nothing more is booked.
    pub free_until: Option<DateTime<Utc>>,
    /// Walk-up lengths (minutes) that fit before the next meeting; empty while busy.
    pub book_lengths: Vec<u32>,
    /// The meeting whose check-in is open now and not done yet, where the room requires it.
    pub check_in: Option<&'a Reservation>,
}

/// The state at `now` of `room`, whose live meetings overlapping the rest of the day are `live`
/// (in any order).
pub fn door_state<'a>(
    room: &Room,
    live: &'a [Reservation],
    now: DateTime<Utc>,
    window: &CheckInWindow,
) -> DoorState<'a> {
    let mut meetings: Vec<&Reservation> = live.iter().filter(|r| r.status.is_live() && r.end > now).collect();
    meetings.sort_by_key(|r| r.start);
    let current = meetings.iter().copied().find(|r| r.start <= now);
    let upcoming: Vec<&Reservation> = meetings.iter().copied().filter(|r| r.start > now).collect();
    let free_until = upcoming.first().map(|r| r.start);
    let book_lengths = if current.is_some() {
        Vec::new()
    } else {
        // A walk-up booking starts now (see `walk_up_range`).
        WALK_UP_MINUTES
            .into_iter()
            .filter(|m| free_until.is_none_or(|f| now + Duration::minutes((*m).into()) <= f))
            .collect()
    };
    let check_in = room
        .checkin
        .required
        .then(|| meetings.iter().copied().find(|r| r.checked_in_at.is_none() && window.refusal(room, r, now).is_none()))
        .flatten();
    DoorState { current, upcoming, free_until, book_lengths, check_in }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::reservation::Status;
    use crate::types::{ReservationId, RoomId, UserId};
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0).unwrap()
    }

    fn room(required: bool) -> Room {
        serde_json::from_value(serde_json::json!({
            "id": RoomId::new(), "name": "Sala", "capacity": 4, "location": "", "description": "",
            "timezone": "Europe/Madrid", "resources": [], "requires_approval": false,
            "checkin": {"required": required}, "active": true, "version": 1,
            "created_at": t(0, 0), "updated_at": t(0, 0)
        }))
        .unwrap()
    }

    fn meeting(start: DateTime<Utc>, end: DateTime<Utc>) -> Reservation {
        let u = UserId::new();
        serde_json::from_value(serde_json::json!({
            "id": ReservationId::new(), "room_id": RoomId::new(), "user_id": u, "title": "Stand-up",
            "description": "", "start": start, "end": end, "attendees": [], "status": "confirmed",
            "version": 1, "created_by": u, "created_at": t(0, 0), "updated_at": t(0, 0), "cancelled_at": null
        }))
        .unwrap()
    }

    fn window() -> CheckInWindow {
        CheckInWindow { early: Duration::minutes(10), default_window: Duration::minutes(15) }
    }

    #[test]
    fn free_with_lengths_that_fit_before_the_next_meeting() {
        let live = vec![meeting(t(10, 20), t(11, 0)), meeting(t(12, 0), t(13, 0))];
        let s = door_state(&room(false), &live, t(10, 0), &window());
        assert!(s.current.is_none());
        assert_eq!(s.free_until, Some(t(10, 20)));
        assert_eq!(s.book_lengths, vec![15]);
        assert_eq!(s.upcoming.len(), 2);
        let s = door_state(&room(false), &live, t(13, 30), &window());
        assert_eq!((s.free_until, s.book_lengths), (None, vec![15, 30, 60]));
    }

    #[test]
    fn busy_offers_no_booking_and_check_in_only_where_required() {
        let mut cancelled = meeting(t(9, 0), t(12, 0));
        cancelled.status = Status::Cancelled;
        let live = vec![meeting(t(10, 0), t(11, 0)), cancelled];
        let s = door_state(&room(true), &live, t(10, 5), &window());
        assert_eq!(s.current.map(|r| r.start), Some(t(10, 0)));
        assert!(s.book_lengths.is_empty() && s.upcoming.is_empty());
        assert!(s.check_in.is_some());
        assert!(door_state(&room(false), &live, t(10, 5), &window()).check_in.is_none());
        // After the window (15 minutes) check-in is closed.
        assert!(door_state(&room(true), &live, t(10, 20), &window()).check_in.is_none());
        // A meeting starting in 5 minutes may be checked in already.
        assert!(door_state(&room(true), &live, t(9, 55), &window()).check_in.is_some());
    }
}
