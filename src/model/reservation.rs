//! Reservations as the store keeps them.

use crate::types::{ReservationId, RoomId, SeriesId, TimeRange, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Confirmed,
    Cancelled,
    /// Waiting for a manager's approval (rooms that require it); it holds its slot meanwhile.
    Pending,
    /// Refused by an approver; the slot is free again.
    Declined,
    /// Not checked in within the room's check-in window; released automatically.
    NoShow,
}

impl Status {
    /// A live reservation holds its slot (a pending request does too, so the slot cannot be
    /// given away while it waits); the others are history.
    pub fn is_live(self) -> bool {
        matches!(self, Status::Confirmed | Status::Pending)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Cancelled => "cancelled",
            Status::Pending => "pending",
            Status::Declined => "declined",
            Status::NoShow => "no_show",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reservation {
    pub id: ReservationId,
    pub room_id: RoomId,
    /// Who the reservation is for (and who may manage it besides managers).
    pub user_id: UserId,
    pub title: String,
    pub description: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub attendees: Vec<String>,
    pub status: Status,
    /// Bumped on every change; clients send it back in `If-Match`.
    pub version: u64,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The series this is an occurrence of, when booked with a recurrence rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_id: Option<SeriesId>,
    /// When the owner (or a manager) confirmed the meeting is taking place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_in_at: Option<DateTime<Utc>>,
    /// Who approved or declined the request, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    /// The approver's reason for declining, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_reason: Option<String>,
    /// The room door display a walk-up booking was made on ("book now" at the door); such a
    /// booking belongs to the admin who set the display up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booked_via: Option<crate::types::DisplayId>,
    /// Answers to the booking fields an administrator defined (`model::field`), by key.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub fields: crate::model::field::Answers,
    /// The calendar client's names for a booking made over CalDAV, kept so the client finds
    /// its own event again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_name: Option<CalendarName>,
    /// Where this occurrence sits in its series' rule, so calendars get the series as one
    /// recurring event (absent on series booked before it was kept, and on single bookings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<SeriesSlot>,
}

/// An occurrence's place in its series: the rule as a calendar reads it and where it put this
/// occurrence. Every occurrence of a series carries the same rule, so any one of them describes
/// the whole series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesSlot {
    /// The rule, ending in the COUNT of the occurrences it was expanded to (caps included).
    pub rrule: String,
    /// The IANA zone the rule is read in (the room's when booked).
    pub timezone: String,
    /// The rule's first occurrence (DTSTART and DTEND), booked or not.
    pub first: TimeRange,
    /// Where the rule put this occurrence (its RECURRENCE-ID), wherever it has moved since.
    pub at: DateTime<Utc>,
}

/// What a CalDAV client called a booking it made: the event's UID and the resource's name in
/// the room's collection (`{name}.ics`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarName {
    pub uid: String,
    pub href: String,
}

impl Reservation {
    pub fn range(&self) -> TimeRange {
        TimeRange::new(self.start, self.end)
    }
}
