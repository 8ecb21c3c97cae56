//! Rooms and the resources (equipment) they have, as the store keeps them.

use crate::types::{ResourceId, RoomId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Room {
    pub id: RoomId,
    pub name: String,
    pub capacity: u32,
    pub location: String,
    pub description: String,
    /// An IANA zone name, e.g. `Europe/Madrid`.
    pub timezone: String,
    pub resources: Vec<ResourceId>,
    pub requires_approval: bool,
    /// False once archived: no new bookings, hidden from listings by default.
    pub active: bool,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Resource {
    pub id: ResourceId,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
