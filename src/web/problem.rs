//! Every error becomes an RFC 9457 problem+json response here, and only here.

use crate::access::Denied;
use crate::notify::NotifyError;
use crate::reports::ReportError;
use crate::reservations::ReservationError;
use crate::rooms::RoomError;
use crate::scheduler::SchedulerError;
use crate::search::SearchError;
use crate::store::StoreError;
use crate::users::UserError;
use crate::validation::{FieldError, FieldErrors};
use crate::webhooks::WebhookError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An error response. `type` is `urn:salas:problem:<code>`; `code` is stable and can be used
/// to look up a translated message.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For validation errors: every bad field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For booking conflicts: the reservations in the way.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<super::api::reservations::ReservationDto>>)]
    pub conflicts: Option<Vec<super::api::reservations::ReservationDto>>,
    /// For a recurring booking: each occurrence that is taken, with the ids of what is in its way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrences: Option<Vec<super::api::series::ClashDto>>,
    /// For a calendar import that books nothing: each event or occurrence that clashes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<Vec<super::api::import::SkippedDto>>,
    #[serde(skip)]
    retry_after: Option<u64>,
    /// The internal cause of a 5xx, for the log only.
    #[serde(skip)]
    cause: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:salas:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            conflicts: None,
            occurrences: None,
            skipped: None,
            retry_after: None,
            cause: None,
        }
    }

    /// Seconds to wait, for a 429 or 503.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "malformed", detail)
    }

    pub fn invalid(errors: FieldErrors) -> Problem {
        let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("invalid input: {errors}"));
        p.errors = errors.0;
        p
    }

    pub fn not_found(what: &str) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", format!("no such {what}"))
    }

    pub fn unauthenticated(detail: &str) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }

    pub fn rate_limited(retry_after_secs: u64, detail: impl Into<String>) -> Problem {
        let mut p = Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", detail);
        p.retry_after = Some(retry_after_secs);
        p
    }

    /// The internal cause of a 5xx, for the log.
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    fn internal(cause: impl std::fmt::Display) -> Problem {
        let mut p = Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on the server; nothing was changed. The log has the details (see the x-request-id header)",
        );
        p.cause = Some(cause.to_string());
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, axum::Json(&self)).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(cause) = self.cause {
            // Logged by the access-log middleware with the request id, not here.
            res.extensions_mut().insert(InternalCause(cause));
        }
        res
    }
}

/// The cause of a 5xx, carried to the logging middleware.
#[derive(Clone)]
pub struct InternalCause(pub String);

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        match e {
            StoreError::Closed => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "shutting-down", e.to_string()),
            // The disk, not the request, is at fault; the store recovers by itself when it works.
            StoreError::Unavailable(_) => {
                let mut p = Problem::new(StatusCode::SERVICE_UNAVAILABLE, "storage-unavailable", e.to_string());
                p.retry_after = Some(5);
                p
            }
            e => Problem::internal(e),
        }
    }
}

impl From<Denied> for Problem {
    fn from(e: Denied) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", e.to_string())
    }
}

impl From<FieldErrors> for Problem {
    fn from(e: FieldErrors) -> Problem {
        Problem::invalid(e)
    }
}

impl From<UserError> for Problem {
    fn from(e: UserError) -> Problem {
        match e {
            UserError::Invalid(errors) => Problem::invalid(errors),
            UserError::EmailTaken => Problem::new(StatusCode::CONFLICT, "email-taken", e.to_string()),
            UserError::NotFound => Problem::not_found("user"),
            UserError::KeyNotFound => Problem::not_found("API key"),
            UserError::BadCredentials => Problem::new(StatusCode::UNAUTHORIZED, "bad-credentials", e.to_string()),
            UserError::LockedOut { retry_after_secs } => Problem::rate_limited(retry_after_secs, e.to_string()),
            UserError::Unauthenticated(why) => Problem::unauthenticated(why),
            UserError::LocalPasswordsOff => {
                Problem::new(StatusCode::FORBIDDEN, "local-passwords-disabled", e.to_string())
            }
            UserError::DirectoryUnavailable(_) => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "directory-unavailable", e.to_string())
            }
            UserError::LinkUnknown => Problem::new(StatusCode::NOT_FOUND, "link-unknown", e.to_string()),
            UserError::LinkGone => Problem::new(StatusCode::GONE, "link-gone", e.to_string()),
            UserError::Denied(d) => d.into(),
            UserError::Store(s) => s.into(),
        }
    }
}

impl From<crate::groups::GroupError> for Problem {
    fn from(e: crate::groups::GroupError) -> Problem {
        use crate::groups::GroupError;
        match e {
            GroupError::Invalid(errors) => Problem::invalid(errors),
            GroupError::NotFound => Problem::not_found("group"),
            GroupError::UserNotFound => Problem::not_found("user"),
            GroupError::RoomNotFound => Problem::not_found("room"),
            GroupError::NameTaken => {
                let mut p = Problem::new(StatusCode::CONFLICT, "name-taken", e.to_string());
                p.errors = FieldErrors::one("name", "taken", "is already taken").0;
                p
            }
            GroupError::StaleVersion { .. } => {
                Problem::new(StatusCode::PRECONDITION_FAILED, "stale-version", e.to_string())
            }
            GroupError::Denied(d) => d.into(),
            GroupError::Store(s) => s.into(),
        }
    }
}

impl From<RoomError> for Problem {
    fn from(e: RoomError) -> Problem {
        match e {
            RoomError::Invalid(errors) => Problem::invalid(errors),
            RoomError::NotFound => Problem::not_found("room"),
            RoomError::ResourceNotFound => Problem::not_found("resource"),
            RoomError::NameTaken(_) => {
                let mut p = Problem::new(StatusCode::CONFLICT, "name-taken", e.to_string());
                p.errors = FieldErrors::one("name", "taken", "is already taken").0;
                p
            }
            RoomError::HasFutureReservations(ref list) => {
                let mut p = Problem::new(
                    StatusCode::CONFLICT,
                    "room-has-reservations",
                    format!("{e}: repeat the request with ?future_reservations=cancel or ?future_reservations=keep"),
                );
                p.conflicts = Some(list.iter().map(Into::into).collect());
                p
            }
            RoomError::StaleVersion { .. } => {
                Problem::new(StatusCode::PRECONDITION_FAILED, "stale-version", e.to_string())
            }
            RoomError::Denied(d) => d.into(),
            RoomError::Store(s) => s.into(),
        }
    }
}

impl From<crate::waitlist::WaitlistError> for Problem {
    fn from(e: crate::waitlist::WaitlistError) -> Problem {
        use crate::waitlist::WaitlistError as W;
        match e {
            W::Denied(d) => d.into(),
            W::Invalid(errors) => Problem::invalid(errors),
            W::RoomNotFound => Problem::not_found("room"),
            W::NotFound => Problem::not_found("waitlist entry"),
            e @ W::SlotFree => Problem::new(StatusCode::CONFLICT, "slot-free", e.to_string()),
            e @ W::AlreadyWaiting => Problem::new(StatusCode::CONFLICT, "already-waiting", e.to_string()),
            W::Store(e) => e.into(),
        }
    }
}

impl From<ReportError> for Problem {
    fn from(e: ReportError) -> Problem {
        match e {
            ReportError::Denied(d) => d.into(),
            ReportError::Invalid(errors) => Problem::invalid(errors),
            ReportError::RoomNotFound => Problem::not_found("room"),
            ReportError::Store(e) => e.into(),
            e @ ReportError::Export(..) => Problem::internal(e),
        }
    }
}

impl From<crate::calendars::CalendarError> for Problem {
    fn from(e: crate::calendars::CalendarError) -> Problem {
        use crate::calendars::CalendarError as E;
        match e {
            E::NotFound => Problem::not_found("calendar or event"),
            E::PreconditionFailed => {
                Problem::new(StatusCode::PRECONDITION_FAILED, "precondition-failed", e.to_string())
            }
            E::BadRequest(_) => Problem::bad_request(e.to_string()),
            E::BadData(_) => Problem::new(StatusCode::BAD_REQUEST, "valid-calendar-data", e.to_string()),
            E::Unsupported(_) => Problem::new(StatusCode::FORBIDDEN, "supported-calendar-component", e.to_string()),
            E::NotARoom => Problem::new(StatusCode::FORBIDDEN, "not-a-room", e.to_string()),
            E::BadSyncToken => Problem::new(StatusCode::FORBIDDEN, "valid-sync-token", e.to_string()),
            E::ReadOnly => Problem::new(StatusCode::FORBIDDEN, "forbidden", e.to_string()),
            E::ImportClashes(ref list) => {
                let mut p = Problem::new(StatusCode::CONFLICT, "import-conflict", e.to_string());
                p.skipped = Some(list.iter().map(Into::into).collect());
                p
            }
            E::Reservation(e) => e.into(),
            E::Store(e) => e.into(),
        }
    }
}

impl From<ReservationError> for Problem {
    fn from(e: ReservationError) -> Problem {
        match e {
            ReservationError::Invalid(errors) => Problem::invalid(errors),
            ReservationError::NotFound => Problem::not_found("reservation"),
            ReservationError::FieldNotFound => Problem::not_found("booking field"),
            ReservationError::Conflict(ref list) => {
                let mut p = Problem::new(StatusCode::CONFLICT, "conflict", e.to_string());
                p.conflicts = Some(list.iter().map(Into::into).collect());
                p
            }
            ReservationError::BufferClash { minutes, ref neighbours } => {
                // Like a conflict (the slot is not free), with the field error a form shows.
                let mut p = Problem::new(StatusCode::CONFLICT, "buffer", e.to_string());
                p.conflicts = Some(neighbours.iter().map(Into::into).collect());
                p.errors = crate::reservations::policy::buffer_error(minutes).0;
                p
            }
            ReservationError::SeriesConflict(ref clashes) => {
                let mut p = Problem::new(StatusCode::CONFLICT, "conflict", e.to_string());
                let mut in_the_way: Vec<&crate::model::reservation::Reservation> = Vec::new();
                for c in clashes.iter().flat_map(|c| &c.conflicts) {
                    if !in_the_way.iter().any(|r| r.id == c.id) {
                        in_the_way.push(c);
                    }
                }
                p.conflicts = Some(in_the_way.into_iter().map(Into::into).collect());
                p.occurrences = Some(clashes.iter().map(Into::into).collect());
                p
            }
            ReservationError::StaleVersion { .. } => {
                Problem::new(StatusCode::PRECONDITION_FAILED, "stale-version", e.to_string())
            }
            ReservationError::Cancelled => Problem::new(StatusCode::CONFLICT, "cancelled", e.to_string()),
            ReservationError::Ended => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "ended", e.to_string()),
            ReservationError::NotPending(_) => Problem::new(StatusCode::CONFLICT, "not_pending", e.to_string()),
            ReservationError::Closed(_) => Problem::new(StatusCode::CONFLICT, "closed", e.to_string()),
            ReservationError::CheckIn { code, .. } => Problem::new(StatusCode::CONFLICT, code, e.to_string()),
            ReservationError::NotUnderWay(code) => Problem::new(StatusCode::CONFLICT, code, e.to_string()),
            ReservationError::NotBookable(_) => Problem::new(StatusCode::FORBIDDEN, "room-not-bookable", e.to_string()),
            ReservationError::Denied(d) => d.into(),
            ReservationError::Store(s) => s.into(),
        }
    }
}

impl From<NotifyError> for Problem {
    fn from(e: NotifyError) -> Problem {
        match e {
            NotifyError::Invalid(errors) => Problem::invalid(errors),
            NotifyError::NotFound(what) => Problem::not_found(what),
            NotifyError::Template(_) => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "template", e.to_string()),
            NotifyError::EmailOff => Problem::new(StatusCode::CONFLICT, "email-off", e.to_string()),
            NotifyError::SmsOff => Problem::new(StatusCode::CONFLICT, "sms-off", e.to_string()),
            NotifyError::Denied(d) => d.into(),
            NotifyError::Store(s) => s.into(),
        }
    }
}

impl From<SearchError> for Problem {
    fn from(e: SearchError) -> Problem {
        match e {
            SearchError::NotReady => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "search-not-ready", e.to_string()),
            SearchError::Index(_) => Problem::internal(e),
            SearchError::Store(s) => s.into(),
            SearchError::Reservations(r) => r.into(),
        }
    }
}

impl From<WebhookError> for Problem {
    fn from(e: WebhookError) -> Problem {
        match e {
            WebhookError::Invalid(errors) => Problem::invalid(errors),
            WebhookError::NotFound(what) => Problem::not_found(what),
            WebhookError::Denied(d) => d.into(),
            WebhookError::Store(s) => s.into(),
        }
    }
}

impl From<SchedulerError> for Problem {
    fn from(e: SchedulerError) -> Problem {
        match e {
            SchedulerError::NotFound => Problem::not_found("job"),
            SchedulerError::Denied(d) => d.into(),
        }
    }
}

impl From<crate::displays::DisplayError> for Problem {
    fn from(e: crate::displays::DisplayError) -> Problem {
        use crate::displays::DisplayError;
        match e {
            DisplayError::Invalid(errors) => Problem::invalid(errors),
            DisplayError::NotFound => Problem::not_found("display"),
            DisplayError::RoomNotFound => Problem::not_found("room"),
            // Like a revoked feed token: the address simply does not exist (any more).
            DisplayError::BadToken => Problem::not_found("display"),
            DisplayError::Denied(d) => d.into(),
            DisplayError::Store(s) => s.into(),
        }
    }
}

impl From<crate::audit::AuditError> for Problem {
    fn from(e: crate::audit::AuditError) -> Problem {
        use crate::audit::AuditError;
        match e {
            AuditError::Denied(d) => d.into(),
            AuditError::Store(s) => s.into(),
        }
    }
}
