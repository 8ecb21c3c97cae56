//! Room door displays as the store keeps them.

use crate::types::{DisplayId, RoomId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A device token for one room's door display. The token itself is shown once, when created;
/// only its SHA-256 is kept, so a copy of the store opens no display.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Display {
    pub id: DisplayId,
    pub room_id: RoomId,
    /// Where the device is ("Door, 2nd floor"), so an admin can tell tokens apart.
    pub name: String,
    pub secret_hash: [u8; 32],
    /// The first characters of the token, to match a device to its row.
    pub prefix: String,
    /// The admin who created it; walk-up bookings made on the display are theirs to manage.
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
}
