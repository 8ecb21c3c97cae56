//! Users: accounts, roles, sign-in, access tokens and API keys.

mod basic;
mod delegates;
pub mod directory;
pub mod error;
mod limiter;
pub mod links;
pub mod password;
pub mod rules;
mod sessions;
pub mod token;

pub use directory::{DirectoryFuture, Identity, PasswordDirectory};
pub use error::UserError;
pub use sessions::SignedIn;

use crate::access::{Action, Actor, Role, Scope};
use crate::audit::{self, AuditAction, Entry};
use crate::clock;
use crate::config::{AdminConfig, AuthConfig};
use crate::events::{EventKind, NewEvent};
use crate::model::user::{ApiKey, User};
use crate::store::{Store, Tx};
use crate::types::{ApiKeyId, UserId};
use crate::validation::FieldErrors;
use chrono::{DateTime, Utc};
use limiter::LoginLimiter;
use serde_json::json;
use std::sync::{Arc, OnceLock};
use token::{Issued, TokenKeys};

type Result<T> = std::result::Result<T, UserError>;

#[derive(Clone)]
pub struct Users {
    store: Store,
    keys: TokenKeys,
    limiter: Arc<LoginLimiter>,
    /// Counts requests for reset and sign-up links, by address and client, as sign-ins are.
    reset_limiter: Arc<LoginLimiter>,
    /// One link request judged at a time: the limiter reads, then counts, and requests that
    /// came together would all read "not yet" (this process; replicas count each their own).
    link_turn: Arc<tokio::sync::Mutex<()>>,
    /// `[auth] self_signup_domains`.
    signup_domains: Arc<Vec<String>>,
    token_ttl_minutes: u32,
    /// `[auth] local_passwords`: whether passwords kept here are accepted at all.
    local_passwords: bool,
    /// LDAP / Active Directory: tried for whoever a local password does not sign in.
    directory: Option<Arc<dyn PasswordDirectory>>,
    /// Where the groups a provider names are synced on sign-in.
    groups: Option<crate::groups::Groups>,
}

pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// None: generate one (and return it, to be shown once).
    pub password: Option<String>,
    pub language: Option<String>,
}

#[derive(Default)]
pub struct UserPatch {
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub language: Option<String>,
    /// An IANA zone, or empty for the office default.
    pub timezone: Option<String>,
    /// E.164, or empty for none.
    pub phone: Option<String>,
    pub password: Option<String>,
    /// Required when users change their own password or e-mail address.
    pub current_password: Option<String>,
}

/// A user created with a generated password, which is shown once and not stored.
pub struct Created {
    pub user: User,
    pub generated_password: Option<String>,
}

impl Users {
    pub fn new(store: Store, keys: TokenKeys, auth: &AuthConfig) -> Users {
        Users {
            store,
            keys,
            limiter: Arc::new(LoginLimiter::new(
                auth.login_max_failures,
                auth.login_lockout_first_seconds,
                auth.login_lockout_minutes,
            )),
            // Three links an hour for one address from one client (twelve for the client).
            reset_limiter: Arc::new(LoginLimiter::new(3, 15 * 60, 60).counting("reset:")),
            link_turn: Arc::new(tokio::sync::Mutex::new(())),
            signup_domains: Arc::new(auth.self_signup_domains.clone()),
            token_ttl_minutes: auth.token_ttl_minutes,
            local_passwords: auth.local_passwords,
            directory: None,
            groups: None,
        }
    }

    /// Group memberships of users who sign in through a provider follow the provider's groups.
    pub fn with_groups(mut self, groups: crate::groups::Groups) -> Users {
        self.groups = Some(groups);
        self
    }

    /// Passwords the local store does not accept are checked against this directory.
    pub fn with_directory(mut self, directory: Arc<dyn PasswordDirectory>) -> Users {
        self.directory = Some(directory);
        self
    }

    /// On a store with no users, creates the configured administrator (or `admin@localhost`
    /// with a generated password).
    pub async fn bootstrap(&self, admin: &AdminConfig) -> Result<Option<Created>> {
        if self.store.view()?.user_count()? > 0 {
            return Ok(None);
        }
        let email = if admin.email.is_empty() { "admin@localhost".to_string() } else { admin.email.clone() };
        let password = (!admin.password.is_empty()).then(|| admin.password.clone());
        let input = NewUser { email, name: "Administrator".into(), role: Role::Admin, password, language: None };
        self.insert(None, input, true).await
    }

    /// Creates a user. `actor` is None for the operator at the command line.
    pub async fn create(&self, actor: Option<&Actor>, input: NewUser) -> Result<Created> {
        self.insert(actor, input, false).await?.ok_or(UserError::EmailTaken)
    }

    /// Creates a user; with `first`, only if there is no user yet (None then): processes
    /// starting together on one new database create one administrator, whoever writes first.
    async fn insert(&self, actor: Option<&Actor>, input: NewUser, first: bool) -> Result<Option<Created>> {
        if let Some(actor) = actor {
            actor.require(Action::ManageUsers)?;
        }
        let mut errors = FieldErrors::new();
        rules::check_email(&mut errors, "email", &input.email);
        errors.text("name", &input.name, 1, 200);
        if let Some(p) = &input.password {
            rules::check_password(&mut errors, "password", p);
        }
        // Not chosen until the user (or whoever creates the account) says: pages follow the browser.
        let language = input.language.unwrap_or_default();
        rules::check_language(&mut errors, "language", &language);
        errors.into_result()?;

        let generated_password = input.password.is_none().then(password::generate);
        let plain = input.password.or_else(|| generated_password.clone()).unwrap_or_default();
        let password_hash = hash_blocking(plain).await;
        let now = clock::now();
        let user = User {
            id: UserId::new(),
            email: rules::normalize_email(&input.email),
            name: input.name.trim().to_string(),
            role: input.role,
            password_hash,
            active: true,
            language,
            timezone: String::new(),
            phone: String::new(),
            delegates: Vec::new(),
            created_at: now,
            updated_at: now,
            tokens_valid_after: now,
        };
        let actor_id = actor.map(|a| a.id);
        let audit = Entry::new(AuditAction::UserCreated, actor_id);
        let user = self
            .store
            .write(move |tx: &mut Tx| {
                if first && tx.user_count()? > 0 {
                    return Ok(None);
                }
                if tx.user_by_email(&user.email)?.is_some() {
                    return Err(UserError::EmailTaken);
                }
                tx.put_user(user.clone());
                tx.append_event(user_event(EventKind::UserCreated, actor_id, &user, now));
                let detail = json!({"role": user.role});
                audit.target("user", user.id, &user.email).detail(detail).stage(tx)?;
                Ok(Some(user))
            })
            .await?;
        Ok(user.map(|user| Created { user, generated_password }))
    }

    /// Checks an e-mail address and password and issues an access token.
    pub async fn sign_in(&self, email: &str, password: &str, client: &str) -> Result<Issued> {
        let checked = self.check_credentials(email, password, client).await;
        let user = self.audit_sign_in_failure(checked, email, "api").await?;
        let entry = Entry::new(AuditAction::SignIn, Some(user.id))
            .target("user", user.id, &user.email)
            .detail(json!({"via": "api"}));
        audit::record(&self.store, entry).await?;
        Ok(self.keys.issue(user.id, clock::now(), self.token_ttl_minutes))
    }

    /// Records a refused sign-in in the audit log (in the name of the address tried, since
    /// nobody is signed in), then passes the result on.
    async fn audit_sign_in_failure<T>(&self, result: Result<T>, email: &str, via: &str) -> Result<T> {
        let reason = match &result {
            Err(UserError::BadCredentials) => "bad_credentials",
            Err(UserError::LockedOut { .. }) => "locked_out",
            Err(UserError::LocalPasswordsOff) => "local_passwords_off",
            Err(UserError::DirectoryUnavailable(_)) => "directory_unavailable",
            _ => return result,
        };
        let entry = Entry::new(AuditAction::SignInFailed, None)
            .attempted(email)
            .detail(json!({"via": via, "reason": reason}))
            .failed();
        audit::record(&self.store, entry).await?;
        result
    }

    /// The user with this e-mail address (or directory login) and password, counting failures
    /// against the limiter: a local password first, then the directory if there is one.
    async fn check_credentials(&self, email: &str, password: &str, client: &str) -> Result<User> {
        if !self.local_passwords && self.directory.is_none() {
            return Err(UserError::LocalPasswordsOff);
        }
        let now = clock::now();
        if let Some(retry_after_secs) = self.limiter.locked_for(&self.store, email, client, now)? {
            return Err(UserError::LockedOut { retry_after_secs });
        }
        if let Some(directory) = &self.directory {
            return self.check_with_directory(directory.as_ref(), email, password, client, now).await;
        }
        let user = self.store.view()?.user_by_email(email)?.filter(|u| u.active);
        // Verify against a dummy hash when there is no such user, so timing does not tell.
        let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| dummy_hash().to_string());
        let ok = verify_blocking(password.to_string(), hash).await && user.is_some();
        match user {
            Some(user) if ok => {
                self.limiter.succeeded(&self.store, email, client).await?;
                Ok(user)
            }
            _ => {
                self.limiter.failed(&self.store, email, client, now).await?;
                Err(UserError::BadCredentials)
            }
        }
    }

    /// Resolves a bearer token (an access token or an API key) to the user it acts for.
    pub fn authenticate(&self, bearer: &str) -> Result<Actor> {
        const INVALID: UserError = UserError::Unauthenticated("the token is invalid or has expired");
        let view = self.store.view()?;
        let (user, scope) = if bearer.starts_with(token::API_KEY_PREFIX) {
            let Some(key) = view.api_key_by_hash(token::secret_hash(bearer))? else {
                // Nothing of the key presented is recorded: a mistyped key is still most of one.
                audit::record_detached(&self.store, Entry::new(AuditAction::ApiKeyRejected, None).failed());
                return Err(INVALID);
            };
            (view.user(key.user_id)?, Some(key.scope))
        } else {
            let verified = self.keys.verify(bearer).ok_or(INVALID)?;
            let user =
                view.user(verified.user)?.filter(|u| verified.issued_at_ms >= u.tokens_valid_after.timestamp_millis());
            (user, None)
        };
        match (user, scope) {
            (Some(u), Some(scope)) if u.active => Ok(Actor::with_key(u.id, u.role, scope)),
            (Some(u), None) if u.active => Ok(Actor::user(u.id, u.role)),
            _ => Err(INVALID),
        }
    }

    pub fn get(&self, actor: &Actor, id: UserId) -> Result<User> {
        if actor.id != id {
            actor.require(Action::ReadUsers)?;
        }
        self.store.view()?.user(id)?.ok_or(UserError::NotFound)
    }

    /// Every user's display name, for showing who booked what.
    pub fn names(&self) -> Result<std::collections::HashMap<UserId, String>> {
        Ok(self.store.view()?.users()?.into_iter().map(|u| (u.id, u.name)).collect())
    }

    pub fn find_by_email(&self, email: &str) -> Result<User> {
        self.store.view()?.user_by_email(email)?.ok_or(UserError::NotFound)
    }

    pub fn list(&self, actor: Option<&Actor>) -> Result<Vec<User>> {
        if let Some(actor) = actor {
            actor.require(Action::ReadUsers)?;
        }
        Ok(self.store.view()?.users()?)
    }

    /// Changes a user. Users may change their own name, language, e-mail and password (the last
    /// two with their current password); admins may change anything of anyone, except that the
    /// last active admin cannot be demoted or deactivated.
    pub async fn update(&self, actor: Option<&Actor>, id: UserId, patch: UserPatch) -> Result<User> {
        let admin = actor.is_none_or(|a| a.role.may(Action::ManageUsers));
        if let Some(actor) = actor {
            // One's own account too needs the right: a read-only API key changes nothing.
            actor.require(if actor.id == id { Action::ManageOwnAccount } else { Action::ManageUsers })?;
        }
        let current = self.store.view()?.user(id)?.ok_or(UserError::NotFound)?;
        let mut errors = FieldErrors::new();
        if let Some(email) = &patch.email {
            rules::check_email(&mut errors, "email", email);
        }
        if let Some(name) = &patch.name {
            errors.text("name", name, 1, 200);
        }
        if let Some(language) = &patch.language {
            rules::check_language(&mut errors, "language", language);
        }
        if let Some(p) = &patch.password {
            rules::check_password(&mut errors, "password", p);
        }
        if let Some(phone) = &patch.phone {
            rules::check_phone(&mut errors, "phone", phone);
        }
        if let Some(zone) = patch.timezone.as_deref().filter(|z| !z.is_empty()) {
            errors.check(
                crate::validation::is_valid_timezone(zone),
                "timezone",
                "bad_timezone",
                "must be an IANA time zone such as Europe/Madrid",
            );
        }
        if !admin && (patch.role.is_some() || patch.active.is_some()) {
            return Err(crate::access::Denied.into());
        }
        let self_service = actor.is_some_and(|a| a.id == id);
        let sensitive = patch.password.is_some() || patch.email.is_some();
        if self_service && sensitive {
            match &patch.current_password {
                None => {
                    errors.add("current_password", "required", "is required to change your password or e-mail address")
                }
                Some(p) if !verify_blocking(p.clone(), current.password_hash.clone()).await => {
                    errors.add("current_password", "wrong_password", "is not your current password")
                }
                Some(_) => {}
            }
        }
        errors.into_result()?;

        let password_hash = match patch.password {
            Some(p) => Some(hash_blocking(p).await),
            None => None,
        };
        let now = clock::now();
        let actor_id = actor.map(|a| a.id);
        let audit = Entry::new(AuditAction::UserUpdated, actor_id);
        let password_changed = password_hash.is_some();
        self.store
            .write(move |tx: &mut Tx| {
                let mut user = tx.user(id)?.ok_or(UserError::NotFound)?;
                let before = user.clone();
                if let Some(email) = patch.email.map(|e| rules::normalize_email(&e))
                    && email != user.email
                {
                    if tx.user_by_email(&email)?.is_some() {
                        return Err(UserError::EmailTaken);
                    }
                    user.email = email;
                }
                if let Some(name) = patch.name {
                    user.name = name.trim().to_string();
                }
                if let Some(language) = patch.language {
                    user.language = language;
                }
                if let Some(zone) = patch.timezone {
                    user.timezone = zone;
                }
                if let Some(phone) = patch.phone.as_deref().and_then(rules::normalize_phone) {
                    user.phone = phone;
                }
                let demoted = patch.role.is_some_and(|r| r != Role::Admin) || patch.active == Some(false);
                if user.role == Role::Admin && user.active && demoted && active_admins(tx)? <= 1 {
                    let field = if patch.active == Some(false) { "active" } else { "role" };
                    return Err(FieldErrors::one(
                        field,
                        "last_admin",
                        "the last active administrator must stay an active administrator",
                    )
                    .into());
                }
                if let Some(role) = patch.role {
                    user.role = role;
                }
                if let Some(active) = patch.active {
                    user.active = active;
                }
                if let Some(hash) = password_hash {
                    user.password_hash = hash;
                    // Tokens issued under the old password stop working.
                    user.tokens_valid_after = now;
                }
                user.updated_at = now;
                tx.put_user(user.clone());
                tx.append_event(user_event(EventKind::UserUpdated, actor_id, &user, now));
                stage_user_audit(tx, &audit, &before, &user, password_changed)?;
                Ok(user)
            })
            .await
    }

    /// Sets a new password (generated when none is given) and returns it.
    pub async fn reset_password(&self, id: UserId, password: Option<String>) -> Result<String> {
        let password = password.unwrap_or_else(password::generate);
        let patch = UserPatch { password: Some(password.clone()), ..Default::default() };
        self.update(None, id, patch).await?;
        Ok(password)
    }

    /// Creates an API key for the actor; the secret is returned once and only its hash kept.
    pub async fn create_api_key(&self, actor: &Actor, name: &str, scope: Scope) -> Result<(ApiKey, String)> {
        actor.require(Action::ManageOwnAccount)?;
        let mut errors = FieldErrors::new();
        errors.text("name", name, 1, 100);
        errors.into_result()?;
        let (secret, secret_hash) = token::new_api_key();
        let now = clock::now();
        let key = ApiKey {
            id: ApiKeyId::new(),
            user_id: actor.id,
            name: name.trim().to_string(),
            secret_hash,
            prefix: secret.chars().take(token::API_KEY_PREFIX.len() + 6).collect(),
            created_at: now,
            scope,
        };
        let actor_id = actor.id;
        let audit = Entry::new(AuditAction::ApiKeyCreated, Some(actor_id));
        let key = self
            .store
            .write(move |tx: &mut Tx| {
                tx.put_api_key(key.clone());
                tx.append_event(key_event(EventKind::ApiKeyCreated, actor_id, &key, now));
                audit
                    .target("api_key", key.id, &key.name)
                    .detail(json!({"prefix": key.prefix, "scope": key.scope}))
                    .stage(tx)?;
                Ok::<_, UserError>(key)
            })
            .await?;
        Ok((key, secret))
    }

    pub fn api_keys(&self, actor: &Actor) -> Result<Vec<ApiKey>> {
        let mut keys = self.store.view()?.api_keys_of(actor.id)?;
        keys.sort_by_key(|k| k.created_at);
        Ok(keys)
    }

    /// Revokes one of the actor's keys (admins may revoke anyone's).
    pub async fn revoke_api_key(&self, actor: &Actor, id: ApiKeyId) -> Result<()> {
        actor.require(Action::ManageOwnAccount)?;
        let actor = actor.clone();
        let now = clock::now();
        let audit = Entry::new(AuditAction::ApiKeyRevoked, Some(actor.id));
        self.store
            .write(move |tx: &mut Tx| {
                let key = tx.api_key(id)?.ok_or(UserError::KeyNotFound)?;
                if key.user_id != actor.id && !actor.role.may(Action::ManageUsers) {
                    return Err(UserError::KeyNotFound);
                }
                tx.delete_api_key(id);
                tx.append_event(key_event(EventKind::ApiKeyRevoked, actor.id, &key, now));
                let detail = json!({"prefix": key.prefix, "owner": key.user_id});
                audit.target("api_key", key.id, &key.name).detail(detail).stage(tx)?;
                Ok(())
            })
            .await
    }
}

/// The audit records of one edit of a user: role, activation and password changes each on their
/// own (they are what an auditor looks for), the other fields together.
fn stage_user_audit(tx: &mut Tx, base: &Entry, before: &User, after: &User, password: bool) -> Result<()> {
    let on_user = |action| base.also(action).target("user", after.id, &after.email);
    if before.role != after.role {
        on_user(AuditAction::RoleChanged).detail(json!({"from": before.role, "to": after.role})).stage(tx)?;
    }
    if before.active != after.active {
        on_user(if after.active { AuditAction::UserEnabled } else { AuditAction::UserDisabled }).stage(tx)?;
    }
    if password {
        on_user(AuditAction::PasswordChanged).stage(tx)?;
    }
    let changed = [
        ("email", before.email != after.email),
        ("name", before.name != after.name),
        ("language", before.language != after.language),
        ("timezone", before.timezone != after.timezone),
        ("phone", before.phone != after.phone),
        ("delegates", before.delegates != after.delegates),
    ];
    let fields: Vec<&str> = changed.iter().filter(|(_, c)| *c).map(|(f, _)| *f).collect();
    if !fields.is_empty() {
        let mut detail = json!({"fields": fields});
        if before.email != after.email {
            detail["email"] = json!({"from": before.email, "to": after.email});
        }
        on_user(AuditAction::UserUpdated).detail(detail).stage(tx)?;
    }
    Ok(())
}

fn active_admins(tx: &Tx) -> Result<usize> {
    Ok(tx.users()?.iter().filter(|u| u.active && u.role == Role::Admin).count())
}

/// What the event log records of a user: never the password hash.
fn user_event(kind: EventKind, actor: Option<UserId>, u: &User, at: DateTime<Utc>) -> NewEvent {
    NewEvent::new(kind, actor, u.id.0, at, &user_snapshot(u))
}

fn user_snapshot(u: &User) -> serde_json::Value {
    json!({"id": u.id, "email": u.email, "name": u.name, "role": u.role, "active": u.active, "language": u.language})
}

fn key_event(kind: EventKind, actor: UserId, k: &ApiKey, at: DateTime<Utc>) -> NewEvent {
    let data = json!({"id": k.id, "user_id": k.user_id, "name": k.name, "prefix": k.prefix, "scope": k.scope});
    NewEvent::new(kind, Some(actor), k.id.0, at, &data)
}

async fn hash_blocking(password: String) -> String {
    tokio::task::spawn_blocking(move || password::hash(&password)).await.unwrap_or_else(|_| "!".into())
}

async fn verify_blocking(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || password::verify(&password, &hash)).await.unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash("a password nobody has"))
}
