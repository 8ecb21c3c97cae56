//! Booking fields in the UI: the inputs the booking form renders from their definitions, the
//! answers shown on a reservation, and the admin page that defines them.

use super::booking::FormErrors;
use super::session::{Member, Viewer};
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::model::field::{Answers, BookingField, FieldKind, FieldValue, Label};
use crate::reservations::ReservationError;
use crate::reservations::fields::FieldInput;
use crate::types::BookingFieldId;
use crate::web::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Form inputs are named `field.KEY`, so they never meet the form's own names.
const PREFIX: &str = "field.";

/// One booking field as the form renders it.
pub struct FieldRow {
    pub key: String,
    /// The input's name (`field.KEY`) and the error's name (`fields.KEY`, as the domain says).
    pub name: String,
    pub error: String,
    pub label: String,
    pub kind: &'static str,
    pub options: Vec<String>,
    pub required: bool,
    pub value: String,
}

/// The booking form's field inputs: `typed` holds what the form last sent (`field.KEY`).
pub fn rows(v: &Viewer, defs: &[BookingField], typed: &BTreeMap<String, String>) -> Vec<FieldRow> {
    defs.iter()
        .map(|d| FieldRow {
            key: d.key.clone(),
            name: format!("{PREFIX}{}", d.key),
            error: format!("fields.{}", d.key),
            label: d.label.in_language(v.tr.code()).to_string(),
            kind: d.kind.as_str(),
            options: d.options.clone(),
            required: d.required,
            value: typed.get(&format!("{PREFIX}{}", d.key)).cloned().unwrap_or_default(),
        })
        .collect()
}

/// The answers a posted form carries, for the domain to judge (every field the form shows is
/// sent, so a required one left blank is named).
pub fn posted(typed: &BTreeMap<String, String>) -> BTreeMap<String, serde_json::Value> {
    typed
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(PREFIX).map(|key| (key.to_string(), serde_json::Value::String(v.clone()))))
        .collect()
}

/// A reservation's answers as the form's inputs hold them (editing).
pub fn typed(answers: &Answers) -> BTreeMap<String, String> {
    answers
        .iter()
        .map(|(k, a)| {
            let value = match a {
                FieldValue::Flag(b) => if *b { "on" } else { "" }.to_string(),
                other => other.display("", ""),
            };
            (format!("{PREFIX}{k}"), value)
        })
        .collect()
}

/// A reservation's answers as people read them, labelled in `v`'s language; answers to fields
/// deleted since are shown under their key.
pub fn shown(v: &Viewer, defs: &[BookingField], answers: &Answers) -> Vec<(String, String)> {
    let (yes, no) = (v.tr.t("field_yes"), v.tr.t("field_no"));
    let label = |k: &str| defs.iter().find(|d| d.key == k).map(|d| d.label.in_language(v.tr.code()).to_string());
    let mut known: Vec<(String, String)> = defs
        .iter()
        .filter_map(|d| answers.get(&d.key).map(|a| (d.label.in_language(v.tr.code()).to_string(), a.display(yes, no))))
        .collect();
    known.extend(answers.iter().filter(|(k, _)| label(k).is_none()).map(|(k, a)| (k.clone(), a.display(yes, no))));
    known
}

// ---------- the admin page ----------

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct DefinitionForm {
    key: String,
    label_en: String,
    label_es: String,
    kind: String,
    /// One option per line.
    options: String,
    required: String,
    position: String,
}

impl DefinitionForm {
    fn of(f: &BookingField) -> DefinitionForm {
        DefinitionForm {
            key: f.key.clone(),
            label_en: f.label.en.clone(),
            label_es: f.label.es.clone(),
            kind: f.kind.as_str().to_string(),
            options: f.options.join("\n"),
            required: if f.required { "on".into() } else { String::new() },
            position: f.position.to_string(),
        }
    }

    fn input(&self) -> Result<FieldInput, (&'static str, &'static str)> {
        let kind = match self.kind.as_str() {
            "text" => FieldKind::Text,
            "number" => FieldKind::Number,
            "select" => FieldKind::Select,
            "checkbox" => FieldKind::Checkbox,
            _ => return Err(("kind", "verr_invalid")),
        };
        let position = match self.position.trim() {
            "" => 0,
            p => p.parse().map_err(|_| ("position", "verr_invalid"))?,
        };
        Ok(FieldInput {
            key: Some(self.key.clone()),
            label: Some(Label { en: self.label_en.clone(), es: self.label_es.clone() }),
            kind: Some(kind),
            options: Some(self.options.lines().map(str::trim).filter(|o| !o.is_empty()).map(String::from).collect()),
            required: Some(self.required == "on"),
            position: Some(position),
        })
    }
}

#[derive(Template)]
#[template(path = "admin_booking_fields.html")]
struct FieldsPage {
    ctx: Ctx,
    fields: Vec<(BookingField, String)>,
    form: DefinitionForm,
    errors: FormErrors,
    /// The field being edited; `None` on the list with its "add" form.
    editing: Option<BookingFieldId>,
}

impl FieldsPage {
    fn kind_name(&self, kind: &str) -> &'static str {
        self.ctx.t(match kind {
            "number" => "field_kind_number",
            "select" => "field_kind_select",
            "checkbox" => "field_kind_checkbox",
            _ => "field_kind_text",
        })
    }
}

fn fields_page(
    state: &AppState,
    m: &Member,
    form: DefinitionForm,
    errors: FormErrors,
    editing: Option<BookingFieldId>,
    status: StatusCode,
) -> PageResult {
    let v = &m.viewer;
    m.actor().require(crate::access::Action::ManageBookingFields).map_err(fail(v))?;
    let fields = state.reservations.booking_fields(&m.actor()).map_err(fail(v))?;
    let fields = fields.into_iter().map(|f| (f.label.in_language(v.tr.code()).to_string(), f)).map(|(l, f)| (f, l));
    let page = FieldsPage { ctx: Ctx::new(v, "admin"), fields: fields.collect(), form, errors, editing };
    Ok(render(status, &page, v.flash.is_some()))
}

fn new_form() -> DefinitionForm {
    DefinitionForm { kind: "text".into(), ..DefinitionForm::default() }
}

pub async fn list(State(state): State<AppState>, m: Member) -> PageResult {
    fields_page(&state, &m, new_form(), FormErrors::default(), None, StatusCode::OK)
}

pub async fn edit(State(state): State<AppState>, m: Member, Path(id): Path<BookingFieldId>) -> PageResult {
    let v = &m.viewer;
    let fields = state.reservations.booking_fields(&m.actor()).map_err(fail(v))?;
    let f = fields.iter().find(|f| f.id == id).ok_or_else(|| fail(v)(ReservationError::FieldNotFound))?;
    fields_page(&state, &m, DefinitionForm::of(f), FormErrors::default(), Some(id), StatusCode::OK)
}

pub async fn create(State(state): State<AppState>, m: Member, Form(f): Form<DefinitionForm>) -> PageResult {
    save(state, m, f, None).await
}

pub async fn update(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<BookingFieldId>,
    Form(f): Form<DefinitionForm>,
) -> PageResult {
    save(state, m, f, Some(id)).await
}

async fn save(state: AppState, m: Member, f: DefinitionForm, id: Option<BookingFieldId>) -> PageResult {
    let v = &m.viewer;
    let refused = |errors| fields_page(&state, &m, f.clone(), errors, id, StatusCode::UNPROCESSABLE_ENTITY);
    let input = match f.input() {
        Ok(input) => input,
        Err((field, key)) => return refused(FormErrors::one(field, v.tr.t(key))),
    };
    let saved = match id {
        Some(id) => state.reservations.change_field(&m.actor(), id, input).await,
        None => state.reservations.define_field(&m.actor(), input).await,
    };
    match saved {
        Ok(saved) => Ok(redirect_with("/admin/booking-fields", &v.tr.f("field_saved", &[("key", &saved.key)]))),
        Err(ReservationError::Invalid(e)) => {
            let mut errors = FormErrors::from_domain(v, &e);
            errors.rename("label.en", "label_en");
            errors.rename("label.es", "label_es");
            refused(errors)
        }
        Err(e) => Err(fail(v)(e)),
    }
}

pub async fn delete(State(state): State<AppState>, m: Member, Path(id): Path<BookingFieldId>) -> PageResult {
    let v = &m.viewer;
    state.reservations.delete_field(&m.actor(), id).await.map_err(fail(v))?;
    Ok(redirect_with("/admin/booking-fields", v.tr.t("field_deleted")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_prefixed_inputs_are_answers() {
        let typed = BTreeMap::from([
            ("field.guests".to_string(), "4".to_string()),
            ("csrf".to_string(), "x".to_string()),
            ("title".to_string(), "t".to_string()),
        ]);
        assert_eq!(posted(&typed), BTreeMap::from([("guests".to_string(), serde_json::json!("4"))]));
    }

    #[test]
    fn answers_go_back_into_the_inputs_they_came_from() {
        let answers = Answers::from([
            ("guests".to_string(), FieldValue::Number(4.0)),
            ("ok".to_string(), FieldValue::Flag(true)),
            ("note".to_string(), FieldValue::Text("hi".into())),
        ]);
        let t = typed(&answers);
        assert_eq!(t["field.guests"], "4");
        assert_eq!(t["field.ok"], "on");
        assert_eq!(t["field.note"], "hi");
    }
}
