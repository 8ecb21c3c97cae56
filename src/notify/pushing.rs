//! The notifier's Web Push: the VAPID key (made on first start, sealed in the store so every
//! process signs with the same one), users' subscriptions, the sender that posts pending push
//! deliveries, test pushes and the delivery log.

use super::webpush::{self, Vapid};
use super::{Notifier, NotifyError, Result, sender};
use crate::access::{Action, Actor};
use crate::config::PushConfig;
use crate::model::notify::{Channel, Delivery, DeliveryStatus, PushSubscription};
use crate::secrets::Sealer;
use crate::types::{DeliveryId, PushSubscriptionId};
use crate::validation::FieldErrors;
use sender::{Outcome, Transport};
use std::sync::Arc;
use tokio::sync::{OnceCell, watch};

/// Seconds a push service keeps a message for a browser that is offline (RFC 8030 `TTL`): a
/// day, past which a booking notice is stale anyway.
const TTL_SECONDS: u32 = 24 * 3600;

/// What sending Web Push needs; the key is read (or made) on first use.
pub(super) struct PushService {
    client: reqwest::Client,
    sealer: Sealer,
    subject: String,
    vapid: OnceCell<Vapid>,
}

impl PushService {
    /// `subject` is the VAPID contact, already resolved (see `[push] subject`).
    pub(super) fn new(c: &PushConfig, subject: String, sealer: Sealer) -> std::result::Result<PushService, String> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(c.timeout_seconds.into()))
            .user_agent(concat!("Salas/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("Web Push HTTP client: {e}"))?;
        Ok(PushService { client, sealer, subject, vapid: OnceCell::new() })
    }
}

/// Why a push failed; `gone` when the push service says the subscription no longer exists.
struct Failure {
    why: String,
    gone: bool,
}

impl Notifier {
    fn push_service(&self) -> Result<&PushService> {
        self.push.as_deref().ok_or(NotifyError::NotFound("Web Push service"))
    }

    async fn vapid(&self) -> Result<&Vapid> {
        let push = self.push_service()?;
        push.vapid
            .get_or_try_init(|| async {
                let stored = match self.store.view()?.vapid_key()? {
                    Some(sealed) => sealed,
                    None => {
                        let (_, pkcs8) = Vapid::generate().map_err(NotifyError::Template)?;
                        let sealed = push.sealer.seal(&pkcs8);
                        // Judged on the newest data: of processes starting together, the first wins.
                        self.store
                            .write(move |tx: &mut crate::store::Tx| {
                                let kept = tx.vapid_key()?;
                                if kept.is_none() {
                                    tx.put_vapid_key(&sealed);
                                }
                                Ok::<_, crate::store::StoreError>(kept.unwrap_or(sealed))
                            })
                            .await?
                    }
                };
                let pkcs8 = push.sealer.open(&stored).map_err(|e| NotifyError::Template(e.to_string()))?;
                Vapid::from_stored(&pkcs8).map_err(NotifyError::Template)
            })
            .await
    }

    /// The VAPID public key browsers subscribe with (base64url).
    pub async fn push_key(&self) -> Result<String> {
        Ok(self.vapid().await?.public_key())
    }

    /// Saves a browser's subscription for the caller; the same endpoint again replaces the old.
    pub async fn subscribe_push(
        &self,
        actor: &Actor,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
    ) -> Result<PushSubscription> {
        actor.require(Action::ManageOwnAccount)?;
        let mut errors = FieldErrors::new();
        errors.check(endpoint_ok(endpoint), "endpoint", "invalid", "must be an https URL");
        for field in webpush::key_errors(p256dh, auth) {
            let why =
                if field == "keys.auth" { "must be 16 bytes, base64url" } else { "must be a P-256 point, base64url" };
            errors.check(false, field, "invalid", why);
        }
        errors.into_result()?;
        let s = PushSubscription {
            id: PushSubscriptionId::new(),
            user_id: actor.id,
            endpoint: endpoint.trim().to_string(),
            p256dh: p256dh.trim().to_string(),
            auth: auth.trim().to_string(),
            created_at: self.clock.now(),
        };
        let saved = s.clone();
        self.store
            .write(move |tx: &mut crate::store::Tx| {
                for old in tx.push_subscriptions(s.user_id)?.into_iter().filter(|o| o.endpoint == s.endpoint) {
                    tx.delete_push_subscription(old.id);
                }
                tx.put_push_subscription(s);
                Ok::<_, crate::store::StoreError>(())
            })
            .await?;
        Ok(saved)
    }

    pub fn push_subscriptions(&self, actor: &Actor) -> Result<Vec<PushSubscription>> {
        actor.require(Action::ManageOwnAccount)?;
        Ok(self.store.view()?.push_subscriptions(actor.id)?)
    }

    /// Removes one of the caller's subscriptions (another user's is not found).
    pub async fn unsubscribe_push(&self, actor: &Actor, id: PushSubscriptionId) -> Result<()> {
        actor.require(Action::ManageOwnAccount)?;
        let user = actor.id;
        let found = self
            .store
            .write(move |tx: &mut crate::store::Tx| {
                let mine = tx.push_subscription(id)?.is_some_and(|s| s.user_id == user);
                if mine {
                    tx.delete_push_subscription(id);
                }
                Ok::<_, crate::store::StoreError>(mine)
            })
            .await?;
        if found { Ok(()) } else { Err(NotifyError::NotFound("push subscription")) }
    }

    /// Pushes a test notification now to each of the caller's browsers; one answer per browser.
    pub async fn send_own_push_test(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(PushSubscriptionId, std::result::Result<(), String>)>> {
        let subscriptions = self.push_subscriptions(actor)?;
        let lang = self.store.view()?.user(actor.id)?.map(|u| u.mail_language().to_string()).unwrap_or_default();
        let tr = crate::i18n::Tr::new(crate::i18n::Lang::from_code(&lang).unwrap_or(crate::i18n::Lang::En));
        let payload = serde_json::json!({"title": "Salas", "body": tr.t("push_test_body"), "url": "/profile"});
        let mut out = Vec::new();
        for s in subscriptions {
            let sent = self.post(&s, &payload).await.map_err(|f| f.why);
            out.push((s.id, sent));
        }
        Ok(out)
    }

    /// Encrypts and posts `payload` to `s`; a subscription the push service says is gone is
    /// removed.
    async fn post(&self, s: &PushSubscription, payload: &serde_json::Value) -> std::result::Result<(), Failure> {
        let fail = |why: String| Failure { why, gone: false };
        let vapid = self.vapid().await.map_err(|e| fail(e.to_string()))?;
        let push = self.push_service().map_err(|e| fail(e.to_string()))?;
        let authorization = vapid.authorization(&s.endpoint, &push.subject, self.clock.now()).map_err(fail)?;
        let body = webpush::encrypt(payload.to_string().as_bytes(), &s.p256dh, &s.auth).map_err(fail)?;
        let response = push
            .client
            .post(&s.endpoint)
            .header(reqwest::header::AUTHORIZATION, authorization)
            .header("TTL", TTL_SECONDS.to_string())
            .header(reqwest::header::CONTENT_ENCODING, "aes128gcm")
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(body)
            .send()
            .await
            .map_err(|e| fail(super::email::describe(&e)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let why = format!("the push service answered {status}");
        if matches!(status.as_u16(), 404 | 410) {
            let id = s.id;
            let removed = self.store.write(move |tx: &mut crate::store::Tx| {
                tx.delete_push_subscription(id);
                Ok::<_, crate::store::StoreError>(())
            });
            if let Err(e) = removed.await {
                tracing::error!(error = %e, "cannot remove a push subscription that is gone");
            }
            return Err(Failure { why: format!("{why}: the subscription is gone and was removed"), gone: true });
        }
        Err(fail(why))
    }

    /// The Web Push sender; runs until `stop`. Without the service there is nothing to send.
    pub async fn run_push_sender(self, stop: watch::Receiver<bool>) {
        if self.push.is_none() {
            return;
        }
        let (store, clock, policy, wake) =
            (self.store.clone(), self.clock.clone(), self.push_policy, self.push_wake.clone());
        sender::run(store, clock, Channel::Push, policy, Pushes(self), wake, stop).await;
    }

    /// The Web Push delivery log, newest first.
    pub fn push_deliveries(
        &self,
        actor: &Actor,
        status: Option<DeliveryStatus>,
        limit: usize,
    ) -> Result<Vec<Delivery>> {
        actor.require(Action::ManageNotifications)?;
        Ok(self.store.view()?.deliveries(Channel::Push, status, limit)?)
    }

    /// Sends a failed or given-up push again, now.
    pub async fn retry_push(&self, actor: &Actor, id: DeliveryId) -> Result<Delivery> {
        actor.require(Action::ManageNotifications)?;
        let d = sender::retry(&self.store, &self.clock, Channel::Push, id).await?;
        self.push_wake.notify_one();
        d.ok_or(NotifyError::NotFound("delivery"))
    }
}

/// Browsers' push services speak https; plain http is allowed to this machine only (a local
/// test receiver).
fn endpoint_ok(endpoint: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(endpoint.trim()) else { return false };
    let local = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    url.scheme() == "https" || (url.scheme() == "http" && local)
}

/// The push sender's transport: the message is rendered when sent, from the delivery's data.
struct Pushes(Notifier);

impl Transport for Pushes {
    async fn send(&self, d: &Delivery) -> Outcome {
        let gone = |why: String| Outcome { dead: true, subject: None, result: Err(why) };
        let Ok(id) = d.recipient.parse().map(PushSubscriptionId) else {
            return gone(format!("`{}` is not a push subscription id", d.recipient));
        };
        let s = match self.0.store.view().and_then(|v| v.push_subscription(id)) {
            Ok(Some(s)) => s,
            Ok(None) => return gone("the push subscription no longer exists".into()),
            Err(e) => return Outcome { dead: false, subject: None, result: Err(e.to_string()) },
        };
        let payload = match serde_json::from_value::<super::email::MailData>(d.payload.clone()) {
            Ok(data) => message(&self.0, d, &data),
            Err(e) => return gone(format!("payload: {e}")),
        };
        let title = payload["title"].as_str().map(str::to_string);
        match self.0.post(&s, &payload).await {
            Ok(()) => Outcome { dead: false, subject: title, result: Ok(()) },
            Err(f) => Outcome { dead: f.gone, subject: title, result: Err(f.why) },
        }
    }
}

/// `{"title", "body", "url"}`: the inbox line, the SMS text (both in the recipient's language)
/// and the reservation's page.
fn message(n: &Notifier, d: &Delivery, data: &super::email::MailData) -> serde_json::Value {
    let title = super::consumer::title(&d.kind, &d.language, data);
    let body = n
        .sms_text(&d.kind, &d.language)
        .ok()
        .and_then(|t| super::sms::render(&t.text, &data.context(d)).ok())
        .unwrap_or_default();
    serde_json::json!({"title": title, "body": body, "url": format!("/reservations/{}", data.reservation.id)})
}

impl Notifier {
    /// Web Push, with the store's key and `[push]`'s retries.
    pub fn with_push(mut self, c: &PushConfig, subject: String, sealer: Sealer) -> Result<Notifier> {
        self.push = Some(Arc::new(PushService::new(c, subject, sealer).map_err(NotifyError::Template)?));
        self.push_policy = sender::Policy::new(c.max_attempts, c.retry_seconds, c.timeout_seconds);
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_https_or_this_machine() {
        assert!(endpoint_ok("https://fcm.googleapis.com/fcm/send/abc"));
        assert!(endpoint_ok("http://127.0.0.1:8080/push/1"));
        assert!(endpoint_ok("http://localhost/push"));
        assert!(!endpoint_ok("http://push.example.com/x"));
        assert!(!endpoint_ok("ftp://127.0.0.1/x"));
        assert!(!endpoint_ok("not a url"));
    }
}
