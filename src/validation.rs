//! Field-level validation errors, collected so one response names every bad field at once.

use serde::Serialize;
use std::collections::BTreeMap;

pub const MIN_PASSWORD_LEN: usize = 10;

pub fn is_valid_timezone(name: &str) -> bool {
    name.parse::<chrono_tz::Tz>().is_ok()
}

/// A deliberately loose check (one `@`, a dot in the domain, no spaces): the real proof of an
/// address is mail arriving, and a strict regex rejects valid addresses.
pub fn is_plausible_email(s: &str) -> bool {
    let s = s.trim();
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && (domain.contains('.') || domain == "localhost")
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
        && s.len() <= 254
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The JSON field, e.g. `end` or `resources[2]`.
    pub field: String,
    /// A stable code (`required`, `too_long`, `in_past`…): the key of a translated message.
    pub code: String,
    /// The message in English.
    pub message: String,
    /// Values the message names (a time, a weekday, a reason…), so a client can show its own
    /// translation of `code`; absent for most codes.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn one(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, code, message);
        e
    }

    /// [`FieldErrors::one`] with the values the message names.
    pub fn one_with(field: impl Into<String>, code: &str, message: impl Into<String>, params: &[(&str, &str)]) -> Self {
        let mut e = Self::new();
        e.with_params(field, code, message, params);
        e
    }

    pub fn add(&mut self, field: impl Into<String>, code: &str, message: impl Into<String>) {
        self.with_params(field, code, message, &[]);
    }

    /// [`FieldErrors::add`] with the values the message names.
    pub fn with_params(
        &mut self,
        field: impl Into<String>,
        code: &str,
        message: impl Into<String>,
        params: &[(&str, &str)],
    ) {
        self.0.push(FieldError {
            field: field.into(),
            code: code.to_string(),
            message: message.into(),
            params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        });
    }

    /// Records `code`/`message` for `field` unless `ok`.
    pub fn check(&mut self, ok: bool, field: &str, code: &str, message: impl Into<String>) {
        if !ok {
            self.add(field, code, message);
        }
    }

    /// Checks a required text's length in characters, after trimming.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.trim().chars().count();
        if n < min {
            let message =
                if min == 1 { "must not be empty".to_string() } else { format!("must have at least {min} characters") };
            self.add(field, "required", message);
        } else if n > max {
            self.add(field, "too_long", format!("must have at most {max} characters"));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was recorded.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        f.write_str(&parts.join("; "))
    }
}
