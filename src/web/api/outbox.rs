//! Deliveries on the wire: the e-mail delivery log and webhook calls (with the dead letters).

use crate::model::notify::{Delivery, DeliveryStatus};
use crate::types::DeliveryId;
use crate::validation::FieldErrors;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct DeliveryDto {
    #[schema(value_type = String, format = Uuid)]
    id: DeliveryId,
    /// E-mail: the address. Webhook: the webhook's id.
    recipient: String,
    /// `reservation.created`, `reminder`… (e-mail) or the event kind (webhook).
    kind: String,
    /// E-mail: the subject (once rendered). Webhook: the URL.
    subject: String,
    /// `pending`, `sent` or `dead` (given up; retry it).
    status: String,
    attempts: u32,
    last_error: Option<String>,
    next_attempt_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    /// Webhooks only: the JSON body sent.
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<serde_json::Value>,
}

impl DeliveryDto {
    pub fn email(d: Delivery) -> Self {
        Self::new(d, false)
    }

    pub fn webhook(d: Delivery) -> Self {
        Self::new(d, true)
    }

    fn new(d: Delivery, with_body: bool) -> Self {
        let status = match d.status {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Dead => "dead",
        };
        DeliveryDto {
            id: d.id,
            recipient: d.recipient,
            kind: d.kind,
            subject: d.subject,
            status: status.to_string(),
            attempts: d.attempts,
            last_error: d.last_error,
            next_attempt_at: (d.status == DeliveryStatus::Pending).then_some(d.next_attempt_at),
            created_at: d.created_at,
            sent_at: d.sent_at,
            body: with_body.then_some(d.payload),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// `pending`, `sent` or `dead`.
    status: Option<String>,
    /// At most this many (1 to 1000, default 100).
    limit: Option<usize>,
}

impl DeliveryQuery {
    pub fn parse(&self) -> Result<(Option<DeliveryStatus>, usize), FieldErrors> {
        let status = match self.status.as_deref() {
            None => None,
            Some("pending") => Some(DeliveryStatus::Pending),
            Some("sent") => Some(DeliveryStatus::Sent),
            Some("dead") => Some(DeliveryStatus::Dead),
            Some(_) => {
                return Err(FieldErrors::one("status", "invalid", "must be pending, sent or dead"));
            }
        };
        Ok((status, self.limit.unwrap_or(100).clamp(1, 1000)))
    }
}
