//! What reports are computed from (plain rows, no store types) and what they answer.

use super::hours::WorkingDay;
use crate::types::{RoomId, UserId};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

/// A room as reports see it.
#[derive(Clone, Debug)]
pub struct RoomRow {
    pub id: RoomId,
    pub name: String,
    pub location: String,
    pub capacity: u32,
    pub tz: Tz,
    /// The room's effective policy: its opening hours (the working day where none are set) and
    /// blackout days are its open hours.
    pub policy: crate::model::policy::Policy,
}

/// A reservation as reports see it.
#[derive(Clone, Debug)]
pub struct BookingRow {
    pub room_id: RoomId,
    pub user_id: UserId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// Set for a cancelled reservation.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The organiser plus the attendees.
    pub people: u32,
    /// Released because nobody checked in (no longer holds its slot).
    pub no_show: bool,
    /// Checked in: the room was actually used.
    pub checked_in: bool,
}

impl BookingRow {
    /// Held its slot to the end: neither cancelled nor released as a no-show.
    pub fn is_live(&self) -> bool {
        self.cancelled_at.is_none() && !self.no_show
    }
}

/// How a report is computed.
#[derive(Clone, Debug)]
pub struct Params {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub working_day: WorkingDay,
    /// A cancellation less than this before the start (or after it) is late.
    pub late_cancel: Duration,
    /// The zone periods (days, months) are cut in.
    pub zone: Tz,
}

pub fn hours(seconds: i64) -> f64 {
    seconds as f64 / 3600.0
}

pub fn ratio(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// Booked hours over open hours for one room, a location, a period or everything.
#[derive(Clone, Debug, Default, Serialize, ToSchema, PartialEq)]
pub struct Utilization {
    /// Open hours in the window (the working day, in the room's zone).
    pub open_hours: f64,
    /// Hours of live reservations inside the open hours.
    pub booked_hours: f64,
    /// `booked_hours / open_hours`, 0 to 1.
    pub utilization: f64,
    /// Hours of live reservations in the window, open or not.
    pub booked_hours_all: f64,
    /// Live reservations overlapping the window.
    pub reservations: u64,
    /// Reservations overlapping the window released because nobody checked in.
    pub no_shows: u64,
    /// `no_shows / (reservations + no_shows)`: the share of booked meetings nobody came to.
    pub no_show_rate: f64,
    /// Live reservations overlapping the window that were checked in.
    pub checked_in: u64,
    /// Actual use: hours of checked-in reservations inside the open hours. Absent where no
    /// check-in data exists (nothing was checked in or released as a no-show).
    pub actual_hours: Option<f64>,
    /// `actual_hours` over the open hours of the rooms that have check-in data, 0 to 1.
    pub actual_utilization: Option<f64>,
    /// Open hours of the rooms with check-in data (the base of `actual_utilization`).
    #[serde(skip)]
    pub checkin_open_hours: f64,
}

impl Utilization {
    pub(super) fn add(&mut self, other: &Utilization) {
        self.open_hours += other.open_hours;
        self.booked_hours += other.booked_hours;
        self.booked_hours_all += other.booked_hours_all;
        self.reservations += other.reservations;
        self.utilization = ratio(self.booked_hours, self.open_hours);
        self.no_shows += other.no_shows;
        self.checked_in += other.checked_in;
        self.no_show_rate = ratio(self.no_shows as f64, (self.reservations + self.no_shows) as f64);
        self.checkin_open_hours += other.checkin_open_hours;
        self.actual_hours = match (self.actual_hours, other.actual_hours) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
        self.actual_utilization = self.actual_hours.map(|h| ratio(h, self.checkin_open_hours));
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RoomUtilization {
    #[schema(value_type = String, format = Uuid)]
    pub room_id: RoomId,
    pub name: String,
    pub location: String,
    pub capacity: u32,
    #[serde(flatten)]
    pub figures: Utilization,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LocationUtilization {
    pub location: String,
    pub rooms: u32,
    #[serde(flatten)]
    pub figures: Utilization,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PeriodUtilization {
    /// `2026-06-01` for a day, `2026-06` for a month.
    pub period: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    #[serde(flatten)]
    pub figures: Utilization,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UtilizationReport {
    pub total: Utilization,
    pub rooms: Vec<RoomUtilization>,
    pub locations: Vec<LocationUtilization>,
    /// Days for windows up to 62 days, months beyond.
    pub periods: Vec<PeriodUtilization>,
}

/// One local clock hour of one weekday.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq)]
pub struct Cell {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// Local hour, 0–23.
    pub hour: u8,
    pub booked_hours: f64,
    /// Booked room-hours over the room-hours of this weekday and hour in the window, 0 to 1.
    pub occupancy: f64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OccupancyReport {
    /// 7 × 24 cells, Monday 00:00 first, in each room's local time.
    pub heatmap: Vec<Cell>,
    /// The busiest cells, busiest first (at most five, none empty).
    pub peaks: Vec<Cell>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RoomSize {
    #[schema(value_type = String, format = Uuid)]
    pub room_id: RoomId,
    pub name: String,
    pub capacity: u32,
    pub meetings: u64,
    /// Average of attendees + 1.
    pub avg_people: f64,
    /// `avg_people / capacity`.
    pub avg_fill: f64,
    /// Share of meetings using at most a quarter of the seats.
    pub small_meeting_share: f64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Booker {
    #[schema(value_type = String, format = Uuid)]
    pub user_id: UserId,
    /// Filled in from the user directory.
    pub name: String,
    pub reservations: u64,
    pub hours: f64,
    pub cancellations: u64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BehaviourReport {
    /// Reservations starting in the window, cancelled or not.
    pub reservations: u64,
    pub cancellations: u64,
    /// Cancelled less than the configured notice before the start, or after it.
    pub late_cancellations: u64,
    pub cancellation_rate: f64,
    /// Reservations released because nobody checked in.
    pub no_shows: u64,
    /// `no_shows` over the reservations that were not cancelled.
    pub no_show_rate: f64,
    /// Hours between booking and start, live reservations.
    pub avg_lead_hours: f64,
    pub avg_length_minutes: f64,
    pub sizes: Vec<RoomSize>,
    /// Most reservations first, at most ten.
    pub top_bookers: Vec<Booker>,
}

/// Everything, for the PDF, the workbook and the page.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Report {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub utilization: UtilizationReport,
    pub occupancy: OccupancyReport,
    pub behaviour: BehaviourReport,
}
