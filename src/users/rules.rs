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

#[cfg(test)]
mod tests {
    use super::*;

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
