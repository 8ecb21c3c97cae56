//! Pure rules about users.

use crate::validation::FieldErrors;
pub use crate::validation::{MIN_PASSWORD_LEN, is_plausible_email};

pub const LANGUAGES: [&str; 2] = ["en", "es"];

pub fn normalize_email(s: &str) -> String {
    s.trim().to_lowercase()
}

pub fn check_email(errors: &mut FieldErrors, field: &str, email: &str) {
    errors.check(is_plausible_email(email), field, "not_email", "must be an e-mail address");
}

pub fn check_password(errors: &mut FieldErrors, field: &str, password: &str) {
    let n = password.chars().count();
    errors.check(
        n >= MIN_PASSWORD_LEN,
        field,
        "password_short",
        format!("must have at least {MIN_PASSWORD_LEN} characters"),
    );
    errors.check(n <= 1024, field, "too_long", "must have at most 1024 characters");
}

/// `en`, `es`, or empty: not chosen, so pages follow the browser.
pub fn check_language(errors: &mut FieldErrors, field: &str, language: &str) {
    errors.check(
        language.is_empty() || LANGUAGES.contains(&language),
        field,
        "invalid",
        "must be `en`, `es`, or empty (the browser's language)",
    );
}

/// A phone number as typed, in E.164 (`+34600123456`): spaces, dots, dashes and brackets
/// are dropped; None when it is not one. Empty stays empty (no phone).
pub fn normalize_phone(phone: &str) -> Option<String> {
    let n: String = phone.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')')).collect();
    let digits = n.strip_prefix('+').unwrap_or("x");
    let valid = n.is_empty()
        || ((8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0'));
    valid.then_some(n)
}

pub fn check_phone(errors: &mut FieldErrors, field: &str, phone: &str) {
    errors.check(
        normalize_phone(phone).is_some(),
        field,
        "not_phone",
        "must be a phone number with its country code, such as +34 600 123 456",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_e164() {
        assert_eq!(normalize_phone("+34 600 12-34-56").as_deref(), Some("+34600123456"));
        assert_eq!(normalize_phone("+1 (415) 555.0100").as_deref(), Some("+14155550100"));
        assert_eq!(normalize_phone("").as_deref(), Some(""));
        for bad in ["600123456", "+0600123456", "+34 600 abc", "+1234567", "+1234567890123456"] {
            assert_eq!(normalize_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(is_plausible_email("ana@example.org"));
        assert!(is_plausible_email("admin@localhost"));
        assert!(!is_plausible_email("ana"));
        assert!(!is_plausible_email("ana@"));
        assert!(!is_plausible_email("a b@example.org"));
        assert!(!is_plausible_email("a@b@c.org"));
        assert_eq!(normalize_email(" Ana@Example.ORG "), "ana@example.org");
    }

    #[test]
    fn passwords() {
        let mut e = FieldErrors::new();
        check_password(&mut e, "password", "short");
        assert_eq!(e.0.len(), 1);
        let mut e = FieldErrors::new();
        check_password(&mut e, "password", "long enough pass");
        assert!(e.is_empty());
    }
}
