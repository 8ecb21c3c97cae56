use super::model::Reservation;
use crate::access::Denied;
use crate::store::StoreError;
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum ReservationError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("no such reservation")]
    NotFound,
    #[error("the room is already booked at that time")]
    Conflict(Vec<Reservation>),
    /// Occurrences of a series that are taken, each with the reservations in its way.
    #[error("the room is already booked at some occurrences of the series")]
    SeriesConflict(Vec<crate::reservations::series::Clash>),
    #[error("the reservation was changed by someone else (now at version {current})")]
    StaleVersion { current: u64 },
    #[error("the reservation is cancelled and cannot be changed")]
    Cancelled,
    #[error("the reservation has already ended")]
    Ended,
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
