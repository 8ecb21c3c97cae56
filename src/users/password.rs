//! argon2id password hashing. Both calls take tens of milliseconds on purpose: call them from a
//! blocking thread, never on an async worker.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use rand::Rng;

pub fn hash(password: &str) -> String {
    // Argon2::default() is argon2id v19 with OWASP's recommended parameters.
    match Argon2::default().hash_password(password.as_bytes()) {
        Ok(h) => h.to_string(),
        // Only an OS random-number failure gets here; a hash nobody can match is the safe answer.
        Err(_) => "!".into(),
    }
}

pub fn verify(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A random password for a generated account: 20 characters without look-alikes.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a hash"));
        assert_eq!(generate().len(), 20);
    }
}
