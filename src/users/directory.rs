//! Users who sign in through an identity provider (OpenID Connect) or a directory (LDAP): they
//! are created on their first sign-in, with no local password, and their role follows the
//! provider's groups when a role map is configured.

use super::{Result, UserError, Users, rules, user_snapshot};
use crate::access::Role;
use crate::audit::{self, AuditAction, Entry};
use crate::clock;
use crate::events::{EventKind, NewEvent};
use crate::model::user::User;
use crate::store::Tx;
use crate::types::UserId;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// Stored instead of a password hash: no password matches it, so such a user signs in only
/// through their provider (until an admin sets a password).
pub const NO_LOCAL_PASSWORD: &str = "!external";

/// Who a provider or directory says signed in.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    pub email: String,
    pub name: String,
    /// Some when a role map is configured: the role follows the provider on every sign-in.
    /// None: a new user gets `default_role`, an existing one keeps the role given here.
    pub role: Option<Role>,
    pub default_role: Role,
    /// The provider's group names, when group sync is on.
    pub groups: Option<Vec<String>>,
    /// `oidc` or `ldap`, for the event log.
    pub source: &'static str,
}

/// The outcome of asking a directory about a login and password: `Ok(None)` is a wrong login or
/// password; `Err` is a directory that could not be asked (down, misconfigured).
pub type DirectoryFuture<'a> = Pin<Box<dyn Future<Output = std::result::Result<Option<Identity>, String>> + Send + 'a>>;

/// A password directory (LDAP / Active Directory).
pub trait PasswordDirectory: Send + Sync {
    fn authenticate<'a>(&'a self, login: &'a str, password: &'a str) -> DirectoryFuture<'a>;
}

/// The role a provider's values map to: the highest matching one, or None when nothing matches.
pub fn mapped_role<'a>(values: impl IntoIterator<Item = &'a str>, map: &BTreeMap<String, Role>) -> Option<Role> {
    values.into_iter().filter_map(|v| map.get(v).copied()).max()
}

/// The role an identity gets from a role map (None while the map is empty: roles are then
/// managed in Salas).
pub fn role_from_map<'a>(
    values: impl IntoIterator<Item = &'a str>,
    map: &BTreeMap<String, Role>,
    default_role: Role,
) -> Option<Role> {
    (!map.is_empty()).then(|| mapped_role(values, map).unwrap_or(default_role))
}

impl Users {
    /// Whether the sign-in form and the token endpoint take passwords at all.
    pub fn accepts_passwords(&self) -> bool {
        self.local_passwords || self.directory.is_some()
    }

    /// Whether a directory checks passwords (people may then type a user name).
    pub fn has_directory(&self) -> bool {
        self.directory.is_some()
    }

    /// A local password first (if local passwords are on and the user has one), then the
    /// directory. One failed attempt counts once against the limiter; a directory that cannot
    /// be reached is not the user's failure and does not count.
    pub(super) async fn check_with_directory(
        &self,
        directory: &dyn PasswordDirectory,
        login: &str,
        password: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<User> {
        if self.local_passwords {
            let local = self.store.view()?.user_by_email(login)?.filter(|u| u.active && has_local_password(u));
            if let Some(user) = local
                && super::verify_blocking(password.to_string(), user.password_hash.clone()).await
            {
                self.limiter.succeeded(&self.store, login, client).await?;
                return Ok(user);
            }
        }
        match directory.authenticate(login, password).await {
            Ok(Some(identity)) => {
                let user = self.provision(identity).await?;
                self.limiter.succeeded(&self.store, login, client).await?;
                Ok(user)
            }
            Ok(None) => {
                self.limiter.failed(&self.store, login, client, now).await?;
                Err(UserError::BadCredentials)
            }
            Err(why) => {
                tracing::warn!(error = %why, "LDAP sign-in: the directory could not be asked");
                Err(UserError::DirectoryUnavailable(why))
            }
        }
    }

    /// The user an identity names, created on the first sign-in; the role (when the provider
    /// decides it) and the name follow the provider. Deactivated users stay out.
    pub async fn provision(&self, identity: Identity) -> Result<User> {
        let email = rules::normalize_email(&identity.email);
        if !rules::is_plausible_email(&email) {
            return Err(UserError::Unauthenticated("the provider gave no usable e-mail address"));
        }
        let name = display_name(&identity.name, &email);
        let now = clock::now();
        let (role, default_role, source) = (identity.role, identity.default_role, identity.source);
        let group_names = identity.groups;
        let user = self
            .store
            .write(move |tx: &mut Tx| {
                let Some(mut user) = tx.user_by_email(&email)? else {
                    let user = User {
                        id: UserId::new(),
                        email,
                        name,
                        role: role.unwrap_or(default_role),
                        password_hash: NO_LOCAL_PASSWORD.into(),
                        active: true,
                        language: "en".into(),
                        timezone: String::new(),
                        phone: String::new(),
                        delegates: Vec::new(),
                        created_at: now,
                        updated_at: now,
                        tokens_valid_after: now,
                    };
                    tx.put_user(user.clone());
                    tx.append_event(sourced_event(EventKind::UserCreated, &user, now, source));
                    Entry::new(AuditAction::UserCreated, None)
                        .target("user", user.id, &user.email)
                        .detail(serde_json::json!({"role": user.role, "source": source}))
                        .stage(tx)?;
                    return Ok(user);
                };
                if !user.active {
                    return Err(UserError::Unauthenticated("this account is deactivated"));
                }
                let mut changed = false;
                if let Some(role) = role
                    && role != user.role
                {
                    // The last active administrator keeps the role, as in every other path.
                    let last_admin = user.role == Role::Admin
                        && tx.users()?.iter().filter(|u| u.active && u.role == Role::Admin).count() <= 1;
                    if last_admin {
                        tracing::warn!(user = %user.email, "the provider maps the last administrator to another role; keeping admin");
                    } else {
                        Entry::new(AuditAction::RoleChanged, None)
                            .target("user", user.id, &user.email)
                            .detail(serde_json::json!({"from": user.role, "to": role, "source": source}))
                            .stage(tx)?;
                        user.role = role;
                        // Tokens issued under the old role stop working.
                        user.tokens_valid_after = now;
                        changed = true;
                    }
                }
                if user.name != name {
                    user.name = name;
                    changed = true;
                }
                if changed {
                    user.updated_at = now;
                    tx.put_user(user.clone());
                    tx.append_event(sourced_event(EventKind::UserUpdated, &user, now, source));
                }
                Ok(user)
            })
            .await?;
        if let (Some(names), Some(groups)) = (group_names, &self.groups) {
            // Fail closed: a sign-in that could not drop a group the user has left must not go
            // on with that group's room rights.
            let sync = groups.set_memberships_from_directory(user.id, names).await.map_err(|e| {
                tracing::error!(user = %user.email, error = %e, "group sync at sign-in failed");
                UserError::Unauthenticated("the group memberships could not be updated")
            })?;
            if !sync.joined.is_empty() || !sync.left.is_empty() {
                tracing::info!(user = %user.email, joined = ?sync.joined, left = ?sync.left, source, "groups synced at sign-in");
            }
        }
        Ok(user)
    }
}

impl Users {
    /// Records a sign-in an identity provider did not complete (refused, unverified e-mail
    /// address, expired) in the audit log; the e-mail address when the provider gave one.
    pub async fn record_provider_failure(&self, via: &str, reason: &str, email: Option<&str>) {
        let mut entry = Entry::new(AuditAction::SignInFailed, None)
            .detail(serde_json::json!({"via": via, "reason": reason}))
            .failed();
        if let Some(email) = email {
            entry = entry.attempted(email);
        }
        if let Err(e) = audit::record(&self.store, entry).await {
            tracing::warn!(error = %e, "could not record a refused provider sign-in in the audit log");
        }
    }
}

pub(super) fn has_local_password(u: &User) -> bool {
    u.password_hash != NO_LOCAL_PASSWORD
}

/// The provider's name for the user, or the e-mail address's local part when it gives none.
fn display_name(name: &str, email: &str) -> String {
    let name = name.trim();
    let name = if name.is_empty() { email.split('@').next().unwrap_or(email) } else { name };
    name.chars().take(200).collect()
}

/// A user event that also names the directory the change came from.
fn sourced_event(kind: EventKind, user: &User, at: DateTime<Utc>, source: &str) -> NewEvent {
    let mut data = user_snapshot(user);
    data["source"] = source.into();
    NewEvent::new(kind, None, user.id.0, at, &data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Role)]) -> BTreeMap<String, Role> {
        pairs.iter().map(|(k, r)| (k.to_string(), *r)).collect()
    }

    #[test]
    fn the_highest_mapped_role_wins() {
        let m = map(&[("staff", Role::Member), ("it", Role::Admin), ("leads", Role::Manager)]);
        assert_eq!(mapped_role(["staff", "leads"], &m), Some(Role::Manager));
        assert_eq!(mapped_role(["it", "staff"], &m), Some(Role::Admin));
        assert_eq!(mapped_role(["visitors"], &m), None);
        assert_eq!(role_from_map(["visitors"], &m, Role::Viewer), Some(Role::Viewer));
        // No map: the provider does not decide roles.
        assert_eq!(role_from_map(["it"], &BTreeMap::new(), Role::Member), None);
    }

    #[test]
    fn names_fall_back_to_the_address() {
        assert_eq!(display_name("  Ana Pérez ", "ana@example.org"), "Ana Pérez");
        assert_eq!(display_name("", "ana@example.org"), "ana");
        assert_eq!(display_name(&"x".repeat(300), "a@b.c").chars().count(), 200);
    }
}
