//! Secrets at rest. Values the server must read back in clear (webhook signing secrets) are
//! stored sealed with ChaCha20-Poly1305 under a 256-bit key that never enters the store: it is
//! `SALAS_SECRET_KEY` (`[secret] key`) when given, else `DATA_DIR/secret.key` (mode 0600, made on
//! first start). A copy of the store alone (a backup, a stolen disk image of the store file)
//! thus yields no usable secret. Passwords, API keys and session ids are not sealed but hashed
//! (users/), since nothing needs them back.
//!
//! A sealed value is the text `sealed:v1:` followed by the hex of a random 96-bit nonce and the
//! ciphertext with its tag. Anything else is a plaintext value from before this existed: it is
//! still read, and sealed when next written; the server seals any it finds at start.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;

pub const KEY_FILE: &str = "secret.key";
const PREFIX: &str = "sealed:v1:";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the secret key {0}")]
    BadKey(String),
    #[error(
        "a stored secret cannot be opened with this key (was the store moved without its secret.key, or SALAS_SECRET_KEY changed?)"
    )]
    WrongKey,
    #[error("a stored secret is damaged")]
    Damaged,
    #[error("the secret key file: {0}")]
    Io(#[from] std::io::Error),
}

/// Seals and opens stored secrets; cheap to clone.
#[derive(Clone)]
pub struct Sealer {
    cipher: Arc<ChaCha20Poly1305>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)") // never the key
    }
}

impl Sealer {
    /// The key from the configuration (64 hex digits) when given, else the data directory's key
    /// file, created if `create` and absent.
    pub fn load(data_dir: &Path, configured: &str, create: bool) -> Result<Sealer, SecretError> {
        let configured = configured.trim();
        if !configured.is_empty() {
            return Sealer::from_hex(configured)
                .map_err(|why| SecretError::BadKey(format!("in SALAS_SECRET_KEY / [secret] key {why}")));
        }
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                // Tighten a key file someone copied in with looser permissions.
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
                Sealer::from_hex(text.trim()).map_err(|why| SecretError::BadKey(format!("in {} {why}", path.display())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let key: [u8; 32] = rand::random();
                let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
                file.write_all(hex::encode(key).as_bytes())?;
                file.sync_all()?;
                Ok(Sealer::from_key(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(SecretError::BadKey(format!("file {} does not exist", path.display())))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn from_hex(text: &str) -> Result<Sealer, &'static str> {
        let bytes = hex::decode(text).map_err(|_| "is not hexadecimal")?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| "must be 64 hex digits (32 bytes)")?;
        Ok(Sealer::from_key(key))
    }

    pub fn from_key(key: [u8; 32]) -> Sealer {
        Sealer { cipher: Arc::new(ChaCha20Poly1305::new(Key::from_slice(&key))) }
    }

    /// The stored form of `plain`.
    pub fn seal(&self, plain: &str) -> String {
        let nonce: [u8; NONCE_LEN] = rand::random();
        // Encrypting into a Vec cannot fail (the only error is a message longer than 256 GiB).
        let sealed = self.cipher.encrypt(Nonce::from_slice(&nonce), plain.as_bytes()).unwrap_or_default();
        format!("{PREFIX}{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    /// The plaintext of a stored value: sealed values are opened, older plaintext ones returned
    /// as they are.
    pub fn open(&self, stored: &str) -> Result<String, SecretError> {
        let Some(body) = stored.strip_prefix(PREFIX) else { return Ok(stored.to_string()) };
        let bytes = hex::decode(body).map_err(|_| SecretError::Damaged)?;
        if bytes.len() < NONCE_LEN {
            return Err(SecretError::Damaged);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), sealed).map_err(|_| SecretError::WrongKey)?;
        String::from_utf8(plain).map_err(|_| SecretError::Damaged)
    }

    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }
}

/// `salas check`: whether `sealer` (None: there is no key) opens every stored secret (label,
/// stored value). Ok says what was checked; plaintext values from an older Salas are a problem
/// too, since they should have been sealed at the last start.
pub fn check(sealer: Option<&Sealer>, stored: &[(String, String)]) -> Result<String, Vec<String>> {
    let mut problems = Vec::new();
    for (label, value) in stored {
        if !Sealer::is_sealed(value) {
            problems.push(format!("{label}: its secret is stored in plaintext (start the server once to seal it)"));
            continue;
        }
        match sealer.map(|s| s.open(value)) {
            Some(Ok(_)) => {}
            Some(Err(e)) => problems.push(format!("{label}: {e}")),
            None => problems.push(format!("{label}: its secret is sealed but there is no secret key")),
        }
    }
    if problems.is_empty() {
        Ok(format!("the secret key opens all {} stored secret(s)", stored.len()))
    } else {
        Err(problems)
    }
}

/// Equal, in a time that does not depend on where they differ (secrets compared with what a
/// request brings).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_plaintext_compatibility() {
        let s = Sealer::from_key([7; 32]);
        let sealed = s.seal("whsec-0123456789abcdef");
        assert!(Sealer::is_sealed(&sealed));
        assert!(!sealed.contains("whsec"));
        assert_ne!(sealed, s.seal("whsec-0123456789abcdef"), "a fresh nonce every time");
        assert_eq!(s.open(&sealed).unwrap(), "whsec-0123456789abcdef");
        // Records from before sealing existed read as they are.
        assert_eq!(s.open("old-plain-secret").unwrap(), "old-plain-secret");
        assert!(matches!(Sealer::from_key([8; 32]).open(&sealed), Err(SecretError::WrongKey)));
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('0') { '1' } else { '0' });
        assert!(matches!(s.open(&tampered), Err(SecretError::WrongKey)));
        assert!(matches!(s.open("sealed:v1:zz"), Err(SecretError::Damaged)));
    }

    #[test]
    fn check_names_what_the_key_does_not_open() {
        let (right, wrong) = (Sealer::from_key([1; 32]), Sealer::from_key([2; 32]));
        let stored = vec![("webhook a".to_string(), right.seal("s1")), ("webhook b".to_string(), right.seal("s2"))];
        assert!(check(Some(&right), &stored).unwrap().contains("all 2"));
        let problems = check(Some(&wrong), &stored).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(problems[0].starts_with("webhook a: "));
        assert_eq!(check(None, &stored).unwrap_err().len(), 2);
        assert!(check(None, &[]).is_ok());
        assert!(check(Some(&right), &[("webhook c".into(), "plain".into())]).is_err());
    }

    #[test]
    fn key_file_is_private_and_stable_and_the_configured_key_wins() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Sealer::load(dir.path(), "", false).is_err(), "no file and no permission to create one");
        let first = Sealer::load(dir.path(), "", true).unwrap();
        let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let sealed = first.seal("x");
        assert_eq!(Sealer::load(dir.path(), "", true).unwrap().open(&sealed).unwrap(), "x");
        let configured = Sealer::load(dir.path(), &hex::encode([1u8; 32]), true).unwrap();
        assert!(configured.open(&sealed).is_err());
        assert!(Sealer::load(dir.path(), "abc", true).is_err());
    }
}
