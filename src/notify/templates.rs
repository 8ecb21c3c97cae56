//! E-mail templates: the shipped defaults (`templates/email/<language>/<kind>.toml`, compiled in)
//! and an admin's edits from the store, rendered with minijinja at run time. Subject and text are
//! rendered as plain text, the HTML part with HTML escaping.

use super::NotifyError;
use crate::model::notify::EmailTemplate;
use crate::validation::FieldErrors;
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

pub const KINDS: [&str; 15] = [
    "reservation.created",
    "reservation.updated",
    "reservation.cancelled",
    "reminder",
    "report",
    "reservation.requested",
    "reservation.approved",
    "reservation.declined",
    "reservation.no_show",
    "approval.requested",
    "series.created",
    "series.cancelled",
    "account.reset",
    "account.invite",
    "account.signup",
];
pub const LANGUAGES: [&str; 2] = ["en", "es"];

/// The largest template part an admin may save.
const MAX_PART: usize = 64 * 1024;

macro_rules! defaults {
    ($($lang:literal / $kind:literal),* $(,)?) => {
        fn default_source(kind: &str, lang: &str) -> Option<&'static str> {
            match (lang, kind) {
                $(($lang, $kind) => Some(include_str!(concat!("../../templates/email/", $lang, "/", $kind, ".toml"))),)*
                _ => None,
            }
        }
    };
}

defaults!(
    "en" / "reservation.created",
    "en" / "reservation.updated",
    "en" / "reservation.cancelled",
    "en" / "reminder",
    "es" / "reservation.created",
    "es" / "reservation.updated",
    "es" / "reservation.cancelled",
    "es" / "reminder",
    "en" / "reservation.requested",
    "es" / "reservation.requested",
    "en" / "reservation.approved",
    "es" / "reservation.approved",
    "en" / "reservation.declined",
    "es" / "reservation.declined",
    "en" / "reservation.no_show",
    "es" / "reservation.no_show",
    "en" / "approval.requested",
    "es" / "approval.requested",
    "en" / "report",
    "es" / "report",
    "en" / "series.created",
    "es" / "series.created",
    "en" / "series.cancelled",
    "es" / "series.cancelled",
    "en" / "account.reset",
    "es" / "account.reset",
    "en" / "account.invite",
    "es" / "account.invite",
    "en" / "account.signup",
    "es" / "account.signup",
);

/// The shipped template of `kind` in `lang` (English for a language without templates).
pub fn default_template(kind: &str, lang: &str) -> Result<EmailTemplate, NotifyError> {
    let source = default_source(kind, lang)
        .or_else(|| default_source(kind, "en"))
        .ok_or(NotifyError::NotFound("e-mail template"))?;
    toml::from_str(source).map_err(|e| NotifyError::Template(format!("shipped template {lang}/{kind}: {e}")))
}

/// The store key of an edited template.
pub fn key(kind: &str, lang: &str) -> String {
    format!("{kind}/{lang}")
}

/// A known (kind, language) pair, or NotFound.
pub fn check_name(kind: &str, lang: &str) -> Result<(), NotifyError> {
    if KINDS.contains(&kind) && LANGUAGES.contains(&lang) {
        Ok(())
    } else {
        Err(NotifyError::NotFound("e-mail template"))
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders all three parts. Unknown variables are errors, so a typo is caught by the preview and
/// the validation instead of producing an e-mail with holes.
pub fn render<C: Serialize>(t: &EmailTemplate, context: &C) -> Result<Rendered, NotifyError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let ctx = minijinja::Value::from(minijinja::value::Serde(context));
    let part = |name: &str, source: &str| {
        env.render_named_str(name, source, ctx.clone()).map_err(|e| NotifyError::Template(describe(&e)))
    };
    let subject = part("subject.txt", &t.subject)?;
    Ok(Rendered {
        subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
        text: part("text.txt", &t.text)?.trim().to_string() + "\n",
        html: part("body.html", &t.html)?,
    })
}

fn describe(e: &minijinja::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Checks an admin's template before it is saved: sizes, syntax, and a render with sample data.
pub fn validate(t: &EmailTemplate, kind: &str, lang: &str) -> Result<Rendered, NotifyError> {
    let mut errors = FieldErrors::new();
    for (field, value) in [("subject", &t.subject), ("text", &t.text), ("html", &t.html)] {
        errors.check(!value.trim().is_empty(), field, "required", "must not be empty");
        errors.check(value.len() <= MAX_PART, field, "too_long", format!("must be at most {MAX_PART} bytes"));
    }
    errors.into_result().map_err(NotifyError::Invalid)?;
    let rendered = render(t, &sample(kind, lang)).map_err(|e| match e {
        NotifyError::Template(why) => NotifyError::Invalid(FieldErrors::one("template", "invalid", why)),
        other => other,
    })?;
    if rendered.subject.is_empty() {
        return Err(NotifyError::Invalid(FieldErrors::one("subject", "required", "renders as an empty line")));
    }
    Ok(rendered)
}

/// Data shaped like a real message's, for previews and validation.
pub fn sample(kind: &str, lang: &str) -> serde_json::Value {
    if kind == super::report_mail::KIND {
        return super::report_mail::sample(lang);
    }
    if super::account_mail::is_account_kind(kind) {
        return super::account_mail::sample(kind, lang);
    }
    serde_json::json!({
        "kind": kind,
        "language": lang,
        "recipient": {"name": "Ana García", "email": "ana@example.org"},
        "owner": {"name": "Luis Pérez", "email": "luis@example.org"},
        "attendees": ["ana@example.org"],
        "room": {"name": "Sala Norte", "location": "2nd floor"},
        "reservation": {
            "id": "0190b5b2-0000-7000-8000-000000000000",
            "title": "Quarterly planning",
            "description": "Bring the numbers.",
            "start": "2026-05-04 08:00 UTC",
            "end": "2026-05-04 09:00 UTC",
            "start_local": "2026-05-04 10:00",
            "end_local": "2026-05-04 11:00",
            "timezone": "Europe/Madrid",
            "version": 1,
            "status": match kind {
                "reservation.cancelled" | "series.cancelled" => "cancelled",
                "reservation.requested" | "approval.requested" => "pending",
                "reservation.declined" => "declined",
                "reservation.no_show" => "no_show",
                _ => "confirmed",
            },
            "reason": if kind == "reservation.declined" { "The room is closed for maintenance that day." } else { "" },
            "fields": [{"label": if lang == "es" { "Centro de coste" } else { "Cost centre" }, "value": "CC-104"}],
        },
        "minutes_before": 15,
        // A series told in one message lists its dates; other messages have none.
        "occurrences": if kind.starts_with("series.") {
            serde_json::json!([
                {"start_local": "2026-05-04 10:00", "end_local": "2026-05-04 11:00", "date": "2026-05-04", "time": "10:00–11:00"},
                {"start_local": "2026-05-11 10:00", "end_local": "2026-05-11 11:00", "date": "2026-05-11", "time": "10:00–11:00"},
            ])
        } else {
            serde_json::json!([])
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_renders_with_sample_data() {
        for kind in KINDS {
            for lang in LANGUAGES {
                let t = default_template(kind, lang).unwrap();
                let r = validate(&t, kind, lang).unwrap_or_else(|e| panic!("{lang}/{kind}: {e}"));
                let shown = if kind.starts_with("account.") { "/password/reset/" } else { "Sala Norte" };
                // HTML escaping writes `/` as `&#x2f;`.
                let html = r.html.replace("&#x2f;", "/");
                assert!(html.contains(shown) && r.text.contains(shown), "{lang}/{kind}");
            }
        }
    }

    #[test]
    fn html_is_escaped_and_typos_are_refused() {
        let mut t = default_template("reminder", "en").unwrap();
        t.html = "<p>{{ reservation.title }}</p>".into();
        let mut ctx = sample("reminder", "en");
        ctx["reservation"]["title"] = "<script>".into();
        assert!(render(&t, &ctx).unwrap().html.contains("&lt;script&gt;"));
        t.text = "{{ reservation.titel }}".into();
        assert!(matches!(validate(&t, "reminder", "en"), Err(NotifyError::Invalid(_))));
        t.text = "{% if %}".into();
        assert!(matches!(validate(&t, "reminder", "en"), Err(NotifyError::Invalid(_))));
    }
}
