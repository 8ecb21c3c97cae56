//! The notifier's text messages: the sender that hands pending SMS deliveries to the gateway,
//! the admin's texts, test messages and the delivery log.

use super::sms::{self, Segments};
use super::{Notifier, NotifyError, Result, sender};
use crate::access::{Action, Actor};
use crate::audit::{self, AuditAction, Entry};
use crate::model::notify::{Channel, Delivery, DeliveryStatus, EmailTemplate};
use crate::types::DeliveryId;
use crate::validation::FieldErrors;
use sender::{Outcome, Transport};
use tokio::sync::watch;

/// What the admin pages say about SMS (never a token).
#[derive(Clone, Debug, serde::Serialize)]
pub struct SmsStatus {
    pub enabled: bool,
    /// `http`, `twilio`, or empty.
    pub provider: String,
    /// The gateway's origin (http) or Twilio's URL and sender.
    pub target: String,
}

/// An admin's text or the shipped one, with what it renders to and costs.
pub struct SmsText {
    pub text: String,
    pub customized: bool,
    pub sample: String,
    pub segments: Segments,
}

/// The SMS sender's transport: renders the text when sent (an admin's fix applies to retries).
struct Texts(Notifier);

impl Transport for Texts {
    async fn send(&self, d: &Delivery) -> Outcome {
        let Some(gateway) = self.0.sms.as_ref() else {
            return Outcome { dead: false, subject: None, result: Err("SMS is off".into()) };
        };
        let text = serde_json::from_value::<super::email::MailData>(d.payload.clone())
            .map_err(|e| format!("payload: {e}"))
            .and_then(|data| {
                let source = self.0.sms_text(&d.kind, &d.language).map_err(|e| e.to_string())?.text;
                sms::render(&source, &data.context(d)).map_err(|e| e.to_string())
            });
        match text {
            Ok(text) => {
                let result = gateway.send(&d.recipient, &text).await.map(|_| ());
                Outcome { dead: false, subject: Some(text), result }
            }
            Err(e) => Outcome { dead: false, subject: None, result: Err(e) },
        }
    }
}

impl Notifier {
    pub fn sms_enabled(&self) -> bool {
        self.sms.is_some()
    }

    /// The SMS sender; runs until `stop`. Without a gateway there is nothing to send.
    pub async fn run_sms_sender(self, stop: watch::Receiver<bool>) {
        if self.sms.is_none() {
            return;
        }
        let (store, clock, policy, wake) =
            (self.store.clone(), self.clock.clone(), self.sms_policy, self.sms_wake.clone());
        sender::run(store, clock, Channel::Sms, policy, Texts(self), wake, stop).await;
    }

    pub fn sms_status(&self, actor: &Actor) -> Result<SmsStatus> {
        actor.require(Action::ManageNotifications)?;
        let (provider, target) = self.sms.as_ref().map(|g| g.describe()).unwrap_or_default();
        Ok(SmsStatus { enabled: self.sms_enabled(), provider, target })
    }

    /// Sends a test text now to `to` (admins: any number) and reports the gateway's answer.
    pub async fn send_sms_test(&self, actor: &Actor, to: &str) -> Result<std::result::Result<String, String>> {
        actor.require(Action::ManageNotifications)?;
        self.sms_test(actor, to).await
    }

    /// Sends a test text now to the user's own phone (the profile's button).
    pub async fn send_own_sms_test(&self, actor: &Actor) -> Result<std::result::Result<String, String>> {
        actor.require(Action::ManageOwnAccount)?;
        let user = self.store.view()?.user(actor.id)?.ok_or(NotifyError::NotFound("user"))?;
        if user.phone.is_empty() {
            return Err(NotifyError::Invalid(FieldErrors::one("phone", "required", "add your phone number first")));
        }
        self.sms_test(actor, &user.phone).await
    }

    async fn sms_test(&self, actor: &Actor, to: &str) -> Result<std::result::Result<String, String>> {
        let gateway = self.sms.as_ref().ok_or(NotifyError::SmsOff)?;
        let to = crate::users::rules::normalize_phone(to).filter(|p| !p.is_empty()).ok_or_else(|| {
            NotifyError::Invalid(FieldErrors::one("to", "not_phone", "must be a phone number with its country code"))
        })?;
        let entry = Entry::new(AuditAction::SmsTestSent, Some(actor.id)).target("sms", "", &to);
        let sent = gateway.send(&to, "Salas: this is a test message. / Esto es un mensaje de prueba.").await;
        audit::record(&self.store, if sent.is_ok() { entry } else { entry.failed() }).await?;
        Ok(sent)
    }

    /// The text in use for `kind` in `lang`: the admin's, or the shipped one.
    pub fn sms_text(&self, kind: &str, lang: &str) -> Result<SmsText> {
        sms::check_name(kind, lang)?;
        let (text, customized) = match self.store.view()?.email_template(&sms::key(kind, lang))? {
            Some(t) => (t.text, true),
            None => (sms::default_text(kind, lang)?, false),
        };
        let sample = sms::render(&text, &super::templates::sample(kind, lang)).unwrap_or_default();
        let segments = sms::segments(&sample);
        Ok(SmsText { text, customized, sample, segments })
    }

    /// Saves an admin's text (checked by rendering it with sample data).
    pub async fn save_sms_text(&self, actor: &Actor, kind: &str, lang: &str, text: String) -> Result<SmsText> {
        actor.require(Action::ManageNotifications)?;
        sms::check_name(kind, lang)?;
        sms::validate(&text, kind, lang)?;
        let key = sms::key(kind, lang);
        let audit = Entry::new(AuditAction::EmailTemplateSaved, Some(actor.id)).target("sms_text", &key, &key);
        let template = EmailTemplate { subject: String::new(), text, html: String::new() };
        self.store
            .write(move |tx: &mut crate::store::Tx| {
                tx.put_email_template(&key, template);
                audit.stage(tx)
            })
            .await?;
        self.sms_text(kind, lang)
    }

    /// Back to the shipped text.
    pub async fn reset_sms_text(&self, actor: &Actor, kind: &str, lang: &str) -> Result<SmsText> {
        actor.require(Action::ManageNotifications)?;
        sms::check_name(kind, lang)?;
        let key = sms::key(kind, lang);
        let audit = Entry::new(AuditAction::EmailTemplateReset, Some(actor.id)).target("sms_text", &key, &key);
        self.store
            .write(move |tx: &mut crate::store::Tx| {
                tx.delete_email_template(&key);
                audit.stage(tx)
            })
            .await?;
        self.sms_text(kind, lang)
    }

    /// The SMS delivery log, newest first.
    pub fn sms_deliveries(&self, actor: &Actor, status: Option<DeliveryStatus>, limit: usize) -> Result<Vec<Delivery>> {
        actor.require(Action::ManageNotifications)?;
        Ok(self.store.view()?.deliveries(Channel::Sms, status, limit)?)
    }

    /// Sends a failed or given-up text again, now.
    pub async fn retry_sms(&self, actor: &Actor, id: DeliveryId) -> Result<Delivery> {
        actor.require(Action::ManageNotifications)?;
        let d = sender::retry(&self.store, &self.clock, Channel::Sms, id).await?;
        self.sms_wake.notify_one();
        d.ok_or(NotifyError::NotFound("delivery"))
    }
}
