use crate::access::Denied;
use crate::store::StoreError;
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("the template does not render: {0}")]
    Template(String),
    #[error("e-mail is off: set [smtp] host (SALAS_SMTP_HOST) to send e-mail")]
    EmailOff,
    #[error("SMS is off: set [sms] provider (SALAS_SMS_PROVIDER) to send text messages")]
    SmsOff,
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FieldErrors> for NotifyError {
    fn from(e: FieldErrors) -> Self {
        NotifyError::Invalid(e)
    }
}
