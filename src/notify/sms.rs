//! Text messages: the gateway from `[sms]` (any HTTP API, or Twilio's), the texts (shipped in
//! `templates/sms/<language>.toml`, editable by admins) and how many SMS segments a text costs.

use super::NotifyError;
use crate::config::SmsConfig;
use crate::validation::FieldErrors;
use minijinja::{Environment, UndefinedBehavior};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The kinds of message sent by SMS (scheduled reports are e-mail only).
pub const KINDS: [&str; 11] = [
    "reservation.created",
    "reservation.updated",
    "reservation.cancelled",
    "reminder",
    "reservation.requested",
    "reservation.approved",
    "reservation.declined",
    "reservation.no_show",
    "approval.requested",
    "series.created",
    "series.cancelled",
];

/// The longest text an admin may save: ten segments of plain text.
const MAX_TEXT: usize = 1530;

static DEFAULTS: LazyLock<[(&str, BTreeMap<String, String>); 2]> = LazyLock::new(|| {
    let parse = |source: &str| toml::from_str(source).unwrap_or_default();
    [
        ("en", parse(include_str!("../../templates/sms/en.toml"))),
        ("es", parse(include_str!("../../templates/sms/es.toml"))),
    ]
});

/// The shipped text of `kind` in `lang` (English for another language).
pub fn default_text(kind: &str, lang: &str) -> Result<String, NotifyError> {
    let find = |l: &str| DEFAULTS.iter().find(|(code, _)| *code == l).and_then(|(_, texts)| texts.get(kind));
    find(lang).or_else(|| find("en")).cloned().ok_or(NotifyError::NotFound("SMS text"))
}

/// The store key of an admin's text (beside the e-mail templates, which are `kind/lang`).
pub fn key(kind: &str, lang: &str) -> String {
    format!("sms/{kind}/{lang}")
}

pub fn check_name(kind: &str, lang: &str) -> Result<(), NotifyError> {
    if KINDS.contains(&kind) && super::templates::LANGUAGES.contains(&lang) {
        Ok(())
    } else {
        Err(NotifyError::NotFound("SMS text"))
    }
}

/// Renders a text on one line (a message has no room for layout). Unknown variables are errors.
pub fn render(source: &str, context: &serde_json::Value) -> Result<String, NotifyError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let text = env
        .render_str(source, minijinja::Value::from(minijinja::value::Serde(context)))
        .map_err(|e| NotifyError::Template(super::email::describe(&e)))?;
    Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Checks an admin's text before it is saved, by rendering it with sample data.
pub fn validate(source: &str, kind: &str, lang: &str) -> Result<String, NotifyError> {
    let mut errors = FieldErrors::new();
    errors.check(!source.trim().is_empty(), "text", "required", "must not be empty");
    errors.check(source.len() <= MAX_TEXT, "text", "too_long", format!("must be at most {MAX_TEXT} bytes"));
    errors.into_result()?;
    let text = render(source, &super::templates::sample(kind, lang)).map_err(|e| match e {
        NotifyError::Template(why) => NotifyError::Invalid(FieldErrors::one("text", "invalid", why)),
        other => other,
    })?;
    if text.is_empty() {
        return Err(NotifyError::Invalid(FieldErrors::one("text", "required", "renders as nothing")));
    }
    Ok(text)
}

/// How a text travels: GSM-7 (160 characters in one SMS) unless one character needs UCS-2
/// (70), and a longer text is split in segments of 153 or 67.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Segments {
    /// `gsm7` or `ucs2`.
    pub encoding: &'static str,
    /// Septets (GSM-7; characters of the extension table count two) or UTF-16 units.
    pub units: usize,
    pub segments: usize,
}

const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{c}";

pub fn segments(text: &str) -> Segments {
    let septets: Option<usize> = text
        .chars()
        .map(|c| {
            if GSM7_BASIC.contains(c) {
                Some(1)
            } else if GSM7_EXTENSION.contains(c) {
                Some(2)
            } else {
                None
            }
        })
        .sum();
    let (encoding, units, single, part) = match septets {
        Some(n) => ("gsm7", n, 160, 153),
        None => ("ucs2", text.encode_utf16().count(), 70, 67),
    };
    let segments = if units <= single { 1 } else { units.div_ceil(part) };
    Segments { encoding, units, segments }
}

/// The gateway text messages go through.
pub struct Gateway {
    client: reqwest::Client,
    config: SmsConfig,
}

impl Gateway {
    /// None when `[sms] provider` is empty (SMS is off).
    pub fn new(c: &SmsConfig) -> Result<Option<Gateway>, String> {
        if c.provider.is_empty() {
            return Ok(None);
        }
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(c.timeout_seconds.into()))
            .user_agent(concat!("Salas/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("SMS HTTP client: {e}"))?;
        Ok(Some(Gateway { client, config: c.clone() }))
    }

    /// What the status page shows: the provider and where it sends (never a secret).
    pub fn describe(&self) -> (String, String) {
        let c = &self.config;
        let target = match c.provider.as_str() {
            "twilio" => format!("{} ({})", c.twilio_url, c.from),
            _ => reqwest::Url::parse(&c.url).map(|u| u.origin().ascii_serialization()).unwrap_or_default(),
        };
        (c.provider.clone(), target)
    }

    /// Sends `text` to `to`; Ok is the gateway's answer, shortened.
    pub async fn send(&self, to: &str, text: &str) -> Result<String, String> {
        let c = &self.config;
        let request = match c.provider.as_str() {
            "twilio" => {
                let url = format!(
                    "{}/2010-04-01/Accounts/{}/Messages.json",
                    c.twilio_url.trim_end_matches('/'),
                    c.account_sid
                );
                self.client
                    .post(url)
                    .basic_auth(&c.account_sid, Some(&c.auth_token))
                    .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(
                        serde_urlencoded::to_string([("To", to), ("From", c.from.as_str()), ("Body", text)])
                            .map_err(|e| e.to_string())?,
                    )
            }
            _ => {
                let context = serde_json::json!({"to": to, "text": text});
                let body = render_body(&c.body, &context)?;
                let method = reqwest::Method::from_bytes(c.method.as_bytes()).map_err(|e| e.to_string())?;
                let mut request = self.client.request(method, &c.url);
                for (name, value) in c.headers.iter().filter_map(|h| h.split_once(':')) {
                    request = request.header(name.trim(), value.trim());
                }
                if c.method == "GET" { request } else { request.body(body) }
            }
        };
        let response = request.send().await.map_err(|e| super::email::describe(&e))?;
        let status = response.status();
        let answer: String = response.text().await.unwrap_or_default().chars().take(200).collect();
        let answer = answer.split_whitespace().collect::<Vec<_>>().join(" ");
        if status.is_success() {
            Ok(format!("{status} {answer}"))
        } else {
            Err(format!("the gateway answered {status}: {answer}"))
        }
    }
}

/// The `[sms] body` template with `to` and `text`; as written (it is not HTML).
fn render_body(source: &str, context: &serde_json::Value) -> Result<String, String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.render_str(source, minijinja::Value::from(minijinja::value::Serde(context)))
        .map_err(|e| format!("sms.body: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_text_renders_in_one_or_two_segments() {
        for kind in KINDS {
            for lang in super::super::templates::LANGUAGES {
                let text = validate(&default_text(kind, lang).unwrap(), kind, lang)
                    .unwrap_or_else(|e| panic!("{lang}/{kind}: {e}"));
                assert!(text.contains("Sala Norte"), "{lang}/{kind}: {text}");
                assert!(segments(&text).segments <= 2, "{lang}/{kind}: {text}");
            }
        }
    }

    #[test]
    fn segments_count_gsm7_and_ucs2() {
        let plain = "a".repeat(160);
        assert_eq!(segments(&plain), Segments { encoding: "gsm7", units: 160, segments: 1 });
        assert_eq!(segments(&"a".repeat(161)).segments, 2);
        assert_eq!(segments(&"a".repeat(307)).segments, 3);
        // The euro sign is in GSM-7's extension table: two septets.
        assert_eq!(segments("10 €").units, 5);
        // One letter outside GSM-7 makes it UCS-2: 70 per message.
        assert_eq!(segments("Reunión").encoding, "ucs2");
        assert_eq!(segments(&format!("ó{}", "a".repeat(70))), Segments { encoding: "ucs2", units: 71, segments: 2 });
        assert_eq!(segments("Año").encoding, "gsm7");
    }

    #[test]
    fn texts_are_one_line_and_typos_are_refused() {
        let ctx = serde_json::json!({"a": "x\n  y"});
        assert_eq!(render("{{ a }}  and\n{{ a }}", &ctx).unwrap(), "x y and x y");
        assert!(matches!(validate("{{ reservation.titel }}", "reminder", "en"), Err(NotifyError::Invalid(_))));
    }

    #[test]
    fn the_http_body_quotes_json() {
        let body =
            render_body(&SmsConfig::default().body, &serde_json::json!({"to": "+34600", "text": "a \"b\""})).unwrap();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["text"], "a \"b\"");
    }
}
