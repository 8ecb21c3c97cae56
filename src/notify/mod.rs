//! Notifications: an event consumer that turns reservation changes into e-mails (with ICS
//! invitations) and in-app notifications, reminders planned by the scheduler, the e-mail sender
//! with retries, admin-editable templates, and per-user preferences. Never called from a write
//! path: it reads the event log.

pub mod account_mail;
pub mod consumer;
pub mod email;
mod error;
mod inbox;
mod pushing;
pub mod report_mail;
pub mod sender;
mod series;
pub mod sms;
pub mod templates;
mod texting;
pub mod webpush;

pub use error::NotifyError;
pub use texting::{SmsStatus, SmsText};

use crate::access::{Action, Actor};
use crate::audit::{self, AuditAction, Entry};
use crate::clock::Clock;
use crate::config::{SchedulerConfig, SmsConfig, SmtpConfig};
use crate::model::notify::{Channel, Delivery, DeliveryStatus, EmailTemplate};
use crate::reports;
use crate::store::Store;
use crate::types::DeliveryId;
use email::{MailData, Mailer};
use sender::{Outcome, Policy, Transport};
use std::sync::Arc;
use templates::Rendered;
use tokio::sync::{Notify, watch};

type Result<T> = std::result::Result<T, NotifyError>;

#[derive(Clone)]
pub struct Notifier {
    store: Store,
    clock: Clock,
    mailer: Option<Arc<Mailer>>,
    wake: Arc<Notify>,
    policy: Policy,
    default_lead: u32,
    smtp: Arc<SmtpConfig>,
    /// Computes the reports of scheduled report e-mails (absent: none are sent).
    reports: Option<crate::reports::Reports>,
    /// Text messages (absent: SMS is off), with their own sender's wake-up and retries.
    sms: Option<Arc<sms::Gateway>>,
    sms_wake: Arc<Notify>,
    sms_policy: Policy,
    /// Web Push (absent until [`Notifier::with_push`]), with its own sender's wake-up and retries.
    push: Option<Arc<pushing::PushService>>,
    push_wake: Arc<Notify>,
    push_policy: Policy,
    /// Seals the links of account e-mails in the outbox (absent: none are sent).
    sealer: Option<crate::secrets::Sealer>,
}

/// What the admin API says about e-mail (never the password).
#[derive(Clone, Debug, serde::Serialize)]
pub struct EmailStatus {
    pub enabled: bool,
    pub host: String,
    pub port: u16,
    pub security: String,
    pub from: String,
}

impl Notifier {
    pub fn new(
        store: Store,
        clock: Clock,
        smtp: &SmtpConfig,
        sms: &SmsConfig,
        scheduler: &SchedulerConfig,
    ) -> Result<Notifier> {
        let mailer = Mailer::new(smtp).map_err(NotifyError::Template)?.map(Arc::new);
        let gateway = sms::Gateway::new(sms).map_err(NotifyError::Template)?.map(Arc::new);
        Ok(Notifier {
            store,
            clock,
            mailer,
            wake: Arc::new(Notify::new()),
            policy: Policy::new(smtp.max_attempts, smtp.retry_seconds, smtp.timeout_seconds),
            default_lead: scheduler.reminder_lead_minutes,
            smtp: Arc::new(smtp.clone()),
            reports: None,
            sms: gateway,
            sms_wake: Arc::new(Notify::new()),
            sms_policy: Policy::new(sms.max_attempts, sms.retry_seconds, sms.timeout_seconds),
            push: None,
            push_wake: Arc::new(Notify::new()),
            push_policy: Policy::new(1, 1, 1),
            sealer: None,
        })
    }

    /// Lets this notifier send scheduled reports, computed by `reports`.
    pub fn with_reports(mut self, reports: crate::reports::Reports) -> Notifier {
        self.reports = Some(reports);
        self
    }

    /// Lets this notifier send account links, sealed with `sealer` while they wait to be sent.
    pub fn with_sealer(mut self, sealer: crate::secrets::Sealer) -> Notifier {
        self.sealer = Some(sealer);
        self
    }

    /// Queues an e-mail with a password-reset, invitation or sign-up link.
    pub async fn send_account_link(&self, link: &account_mail::Link<'_>) -> Result<()> {
        if !self.email_enabled() {
            // Nothing could send it; the delivery log would only fill with failures.
            return Ok(());
        }
        let sealer = self.sealer.as_ref().ok_or(NotifyError::Template("account links need the secret key".into()))?;
        let d = account_mail::delivery(link, sealer.seal(link.url), self.clock.now());
        self.store
            .write(move |tx: &mut crate::store::Tx| {
                tx.put_delivery(d);
                Ok::<_, NotifyError>(())
            })
            .await?;
        self.wake.notify_one();
        Ok(())
    }

    pub fn email_enabled(&self) -> bool {
        self.mailer.is_some()
    }

    pub fn email_status(&self, actor: &Actor) -> Result<EmailStatus> {
        actor.require(Action::ManageNotifications)?;
        Ok(EmailStatus {
            enabled: self.email_enabled(),
            host: self.smtp.host.clone(),
            port: self.smtp.port,
            security: self.smtp.security.clone(),
            from: self.smtp.from.clone(),
        })
    }

    /// The event consumers this module runs (for the bus).
    pub fn consumers(&self) -> Vec<Arc<dyn crate::events::bus::Consumer>> {
        vec![
            Arc::new(consumer::EmailConsumer {
                enabled: self.email_enabled(),
                clock: self.clock.clone(),
                wake: self.wake.clone(),
            }),
            Arc::new(consumer::InboxConsumer { clock: self.clock.clone() }),
            Arc::new(consumer::SmsConsumer {
                enabled: self.sms_enabled(),
                clock: self.clock.clone(),
                wake: self.sms_wake.clone(),
            }),
            Arc::new(consumer::PushConsumer {
                enabled: self.push.is_some(),
                clock: self.clock.clone(),
                wake: self.push_wake.clone(),
            }),
        ]
    }

    /// The e-mail sender; runs until `stop`. Without SMTP there is nothing to send.
    pub async fn run_sender(self, stop: watch::Receiver<bool>) {
        if self.mailer.is_none() {
            return;
        }
        let (store, clock, policy, wake) = (self.store.clone(), self.clock.clone(), self.policy, self.wake.clone());
        sender::run(store, clock, Channel::Email, policy, self, wake, stop).await;
    }

    /// Stages the reminders that are due (the scheduler's job); returns how many were new.
    pub async fn dispatch_reminders(&self) -> Result<usize> {
        let (now, lead) = (self.clock.now(), self.default_lead);
        let channels =
            consumer::Channels { email: self.email_enabled(), sms: self.sms_enabled(), push: self.push.is_some() };
        let plans = consumer::plan_reminders(&self.store.view()?, now, lead, channels)?;
        let count = plans.len();
        if count > 0 {
            self.store
                .write(move |tx: &mut crate::store::Tx| {
                    for p in plans {
                        p(tx)?;
                    }
                    Ok::<(), crate::store::StoreError>(())
                })
                .await?;
            self.wake.notify_one();
            self.sms_wake.notify_one();
            self.push_wake.notify_one();
        }
        Ok(count)
    }

    /// Stages the scheduled report e-mails that are due (the scheduler's job); returns how many.
    pub async fn dispatch_reports(&self) -> Result<usize> {
        let Some(reports) = &self.reports else { return Ok(0) };
        let (now, zone) = (self.clock.now(), reports.settings().zone);
        let view = self.store.view()?;
        let any_due = view.report_subscriptions()?.iter().any(|s| reports::subscriptions::due(s, now, zone).is_some());
        if !any_due {
            return Ok(0);
        }
        // Without e-mail the periods stay unsent, so they go out once it is configured.
        if !self.email_enabled() {
            return Err(NotifyError::EmailOff);
        }
        let staged = self.store.write(move |tx: &mut crate::store::Tx| report_mail::stage_due(tx, now, zone)).await?;
        self.wake.notify_one();
        Ok(staged)
    }

    /// The delivery log, newest first.
    pub fn deliveries(&self, actor: &Actor, status: Option<DeliveryStatus>, limit: usize) -> Result<Vec<Delivery>> {
        actor.require(Action::ManageNotifications)?;
        Ok(self.store.view()?.deliveries(Channel::Email, status, limit)?)
    }

    /// Sends a failed or given-up e-mail again, now.
    pub async fn retry(&self, actor: &Actor, id: DeliveryId) -> Result<Delivery> {
        actor.require(Action::ManageNotifications)?;
        let d = sender::retry(&self.store, &self.clock, Channel::Email, id).await?;
        self.wake.notify_one();
        d.ok_or(NotifyError::NotFound("delivery"))
    }

    /// Sends a test message now and reports the SMTP server's answer (or the failure).
    pub async fn send_test(&self, actor: &Actor, to: &str) -> Result<std::result::Result<String, String>> {
        actor.require(Action::ManageNotifications)?;
        let mailer = self.mailer.as_ref().ok_or(NotifyError::EmailOff)?;
        let message = email::test_message(&mailer.from, to)
            .map_err(|e| NotifyError::Invalid(crate::validation::FieldErrors::one("to", "not_email", e)))?;
        let entry = Entry::new(AuditAction::EmailTestSent, Some(actor.id)).target("email", "", to.trim());
        let sent = mailer.send(message).await;
        audit::record(&self.store, if sent.is_ok() { entry } else { entry.failed() }).await?;
        Ok(sent)
    }

    /// The template in use: the admin's edit, or the shipped default.
    pub fn template(&self, kind: &str, lang: &str) -> Result<(EmailTemplate, bool)> {
        templates::check_name(kind, lang)?;
        match self.store.view()?.email_template(&templates::key(kind, lang))? {
            Some(t) => Ok((t, true)),
            None => Ok((templates::default_template(kind, lang)?, false)),
        }
    }

    pub async fn save_template(&self, actor: &Actor, kind: &str, lang: &str, t: EmailTemplate) -> Result<Rendered> {
        actor.require(Action::ManageNotifications)?;
        templates::check_name(kind, lang)?;
        let rendered = templates::validate(&t, kind, lang)?;
        let key = templates::key(kind, lang);
        let audit = Entry::new(AuditAction::EmailTemplateSaved, Some(actor.id)).target("email_template", &key, &key);
        self.store
            .write(move |tx: &mut crate::store::Tx| {
                tx.put_email_template(&key, t);
                audit.stage(tx)
            })
            .await?;
        Ok(rendered)
    }

    /// Back to the shipped default.
    pub async fn reset_template(&self, actor: &Actor, kind: &str, lang: &str) -> Result<()> {
        actor.require(Action::ManageNotifications)?;
        templates::check_name(kind, lang)?;
        let key = templates::key(kind, lang);
        let audit = Entry::new(AuditAction::EmailTemplateReset, Some(actor.id)).target("email_template", &key, &key);
        self.store
            .write(move |tx: &mut crate::store::Tx| {
                tx.delete_email_template(&key);
                audit.stage(tx)
            })
            .await?;
        Ok(())
    }

    /// Renders `t` (or the template in use) with sample data.
    pub fn preview(&self, actor: &Actor, kind: &str, lang: &str, t: Option<EmailTemplate>) -> Result<Rendered> {
        actor.require(Action::ManageNotifications)?;
        let t = match t {
            Some(t) => t,
            None => self.template(kind, lang)?.0,
        };
        templates::check_name(kind, lang)?;
        templates::validate(&t, kind, lang)
    }

    async fn send_delivery(&self, d: &Delivery) -> Outcome {
        let Some(mailer) = self.mailer.as_ref() else {
            return Outcome { dead: false, subject: None, result: Err("e-mail is off".into()) };
        };
        if d.kind == report_mail::KIND {
            return self.send_report(mailer, d).await;
        }
        if account_mail::is_account_kind(&d.kind) {
            return self.send_account(mailer, d).await;
        }
        let rendered = serde_json::from_value::<MailData>(d.payload.clone())
            .map_err(|e| format!("payload: {e}"))
            .and_then(|data| {
                let (template, _) = self.template(&d.kind, &d.language).map_err(|e| e.to_string())?;
                let rendered = templates::render(&template, &data.context(d)).map_err(|e| e.to_string())?;
                Ok((data, rendered))
            });
        let (data, rendered) = match rendered {
            Ok(r) => r,
            Err(e) => return Outcome { dead: false, subject: None, result: Err(e) },
        };
        let subject = Some(rendered.subject.clone());
        let result = match email::compose(&mailer.from, d, &data, &rendered, self.clock.now()) {
            Ok(message) => mailer.send(message).await.map(|_| ()),
            Err(e) => Err(e),
        };
        Outcome { dead: false, subject, result }
    }
}

impl Notifier {
    /// A scheduled report: computed now, as the subscriber, with the PDF and workbook attached.
    async fn send_report(&self, mailer: &Mailer, d: &Delivery) -> Outcome {
        let (message, subject) = match self.prepare_report(&mailer.from, d) {
            Ok(p) => p,
            Err(e) => return Outcome { dead: false, subject: None, result: Err(e) },
        };
        Outcome { dead: false, subject: Some(subject), result: mailer.send(message).await.map(|_| ()) }
    }

    fn prepare_report(
        &self,
        from: &lettre::message::Mailbox,
        d: &Delivery,
    ) -> std::result::Result<(lettre::Message, String), String> {
        let reports = self.reports.as_ref().ok_or("reports are not available")?;
        let mail: report_mail::ReportMail =
            serde_json::from_value(d.payload.clone()).map_err(|e| format!("payload: {e}"))?;
        let view = self.store.view().map_err(|e| e.to_string())?;
        let user = view.user(mail.user_id).map_err(|e| e.to_string())?.ok_or("the subscriber no longer exists")?;
        let report = report_mail::compute(reports, &mail, user.role)?;
        let (template, _) = self.template(&d.kind, &d.language).map_err(|e| e.to_string())?;
        let context = report_mail::context(d, &mail, &report, reports.settings().zone);
        let rendered = templates::render(&template, &context).map_err(|e| e.to_string())?;
        let message = report_mail::compose(from, d, &mail, &rendered, &report)?;
        Ok((message, rendered.subject))
    }
}

impl Notifier {
    async fn send_account(&self, mailer: &Mailer, d: &Delivery) -> Outcome {
        let message = self.prepare_account(&mailer.from, d);
        let subject = message.as_ref().ok().map(|(_, s)| s.clone());
        let result = match message {
            Ok((m, _)) => mailer.send(m).await.map(|_| ()),
            Err(e) => Err(e),
        };
        Outcome { dead: false, subject, result }
    }

    fn prepare_account(
        &self,
        from: &lettre::message::Mailbox,
        d: &Delivery,
    ) -> std::result::Result<(lettre::Message, String), String> {
        let mail: account_mail::AccountMail =
            serde_json::from_value(d.payload.clone()).map_err(|e| format!("payload: {e}"))?;
        let sealer = self.sealer.as_ref().ok_or("account links need the secret key")?;
        let url = sealer.open(&mail.sealed_url).map_err(|e| e.to_string())?;
        let (template, _) = self.template(&d.kind, &d.language).map_err(|e| e.to_string())?;
        let context = account_mail::context(d, &mail.recipient_name, &url);
        let rendered = templates::render(&template, &context).map_err(|e| e.to_string())?;
        let message = account_mail::compose(from, d, &mail.recipient_name, &rendered)?;
        Ok((message, rendered.subject))
    }
}

impl Transport for Notifier {
    async fn send(&self, d: &Delivery) -> Outcome {
        self.send_delivery(d).await
    }
}
