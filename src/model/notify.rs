//! What the notification modules keep in the store: outgoing deliveries (e-mails and webhook
//! calls), the in-app inbox, per-user preferences, webhooks and edited e-mail templates.

use crate::types::{DeliveryId, EventId, NotificationId, PushSubscriptionId, ReservationId, UserId, WebhookId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Webhook,
    /// A text message to a user's phone (`recipient`: E.164).
    Sms,
    /// A Web Push message to one browser (`recipient`: the push subscription's id).
    Push,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Not sent yet; tried again at `next_attempt_at`.
    Pending,
    Sent,
    /// Gave up after the last attempt (the dead-letter list); an admin can retry it.
    Dead,
}

/// One e-mail to one recipient, or one call of one webhook. Created once per (event, recipient)
/// by an event consumer, then sent (and retried) by the channel's sender.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Delivery {
    pub id: DeliveryId,
    pub channel: Channel,
    /// E-mail: the address. Webhook: the webhook's id.
    pub recipient: String,
    /// `en` or `es` (e-mail only).
    pub language: String,
    /// What happened: `reservation.created`, `reservation.updated`, `reservation.cancelled`,
    /// `reminder`, or any event kind for webhooks.
    pub kind: String,
    pub event_id: Option<EventId>,
    /// E-mail: set when the message is first rendered. Webhook: the URL called.
    pub subject: String,
    /// E-mail: the reservation as the event recorded it. Webhook: the JSON body.
    pub payload: serde_json::Value,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl Delivery {
    /// A delivery not tried yet, due `now`, with no language, event or subject (set them with
    /// struct update syntax where they apply).
    pub fn pending(
        channel: Channel,
        recipient: &str,
        kind: &str,
        payload: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Delivery {
        Delivery {
            id: DeliveryId::new(),
            channel,
            recipient: recipient.to_string(),
            language: String::new(),
            kind: kind.to_string(),
            event_id: None,
            subject: String::new(),
            payload,
            status: DeliveryStatus::Pending,
            attempts: 0,
            last_error: None,
            next_attempt_at: now,
            created_at: now,
            sent_at: None,
        }
    }
}

/// An entry of a user's in-app notification centre.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Notification {
    pub id: NotificationId,
    pub user_id: UserId,
    pub kind: String,
    /// Already in the user's language.
    pub title: String,
    pub reservation_id: Option<ReservationId>,
    pub starts_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// Which notifications a user wants. Users who never saved any get [`Preferences::default`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    pub email: bool,
    pub in_app: bool,
    /// Text messages to the user's phone (off until chosen: they may cost).
    pub sms: bool,
    /// Web Push to the browsers the user subscribed (they subscribe one by one, so it is on).
    pub push: bool,

    pub reservation_created: bool,
    pub reservation_updated: bool,
    pub reservation_cancelled: bool,
    pub reminders: bool,
    /// Minutes before a meeting its reminder goes out; None: the server's default.
    pub reminder_minutes: Option<u32>,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            email: true,
            in_app: true,
            sms: false,
            push: true,
            reservation_created: true,
            reservation_updated: true,
            reservation_cancelled: true,
            reminders: true,
            reminder_minutes: None,
        }
    }
}

impl Preferences {
    /// Whether notifications of `kind` are wanted at all (on any channel).
    pub fn wants(&self, kind: &str) -> bool {
        match kind {
            "reservation.created" | "series.created" => self.reservation_created,
            "reservation.updated" => self.reservation_updated,
            "reservation.cancelled" | "series.cancelled" => self.reservation_cancelled,
            "reminder" => self.reminders,
            _ => true,
        }
    }
}

/// A URL an admin registered to be told about events.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Webhook {
    pub id: WebhookId,
    pub url: String,
    /// Key of the HMAC-SHA256 signature of every body.
    pub secret: String,
    /// Event kinds to send (`reservation.created`…); `*` means all.
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// The body's shape; webhooks from before formats existed are `json`.
    #[serde(default)]
    pub format: WebhookFormat,
    /// Where a `matrix` webhook posts (`url` is then the homeserver).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<MatrixTarget>,
}

/// What a webhook's body looks like: the event as Salas records it, or a readable message in the
/// shape a chat platform's incoming webhook (or Matrix's client API) takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    #[default]
    Json,
    Slack,
    Teams,
    Matrix,
}

impl WebhookFormat {
    pub const ALL: [WebhookFormat; 4] =
        [WebhookFormat::Json, WebhookFormat::Slack, WebhookFormat::Teams, WebhookFormat::Matrix];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Json => "json",
            WebhookFormat::Slack => "slack",
            WebhookFormat::Teams => "teams",
            WebhookFormat::Matrix => "matrix",
        }
    }

    pub fn from_code(code: &str) -> Option<WebhookFormat> {
        WebhookFormat::ALL.into_iter().find(|f| f.as_str() == code)
    }
}

/// The Matrix room a webhook posts to, as the bot user whose access token this is.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MatrixTarget {
    /// A room id (`!abc:example.org`), not an alias: the send endpoint takes ids only.
    pub room: String,
    /// Sealed like `Webhook::secret`; never shown or logged.
    pub access_token: String,
}

impl Webhook {
    pub fn wants(&self, kind: &str) -> bool {
        self.active && self.events.iter().any(|e| e == "*" || e == kind)
    }
}

/// An admin's version of an e-mail template (one kind, one language).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailTemplate {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A browser's Web Push subscription (its `PushSubscription`): where to post and the keys to
/// encrypt for. One per user and device.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PushSubscription {
    pub id: PushSubscriptionId,
    pub user_id: UserId,
    /// The push service's URL for this browser.
    pub endpoint: String,
    /// The browser's P-256 public key (base64url, 65 bytes uncompressed).
    pub p256dh: String,
    /// The browser's auth secret (base64url, 16 bytes).
    pub auth: String,
    pub created_at: DateTime<Utc>,
}
