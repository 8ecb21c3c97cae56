//! Every room's live reservations in memory, by start. The reads that must be fastest (a room's
//! availability, the day timeline of every room, a room's bookings in a window) answer from here
//! without opening a transaction or decoding a record. Only the writer thread changes it: it
//! builds it from the file before its first batch (and again after the file had to be
//! reopened), then applies each committed batch's changes before it answers the batch's
//! commands, so whoever got a 2xx reads their change here. Until the first build is done (well
//! under a second for 100,000 reservations, while the server already answers), reads go to the
//! file as before.
//!
//! Only reads use it. Conflict checks stay inside the writer's transaction, on the stored index.

use super::StoreError;
use super::queries::{ListFilter, View};
use crate::reservations::model::Reservation;
use crate::types::{ReservationId, RoomId, TimeRange};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

type Key = (DateTime<Utc>, ReservationId);
type Rooms = HashMap<RoomId, BTreeMap<Key, Arc<Reservation>>>;

#[derive(Clone, Default)]
pub(super) struct Calendar(Arc<Inner>);

#[derive(Default)]
struct Inner {
    rooms: RwLock<Rooms>,
    /// Built from the file at least once.
    ready: AtomicBool,
}

/// A committed write of a reservation: where it was live before (if it was), and its new state.
pub(super) struct Change {
    pub before: Option<(RoomId, Key)>,
    pub after: Arc<Reservation>,
}

impl Change {
    pub(super) fn new(before: Option<&Reservation>, after: Reservation) -> Change {
        let before = before.filter(|b| b.status.is_live()).map(|b| (b.room_id, (b.start, b.id)));
        Change { before, after: Arc::new(after) }
    }
}

/// The smallest id, to bound ranges of keys by time alone.
const FIRST: ReservationId = ReservationId(uuid::Uuid::nil());

impl Calendar {
    /// Replaces the contents with the live reservations stored in `view`.
    pub(super) fn load(&self, view: &View) -> Result<(), StoreError> {
        // Until this build is complete (or if it fails), reads go to the file.
        self.0.ready.store(false, Ordering::Release);
        let mut rooms = Rooms::new();
        view.for_each_live(|r| {
            rooms.entry(r.room_id).or_default().insert((r.start, r.id), Arc::new(r));
        })?;
        *self.write() = rooms;
        self.0.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// Applies a committed batch's changes, in the order they were written.
    pub(super) fn apply(&self, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        let mut rooms = self.write();
        for Change { before, after } in changes {
            if let Some((room, key)) = before
                && let Some(live) = rooms.get_mut(&room)
            {
                live.remove(&key);
            }
            if after.status.is_live() {
                rooms.entry(after.room_id).or_default().insert((after.start, after.id), after);
            }
        }
    }

    /// The live reservations of `room` overlapping `range`, in start order: the one starting
    /// before `range.start` that reaches into it (live reservations of a room never overlap, so
    /// no earlier one can) and those starting before `range.end`.
    pub(super) fn live_in(&self, room: RoomId, range: TimeRange) -> Vec<Arc<Reservation>> {
        let rooms = self.read();
        let Some(live) = rooms.get(&room) else { return Vec::new() };
        let before = live.range(..(range.start, FIRST)).next_back().filter(|(_, r)| r.end > range.start);
        before.into_iter().chain(live.range((range.start, FIRST)..(range.end, FIRST))).map(|(_, r)| r.clone()).collect()
    }

    /// [`View::list`] for the filters it can answer (one room, a window, live reservations
    /// only): the same page, from memory.
    pub(super) fn page(&self, f: &ListFilter) -> Option<Vec<Reservation>> {
        let (Some(room), Some(window), false) = (f.room, f.window, f.include_cancelled) else { return None };
        if !self.0.ready.load(Ordering::Acquire) {
            return None;
        }
        let page = self
            .live_in(room, window)
            .into_iter()
            .filter(|r| f.user.is_none_or(|u| r.user_id == u))
            .filter(|r| f.after.is_none_or(|after| (r.start, r.id) > after))
            .take(f.limit)
            .map(|r| Reservation::clone(&r))
            .collect();
        Some(page)
    }

    fn read(&self) -> RwLockReadGuard<'_, Rooms> {
        self.0.rooms.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Rooms> {
        self.0.rooms.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reservations::model::Status;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 7, hour, 0, 0).single().expect("valid")
    }

    fn booking(room: RoomId, from: u32, to: u32) -> Reservation {
        let mut r: Reservation = serde_json::from_value(serde_json::json!({
            "id": ReservationId::new(), "room_id": room, "user_id": crate::types::UserId::new(),
            "title": "t", "description": "", "start": at(from), "end": at(to), "attendees": [],
            "status": "confirmed", "version": 1, "created_by": crate::types::UserId::new(),
            "created_at": at(0), "updated_at": at(0), "cancelled_at": null
        }))
        .expect("a reservation");
        r.status = Status::Confirmed;
        r
    }

    fn hours(c: &Calendar, room: RoomId, from: u32, to: u32) -> Vec<(u32, u32)> {
        use chrono::Timelike;
        c.live_in(room, TimeRange::new(at(from), at(to))).iter().map(|r| (r.start.hour(), r.end.hour())).collect()
    }

    #[test]
    fn a_window_sees_the_booking_reaching_into_it_and_those_starting_in_it() {
        let (c, room, other) = (Calendar::default(), RoomId::new(), RoomId::new());
        let changes = [(8, 10), (10, 11), (12, 14), (15, 16)].map(|(a, b)| Change::new(None, booking(room, a, b)));
        c.apply(changes.into_iter().chain([Change::new(None, booking(other, 9, 17))]).collect());
        assert_eq!(hours(&c, room, 9, 13), [(8, 10), (10, 11), (12, 14)]);
        assert_eq!(hours(&c, room, 10, 12), [(10, 11)], "ends are exclusive: 8-10 and 12-14 do not touch 10-12");
        assert_eq!(hours(&c, room, 16, 20), Vec::<(u32, u32)>::new());
        assert_eq!(hours(&c, other, 0, 23), [(9, 17)]);
    }

    #[test]
    fn moves_and_cancellations_leave_no_trace_at_the_old_place() {
        let (c, room, to_room) = (Calendar::default(), RoomId::new(), RoomId::new());
        let first = booking(room, 8, 9);
        c.apply(vec![Change::new(None, first.clone())]);
        let mut moved = first.clone();
        (moved.room_id, moved.start, moved.end) = (to_room, at(10), at(11));
        c.apply(vec![Change::new(Some(&first), moved.clone())]);
        assert!(hours(&c, room, 0, 23).is_empty());
        assert_eq!(hours(&c, to_room, 0, 23), [(10, 11)]);
        let mut cancelled = moved.clone();
        cancelled.status = Status::Cancelled;
        c.apply(vec![Change::new(Some(&moved), cancelled.clone())]);
        assert!(hours(&c, to_room, 0, 23).is_empty());
        // Writing a cancelled one again (an edit of its text) does not bring it back.
        c.apply(vec![Change::new(Some(&cancelled.clone()), cancelled)]);
        assert!(hours(&c, to_room, 0, 23).is_empty());
    }
}
