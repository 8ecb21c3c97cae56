use crate::access::Denied;
use crate::store::StoreError;
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("no such group")]
    NotFound,
    #[error("no such user")]
    UserNotFound,
    #[error("no such room")]
    RoomNotFound,
    #[error("a group with this name already exists")]
    NameTaken,
    #[error("the group was changed by someone else (now at version {current})")]
    StaleVersion { current: u64 },
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FieldErrors> for GroupError {
    fn from(e: FieldErrors) -> Self {
        GroupError::Invalid(e)
    }
}
