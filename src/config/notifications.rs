//! The settings of e-mail, text messages, the scheduler and webhooks.

use super::{Config, ConfigError, err, range};
use serde::{Deserialize, Serialize};

/// Outgoing e-mail. With no `host`, e-mail is off.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub security: String,
    pub username: String,
    pub password: String,
    /// The sender: `Salas <salas@example.org>`.
    pub from: String,
    /// Seconds to wait for the SMTP server before an attempt counts as failed.
    pub timeout_seconds: u32,
    /// Attempts before a message is given up (it stays in the delivery log, retryable).
    pub max_attempts: u32,
    /// Wait before the first retry; it doubles with every attempt (at most an hour).
    pub retry_seconds: u32,
}

/// Text messages. With no `provider`, SMS is off.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// `http` (any gateway with an HTTP API) or `twilio`; empty: off.
    pub provider: String,
    /// http: the gateway's URL.
    pub url: String,
    /// http: `POST`, `PUT` or `GET`.
    pub method: String,
    /// http: extra request headers, each `Name: value` (an API key, the body's content type).
    pub headers: Vec<String>,
    /// http: the request body, a minijinja template given `to` (E.164) and `text`; the
    /// `tojson` filter quotes them for a JSON body, `urlencode` for a form.
    pub body: String,
    /// twilio: the account and its auth token (Basic authentication), and the sending number
    /// or messaging service.
    pub account_sid: String,
    pub auth_token: String,
    pub from: String,
    /// twilio: the API's address (another one for a regional edge, or a test).
    pub twilio_url: String,
    /// Seconds to wait for the gateway before an attempt counts as failed.
    pub timeout_seconds: u32,
    /// Attempts before a message is given up (it stays in the delivery log, retryable).
    pub max_attempts: u32,
    /// Wait before the first retry; it doubles with every attempt (at most an hour).
    pub retry_seconds: u32,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            provider: String::new(),
            url: String::new(),
            method: "POST".into(),
            headers: vec!["Content-Type: application/json".into()],
            body: r#"{"to": {{ to|tojson }}, "text": {{ text|tojson }}}"#.into(),
            account_sid: String::new(),
            auth_token: String::new(),
            from: String::new(),
            twilio_url: "https://api.twilio.com".into(),
            timeout_seconds: 10,
            max_attempts: 8,
            retry_seconds: 30,
        }
    }
}

/// Web Push. Always on: the VAPID key is made on first start and kept in the store.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushConfig {
    /// Who push services may contact about this server (the VAPID `sub`): `mailto:…` or an
    /// `https:` URL; empty: `mailto:` and `[admin] email`.
    pub subject: String,
    /// Seconds to wait for a push service before an attempt counts as failed.
    pub timeout_seconds: u32,
    /// Attempts before a message is given up (it stays in the delivery log, retryable).
    pub max_attempts: u32,
    /// Wait before the first retry; it doubles with every attempt (at most an hour).
    pub retry_seconds: u32,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self { subject: String::new(), timeout_seconds: 10, max_attempts: 8, retry_seconds: 30 }
    }
}

/// Cron expressions (5 fields, as in crontab, or 6-7 with seconds and year); empty: job off.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerConfig {
    pub reminders: String,
    pub session_cleanup: String,
    /// Releases reservations not checked in within their check-in window.
    pub no_shows: String,
    /// E-mails the scheduled reports whose period is over.
    pub reports: String,
    /// Minutes before a meeting its reminder goes out, for users who did not choose.
    pub reminder_lead_minutes: u32,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    pub timeout_seconds: u32,
    /// Attempts before a call goes to the dead-letter list.
    pub max_attempts: u32,
    /// Wait before the first retry; it doubles with every attempt (at most an hour).
    pub retry_seconds: u32,
    /// `en` or `es`: the language of chat messages (`slack`, `teams`, `matrix` webhooks). A chat
    /// room has no one reader whose language could be asked, so the server's is used.
    pub language: String,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 587,
            security: "starttls".into(),
            username: String::new(),
            password: String::new(),
            from: "Salas <salas@localhost>".into(),
            timeout_seconds: 30,
            max_attempts: 8,
            retry_seconds: 60,
        }
    }
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            reminders: "* * * * *".into(),
            session_cleanup: "17 * * * *".into(),
            no_shows: "* * * * *".into(),
            reports: "0 6 * * *".into(),
            reminder_lead_minutes: 15,
        }
    }
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self { timeout_seconds: 10, max_attempts: 8, retry_seconds: 30, language: "en".into() }
    }
}

impl Config {
    pub(super) fn validate_notifications(&self) -> Result<(), ConfigError> {
        if !matches!(self.smtp.security.as_str(), "none" | "starttls" | "tls") {
            return Err(err(format!("smtp.security: `{}` must be `none`, `starttls` or `tls`", self.smtp.security)));
        }
        if !self.smtp.host.is_empty() && self.smtp.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(err(format!(
                "smtp.from: `{}` is not an address like Salas <salas@example.org>",
                self.smtp.from
            )));
        }
        range("smtp.timeout_seconds", self.smtp.timeout_seconds, 1, 600)?;
        range("smtp.max_attempts", self.smtp.max_attempts, 1, 100)?;
        range("smtp.retry_seconds", self.smtp.retry_seconds, 1, 24 * 3600)?;
        for (key, expr) in [
            ("reminders", &self.scheduler.reminders),
            ("session_cleanup", &self.scheduler.session_cleanup),
            ("no_shows", &self.scheduler.no_shows),
            ("reports", &self.scheduler.reports),
        ] {
            if let Err(e) = super::parse_schedule(expr) {
                return Err(err(format!("scheduler.{key}: {e}")));
            }
        }
        range("scheduler.reminder_lead_minutes", self.scheduler.reminder_lead_minutes, 1, 24 * 60)?;
        self.validate_sms()?;
        let subject = &self.push.subject;
        if !(subject.is_empty() || subject.starts_with("mailto:") || subject.starts_with("https://")) {
            return Err(err(format!("push.subject: `{subject}` must start with mailto: or https://")));
        }
        range("push.timeout_seconds", self.push.timeout_seconds, 1, 600)?;
        range("push.max_attempts", self.push.max_attempts, 1, 100)?;
        range("push.retry_seconds", self.push.retry_seconds, 1, 24 * 3600)?;
        range("webhooks.timeout_seconds", self.webhooks.timeout_seconds, 1, 600)?;
        range("webhooks.max_attempts", self.webhooks.max_attempts, 1, 100)?;
        range("webhooks.retry_seconds", self.webhooks.retry_seconds, 1, 24 * 3600)?;
        if !matches!(self.webhooks.language.as_str(), "en" | "es") {
            return Err(err(format!("webhooks.language: `{}` must be `en` or `es`", self.webhooks.language)));
        }
        Ok(())
    }

    fn validate_sms(&self) -> Result<(), ConfigError> {
        let s = &self.sms;
        let needs = |key: &str, value: &str| {
            if value.trim().is_empty() {
                Err(err(format!("sms.{key} is required with provider `{}`", s.provider)))
            } else {
                Ok(())
            }
        };
        match s.provider.as_str() {
            "" => {}
            "http" => {
                needs("url", &s.url)?;
                if !s.url.starts_with("http://") && !s.url.starts_with("https://") {
                    return Err(err(format!("sms.url: `{}` is not an http(s) URL", s.url)));
                }
                if !matches!(s.method.as_str(), "POST" | "PUT" | "GET") {
                    return Err(err(format!("sms.method: `{}` must be POST, PUT or GET", s.method)));
                }
                if let Some(h) = s.headers.iter().find(|h| h.split_once(':').is_none_or(|(n, _)| n.trim().is_empty())) {
                    return Err(err(format!("sms.headers: `{h}` is not `Name: value`")));
                }
            }
            "twilio" => {
                needs("account_sid", &s.account_sid)?;
                needs("auth_token", &s.auth_token)?;
                needs("from", &s.from)?;
            }
            other => return Err(err(format!("sms.provider: `{other}` must be `http`, `twilio` or empty (off)"))),
        }
        range("sms.timeout_seconds", s.timeout_seconds, 1, 600)?;
        range("sms.max_attempts", s.max_attempts, 1, 100)?;
        range("sms.retry_seconds", s.retry_seconds, 1, 24 * 3600)
    }
}

impl super::Config {
    /// The VAPID contact: `[push] subject`, else the admin's address, else a local postmaster (set one: some push services refuse it).
    pub fn push_subject(&self) -> String {
        match (self.push.subject.as_str(), self.admin.email.as_str()) {
            ("", "") => "mailto:postmaster@localhost".into(),
            ("", email) => format!("mailto:{email}"),
            (subject, _) => subject.into(),
        }
    }
}
