use crate::access::Denied;
use crate::model::reservation::Reservation;
use crate::store::StoreError;
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum ReservationError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("no such reservation")]
    NotFound,
    #[error("no such booking field")]
    FieldNotFound,
    #[error("the room is already booked at that time")]
    Conflict(Vec<Reservation>),
    /// Occurrences of a series that are taken, each with the reservations in its way.
    #[error("the room is already booked at some occurrences of the series")]
    SeriesConflict(Vec<crate::reservations::series::Clash>),
    /// Too close to other reservations for the room's buffer (a policy).
    #[error("the room keeps {minutes} minutes free between bookings")]
    BufferClash { minutes: u32, neighbours: Vec<Reservation> },
    #[error("the reservation was changed by someone else (now at version {current})")]
    StaleVersion { current: u64 },
    #[error("the reservation is cancelled and cannot be changed")]
    Cancelled,
    #[error("the reservation has already ended")]
    Ended,
    /// Approve and decline act on pending requests only.
    #[error("the reservation is {}, not pending approval", .0.as_str())]
    NotPending(crate::model::reservation::Status),
    /// Declined and no-show reservations are history, like cancelled ones.
    #[error("the reservation is {} and cannot be changed", .0.as_str())]
    Closed(crate::model::reservation::Status),
    /// Check-in is not possible now; the code says why (`checkin_not_open`, `checkin_closed`,
    /// `not_confirmed`…).
    #[error("{message}")]
    CheckIn { code: &'static str, message: String },
    /// "End early" at a door display: the meeting is not under way (`not_started`,
    /// `already_over`, `not_live`).
    #[error("only a meeting under way can end early ({0})")]
    NotUnderWay(&'static str),
    /// The actor may see the room but its access rules do not let them book it.
    #[error("you may not book {0}: its access rules reserve booking for certain groups or roles")]
    NotBookable(String),
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FieldErrors> for ReservationError {
    fn from(e: FieldErrors) -> Self {
        ReservationError::Invalid(e)
    }
}
