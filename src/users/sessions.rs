//! Browser sessions: a random secret in an HttpOnly cookie, its hash in the store, and a CSRF
//! token per session.

use super::{Result, UserError, Users, token};
use crate::audit::{AuditAction, Entry};
use crate::clock;
use crate::model::user::{Session, User};
use crate::store::Tx;
use chrono::Duration;
use rand::RngCore;

/// How long a session lasts without and with "remember me".
const SESSION_HOURS: i64 = 12;
const REMEMBERED_DAYS: i64 = 30;

/// A valid session and its user.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub user: User,
    pub session: Session,
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

impl Users {
    /// Checks the credentials and opens a session; returns the cookie secret.
    pub async fn start_session(
        &self,
        email: &str,
        password: &str,
        client: &str,
        remember: bool,
    ) -> Result<(String, SignedIn)> {
        let checked = self.check_credentials(email, password, client).await;
        let user = self.audit_sign_in_failure(checked, email, "ui").await?;
        self.open_session(user, remember, "ui").await
    }

    /// Opens a session for a user whose credentials were checked (`via`, for the audit log:
    /// `ui` for the password form, `oidc` for an identity provider); returns the cookie secret.
    pub async fn open_session(&self, user: User, remember: bool, via: &str) -> Result<(String, SignedIn)> {
        let now = clock::now();
        let lifetime = if remember { Duration::days(REMEMBERED_DAYS) } else { Duration::hours(SESSION_HOURS) };
        let session = Session {
            user_id: user.id,
            csrf_token: random_hex(24),
            created_at: now,
            expires_at: now + lifetime,
            persistent: remember,
        };
        let secret = random_hex(32);
        let hash = token::secret_hash(&secret);
        let stored = session.clone();
        let audit = Entry::new(AuditAction::SignIn, Some(user.id))
            .target("user", user.id, &user.email)
            .detail(serde_json::json!({"via": via, "remember": remember}));
        self.store
            .write(move |tx: &mut Tx| {
                // Sign-in is a good moment to drop sessions that have expired.
                tx.purge_expired_sessions(now);
                tx.put_session(hash, stored);
                audit.stage(tx)?;
                Ok::<_, UserError>(())
            })
            .await?;
        Ok((secret, SignedIn { user, session }))
    }

    /// The session a cookie secret names, if it is valid: not expired, its user active, and
    /// opened after the user's last password change.
    pub fn session(&self, secret: &str) -> Result<Option<SignedIn>> {
        let view = self.store.view()?;
        let Some(session) = view.session(token::secret_hash(secret))? else { return Ok(None) };
        if session.expires_at <= clock::now() {
            return Ok(None);
        }
        Ok(view
            .user(session.user_id)?
            .filter(|u| u.active && session.created_at >= u.tokens_valid_after)
            .map(|user| SignedIn { user, session }))
    }

    pub async fn end_session(&self, secret: &str) -> Result<()> {
        let hash = token::secret_hash(secret);
        let audit = Entry::new(AuditAction::SignOut, None);
        self.store
            .write(move |tx: &mut Tx| {
                if let Some(session) = tx.session(hash)? {
                    let email = tx.user(session.user_id)?.map(|u| u.email).unwrap_or_default();
                    audit.by(session.user_id).target("user", session.user_id, email).stage(tx)?;
                }
                tx.delete_session(hash);
                Ok::<_, UserError>(())
            })
            .await
    }
}
