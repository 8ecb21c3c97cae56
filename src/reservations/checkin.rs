//! Check-in: the owner (or a manager) confirms a meeting is taking place, from a few minutes
//! before it starts. In rooms that require it, a confirmed reservation not checked in when its
//! window closes is released by the scheduler (status `no_show`), so the room is free again.
//! In other rooms check-in is optional and only records actual use (for the reports).

use super::checks::check_permission;
use super::{ReservationError, Reservations, Result, event};
use crate::access::Actor;
use crate::clock;
use crate::events::{EventKind, NewEvent};
use crate::model::reservation::{Reservation, Status};
use crate::model::room::Room;
use crate::store::Tx;
use crate::types::ReservationId;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// How far back the no-show job looks for reservations to release: a server down for a few days
/// still marks the meetings it missed (the reports count them).
const NO_SHOW_LOOKBACK_DAYS: i64 = 7;

/// The configured check-in timing (`[booking]`).
#[derive(Clone, Copy, Debug)]
pub struct CheckInWindow {
    /// How long before the start check-in opens.
    pub early: Duration,
    /// How long after the start it stays open, for rooms that do not set their own.
    pub default_window: Duration,
}

impl CheckInWindow {
    /// When check-in opens for `r`.
    pub fn opens(&self, r: &Reservation) -> DateTime<Utc> {
        r.start - self.early
    }

    /// When check-in closes for `r` in `room`: its window after the start where check-in is
    /// required (never after the end), the end elsewhere. A meeting booked or approved after it
    /// began (bookings may start a little in the past) gets its window from then: counted from
    /// the start, it could close within a minute of the booking and be released unused.
    pub fn closes(&self, room: &Room, r: &Reservation) -> DateTime<Utc> {
        if !room.checkin.required {
            return r.end;
        }
        let window = room.checkin.window_minutes.map(|m| Duration::minutes(m.into())).unwrap_or(self.default_window);
        let confirmed = r.decided_at.map_or(r.created_at, |d| d.max(r.created_at));
        (r.start.max(confirmed) + window).min(r.end)
    }

    /// Why `r` cannot be checked in at `now`, if it cannot.
    pub fn refusal(&self, room: &Room, r: &Reservation, now: DateTime<Utc>) -> Option<(&'static str, String)> {
        let tz: Tz = room.timezone.parse().unwrap_or(Tz::UTC);
        let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string();
        match r.status {
            Status::Confirmed => {}
            Status::Pending => return Some(("not_confirmed", "the reservation is still waiting for approval".into())),
            other => return Some(("closed", format!("the reservation is {}", other.as_str()))),
        }
        if now < self.opens(r) {
            return Some(("checkin_not_open", format!("check-in opens at {}", local(self.opens(r)))));
        }
        let closes = self.closes(room, r);
        if now >= closes {
            return Some(("checkin_closed", format!("check-in closed at {}", local(closes))));
        }
        None
    }

    /// Whether `r` is to be released as a no-show at `now`.
    pub fn is_no_show(&self, room: &Room, r: &Reservation, now: DateTime<Utc>) -> bool {
        room.checkin.required
            && r.status == Status::Confirmed
            && r.checked_in_at.is_none()
            && now >= self.closes(room, r)
    }
}

/// Inside a write: checks `r` in at `now` if its window is open (twice is harmless and answers
/// the same), with the event `made` makes. Shared by people and door displays.
pub(super) fn stage_check_in(
    tx: &mut Tx,
    mut r: Reservation,
    window: &CheckInWindow,
    now: DateTime<Utc>,
    made: impl FnOnce(&Reservation) -> NewEvent,
) -> Result<Reservation> {
    if r.checked_in_at.is_some() && r.status == Status::Confirmed {
        return Ok(r);
    }
    let room = tx.room(r.room_id)?.ok_or(ReservationError::NotFound)?;
    if let Some((code, message)) = window.refusal(&room, &r, now) {
        return Err(ReservationError::CheckIn { code, message });
    }
    r.checked_in_at = Some(now);
    r.version += 1;
    r.updated_at = now;
    tx.put_reservation(r.clone());
    tx.append_event(made(&r));
    Ok(r)
}

impl Reservations {
    /// Checks reservation `id` in. Checking in twice is harmless and answers the same.
    pub async fn check_in(&self, actor: &Actor, id: ReservationId) -> Result<Reservation> {
        let (actor, now, window) = (actor.clone(), clock::now(), self.checkin);
        self.store
            .write(move |tx: &mut Tx| {
                let r = tx.reservation(id)?.ok_or(ReservationError::NotFound)?;
                check_permission(tx, &actor, &r)?;
                stage_check_in(tx, r, &window, now, |r| event(EventKind::ReservationCheckedIn, actor.id, r, now))
            })
            .await
    }

    /// Releases every reservation whose check-in window closed by `now` without a check-in:
    /// status `no_show`, slot free, event `reservation.no_show` (no actor: the system did it).
    /// Returns how many were released.
    pub async fn release_no_shows(&self, now: DateTime<Utc>) -> Result<usize> {
        let window = self.checkin;
        self.store
            .write(move |tx: &mut Tx| {
                let from = now - Duration::days(NO_SHOW_LOOKBACK_DAYS);
                let mut released = 0;
                let mut rooms: Vec<Room> = Vec::new();
                for mut r in tx.reservations_starting(from, now)? {
                    let room = match rooms.iter().find(|x| x.id == r.room_id) {
                        Some(room) => room.clone(),
                        None => {
                            let Some(room) = tx.room(r.room_id)? else { continue };
                            rooms.push(room.clone());
                            room
                        }
                    };
                    if !window.is_no_show(&room, &r, now) {
                        continue;
                    }
                    r.status = Status::NoShow;
                    r.version += 1;
                    r.updated_at = now;
                    tx.put_reservation(r.clone());
                    tx.append_event(NewEvent::new(EventKind::ReservationNoShow, None, r.id.0, now, &r));
                    released += 1;
                }
                Ok(released)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::room::CheckIn;
    use crate::types::{RoomId, UserId};
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0).unwrap()
    }

    fn room(required: bool, window_minutes: Option<u32>) -> Room {
        let now = t(0, 0);
        Room {
            id: RoomId::new(),
            name: "Sala".into(),
            capacity: 4,
            location: String::new(),
            description: String::new(),
            timezone: "Europe/Madrid".into(),
            resources: vec![],
            requires_approval: false,
            checkin: CheckIn { required, window_minutes },
            policy: Default::default(),
            active: true,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn meeting(status: Status) -> Reservation {
        let u = UserId::new();
        Reservation {
            id: ReservationId::new(),
            room_id: RoomId::new(),
            user_id: u,
            title: "x".into(),
            description: String::new(),
            start: t(10, 0),
            end: t(11, 0),
            attendees: vec![],
            status,
            version: 1,
            created_by: u,
            created_at: t(8, 0),
            updated_at: t(8, 0),
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

    fn window() -> CheckInWindow {
        CheckInWindow { early: Duration::minutes(10), default_window: Duration::minutes(15) }
    }

    #[test]
    fn the_window_opens_early_and_closes_after_the_rooms_minutes() {
        let (w, r) = (window(), meeting(Status::Confirmed));
        let required = room(true, None);
        assert_eq!(w.refusal(&required, &r, t(9, 49)).unwrap().0, "checkin_not_open");
        assert!(w.refusal(&required, &r, t(9, 50)).is_none());
        assert!(w.refusal(&required, &r, t(10, 14)).is_none());
        assert_eq!(w.refusal(&required, &r, t(10, 15)).unwrap().0, "checkin_closed");
        // The message names the local time (Madrid is UTC+1 in November).
        assert!(w.refusal(&required, &r, t(9, 0)).unwrap().1.contains("10:50"));
        // A room's own window wins, but never beyond the end.
        assert!(w.refusal(&room(true, Some(30)), &r, t(10, 29)).is_none());
        assert_eq!(w.closes(&room(true, Some(240)), &r), t(11, 0));
        // Where check-in is optional it stays open until the end.
        assert!(w.refusal(&room(false, None), &r, t(10, 59)).is_none());
        assert_eq!(w.refusal(&room(false, None), &r, t(11, 0)).unwrap().0, "checkin_closed");
    }

    #[test]
    fn only_confirmed_reservations_check_in() {
        let (w, required) = (window(), room(true, None));
        assert_eq!(w.refusal(&required, &meeting(Status::Pending), t(10, 0)).unwrap().0, "not_confirmed");
        assert_eq!(w.refusal(&required, &meeting(Status::Cancelled), t(10, 0)).unwrap().0, "closed");
    }

    #[test]
    fn no_shows() {
        let (w, required) = (window(), room(true, None));
        let r = meeting(Status::Confirmed);
        assert!(!w.is_no_show(&required, &r, t(10, 14)));
        assert!(w.is_no_show(&required, &r, t(10, 15)));
        assert!(!w.is_no_show(&room(false, None), &r, t(10, 30)));
        let checked_in = Reservation { checked_in_at: Some(t(10, 1)), ..r.clone() };
        assert!(!w.is_no_show(&required, &checked_in, t(10, 30)));
        assert!(!w.is_no_show(&required, &meeting(Status::Pending), t(10, 30)));
    }

    #[test]
    fn a_meeting_booked_or_approved_after_it_began_gets_the_whole_window() {
        let (w, required) = (window(), room(true, None));
        let late = Reservation { created_at: t(10, 14), updated_at: t(10, 14), ..meeting(Status::Confirmed) };
        assert!(w.refusal(&required, &late, t(10, 20)).is_none());
        assert!(!w.is_no_show(&required, &late, t(10, 28)));
        assert!(w.is_no_show(&required, &late, t(10, 29)));
        let approved = Reservation { decided_at: Some(t(10, 40)), ..meeting(Status::Confirmed) };
        assert_eq!(w.closes(&required, &approved), t(10, 55));
        // Still never beyond the end.
        let very_late = Reservation { decided_at: Some(t(10, 50)), ..meeting(Status::Confirmed) };
        assert_eq!(w.closes(&required, &very_late), t(11, 0));
    }
}
