//! A place in the queue for a room at a time that is taken.

use crate::types::{ReservationId, RoomId, TimeRange, UserId, WaitId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaitStatus {
    /// In the queue.
    Waiting,
    /// The slot freed and was booked for this person (`reservation_id`).
    Booked,
    /// The slot freed but the room's rules did not let it be booked for them (`reason`).
    Refused,
    /// Left the queue.
    Left,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WaitEntry {
    #[schema(value_type = String, format = Uuid)]
    pub id: WaitId,
    #[schema(value_type = String, format = Uuid)]
    pub room_id: RoomId,
    #[schema(value_type = String, format = Uuid)]
    pub user_id: UserId,
    pub title: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: WaitStatus,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub reservation_id: Option<ReservationId>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WaitEntry {
    pub fn range(&self) -> TimeRange {
        TimeRange::new(self.start, self.end)
    }

    /// Waiting for a slot that has not begun: an entry whose time came is gone from every list.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.status == WaitStatus::Waiting && self.start > now
    }
}

/// The entries to try when `freed` opened in a room: the open ones it touches, oldest first, so
/// the first in line is served first and the others move up.
pub fn in_line(entries: &[WaitEntry], room: RoomId, freed: TimeRange, now: DateTime<Utc>) -> Vec<&WaitEntry> {
    let mut line: Vec<&WaitEntry> =
        entries.iter().filter(|e| e.room_id == room && e.is_open(now) && e.range().overlaps(&freed)).collect();
    line.sort_by_key(|e| (e.created_at, e.id));
    line
}

/// How many of a series' occurrences up to and including the last one released were released as
/// no-shows in a row (statuses in start order, the latest last).
pub fn no_show_run(statuses: &[super::reservation::Status]) -> usize {
    use crate::model::reservation::Status;
    statuses.iter().rev().take_while(|s| **s == Status::NoShow).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::reservation::Status;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap()
    }

    fn entry(room: RoomId, start: u32, end: u32, created: u32, status: WaitStatus) -> WaitEntry {
        WaitEntry {
            id: WaitId::new(),
            room_id: room,
            user_id: UserId::new(),
            title: "x".into(),
            start: t(start),
            end: t(end),
            status,
            reservation_id: None,
            reason: None,
            created_at: t(created),
            updated_at: t(created),
        }
    }

    #[test]
    fn the_line_is_oldest_first_and_only_open_overlapping_entries() {
        let room = RoomId::new();
        let entries = vec![
            entry(room, 10, 11, 3, WaitStatus::Waiting),
            entry(room, 10, 12, 1, WaitStatus::Waiting),
            entry(room, 13, 14, 0, WaitStatus::Waiting), // does not touch the freed hours
            entry(room, 10, 11, 0, WaitStatus::Left),
            entry(RoomId::new(), 10, 11, 0, WaitStatus::Waiting),
        ];
        let line = in_line(&entries, room, TimeRange::new(t(9), t(12)), t(8));
        assert_eq!(line.iter().map(|e| e.created_at).collect::<Vec<_>>(), [t(1), t(3)]);
        assert!(in_line(&entries, room, TimeRange::new(t(9), t(12)), t(10)).is_empty(), "expired");
    }

    #[test]
    fn no_show_runs_count_from_the_latest() {
        use Status::*;
        assert_eq!(no_show_run(&[NoShow, Confirmed, NoShow, NoShow]), 2);
        assert_eq!(no_show_run(&[NoShow, NoShow, Confirmed]), 0);
        assert_eq!(no_show_run(&[]), 0);
    }
}
