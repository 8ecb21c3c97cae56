//! What a calendar shows of a booking. Everyone who may see a room sees its bookings' times and
//! titles, as the day view shows them; the description and the attendees are the owner's (and
//! the room managers') business, as on the reservation page.

use crate::access::RoomRights;
use crate::model::reservation::Reservation;
use crate::types::UserId;

/// How much of a booking a viewer gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Everything: their own booking, or one in a room they manage.
    Full,
    /// Busy time and title only.
    Busy,
}

pub fn detail(r: &Reservation, viewer: UserId, rights: RoomRights) -> Detail {
    if r.user_id == viewer || rights.manage { Detail::Full } else { Detail::Busy }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn booking(owner: UserId) -> Reservation {
        serde_json::from_value(serde_json::json!({
            "id": crate::types::ReservationId::new(), "room_id": crate::types::RoomId::new(), "user_id": owner,
            "title": "Board", "description": "salaries", "start": "2030-01-01T10:00:00Z",
            "end": "2030-01-01T11:00:00Z", "attendees": ["a@example.com"], "status": "confirmed",
            "version": 1, "created_by": owner, "created_at": "2029-01-01T00:00:00Z",
            "updated_at": "2029-01-01T00:00:00Z", "cancelled_at": null
        }))
        .unwrap()
    }

    #[test]
    fn others_see_busy_owners_and_managers_see_all() {
        let (owner, other) = (UserId::new(), UserId::new());
        let r = booking(owner);
        let see = RoomRights { see: true, book: true, book_without_approval: false, manage: false };
        assert_eq!(detail(&r, owner, see), Detail::Full);
        assert_eq!(detail(&r, other, see), Detail::Busy);
        assert_eq!(detail(&r, other, RoomRights::ALL), Detail::Full);
    }
}
