//! Webhooks: admins register URLs and the event kinds they want; an event consumer stages one
//! delivery per (event, webhook), and the sender POSTs it as JSON signed with HMAC-SHA256,
//! retrying with exponential backoff until it is accepted or given up (the dead-letter list).
//!
//! Signature: `X-Salas-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with
//! the Unix time in `X-Salas-Timestamp`, so a receiver can also refuse replays.
//!
//! A webhook's `format` says what the body is: the event (`json`), or a readable message for a
//! chat room (`slack`, `teams`, `matrix`; see [`chat`]). A chat message is written when the
//! delivery is staged, from the store as it was then, and sent as it is on every attempt.

pub mod chat;

use crate::access::{Action, Actor};
use crate::audit::{AuditAction, Entry};
use crate::clock::Clock;
use crate::config::WebhooksConfig;
use crate::events::Event;
use crate::events::bus::{Consumer, Staging};
use crate::i18n::{Lang, Tr};
use crate::model::notify::{Channel, Delivery, DeliveryStatus, MatrixTarget, Webhook, WebhookFormat};
use crate::notify::consumer::{event_once_key, reservation_event};
use crate::notify::email::describe;
use crate::notify::sender::{self, Outcome, Policy, Transport};
use crate::secrets::Sealer;
use crate::store::{Store, StoreError, Tx, View};
use crate::types::{DeliveryId, WebhookId};
use crate::validation::FieldErrors;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
use tokio::sync::{Notify, watch};

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error(transparent)]
    Denied(#[from] crate::access::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, WebhookError>;

#[derive(Clone)]
pub struct Webhooks {
    store: Store,
    clock: Clock,
    client: reqwest::Client,
    wake: Arc<Notify>,
    policy: Policy,
    /// Signing secrets and Matrix access tokens are stored sealed (src/secrets.rs).
    sealer: Sealer,
    /// The language of chat messages (`[webhooks] language`).
    tr: Tr,
}

pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    /// None: a random one is made (and shown once, in the answer).
    pub secret: Option<String>,
    pub format: WebhookFormat,
    /// Matrix only: the room id and the access token.
    pub matrix_room: Option<String>,
    pub matrix_token: Option<String>,
}

/// The signature header's value for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Webhooks {
    pub fn new(store: Store, clock: Clock, c: &WebhooksConfig, sealer: Sealer) -> Result<Webhooks> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(c.timeout_seconds.into()))
            .user_agent(concat!("Salas/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WebhookError::Store(StoreError::Storage(format!("HTTP client: {e}"))))?;
        let policy = Policy::new(c.max_attempts, c.retry_seconds, c.timeout_seconds);
        let tr = Tr::new(Lang::from_code(&c.language).unwrap_or(Lang::En));
        Ok(Webhooks { store, clock, client, wake: Arc::new(Notify::new()), policy, sealer, tr })
    }

    /// Seals signing secrets stored in plaintext by an older Salas; returns how many. Run at
    /// start, so the plaintext leaves the store's live pages soon after an upgrade.
    pub async fn seal_stored_secrets(&self) -> Result<usize> {
        let sealer = self.sealer.clone();
        self.store
            .write(move |tx: &mut Tx| {
                let plain: Vec<Webhook> =
                    tx.webhooks()?.into_iter().filter(|h| !Sealer::is_sealed(&h.secret)).collect();
                let count = plain.len();
                for mut hook in plain {
                    hook.secret = sealer.seal(&hook.secret);
                    tx.put_webhook(hook);
                }
                Ok(count)
            })
            .await
    }

    pub fn consumer(&self) -> Arc<dyn Consumer> {
        Arc::new(WebhookConsumer { clock: self.clock.clone(), wake: self.wake.clone(), tr: self.tr })
    }

    pub async fn run_sender(self, stop: watch::Receiver<bool>) {
        let (store, clock, policy, wake) = (self.store.clone(), self.clock.clone(), self.policy, self.wake.clone());
        sender::run(store, clock, Channel::Webhook, policy, self, wake, stop).await;
    }

    pub fn list(&self, actor: &Actor) -> Result<Vec<Webhook>> {
        actor.require(Action::ManageNotifications)?;
        let mut hooks = self.store.view()?.webhooks()?;
        hooks.sort_by_key(|h| h.created_at);
        Ok(hooks)
    }

    pub async fn create(&self, actor: &Actor, input: NewWebhook) -> Result<Webhook> {
        actor.require(Action::ManageNotifications)?;
        let mut errors = FieldErrors::new();
        let url_ok = reqwest::Url::parse(input.url.trim()).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        errors.check(url_ok, "url", "invalid", "must be an http:// or https:// URL");
        errors.check(!input.events.is_empty(), "events", "required", "name at least one event kind, or \"*\"");
        for (i, e) in input.events.iter().enumerate() {
            let ok = e == "*" || (e.contains('.') && e.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'));
            errors.check(ok, &format!("events[{i}]"), "invalid", "must be an event kind like reservation.created");
        }
        if let Some(s) = &input.secret {
            errors.check(s.len() >= 16, "secret", "too_short", "must have at least 16 characters");
        }
        let matrix = check_matrix(&mut errors, &input);
        errors.into_result().map_err(WebhookError::Invalid)?;
        let hook = Webhook {
            id: WebhookId::new(),
            url: input.url.trim().to_string(),
            secret: input.secret.unwrap_or_else(|| hex::encode(rand::random::<[u8; 24]>())),
            events: input.events,
            active: true,
            created_at: self.clock.now(),
            format: input.format,
            // The token is sealed at once: not even the answer to the creation carries it.
            matrix: matrix.map(|(room, token)| MatrixTarget { room, access_token: self.sealer.seal(&token) }),
        };
        let saved = Webhook { secret: self.sealer.seal(&hook.secret), ..hook.clone() };
        let detail = serde_json::json!({"events": hook.events, "format": hook.format});
        let audit = Entry::new(AuditAction::WebhookCreated, Some(actor.id)).target("webhook", hook.id, &hook.url);
        self.store
            .write(move |tx: &mut Tx| {
                tx.put_webhook(saved);
                audit.detail(detail).stage(tx)
            })
            .await?;
        // The caller shows the secret once; the store keeps it sealed.
        Ok(hook)
    }

    pub async fn delete(&self, actor: &Actor, id: WebhookId) -> Result<()> {
        actor.require(Action::ManageNotifications)?;
        let audit = Entry::new(AuditAction::WebhookDeleted, Some(actor.id));
        self.store
            .write(move |tx: &mut Tx| {
                let hook = tx.webhook(id)?.ok_or(WebhookError::NotFound("webhook"))?;
                tx.delete_webhook(id);
                audit.target("webhook", id, &hook.url).stage(tx)?;
                Ok(())
            })
            .await
    }

    /// Calls, newest first; `Some(Dead)` is the dead-letter list.
    pub fn deliveries(&self, actor: &Actor, status: Option<DeliveryStatus>, limit: usize) -> Result<Vec<Delivery>> {
        actor.require(Action::ManageNotifications)?;
        Ok(self.store.view()?.deliveries(Channel::Webhook, status, limit)?)
    }

    pub async fn retry(&self, actor: &Actor, id: DeliveryId) -> Result<Delivery> {
        actor.require(Action::ManageNotifications)?;
        let d = sender::retry(&self.store, &self.clock, Channel::Webhook, id).await?;
        self.wake.notify_one();
        d.ok_or(WebhookError::NotFound("delivery"))
    }

    async fn call(&self, d: &Delivery) -> std::result::Result<(), String> {
        let id = d.recipient.parse::<WebhookId>().map_err(|e| e.to_string())?;
        let hook = self.store.view().map_err(|e| e.to_string())?.webhook(id).map_err(|e| e.to_string())?;
        let hook = hook.ok_or("the webhook was deleted")?;
        let secret = self.sealer.open(&hook.secret).map_err(|e| e.to_string())?;
        let body = serde_json::to_vec(&d.payload).map_err(|e| e.to_string())?;
        let timestamp = self.clock.now().timestamp();
        let request = match (hook.format, &hook.matrix) {
            (WebhookFormat::Matrix, Some(m)) => {
                let token = self.sealer.open(&m.access_token).map_err(|e| e.to_string())?;
                self.client.put(chat::matrix_url(&hook.url, &m.room, &d.id.to_string())?).bearer_auth(token)
            }
            (WebhookFormat::Matrix, None) => return Err("the Matrix webhook has no room".into()),
            _ => self.client.post(&hook.url),
        };
        // The chat formats carry the signature too: harmless, and a proxy in between may check it.
        let res = request
            .header("content-type", "application/json")
            .header("x-salas-event", d.kind.as_str())
            .header("x-salas-delivery", d.id.to_string())
            .header("x-salas-timestamp", timestamp.to_string())
            .header("x-salas-signature", sign(&secret, timestamp, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        if res.status().is_success() { Ok(()) } else { Err(format!("the receiver answered {}", res.status())) }
    }
}

impl Transport for Webhooks {
    async fn send(&self, d: &Delivery) -> Outcome {
        Outcome { dead: false, subject: None, result: self.call(d).await }
    }
}

struct WebhookConsumer {
    clock: Clock,
    wake: Arc<Notify>,
    tr: Tr,
}

impl Consumer for WebhookConsumer {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    fn plan(&self, view: &View, event: &Event) -> std::result::Result<Vec<Staging>, String> {
        let kind = serde_json::to_value(event.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        let now = self.clock.now();
        let mut out: Vec<Staging> = Vec::new();
        let hooks: Vec<Webhook> =
            view.webhooks().map_err(|e| e.to_string())?.into_iter().filter(|h| h.wants(&kind)).collect();
        // Read the store for a message only when some chat room will get one.
        let about =
            if hooks.iter().any(|h| h.format != WebhookFormat::Json) { Some(about(view, event, &kind)?) } else { None };
        for hook in hooks {
            let payload = match about.as_ref().and_then(|a| chat::body(hook.format, a, &self.tr)) {
                Some(message) => message,
                None => serde_json::to_value(event).map_err(|e| e.to_string())?,
            };
            let d = Delivery {
                event_id: Some(event.id),
                subject: hook.url.clone(),
                ..Delivery::pending(Channel::Webhook, &hook.id.to_string(), &kind, payload, now)
            };
            let key = event_once_key(event, &["webhook", &event.id.to_string(), &hook.id.to_string()]);
            out.push(Box::new(move |tx: &mut Tx| {
                if !tx.is_done(key)? {
                    tx.mark_done(key);
                    tx.put_delivery(d);
                }
                Ok(())
            }));
        }
        Ok(out)
    }

    fn committed(&self) {
        self.wake.notify_one();
    }
}

/// A Matrix webhook's room and token, both required, and neither for the other formats; checked
/// into `errors`.
fn check_matrix(errors: &mut FieldErrors, input: &NewWebhook) -> Option<(String, String)> {
    let room = input.matrix_room.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let token = input.matrix_token.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if input.format != WebhookFormat::Matrix {
        errors.check(room.is_none(), "matrix_room", "invalid", "only for format \"matrix\"");
        errors.check(token.is_none(), "matrix_token", "invalid", "only for format \"matrix\"");
        return None;
    }
    // Room ids start with `!`; an alias (`#room:server`) is not accepted by the send endpoint.
    let room_ok = room.is_some_and(|r| r.starts_with('!') && !r.contains(char::is_whitespace));
    errors.check(room_ok, "matrix_room", "invalid", "must be a room id like !abc:example.org");
    errors.check(token.is_some(), "matrix_token", "required", "a Matrix access token is required");
    Some((room?.to_string(), token?.to_string())).filter(|_| room_ok)
}

/// What a chat message says about `event`: for a reservation, its room (name and zone) and owner
/// as the store has them now; for any other event, the name its snapshot carries.
fn about(view: &View, event: &Event, kind: &str) -> std::result::Result<chat::About, String> {
    let Some((kind, r)) = reservation_event(event) else {
        #[derive(serde::Deserialize)]
        struct Named {
            name: Option<String>,
        }
        let name = event.snapshot::<Named>().ok().and_then(|n| n.name).unwrap_or_default();
        let utc = chrono_tz::Tz::UTC;
        return Ok(chat::About {
            kind: kind.into(),
            title: name,
            room: String::new(),
            timezone: utc,
            span: None,
            who: String::new(),
        });
    };
    let r = r?;
    let room = view.room(r.room_id).map_err(|e| e.to_string())?;
    let owner = view.user(r.user_id).map_err(|e| e.to_string())?;
    Ok(chat::About {
        kind: kind.into(),
        title: r.title,
        room: room.as_ref().map(|x| x.name.clone()).unwrap_or_default(),
        timezone: room.and_then(|x| x.timezone.parse().ok()).unwrap_or(chrono_tz::Tz::UTC),
        span: Some((r.start, r.end)),
        who: owner.map(|o| o.name).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_and_body() {
        // RFC 4231 test case 2 shape: key "Jefe", data "what do ya want for nothing?".
        let sig = sign("Jefe", 0, b"what do ya want for nothing?");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"0.what do ya want for nothing?");
        assert_eq!(sig, format!("sha256={}", hex::encode(mac.finalize().into_bytes())));
        assert_ne!(sign("Jefe", 1, b"x"), sign("Jefe", 2, b"x"));
    }
}
