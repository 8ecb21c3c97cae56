//! What the reports keep: scheduled report subscriptions, and the settings of `[reports]`.

use super::policy::{Policy, WeekHours};
use crate::types::{RoomId, SubscriptionId, UserId};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Monday to Sunday, sent after the week ends.
    Weekly,
    /// A calendar month, sent after it ends.
    Monthly,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Subscription {
    #[schema(value_type = String, format = Uuid)]
    pub id: SubscriptionId,
    #[schema(value_type = String, format = Uuid)]
    pub user_id: UserId,
    pub period: Period,
    /// Only this room (absent: every room in scope).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub room_id: Option<RoomId>,
    /// Only rooms at this location.
    pub location: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Start of the last period staged for sending.
    pub last_period: Option<DateTime<Utc>>,
}

/// When rooms without opening hours (none set globally, for their location or for them) count as
/// open, in each room's own zone: by default 08:00–18:00, Monday to Friday.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkingDay {
    /// Monday first.
    pub days: [bool; 7],
    /// Minutes after local midnight.
    pub opens: u32,
    /// Minutes after local midnight; 1440 is the next midnight.
    pub closes: u32,
}

impl Default for WorkingDay {
    fn default() -> Self {
        WorkingDay { days: [true, true, true, true, true, false, false], opens: 8 * 60, closes: 18 * 60 }
    }
}

impl WorkingDay {
    /// The working day as opening hours: the same hours on each working weekday.
    pub fn week(&self) -> WeekHours {
        // `opens < closes <= 1440` is checked when the configuration loads.
        WeekHours::uniform(self.days, self.opens as u16, self.closes as u16)
    }
}

/// Settings from `[reports]`, checked at start.
#[derive(Clone, Debug)]
pub struct Settings {
    pub working_day: WorkingDay,
    /// The `[policies]` defaults; with each location's and room's settings they give a room's
    /// opening hours and blackouts, which are its open hours.
    pub policy: Policy,
    pub late_cancel: Duration,
    /// Zone of the report's days and months; rooms use their own for open hours.
    pub zone: Tz,
}
