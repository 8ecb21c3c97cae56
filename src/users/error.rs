use crate::access::Denied;
use crate::store::StoreError;
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("a user with this e-mail address already exists")]
    EmailTaken,
    #[error("no such user")]
    NotFound,
    #[error("no such API key")]
    KeyNotFound,
    #[error("wrong e-mail address or password")]
    BadCredentials,
    #[error("too many failed sign-ins; try again in {retry_after_secs} seconds")]
    LockedOut { retry_after_secs: u64 },
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("signing in with a password is turned off here; use single sign-on")]
    LocalPasswordsOff,
    #[error("the sign-in directory cannot be reached: {0}")]
    DirectoryUnavailable(String),
    #[error("this link is not known")]
    LinkUnknown,
    #[error("this link has expired or was already used")]
    LinkGone,
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FieldErrors> for UserError {
    fn from(e: FieldErrors) -> Self {
        UserError::Invalid(e)
    }
}
