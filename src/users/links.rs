//! Single-use links e-mailed to people: a forgotten password's reset, an administrator's
//! invitation to set a first password, and a self-registration's address check.
//!
//! The secret in a link is 32 random bytes (base64url); the store keeps only its SHA-256, with
//! the purpose, the account, the expiry and whether it was used. Asking for a reset never says
//! whether the address is known: the caller answers the same whatever this returns.
//!
//! Setting a password through a link ends every session and access token of the account (as any
//! password change does, by `tokens_valid_after`); API keys stay, since they are credentials the
//! owner made on purpose and revokes on their own (an administrator can revoke them too).
//!
//! Accounts without a password kept here (made by single sign-on, or everyone when
//! `[auth] local_passwords` is off) get no reset link: a password set here would not sign them in.

use super::{Result, UserError, Users, hash_blocking, rules};
use crate::access::{Action, Actor, Role};
use crate::audit::{AuditAction, Entry};
use crate::clock;
use crate::events::EventKind;
use crate::model::user::{AccountLink, LinkPurpose, User};
use crate::store::Tx;
use crate::types::UserId;
use crate::validation::FieldErrors;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde_json::json;

/// How long each kind of link works.
pub fn lifetime(purpose: LinkPurpose) -> Duration {
    match purpose {
        LinkPurpose::Reset => Duration::minutes(60),
        // An invitation may wait over a weekend or a week's holiday.
        LinkPurpose::Invite => Duration::days(7),
        LinkPurpose::Signup => Duration::hours(24),
    }
}

/// What a link's stored record says about it now.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkState {
    Unknown,
    /// Expired or already used.
    Gone,
    Valid,
}

pub fn state(link: Option<&AccountLink>, now: DateTime<Utc>) -> LinkState {
    match link {
        None => LinkState::Unknown,
        Some(l) if l.used || l.expires_at <= now => LinkState::Gone,
        Some(_) => LinkState::Valid,
    }
}

/// Whether `email` belongs to one of `domains` (exactly: no subdomains).
pub fn domain_allowed(email: &str, domains: &[String]) -> bool {
    let email = rules::normalize_email(email);
    email.rsplit_once('@').is_some_and(|(_, d)| domains.iter().any(|allowed| allowed.eq_ignore_ascii_case(d)))
}

/// A link to e-mail: the secret is here and in the e-mail only.
#[derive(Clone)]
pub struct LinkMail {
    pub purpose: LinkPurpose,
    pub secret: String,
    pub email: String,
    pub name: String,
    /// The language the e-mail is written in.
    pub language: String,
}

impl std::fmt::Debug for LinkMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LinkMail({:?} to {})", self.purpose, self.email) // never the secret
    }
}

/// What following a link shows before the password is set.
pub struct Opened {
    pub purpose: LinkPurpose,
    pub email: String,
}

fn new_secret() -> (String, [u8; 32]) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = super::token::secret_hash(&secret);
    (secret, hash)
}

/// A new link for `user` (None: a sign-up) and the record to store under `hash`.
fn new_link(purpose: LinkPurpose, user: Option<&User>, email: &str, name: &str, now: DateTime<Utc>) -> NewLink {
    let (secret, hash) = new_secret();
    let record = AccountLink {
        hash: hex::encode(hash),
        purpose,
        user_id: user.map(|u| u.id),
        email: rules::normalize_email(email),
        name: name.to_string(),
        created_at: now,
        expires_at: now + lifetime(purpose),
        used: false,
    };
    let language = user.map_or("", |u| u.language.as_str()).to_string();
    let mail = LinkMail { purpose, secret, email: record.email.clone(), name: name.to_string(), language };
    NewLink { hash, record, mail }
}

struct NewLink {
    hash: [u8; 32],
    record: AccountLink,
    mail: LinkMail,
}

impl Users {
    /// `[auth] self_signup_domains`: empty when nobody may create their own account.
    pub fn signup_domains(&self) -> &[String] {
        &self.signup_domains
    }

    /// Whether passwords kept here are used at all (else nobody gets a reset link).
    pub fn resets_passwords(&self) -> bool {
        self.local_passwords
    }

    fn accepts_local_password(&self, u: &User) -> bool {
        self.local_passwords && u.active && super::directory::has_local_password(u)
    }

    /// `POST /password/forgot`: a reset link for the account with this address, if there is one
    /// that signs in with a password kept here and the requests from `client` are not too many.
    /// None otherwise; the caller answers the same either way.
    pub async fn forgot_password(&self, email: &str, client: &str, lang: &str) -> Result<Option<LinkMail>> {
        // Every request counts, known address or not.
        if !self.count_link_request(email, client).await? {
            return Ok(None);
        }
        let user = self.store.view()?.user_by_email(&rules::normalize_email(email))?;
        let Some(user) = user.filter(|u| self.accepts_local_password(u)) else { return Ok(None) };
        let entry = Entry::new(AuditAction::ResetLinkSent, Some(user.id)).detail(json!({"asked_by": "self"}));
        self.store_link(LinkPurpose::Reset, &user, entry, lang).await.map(Some)
    }

    /// Counts a request for a link to `email` from `client`; false when they asked too often.
    async fn count_link_request(&self, email: &str, client: &str) -> Result<bool> {
        let _turn = self.link_turn.lock().await;
        let now = clock::now();
        if self.reset_limiter.locked_for(&self.store, email, client, now)?.is_some() {
            return Ok(false);
        }
        self.reset_limiter.failed(&self.store, email, client, now).await?;
        Ok(true)
    }

    /// An administrator sends a user a reset link.
    pub async fn send_password_reset(&self, actor: &Actor, id: UserId) -> Result<LinkMail> {
        actor.require(Action::ManageUsers)?;
        let user = self.store.view()?.user(id)?.ok_or(UserError::NotFound)?;
        if !self.accepts_local_password(&user) {
            return Err(FieldErrors::one(
                "user",
                "no_local_password",
                "signs in through single sign-on or is disabled: a password here would not be used",
            )
            .into());
        }
        let entry = Entry::new(AuditAction::ResetLinkSent, Some(actor.id)).detail(json!({"asked_by": "admin"}));
        self.store_link(LinkPurpose::Reset, &user, entry, "").await
    }

    /// Creates an account with no password anyone knows and a link to set one.
    pub async fn invite(&self, actor: &Actor, input: super::NewUser) -> Result<(User, LinkMail)> {
        if input.password.is_some() {
            let why = "must be left out when inviting: the invitee sets it";
            return Err(FieldErrors::one("password", "not_allowed", why).into());
        }
        let created = self.create(Some(actor), input).await?;
        let entry = Entry::new(AuditAction::UserInvited, Some(actor.id));
        let mail = self.store_link(LinkPurpose::Invite, &created.user, entry, "").await?;
        Ok((created.user, mail))
    }

    async fn store_link(&self, purpose: LinkPurpose, user: &User, audit: Entry, lang: &str) -> Result<LinkMail> {
        let NewLink { hash, record, mut mail } = new_link(purpose, Some(user), &user.email, &user.name, clock::now());
        if mail.language.is_empty() {
            // A user who never chose a language gets the one the request was made in.
            mail.language = if lang.is_empty() { "en".into() } else { lang.to_string() };
        }
        let audit = audit.target("user", user.id, &user.email);
        self.store
            .write(move |tx: &mut Tx| {
                tx.put_account_link(hash, record);
                audit.stage(tx)?;
                Ok::<_, UserError>(())
            })
            .await?;
        Ok(mail)
    }

    /// `POST /signup`: a link to create an account, for an address in an allowed domain (a
    /// field error naming them otherwise). An address that has an account already gets a reset
    /// link instead, and the caller answers the same: nobody learns who has an account.
    pub async fn request_signup(&self, email: &str, name: &str, client: &str, lang: &str) -> Result<Option<LinkMail>> {
        self.check_signup(email, name).map_err(UserError::Invalid)?;
        let email = rules::normalize_email(email);
        if self.store.view()?.user_by_email(&email)?.is_some() {
            return self.forgot_password(&email, client, lang).await;
        }
        if !self.count_link_request(&email, client).await? {
            return Ok(None);
        }
        let now = clock::now();
        let NewLink { hash, record, mut mail } = new_link(LinkPurpose::Signup, None, &email, name.trim(), now);
        mail.language = if lang.is_empty() { "en".into() } else { lang.to_string() };
        let audit = Entry::new(AuditAction::SignupLinkSent, None).attempted(&email);
        self.store
            .write(move |tx: &mut Tx| {
                tx.put_account_link(hash, record);
                audit.stage(tx)?;
                Ok::<_, UserError>(())
            })
            .await?;
        Ok(Some(mail))
    }

    /// The fields of a sign-up: a name, and an address in one of the allowed domains.
    pub fn check_signup(&self, email: &str, name: &str) -> std::result::Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        rules::check_email(&mut errors, "email", email);
        errors.text("name", name, 1, 200);
        if errors.is_empty() && !domain_allowed(email, &self.signup_domains) {
            let domains = self.signup_domains.join(", ");
            let why = format!("must be an address at {domains}");
            errors.with_params("email", "domain_not_allowed", why, &[("domains", &domains)]);
        }
        errors.into_result()
    }

    /// What a link is for, if it still works.
    pub fn open_link(&self, secret: &str) -> Result<Opened> {
        let link = self.store.view()?.account_link(super::token::secret_hash(secret))?;
        match (state(link.as_ref(), clock::now()), link) {
            (LinkState::Valid, Some(l)) => Ok(Opened { purpose: l.purpose, email: l.email }),
            (LinkState::Unknown, _) => Err(UserError::LinkUnknown),
            _ => Err(UserError::LinkGone),
        }
    }

    /// Sets the password a link is for (making the account of a sign-up) and uses the link up.
    /// Every session and access token of the account ends.
    pub async fn follow_link(&self, secret: &str, password: &str) -> Result<User> {
        self.open_link(secret)?;
        let mut errors = FieldErrors::new();
        rules::check_password(&mut errors, "password", password);
        errors.into_result()?;
        let password_hash = hash_blocking(password.to_string()).await;
        let hash = super::token::secret_hash(secret);
        let now = clock::now();
        self.store
            .write(move |tx: &mut Tx| {
                // Checked again inside the write: two tabs submitting one link use it once.
                let mut link = tx.account_link(hash)?.ok_or(UserError::LinkUnknown)?;
                if state(Some(&link), now) != LinkState::Valid {
                    return Err(UserError::LinkGone);
                }
                link.used = true;
                let purpose = link.purpose;
                let user = match link.user_id {
                    Some(id) => set_password(tx, id, password_hash, now)?,
                    None => sign_up(tx, &link, password_hash, now)?,
                };
                tx.put_account_link(hash, link);
                let action =
                    if purpose == LinkPurpose::Signup { AuditAction::UserSignedUp } else { AuditAction::PasswordReset };
                let detail = json!({"purpose": purpose});
                Entry::new(action, Some(user.id)).target("user", user.id, &user.email).detail(detail).stage(tx)?;
                Ok(user)
            })
            .await
    }
}

fn set_password(tx: &mut Tx, id: UserId, password_hash: String, now: DateTime<Utc>) -> Result<User> {
    let mut user = tx.user(id)?.filter(|u| u.active).ok_or(UserError::LinkGone)?;
    user.password_hash = password_hash;
    // Sessions and access tokens from before the new password stop working.
    user.tokens_valid_after = now;
    user.updated_at = now;
    tx.put_user(user.clone());
    tx.append_event(super::user_event(EventKind::UserUpdated, Some(id), &user, now));
    Ok(user)
}

fn sign_up(tx: &mut Tx, link: &AccountLink, password_hash: String, now: DateTime<Utc>) -> Result<User> {
    if tx.user_by_email(&link.email)?.is_some() {
        // Made meanwhile (an admin, or a second sign-up link followed first).
        return Err(UserError::LinkGone);
    }
    let user = User {
        id: UserId::new(),
        email: link.email.clone(),
        name: link.name.clone(),
        role: Role::Member,
        password_hash,
        active: true,
        language: String::new(),
        timezone: String::new(),
        phone: String::new(),
        delegates: Vec::new(),
        created_at: now,
        updated_at: now,
        tokens_valid_after: now,
    };
    tx.put_user(user.clone());
    tx.append_event(super::user_event(EventKind::UserCreated, Some(user.id), &user, now));
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn link(used: bool, expires_at: DateTime<Utc>) -> AccountLink {
        AccountLink {
            hash: String::new(),
            purpose: LinkPurpose::Reset,
            user_id: None,
            email: "ana@example.org".into(),
            name: String::new(),
            created_at: expires_at - lifetime(LinkPurpose::Reset),
            expires_at,
            used,
        }
    }

    #[test]
    fn a_link_works_once_and_until_it_expires() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let expires = t0 + lifetime(LinkPurpose::Reset);
        assert_eq!(lifetime(LinkPurpose::Reset), Duration::minutes(60));
        assert_eq!(state(Some(&link(false, expires)), t0), LinkState::Valid);
        assert_eq!(state(Some(&link(false, expires)), expires - Duration::seconds(1)), LinkState::Valid);
        assert_eq!(state(Some(&link(false, expires)), expires), LinkState::Gone);
        assert_eq!(state(Some(&link(true, expires)), t0), LinkState::Gone);
        assert_eq!(state(None, t0), LinkState::Unknown);
    }

    #[test]
    fn secrets_are_long_random_and_only_their_hash_is_kept() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let a = new_link(LinkPurpose::Invite, None, "Ana@Example.org", "Ana", now);
        let b = new_link(LinkPurpose::Invite, None, "ana@example.org", "Ana", now);
        assert_eq!(a.mail.secret.len(), 43, "32 bytes in base64url without padding");
        assert_ne!(a.mail.secret, b.mail.secret);
        assert_eq!(a.record.hash, hex::encode(crate::users::token::secret_hash(&a.mail.secret)));
        assert!(!serde_json::to_string(&a.record).unwrap().contains(&a.mail.secret));
        assert_eq!(a.record.email, "ana@example.org");
        assert_eq!(a.record.expires_at - now, Duration::days(7));
        assert!(!format!("{:?}", a.mail).contains(&a.mail.secret));
    }

    #[test]
    fn only_the_listed_domains_may_sign_up() {
        let domains = vec!["example.com".to_string()];
        assert!(domain_allowed("Ana@Example.COM", &domains));
        assert!(!domain_allowed("ana@sub.example.com", &domains));
        assert!(!domain_allowed("ana@example.com.evil.org", &domains));
        assert!(!domain_allowed("ana@example.org", &domains));
        assert!(!domain_allowed("ana@example.com", &[]));
    }
}
