//! E-mails with a single-use account link (password reset, invitation, sign-up). They go
//! through the outbox like every other e-mail (retries, the delivery log), but the link is
//! sealed in the delivery (secrets.rs): the store holds no usable link, only its hash (users/).

use super::templates::Rendered;
use crate::model::notify::{Channel, Delivery};
use crate::model::user::LinkPurpose;
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use serde::{Deserialize, Serialize};

pub const RESET: &str = "account.reset";
pub const INVITE: &str = "account.invite";
pub const SIGNUP: &str = "account.signup";

pub fn kind(purpose: LinkPurpose) -> &'static str {
    match purpose {
        LinkPurpose::Reset => RESET,
        LinkPurpose::Invite => INVITE,
        LinkPurpose::Signup => SIGNUP,
    }
}

pub fn is_account_kind(kind: &str) -> bool {
    [RESET, INVITE, SIGNUP].contains(&kind)
}

/// What an account delivery carries from staging to sending.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccountMail {
    pub recipient_name: String,
    /// The link, sealed.
    pub sealed_url: String,
}

/// A link to send.
pub struct Link<'a> {
    pub purpose: LinkPurpose,
    pub email: &'a str,
    pub name: &'a str,
    pub language: &'a str,
    pub url: &'a str,
}

pub fn delivery(link: &Link<'_>, sealed_url: String, now: DateTime<Utc>) -> Delivery {
    let mail = AccountMail { recipient_name: link.name.to_string(), sealed_url };
    let payload = serde_json::to_value(&mail).unwrap_or_default();
    Delivery {
        language: link.language.to_string(),
        ..Delivery::pending(Channel::Email, link.email, kind(link.purpose), payload, now)
    }
}

/// The variables account templates see.
pub fn context(d: &Delivery, name: &str, url: &str) -> serde_json::Value {
    serde_json::json!({
        "kind": d.kind,
        "language": d.language,
        "recipient": {"name": name, "email": d.recipient},
        "url": url,
    })
}

pub fn sample(kind: &str, lang: &str) -> serde_json::Value {
    serde_json::json!({
        "kind": kind,
        "language": lang,
        "recipient": {"name": "Ana García", "email": "ana@example.org"},
        "url": "https://salas.example.org/password/reset/3q2-7wAAAAA",
    })
}

pub fn compose(from: &Mailbox, d: &Delivery, name: &str, rendered: &Rendered) -> Result<Message, String> {
    super::email::envelope(from, d, name, &rendered.subject)?
        .multipart(MultiPart::alternative_plain_html(rendered.text.clone(), rendered.html.clone()))
        .map_err(|e| e.to_string())
}
