//! Admin: e-mail templates. The list by kind and language, and one template's editor: save
//! (validated by rendering it with sample data; errors next to the field), preview with the same
//! sample data, and reset to the shipped default.

use super::booking::FormErrors;
use super::session::{Member, Viewer};
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::access::Action;
use crate::model::notify::EmailTemplate;
use crate::notify::NotifyError;
use crate::notify::templates::{KINDS, LANGUAGES, Rendered};
use crate::validation::FieldErrors;
use crate::web::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

pub struct TemplateRow {
    pub kind: &'static str,
    pub language: &'static str,
    pub customized: bool,
}

#[derive(Template)]
#[template(path = "admin_templates.html")]
struct ListPage {
    ctx: Ctx,
    tab: &'static str,
    rows: Vec<TemplateRow>,
}

pub async fn list(State(state): State<AppState>, m: Member) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ManageNotifications).map_err(fail(v))?;
    let mut rows = Vec::new();
    for kind in KINDS {
        for language in LANGUAGES {
            let (_, customized) = state.notifier.template(kind, language).map_err(fail(v))?;
            rows.push(TemplateRow { kind, language, customized });
        }
    }
    Ok(render(StatusCode::OK, &ListPage { ctx: Ctx::new(v, "admin"), tab: "templates", rows }, v.flash.is_some()))
}

#[derive(Template)]
#[template(path = "admin_template.html")]
struct EditPage {
    ctx: Ctx,
    tab: &'static str,
    kind: String,
    /// The catalog key of the kind's name.
    kind_key: String,
    language: String,
    customized: bool,
    template: EmailTemplate,
    preview: Option<Rendered>,
    errors: FormErrors,
}

fn edit_page(
    state: &AppState,
    m: &Member,
    (kind, language): (String, String),
    edited: Option<EmailTemplate>,
    preview: Option<Rendered>,
    errors: Option<FormErrors>,
) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ManageNotifications).map_err(fail(v))?;
    let (current, customized) = state.notifier.template(&kind, &language).map_err(fail(v))?;
    let status = if errors.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = EditPage {
        ctx: Ctx::new(v, "admin"),
        tab: "templates",
        kind_key: format!("kind_{}", kind.replace('.', "_")),
        kind,
        language,
        customized,
        template: edited.unwrap_or(current),
        preview,
        errors: errors.unwrap_or_default(),
    };
    Ok(render(status, &page, v.flash.is_some()))
}

pub async fn edit(State(state): State<AppState>, m: Member, Path(name): Path<(String, String)>) -> PageResult {
    edit_page(&state, &m, name, None, None, None)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TemplateForm {
    subject: String,
    text: String,
    html: String,
    /// `preview` or `save` (the button pressed).
    action: String,
}

/// A template that does not render is reported on its own field with the engine's words (line
/// and cause), which a generic "not valid" would hide.
fn template_errors(v: &Viewer, e: &FieldErrors) -> FormErrors {
    let mut shown = FieldErrors::new();
    for fe in &e.0 {
        match fe.field.as_str() {
            "template" => {
                shown.add("template", "template_render", format!("{} {}", v.tr.t("template_invalid"), fe.message))
            }
            field => shown.add(field, &fe.code, fe.message.clone()),
        }
    }
    FormErrors::from_domain(v, &shown)
}

/// Saves the edited template, or only previews it (`action=preview`).
pub async fn save(
    State(state): State<AppState>,
    m: Member,
    Path((kind, language)): Path<(String, String)>,
    Form(f): Form<TemplateForm>,
) -> PageResult {
    let v = &m.viewer;
    let t = EmailTemplate { subject: f.subject, text: f.text, html: f.html };
    let actor = m.actor();
    let result = if f.action == "preview" {
        state.notifier.preview(&actor, &kind, &language, Some(t.clone()))
    } else {
        state.notifier.save_template(&actor, &kind, &language, t.clone()).await
    };
    match result {
        Ok(rendered) if f.action == "preview" => edit_page(&state, &m, (kind, language), Some(t), Some(rendered), None),
        Ok(_) => {
            let to = format!("/admin/templates/{kind}/{language}");
            Ok(redirect_with(&to, &v.tr.f("template_saved", &[("kind", &kind), ("language", &language)])))
        }
        Err(NotifyError::Invalid(e)) => {
            edit_page(&state, &m, (kind, language), Some(t), None, Some(template_errors(v, &e)))
        }
        Err(e) => Err(super::error_page(v, e.into())),
    }
}

pub async fn reset(
    State(state): State<AppState>,
    m: Member,
    Path((kind, language)): Path<(String, String)>,
) -> PageResult {
    let v = &m.viewer;
    state.notifier.reset_template(&m.actor(), &kind, &language).await.map_err(fail(v))?;
    let to = format!("/admin/templates/{kind}/{language}");
    Ok(redirect_with(&to, &v.tr.f("template_reset", &[("kind", &kind), ("language", &language)])))
}
