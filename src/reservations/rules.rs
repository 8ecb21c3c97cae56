//! Pure booking rules: what a valid reservation time is, for a new booking and a reschedule.

use crate::model::reservation::Reservation;
use crate::types::TimeRange;
use crate::validation::FieldErrors;
use chrono::{DateTime, Duration, Utc};

/// The limits the configuration sets.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_duration: Duration,
    /// How far in the past a start may be (a meeting booked as it begins).
    pub past_grace: Duration,
    pub max_window: Duration,
}

impl Limits {
    pub fn from_config(booking: &crate::config::BookingConfig) -> Limits {
        Limits {
            max_duration: Duration::hours(booking.max_duration_hours.into()),
            past_grace: Duration::minutes(booking.past_grace_minutes.into()),
            max_window: Duration::days(booking.max_window_days.into()),
        }
    }
}

/// Nobody books a meeting room decades ahead; such dates are typos.
pub const MAX_YEARS_AHEAD: i64 = 5;

pub fn check_new(range: TimeRange, now: DateTime<Utc>, limits: &Limits) -> FieldErrors {
    let mut e = check_shape(range, limits);
    e.check(range.start >= now - limits.past_grace, "start", "in_past", "is in the past");
    e
}

/// A change of times: a start may only move if the meeting has not begun, and a meeting that
/// has ended is history.
pub fn check_reschedule(old: &Reservation, range: TimeRange, now: DateTime<Utc>, limits: &Limits) -> FieldErrors {
    let mut e = check_shape(range, limits);
    let grace = now - limits.past_grace;
    if range.start != old.start {
        e.check(old.start >= grace, "start", "already_begun", "cannot move: the reservation has already begun");
        e.check(range.start >= grace, "start", "in_past", "is in the past");
    }
    if range.end != old.end {
        e.check(old.end >= grace, "end", "already_ended", "cannot change: the reservation has already ended");
        e.check(range.end >= grace, "end", "in_past", "is in the past");
    }
    e
}

fn check_shape(range: TimeRange, limits: &Limits) -> FieldErrors {
    let mut e = FieldErrors::new();
    if range.end <= range.start {
        e.add("end", "end_before_start", "must be after start");
    } else if range.duration() > limits.max_duration {
        e.add(
            "end",
            "too_long_duration",
            format!("a reservation may last at most {} hours", limits.max_duration.num_hours()),
        );
    }
    e
}

/// A query window: `from` before `to`, and not wider than the configured maximum.
pub fn check_window(range: TimeRange, limits: &Limits) -> FieldErrors {
    let mut e = FieldErrors::new();
    if range.end <= range.start {
        e.add("to", "end_before_start", "must be after from");
    } else if range.duration() > limits.max_window {
        e.add("to", "window_too_wide", format!("the window may span at most {} days", limits.max_window.num_days()));
    }
    e
}

pub fn far_future(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::days(365 * MAX_YEARS_AHEAD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::reservation::Status;
    use crate::types::{ReservationId, RoomId, UserId};
    use chrono::TimeZone;

    fn limits() -> Limits {
        Limits { max_duration: Duration::hours(24), past_grace: Duration::minutes(15), max_window: Duration::days(92) }
    }

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 4, h, m, 0).unwrap()
    }

    fn booked(start: DateTime<Utc>, end: DateTime<Utc>) -> Reservation {
        let u = UserId::new();
        Reservation {
            id: ReservationId::new(),
            room_id: RoomId::new(),
            user_id: u,
            title: "x".into(),
            description: String::new(),
            start,
            end,
            attendees: vec![],
            status: Status::Confirmed,
            version: 1,
            created_by: u,
            created_at: start,
            updated_at: start,
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

    #[test]
    fn new_bookings() {
        let now = t(9, 0);
        assert!(check_new(TimeRange::new(t(10, 0), t(11, 0)), now, &limits()).is_empty());
        // Booking the meeting that began five minutes ago is fine; an hour ago is not.
        assert!(check_new(TimeRange::new(t(8, 55), t(10, 0)), now, &limits()).is_empty());
        assert_eq!(check_new(TimeRange::new(t(8, 0), t(10, 0)), now, &limits()).0[0].field, "start");
        assert_eq!(check_new(TimeRange::new(t(11, 0), t(10, 0)), now, &limits()).0[0].field, "end");
        assert_eq!(check_new(TimeRange::new(t(10, 0), t(10, 0)), now, &limits()).0[0].field, "end");
        let long = TimeRange::new(t(10, 0), t(10, 0) + Duration::hours(25));
        assert!(check_new(long, now, &limits()).0[0].message.contains("24 hours"));
    }

    #[test]
    fn reschedules() {
        let now = t(10, 30);
        let running = booked(t(10, 0), t(11, 0));
        // A running meeting may end early or late, but not move its start.
        assert!(check_reschedule(&running, TimeRange::new(t(10, 0), t(10, 30)), now, &limits()).is_empty());
        assert!(check_reschedule(&running, TimeRange::new(t(10, 0), t(12, 0)), now, &limits()).is_empty());
        assert_eq!(check_reschedule(&running, TimeRange::new(t(10, 45), t(12, 0)), now, &limits()).0[0].field, "start");
        let ended = booked(t(8, 0), t(9, 0));
        assert_eq!(check_reschedule(&ended, TimeRange::new(t(8, 0), t(9, 30)), now, &limits()).0[0].field, "end");
    }

    #[test]
    fn windows() {
        assert!(check_window(TimeRange::new(t(0, 0), t(23, 0)), &limits()).is_empty());
        assert!(!check_window(TimeRange::new(t(23, 0), t(0, 0)), &limits()).is_empty());
        assert!(!check_window(TimeRange::new(t(0, 0), t(0, 0) + Duration::days(93)), &limits()).is_empty());
    }
}
