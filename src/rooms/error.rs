use crate::access::Denied;
use crate::model::reservation::Reservation;
use crate::store::StoreError;
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("no such room")]
    NotFound,
    #[error("no such resource")]
    ResourceNotFound,
    #[error("a {0} with this name already exists")]
    NameTaken(&'static str),
    #[error("the room has {} current or future reservations; choose whether to cancel or keep them", .0.len())]
    HasFutureReservations(Vec<Reservation>),
    #[error("the room was changed by someone else (now at version {current})")]
    StaleVersion { current: u64 },
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FieldErrors> for RoomError {
    fn from(e: FieldErrors) -> Self {
        RoomError::Invalid(e)
    }
}
