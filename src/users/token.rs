//! Access tokens (HS256 JWTs signed with a key kept in the data directory) and API-key secrets.

use crate::types::UserId;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::{Arc, Mutex};

pub const KEY_FILE: &str = "jwt.key";
/// API keys start with this, so they are told apart from JWTs at a glance (and by scanners).
pub const API_KEY_PREFIX: &str = "salas_";

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Tokens whose signature and claims were checked, with what they say. A client sends the
    /// same token with every request, and checking it anew was about a twentieth of a booking
    /// request's CPU. Only the expiry is checked again; emptied when it reaches [`VERIFIED_MAX`].
    verified: Arc<Mutex<HashMap<String, Checked>>>,
}

/// Leeway for clocks that differ a little, on the expiry.
const LEEWAY_SECONDS: i64 = 5;
const VERIFIED_MAX: usize = 4096;

#[derive(Clone, Copy)]
struct Checked {
    user: UserId,
    issued_at_ms: i64,
    exp: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: UserId,
    iat: i64,
    exp: i64,
    /// Issue time in milliseconds: compared with the user's `tokens_valid_after`.
    iat_ms: i64,
}

pub struct Issued {
    pub token: String,
    pub expires_in: i64,
}

/// What a valid token says.
pub struct Verified {
    pub user: UserId,
    pub issued_at_ms: i64,
}

impl TokenKeys {
    /// Loads the signing key from the data directory, creating it (mode 0600) on first start.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<TokenKeys> {
        let path = data_dir.join(KEY_FILE);
        let secret = match std::fs::read_to_string(&path) {
            Ok(text) => hex::decode(text.trim())
                .ok()
                .filter(|k| k.len() >= 32)
                .ok_or_else(|| std::io::Error::other(format!("{} is not a valid key file", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut secret = vec![0u8; 32];
                rand::rng().fill_bytes(&mut secret);
                let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
                file.write_all(hex::encode(&secret).as_bytes())?;
                file.sync_all()?;
                secret
            }
            Err(e) => return Err(e),
        };
        // Tighten a key file someone copied in with looser permissions.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Self::from_secret(&secret).map_err(std::io::Error::other)
    }

    /// The signing key of processes sharing one PostgreSQL database, derived from the secret key
    /// they are all given (`[secret] key`, 64 hex digits): an HMAC of it, so the key that seals
    /// stored secrets is never itself the token key.
    pub fn derived(secret_key_hex: &str) -> std::io::Result<TokenKeys> {
        use hmac::{Hmac, Mac};
        let key = hex::decode(secret_key_hex.trim())
            .map_err(|_| std::io::Error::other("the secret key is not hexadecimal"))?;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(std::io::Error::other)?;
        mac.update(b"salas token signing key v1");
        Self::from_secret(&mac.finalize().into_bytes()).map_err(std::io::Error::other)
    }

    fn from_secret(secret: &[u8]) -> Result<TokenKeys, jsonwebtoken::errors::Error> {
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            verified: Arc::default(),
        })
    }

    pub fn issue(&self, user: UserId, now: DateTime<Utc>, ttl_minutes: u32) -> Issued {
        let expires_in = i64::from(ttl_minutes) * 60;
        let claims = Claims {
            sub: user,
            iat: now.timestamp(),
            exp: now.timestamp() + expires_in,
            iat_ms: now.timestamp_millis(),
        };
        // Encoding an HMAC token over a plain struct cannot fail.
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default();
        Issued { token, expires_in }
    }

    pub fn verify(&self, token: &str) -> Option<Verified> {
        // The clock jsonwebtoken checks expiry against.
        let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX);
        let known = self.verified.lock().ok().and_then(|v| v.get(token).copied());
        let checked = match known {
            Some(checked) => checked,
            None => {
                let checked = self.check(token)?;
                if let Ok(mut verified) = self.verified.lock() {
                    if verified.len() >= VERIFIED_MAX {
                        verified.clear();
                    }
                    verified.insert(token.to_string(), checked);
                }
                checked
            }
        };
        (checked.exp >= now - LEEWAY_SECONDS)
            .then_some(Verified { user: checked.user, issued_at_ms: checked.issued_at_ms })
    }

    /// The signature and claims of `token`.
    fn check(&self, token: &str) -> Option<Checked> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECONDS as u64;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let claims = decode::<Claims>(token, &self.decoding, &validation).ok()?.claims;
        Some(Checked { user: claims.sub, issued_at_ms: claims.iat_ms, exp: claims.exp })
    }
}

/// A new API-key secret and the hash that is stored instead of it.
pub fn new_api_key() -> (String, [u8; 32]) {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{API_KEY_PREFIX}{}", hex::encode(bytes));
    let hash = secret_hash(&secret);
    (secret, hash)
}

/// SHA-256 of a high-entropy secret (API key or session cookie); no salt or stretching needed.
pub fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn tokens_round_trip_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let keys = TokenKeys::load_or_create(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let user = UserId::new();
        let now = crate::clock::now();
        let issued = keys.issue(user, now, 60);
        assert_eq!(keys.verify(&issued.token).unwrap().user, user);
        assert!(keys.verify(&format!("{}x", issued.token)).is_none());
        let old = keys.issue(user, Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap(), 60);
        assert!(keys.verify(&old.token).is_none());
        // The same key comes back after a restart.
        let again = TokenKeys::load_or_create(dir.path()).unwrap();
        assert!(again.verify(&issued.token).is_some());
    }

    /// A token checked once is remembered, but its expiry is still checked on every use.
    #[test]
    fn a_remembered_token_still_expires() {
        let dir = tempfile::tempdir().unwrap();
        let keys = TokenKeys::load_or_create(dir.path()).unwrap();
        let issued = keys.issue(UserId::new(), crate::clock::now(), 60);
        assert!(keys.verify(&issued.token).is_some());
        let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap();
        keys.verified.lock().unwrap().get_mut(&issued.token).expect("remembered").exp = now - LEEWAY_SECONDS - 1;
        assert!(keys.verify(&issued.token).is_none(), "expired since it was checked");
    }

    #[test]
    fn api_keys_hash() {
        let (secret, hash) = new_api_key();
        assert!(secret.starts_with(API_KEY_PREFIX));
        assert_eq!(secret_hash(&secret), hash);
    }
}
