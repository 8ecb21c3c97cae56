//! Rooms and the resources (equipment) they have, as the store keeps them.

use super::policy::PolicyOverrides;
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
    /// Whether meetings here must be checked in to keep the room.
    #[serde(default)]
    pub checkin: CheckIn,
    /// This room's own policy settings; unset ones inherit the location's and the global ones.
    #[serde(default, skip_serializing_if = "PolicyOverrides::is_empty")]
    pub policy: PolicyOverrides,
    /// False once archived: no new bookings, hidden from listings by default.
    pub active: bool,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A room's check-in rule: when `required`, a reservation not checked in within `window_minutes`
/// of its start (None: the configured default) is released as a no-show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIn {
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_minutes: Option<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Resource {
    pub id: ResourceId,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
