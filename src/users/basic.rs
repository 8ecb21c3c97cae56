//! HTTP Basic authentication, for calendar clients (CalDAV), which cannot send a bearer token:
//! the user's e-mail address with one of their API keys, or their password where passwords are
//! accepted. Failures count against the same lockout as sign-in.

use super::{Result, UserError, Users, token};
use crate::access::Actor;
use crate::clock;

impl Users {
    /// The actor `email` with `secret` (an API key of theirs, or their password) acts as.
    pub async fn basic(&self, email: &str, secret: &str, client: &str) -> Result<Actor> {
        if !secret.starts_with(token::API_KEY_PREFIX) {
            let checked = self.check_credentials(email, secret, client).await;
            let user = self.audit_sign_in_failure(checked, email, "caldav").await?;
            return Ok(Actor::user(user.id, user.role));
        }
        let now = clock::now();
        if let Some(retry_after_secs) = self.limiter.locked_for(&self.store, email, client, now)? {
            return self.audit_sign_in_failure(Err(UserError::LockedOut { retry_after_secs }), email, "caldav").await;
        }
        let view = self.store.view()?;
        let mut actor = None;
        if let Some(key) = view.api_key_by_hash(token::secret_hash(secret))?
            && let Some(user) = view.user(key.user_id)?
            && user.active
            && user.email.eq_ignore_ascii_case(email.trim())
        {
            actor = Some(Actor::with_key(user.id, user.role, key.scope));
        }
        match actor {
            Some(actor) => {
                self.limiter.succeeded(&self.store, email, client).await?;
                Ok(actor)
            }
            None => {
                self.limiter.failed(&self.store, email, client, now).await?;
                self.audit_sign_in_failure(Err(UserError::BadCredentials), email, "caldav").await
            }
        }
    }
}
