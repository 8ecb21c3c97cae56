//! The audit log's records and the query of a listing (the audit module writes and reads them).

use crate::types::UserId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What was done. The string forms (`auth.sign_in`…) are what the API, the export and the
/// filters use; add new actions at the end of [`AuditAction::ALL`] too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    #[serde(rename = "auth.sign_in")]
    SignIn,
    #[serde(rename = "auth.sign_in_failed")]
    SignInFailed,
    #[serde(rename = "auth.sign_out")]
    SignOut,
    /// A bearer API key that matches no key (revoked, or never issued).
    #[serde(rename = "auth.api_key_rejected")]
    ApiKeyRejected,
    #[serde(rename = "user.created")]
    UserCreated,
    /// Name, e-mail address, language or time zone.
    #[serde(rename = "user.updated")]
    UserUpdated,
    #[serde(rename = "user.password_changed")]
    PasswordChanged,
    #[serde(rename = "user.role_changed")]
    RoleChanged,
    #[serde(rename = "user.disabled")]
    UserDisabled,
    #[serde(rename = "user.enabled")]
    UserEnabled,
    #[serde(rename = "api_key.created")]
    ApiKeyCreated,
    #[serde(rename = "api_key.revoked")]
    ApiKeyRevoked,
    #[serde(rename = "room.created")]
    RoomCreated,
    #[serde(rename = "room.updated")]
    RoomUpdated,
    #[serde(rename = "room.archived")]
    RoomArchived,
    #[serde(rename = "resource.created")]
    ResourceCreated,
    #[serde(rename = "resource.updated")]
    ResourceUpdated,
    #[serde(rename = "resource.deleted")]
    ResourceDeleted,
    /// For the approvals workflow: stage with [`Entry::stage`] in the approve/decline command.
    #[serde(rename = "reservation.approved")]
    ReservationApproved,
    #[serde(rename = "reservation.declined")]
    ReservationDeclined,
    #[serde(rename = "webhook.created")]
    WebhookCreated,
    #[serde(rename = "webhook.deleted")]
    WebhookDeleted,
    #[serde(rename = "email.template_saved")]
    EmailTemplateSaved,
    #[serde(rename = "email.template_reset")]
    EmailTemplateReset,
    #[serde(rename = "email.test_sent")]
    EmailTestSent,
    #[serde(rename = "sms.test_sent")]
    SmsTestSent,
    /// `salas export` (or the admin socket's export).
    #[serde(rename = "data.exported")]
    DataExported,
    /// `salas backup`, online or offline, and scheduled backups.
    #[serde(rename = "data.backed_up")]
    DataBackedUp,
    /// An admin downloaded the audit log itself.
    #[serde(rename = "audit.exported")]
    AuditExported,
    #[serde(rename = "booking_field.created")]
    BookingFieldCreated,
    #[serde(rename = "booking_field.updated")]
    BookingFieldUpdated,
    #[serde(rename = "booking_field.deleted")]
    BookingFieldDeleted,
    /// A single-use password-reset link was e-mailed (asked for by the user or by an admin).
    #[serde(rename = "user.reset_link_sent")]
    ResetLinkSent,
    /// An account was made by an admin with a set-your-password link instead of a password.
    #[serde(rename = "user.invited")]
    UserInvited,
    /// A password was set by following a reset or invitation link.
    #[serde(rename = "user.password_reset")]
    PasswordReset,
    /// A sign-up link was e-mailed to an address of an allowed domain.
    #[serde(rename = "user.signup_link_sent")]
    SignupLinkSent,
    /// Someone created their own account by following a sign-up link.
    #[serde(rename = "user.signed_up")]
    UserSignedUp,
}

impl AuditAction {
    pub const ALL: &[AuditAction] = &[
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SignOut,
        AuditAction::ApiKeyRejected,
        AuditAction::UserCreated,
        AuditAction::UserUpdated,
        AuditAction::PasswordChanged,
        AuditAction::RoleChanged,
        AuditAction::UserDisabled,
        AuditAction::UserEnabled,
        AuditAction::ApiKeyCreated,
        AuditAction::ApiKeyRevoked,
        AuditAction::RoomCreated,
        AuditAction::RoomUpdated,
        AuditAction::RoomArchived,
        AuditAction::ResourceCreated,
        AuditAction::ResourceUpdated,
        AuditAction::ResourceDeleted,
        AuditAction::ReservationApproved,
        AuditAction::ReservationDeclined,
        AuditAction::WebhookCreated,
        AuditAction::WebhookDeleted,
        AuditAction::EmailTemplateSaved,
        AuditAction::EmailTemplateReset,
        AuditAction::EmailTestSent,
        AuditAction::SmsTestSent,
        AuditAction::DataExported,
        AuditAction::DataBackedUp,
        AuditAction::AuditExported,
        AuditAction::BookingFieldCreated,
        AuditAction::BookingFieldUpdated,
        AuditAction::BookingFieldDeleted,
        AuditAction::ResetLinkSent,
        AuditAction::UserInvited,
        AuditAction::PasswordReset,
        AuditAction::SignupLinkSent,
        AuditAction::UserSignedUp,
    ];

    pub fn as_str(self) -> &'static str {
        let i = AuditAction::ALL.iter().position(|a| *a == self);
        i.and_then(|i| NAMES.get(i)).copied().unwrap_or("unknown")
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        serde_json::from_value(serde_json::Value::String(s.trim().to_string())).ok()
    }
}

/// The string forms in the order of [`AuditAction::ALL`] (checked by a unit test).
const NAMES: &[&str] = &[
    "auth.sign_in",
    "auth.sign_in_failed",
    "auth.sign_out",
    "auth.api_key_rejected",
    "user.created",
    "user.updated",
    "user.password_changed",
    "user.role_changed",
    "user.disabled",
    "user.enabled",
    "api_key.created",
    "api_key.revoked",
    "room.created",
    "room.updated",
    "room.archived",
    "resource.created",
    "resource.updated",
    "resource.deleted",
    "reservation.approved",
    "reservation.declined",
    "webhook.created",
    "webhook.deleted",
    "email.template_saved",
    "email.template_reset",
    "email.test_sent",
    "sms.test_sent",
    "data.exported",
    "data.backed_up",
    "audit.exported",
    "booking_field.created",
    "booking_field.updated",
    "booking_field.deleted",
    "user.reset_link_sent",
    "user.invited",
    "user.password_reset",
    "user.signup_link_sent",
    "user.signed_up",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
}

/// What an action was done to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// `user`, `room`, `resource`, `reservation`, `api_key`, `webhook`, `email_template`, `store`…
    pub kind: String,
    /// Its id (a UUID, or a name such as `reminder/en` for a template); empty when there is none.
    pub id: String,
    /// Something a person recognises: an e-mail address, a room's name.
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// UUIDv7: unique, and in creation order within the same microsecond.
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// Who acted; None for an anonymous attempt, the command line or the system.
    pub actor_id: Option<UserId>,
    /// The actor's e-mail address then; for an anonymous sign-in attempt the address tried.
    pub actor_email: String,
    pub action: AuditAction,
    pub target: Option<Target>,
    /// The client's IP address; `cli` for the command line, `system` for background jobs.
    pub from: String,
    pub outcome: Outcome,
    /// What changed or why it failed (field names, old and new role…); never a secret.
    #[serde(default)]
    pub detail: serde_json::Value,
}

/// Which records a listing wants; newest first.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// A user id, or (part of) an e-mail address, case-insensitive.
    pub actor: Option<String>,
    pub action: Option<AuditAction>,
    /// Continue after this record (from a previous page's `next`).
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: usize,
}

impl Query {
    /// Whether `r` passes the actor and action filters (the time window is the store's range).
    pub fn matches(&self, r: &AuditRecord) -> bool {
        self.action.is_none_or(|a| r.action == a)
            && self.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()).is_none_or(|a| {
                r.actor_id.is_some_and(|id| id.to_string() == a)
                    || r.actor_email.to_lowercase().contains(&a.to_lowercase())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_serde_and_parse_back() {
        assert_eq!(AuditAction::ALL.len(), NAMES.len());
        for (a, n) in AuditAction::ALL.iter().zip(NAMES) {
            assert_eq!(serde_json::to_value(a).unwrap(), serde_json::json!(n));
            assert_eq!(a.as_str(), *n);
            assert_eq!(AuditAction::parse(n), Some(*a));
        }
        assert_eq!(AuditAction::parse("nope"), None);
    }
}
