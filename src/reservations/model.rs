//! Reservations as the store keeps them.

use crate::types::{ReservationId, RoomId, SeriesId, TimeRange, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Confirmed,
    Cancelled,
}

impl Status {
    /// A live reservation holds its slot; a cancelled one is history.
    pub fn is_live(self) -> bool {
        self == Status::Confirmed
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
}

impl Reservation {
    pub fn range(&self) -> TimeRange {
        TimeRange::new(self.start, self.end)
    }
}
