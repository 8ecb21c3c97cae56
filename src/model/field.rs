//! Booking fields: extra questions an administrator adds to every booking ("cost centre",
//! "catering", "number of guests"), and the pure rules that judge a booking's answers.

use crate::types::BookingFieldId;
use crate::validation::FieldErrors;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const MAX_FIELDS: usize = 30;
pub const MAX_OPTIONS: usize = 50;
const MAX_KEY: usize = 40;
const MAX_LABEL: usize = 120;
const MAX_TEXT: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    Select,
    Checkbox,
}

impl FieldKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Select => "select",
            FieldKind::Checkbox => "checkbox",
        }
    }
}

/// A label in each language of the UI; an empty Spanish label falls back to the English one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub en: String,
    #[serde(default)]
    pub es: String,
}

impl Label {
    pub fn in_language(&self, language: &str) -> &str {
        if language == "es" && !self.es.trim().is_empty() { &self.es } else { &self.en }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingField {
    pub id: BookingFieldId,
    /// The name answers are stored and exported under: stable, unlike the label.
    pub key: String,
    pub label: Label,
    pub kind: FieldKind,
    /// The choices of a `select`.
    #[serde(default)]
    pub options: Vec<String>,
    pub required: bool,
    /// Order in forms and exports (then by key).
    #[serde(default)]
    pub position: u32,
}

/// One answer: text (also a select's choice), a number, or a checkbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Flag(bool),
    Number(f64),
    Text(String),
}

impl FieldValue {
    /// The answer as people read it (pages, e-mails, CSV).
    pub fn display(&self, yes: &str, no: &str) -> String {
        match self {
            FieldValue::Flag(true) => yes.to_string(),
            FieldValue::Flag(false) => no.to_string(),
            FieldValue::Number(n) => format_number(*n),
            FieldValue::Text(t) => t.clone(),
        }
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() }
}

pub type Answers = BTreeMap<String, FieldValue>;

/// Checks a definition an administrator sends; `taken` holds the keys of the other fields.
pub fn check_definition(f: &BookingField, taken: &[&str]) -> FieldErrors {
    let mut e = FieldErrors::new();
    let key_ok = !f.key.is_empty()
        && f.key.len() <= MAX_KEY
        && f.key.starts_with(|c: char| c.is_ascii_lowercase())
        && f.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    e.check(key_ok, "key", "invalid", format!("must be 1 to {MAX_KEY} of a-z, 0-9 and _, starting with a letter"));
    e.check(!taken.contains(&f.key.as_str()), "key", "taken", "another field has this key");
    e.check(!f.label.en.trim().is_empty(), "label.en", "required", "is required");
    e.check(f.label.en.chars().count() <= MAX_LABEL, "label.en", "too_long", format!("is over {MAX_LABEL} characters"));
    e.check(f.label.es.chars().count() <= MAX_LABEL, "label.es", "too_long", format!("is over {MAX_LABEL} characters"));
    match f.kind {
        FieldKind::Select => {
            e.check(!f.options.is_empty(), "options", "required", "a select needs at least one option");
            e.check(
                f.options.len() <= MAX_OPTIONS,
                "options",
                "too_many_options",
                format!("at most {MAX_OPTIONS} options"),
            );
            let blank = f.options.iter().any(|o| o.trim().is_empty() || o.chars().count() > MAX_LABEL);
            e.check(!blank, "options", "invalid", format!("options are 1 to {MAX_LABEL} characters"));
            let mut seen: Vec<&str> = f.options.iter().map(String::as_str).collect();
            seen.sort_unstable();
            seen.dedup();
            e.check(seen.len() == f.options.len(), "options", "duplicate", "options must differ");
        }
        _ => e.check(f.options.is_empty(), "options", "invalid", "only a select has options"),
    }
    e
}

/// Judges a booking's answers against the fields defined now: every required field answered,
/// each answer of its field's kind, no unknown key. Returns the answers to store (blank texts
/// and unticked optional boxes dropped, texts trimmed). Errors name `fields.KEY`.
pub fn check_answers(
    defs: &[BookingField],
    given: &BTreeMap<String, serde_json::Value>,
) -> Result<Answers, FieldErrors> {
    let mut e = FieldErrors::new();
    let mut out = Answers::new();
    for key in given.keys().filter(|k| !defs.iter().any(|d| &d.key == *k)) {
        e.add(format!("fields.{key}"), "unknown", "is not a booking field");
    }
    for d in defs {
        let name = format!("fields.{}", d.key);
        let value = match given.get(&d.key) {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => match answer(d, v) {
                Ok(v) => v,
                Err((code, message)) => {
                    e.add(name, code, message);
                    continue;
                }
            },
        };
        match value {
            Some(v) => {
                out.insert(d.key.clone(), v);
            }
            None if d.required => e.add(name, "required", "is required"),
            None => {}
        }
    }
    e.into_result().map(|()| out)
}

/// One answer of field `d`: `Ok(None)` when it says nothing (blank text, unticked box).
fn answer(d: &BookingField, v: &serde_json::Value) -> Result<Option<FieldValue>, (&'static str, String)> {
    use serde_json::Value as J;
    match (d.kind, v) {
        (FieldKind::Text, J::String(s)) if s.chars().count() > MAX_TEXT => {
            Err(("too_long", format!("is over {MAX_TEXT} characters")))
        }
        (FieldKind::Text, J::String(s)) => {
            Ok(Some(FieldValue::Text(s.trim().to_string())).filter(|_| !s.trim().is_empty()))
        }
        (FieldKind::Number, J::Number(n)) => {
            n.as_f64().map(|n| Some(FieldValue::Number(n))).ok_or(("invalid", "is not a number".into()))
        }
        (FieldKind::Number, J::String(s)) if s.trim().is_empty() => Ok(None),
        (FieldKind::Number, J::String(s)) => match s.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Some(FieldValue::Number(n))),
            _ => Err(("invalid", "is not a number".into())),
        },
        (FieldKind::Select, J::String(s)) if s.is_empty() => Ok(None),
        (FieldKind::Select, J::String(s)) if d.options.contains(s) => Ok(Some(FieldValue::Text(s.clone()))),
        (FieldKind::Select, J::String(_)) => {
            Err(("not_an_option", format!("must be one of: {}", d.options.join(", "))))
        }
        // A required box must be ticked ("I accept the room rules").
        (FieldKind::Checkbox, J::Bool(b)) => Ok(Some(FieldValue::Flag(*b)).filter(|_| *b || !d.required)),
        (FieldKind::Checkbox, J::String(s)) if s == "on" || s == "true" => Ok(Some(FieldValue::Flag(true))),
        _ => Err(("invalid", format!("must be a {} value", d.kind.as_str()))),
    }
}

/// Fields in the order forms and exports show them.
pub fn sorted(mut defs: Vec<BookingField>) -> Vec<BookingField> {
    defs.sort_by(|a, b| a.position.cmp(&b.position).then_with(|| a.key.cmp(&b.key)));
    defs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(key: &str, kind: FieldKind, required: bool) -> BookingField {
        let options = if kind == FieldKind::Select { vec!["none".into(), "coffee".into()] } else { vec![] };
        BookingField {
            id: BookingFieldId::new(),
            key: key.into(),
            label: Label { en: key.into(), es: String::new() },
            kind,
            options,
            required,
            position: 0,
        }
    }

    fn given(v: serde_json::Value) -> BTreeMap<String, serde_json::Value> {
        serde_json::from_value(v).unwrap()
    }

    fn fields_of(e: FieldErrors) -> Vec<(String, String)> {
        e.0.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn answers_are_judged_by_kind_and_named_by_key() {
        let defs = vec![
            field("cost_centre", FieldKind::Text, true),
            field("guests", FieldKind::Number, false),
            field("catering", FieldKind::Select, false),
            field("rules_ok", FieldKind::Checkbox, true),
        ];
        let ok = check_answers(
            &defs,
            &given(json!({"cost_centre": " CC-1 ", "guests": "12", "catering": "coffee", "rules_ok": true})),
        );
        let ok = ok.unwrap();
        assert_eq!(ok["cost_centre"], FieldValue::Text("CC-1".into()));
        assert_eq!(ok["guests"], FieldValue::Number(12.0));
        assert_eq!(ok["rules_ok"], FieldValue::Flag(true));

        let bad = check_answers(
            &defs,
            &given(json!({"cost_centre": "  ", "guests": "many", "catering": "wine", "rules_ok": false, "x": 1})),
        );
        assert_eq!(
            fields_of(bad.unwrap_err()),
            [
                ("fields.x".to_string(), "unknown".to_string()),
                ("fields.cost_centre".into(), "required".into()),
                ("fields.guests".into(), "invalid".into()),
                ("fields.catering".into(), "not_an_option".into()),
                ("fields.rules_ok".into(), "required".into()),
            ]
        );
    }

    #[test]
    fn optional_fields_may_be_left_out_and_blank_ones_are_not_stored() {
        let defs = vec![field("guests", FieldKind::Number, false), field("note", FieldKind::Text, false)];
        assert!(check_answers(&defs, &given(json!({}))).unwrap().is_empty());
        assert!(check_answers(&defs, &given(json!({"guests": "", "note": ""}))).unwrap().is_empty());
    }

    #[test]
    fn definitions_need_a_clean_unique_key_and_options_only_for_selects() {
        let mut f = field("Cost Centre", FieldKind::Text, false);
        assert_eq!(fields_of(check_definition(&f, &[])), [("key".to_string(), "invalid".to_string())]);
        f.key = "cost_centre".into();
        assert_eq!(fields_of(check_definition(&f, &["cost_centre"])), [("key".to_string(), "taken".to_string())]);
        f.options = vec!["a".into()];
        assert_eq!(fields_of(check_definition(&f, &[])), [("options".to_string(), "invalid".to_string())]);
        let mut s = field("catering", FieldKind::Select, false);
        s.options = vec![];
        assert_eq!(fields_of(check_definition(&s, &[])), [("options".to_string(), "required".to_string())]);
    }

    #[test]
    fn labels_fall_back_to_english() {
        let l = Label { en: "Guests".into(), es: String::new() };
        assert_eq!(l.in_language("es"), "Guests");
        let l = Label { en: "Guests".into(), es: "Invitados".into() };
        assert_eq!(l.in_language("es"), "Invitados");
    }
}
