//! Users: accounts, roles, sign-in, access tokens and API keys.

pub mod error;
mod limiter;
pub mod model;
pub mod password;
pub mod rules;
mod sessions;
pub mod token;

pub use error::UserError;
pub use sessions::SignedIn;

use crate::access::{Action, Actor, Role};
use crate::clock;
use crate::config::{AdminConfig, AuthConfig};
use crate::events::{EventKind, NewEvent};
use crate::store::{Store, Tx};
use crate::types::{ApiKeyId, UserId};
use crate::validation::FieldErrors;
use chrono::{DateTime, Utc};
use limiter::LoginLimiter;
use model::{ApiKey, User};
use serde_json::json;
use std::sync::{Arc, OnceLock};
use token::{Issued, TokenKeys};

type Result<T> = std::result::Result<T, UserError>;

#[derive(Clone)]
pub struct Users {
    store: Store,
    keys: TokenKeys,
    limiter: Arc<LoginLimiter>,
    token_ttl_minutes: u32,
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
            token_ttl_minutes: auth.token_ttl_minutes,
        }
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
        self.create(None, input).await.map(Some)
    }

    /// Creates a user. `actor` is None for the operator at the command line.
    pub async fn create(&self, actor: Option<&Actor>, input: NewUser) -> Result<Created> {
        if let Some(actor) = actor {
            actor.require(Action::ManageUsers)?;
        }
        let mut errors = FieldErrors::new();
        rules::check_email(&mut errors, "email", &input.email);
        errors.text("name", &input.name, 1, 200);
        if let Some(p) = &input.password {
            rules::check_password(&mut errors, "password", p);
        }
        let language = input.language.unwrap_or_else(|| "en".into());
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
            created_at: now,
            updated_at: now,
            tokens_valid_after: now,
        };
        let actor_id = actor.map(|a| a.id);
        let user = self
            .store
            .write(move |tx: &mut Tx| {
                if tx.user_by_email(&user.email)?.is_some() {
                    return Err(UserError::EmailTaken);
                }
                tx.put_user(user.clone());
                tx.append_event(user_event(EventKind::UserCreated, actor_id, &user, now));
                Ok(user)
            })
            .await?;
        Ok(Created { user, generated_password })
    }

    /// Checks an e-mail address and password and issues an access token.
    pub async fn sign_in(&self, email: &str, password: &str, client: &str) -> Result<Issued> {
        let user = self.check_credentials(email, password, client).await?;
        Ok(self.keys.issue(user.id, clock::now(), self.token_ttl_minutes))
    }

    /// The user with this e-mail address and password, counting failures against the limiter.
    async fn check_credentials(&self, email: &str, password: &str, client: &str) -> Result<User> {
        let now = clock::now();
        if let Some(retry_after_secs) = self.limiter.locked_for(email, client, now) {
            return Err(UserError::LockedOut { retry_after_secs });
        }
        let user = self.store.view()?.user_by_email(email)?.filter(|u| u.active);
        // Verify against a dummy hash when there is no such user, so timing does not tell.
        let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| dummy_hash().to_string());
        let ok = verify_blocking(password.to_string(), hash).await && user.is_some();
        match user {
            Some(user) if ok => {
                self.limiter.succeeded(email, client);
                Ok(user)
            }
            _ => {
                self.limiter.failed(email, client, now);
                Err(UserError::BadCredentials)
            }
        }
    }

    /// Resolves a bearer token (an access token or an API key) to the user it acts for.
    pub fn authenticate(&self, bearer: &str) -> Result<Actor> {
        const INVALID: UserError = UserError::Unauthenticated("the token is invalid or has expired");
        let view = self.store.view()?;
        let user = if bearer.starts_with(token::API_KEY_PREFIX) {
            let key = view.api_key_by_hash(token::secret_hash(bearer))?.ok_or(INVALID)?;
            view.user(key.user_id)?
        } else {
            let verified = self.keys.verify(bearer).ok_or(INVALID)?;
            view.user(verified.user)?.filter(|u| verified.issued_at_ms >= u.tokens_valid_after.timestamp_millis())
        };
        match user {
            Some(u) if u.active => Ok(Actor { id: u.id, role: u.role }),
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
        if let Some(actor) = actor
            && actor.id != id
        {
            actor.require(Action::ManageUsers)?;
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
        if let Some(zone) = patch.timezone.as_deref().filter(|z| !z.is_empty()) {
            errors.check(
                crate::rooms::rules::is_valid_timezone(zone),
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
        self.store
            .write(move |tx: &mut Tx| {
                let mut user = tx.user(id)?.ok_or(UserError::NotFound)?;
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
    pub async fn create_api_key(&self, actor: &Actor, name: &str) -> Result<(ApiKey, String)> {
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
        };
        let actor_id = actor.id;
        let key = self
            .store
            .write(move |tx: &mut Tx| {
                tx.put_api_key(key.clone());
                tx.append_event(key_event(EventKind::ApiKeyCreated, actor_id, &key, now));
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
        let actor = actor.clone();
        let now = clock::now();
        self.store
            .write(move |tx: &mut Tx| {
                let key = tx.api_key(id)?.ok_or(UserError::KeyNotFound)?;
                if key.user_id != actor.id && !actor.role.may(Action::ManageUsers) {
                    return Err(UserError::KeyNotFound);
                }
                tx.delete_api_key(id);
                tx.append_event(key_event(EventKind::ApiKeyRevoked, actor.id, &key, now));
                Ok(())
            })
            .await
    }
}

fn active_admins(tx: &Tx) -> Result<usize> {
    Ok(tx.users()?.iter().filter(|u| u.active && u.role == Role::Admin).count())
}

/// What the event log records of a user: never the password hash.
fn user_event(kind: EventKind, actor: Option<UserId>, u: &User, at: DateTime<Utc>) -> NewEvent {
    let data = json!({"id": u.id, "email": u.email, "name": u.name, "role": u.role, "active": u.active, "language": u.language});
    NewEvent::new(kind, actor, u.id.0, at, data)
}

fn key_event(kind: EventKind, actor: UserId, k: &ApiKey, at: DateTime<Utc>) -> NewEvent {
    let data = json!({"id": k.id, "user_id": k.user_id, "name": k.name, "prefix": k.prefix});
    NewEvent::new(kind, Some(actor), k.id.0, at, data)
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
