//! Users and API keys as the store keeps them.

use crate::access::Role;
use crate::types::{ApiKeyId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// Lower-cased; unique.
    pub email: String,
    pub name: String,
    pub role: Role,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub active: bool,
    /// `en` or `es`; empty when the user never chose, and pages follow the browser's
    /// `Accept-Language`.
    pub language: String,
    /// The IANA zone the UI shows times in; empty means the office default.
    #[serde(default)]
    pub timezone: String,
    /// For text messages: E.164 (`+34600123456`); empty: none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phone: String,
    /// The people who may book for this user, and change or cancel their bookings
    /// (users/delegates.rs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delegates: Vec<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Access tokens issued before this instant are refused (set on password reset and role
    /// change, so a stolen token does not outlive them).
    pub tokens_valid_after: DateTime<Utc>,
}

impl User {
    /// The language of what is sent to the user (e-mail, SMS…), where no browser says which:
    /// their own, or English.
    pub fn mail_language(&self) -> &str {
        if self.language.is_empty() { "en" } else { &self.language }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub user_id: UserId,
    pub name: String,
    /// SHA-256 of the secret; the secret itself is shown once and never stored.
    pub secret_hash: [u8; 32],
    /// The first characters of the secret, so a user can tell keys apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// What the key may be used for; keys from before scopes existed are `admin` (as before).
    #[serde(default)]
    pub scope: crate::access::Scope,
}

/// A browser session. The cookie holds a random secret; the store keys the session by the
/// secret's SHA-256, so a copy of the store does not yield usable cookies.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    pub user_id: UserId,
    /// Sent back in every form, checked on every state-changing request.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// "Remember me": the cookie outlives the browser session.
    pub persistent: bool,
}

/// Failed sign-ins counted under one key (an account from one client address, or a client
/// address), as the store keeps them so that every process of one database sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginLock {
    pub failures: u32,
    pub last: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
    /// From then on the count is forgotten (a quiet spell as long as the longest lock).
    pub forget_at: DateTime<Utc>,
}

/// What a link e-mailed to someone lets them do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    /// Set a new password for a forgotten one (or one an administrator asked to reset).
    Reset,
    /// Set the first password of an account an administrator created.
    Invite,
    /// Confirm an address of an allowed domain and create one's own account.
    Signup,
}

/// A single-use link sent by e-mail. The store keys it by the SHA-256 of the random secret in the
/// link; the secret itself is never stored, so a copy of the store yields no usable link.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccountLink {
    /// SHA-256 of the secret, in hex.
    pub hash: String,
    pub purpose: LinkPurpose,
    /// The account it is for; None for a sign-up, whose account is made when it is followed.
    pub user_id: Option<UserId>,
    /// Lower-cased address the link was sent to.
    pub email: String,
    /// Sign-ups: the name given; empty otherwise.
    #[serde(default)]
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
}
