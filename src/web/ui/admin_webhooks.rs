//! Admin: webhooks. The registered URLs, a form to register one (its secret is shown once; a
//! Matrix access token never is), delete, and the list of calls (by default the dead letters)
//! with retry.

use super::admin_email::{DeliveryRow, delivery_row, parse_status};
use super::booking::FormErrors;
use super::inbox::stamp;
use super::session::Member;
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::access::Action;
use crate::model::notify::WebhookFormat;
use crate::types::{DeliveryId, WebhookId};
use crate::validation::FieldErrors;
use crate::web::AppState;
use crate::webhooks::{NewWebhook, WebhookError};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

const LOG_ROWS: usize = 100;

/// The event kinds offered as checkboxes (any other kind may still be typed in).
const KINDS: [&str; 4] = ["reservation.created", "reservation.updated", "reservation.cancelled", "room.updated"];

pub struct HookRow {
    pub id: String,
    pub url: String,
    pub events: String,
    /// The format's name, in the viewer's language.
    pub format: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin_webhooks.html")]
struct WebhooksPage {
    ctx: Ctx,
    tab: &'static str,
    hooks: Vec<HookRow>,
    kinds: [&'static str; 4],
    /// Each format's value and name, for the select.
    formats: Vec<(&'static str, String)>,
    /// The secret of the webhook just registered, shown once.
    new_secret: Option<String>,
    form_url: String,
    form_events: Vec<String>,
    form_other: String,
    form_format: &'static str,
    form_matrix_room: String,
    errors: FormErrors,
    filter: String,
    rows: Vec<DeliveryRow>,
}

struct FormState {
    url: String,
    events: Vec<String>,
    other: String,
    format: WebhookFormat,
    matrix_room: String,
    errors: FormErrors,
    secret: Option<String>,
}

fn page(state: &AppState, m: &Member, filter: String, form: FormState, status: StatusCode) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ManageNotifications).map_err(fail(v))?;
    let hooks = state.webhooks.list(&m.actor()).map_err(fail(v))?;
    let rows = state.webhooks.deliveries(&m.actor(), parse_status(&filter), LOG_ROWS).map_err(fail(v))?;
    let page = WebhooksPage {
        ctx: Ctx::new(v, "admin"),
        tab: "webhooks",
        hooks: hooks
            .into_iter()
            .map(|h| HookRow {
                id: h.id.to_string(),
                url: h.url,
                events: h.events.join(", "),
                format: v.tr.t(&format_label(h.format)).to_string(),
                created: stamp(v, h.created_at),
            })
            .collect(),
        kinds: KINDS,
        formats: WebhookFormat::ALL.map(|f| (f.as_str(), v.tr.t(&format_label(f)).to_string())).into(),
        new_secret: form.secret,
        form_url: form.url,
        form_events: form.events,
        form_other: form.other,
        form_format: form.format.as_str(),
        form_matrix_room: form.matrix_room,
        errors: form.errors,
        filter,
        rows: rows.into_iter().map(|d| delivery_row(v, d)).collect(),
    };
    Ok(render(status, &page, v.flash.is_some()))
}

/// The catalog key naming `format`.
fn format_label(format: WebhookFormat) -> String {
    format!("webhook_format_{}", format.as_str())
}

fn empty_form() -> FormState {
    FormState {
        url: String::new(),
        events: vec![],
        other: String::new(),
        format: WebhookFormat::Json,
        matrix_room: String::new(),
        errors: FormErrors::default(),
        secret: None,
    }
}

#[derive(Deserialize)]
pub struct CallsQuery {
    status: Option<String>,
}

/// The dead-letter list unless another filter is asked for (`?status=` for all calls).
pub async fn show(State(state): State<AppState>, m: Member, Query(q): Query<CallsQuery>) -> PageResult {
    let filter = q.status.unwrap_or_else(|| "dead".into());
    page(&state, &m, filter, empty_form(), StatusCode::OK)
}

/// Several `event` checkboxes share a name, which a plain struct cannot take.
pub async fn create(State(state): State<AppState>, m: Member, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let v = &m.viewer;
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let checked: Vec<String> = pairs.iter().filter(|(k, _)| k == "event").map(|(_, v)| v.clone()).collect();
    let other = get("other_events");
    let mut events = checked.clone();
    events.extend(other.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(String::from));
    let secret = Some(get("secret")).filter(|s| !s.is_empty());
    // A form without the field (from before formats) means json.
    let format = match get("format").as_str() {
        "" => Some(WebhookFormat::Json),
        code => WebhookFormat::from_code(code),
    };
    let optional = |name: &str| Some(get(name)).filter(|s| !s.is_empty());
    let input = NewWebhook {
        url: get("url"),
        events,
        secret,
        format: format.unwrap_or_default(),
        matrix_room: optional("matrix_room"),
        matrix_token: optional("matrix_token"),
    };
    // Only a tampered form names another format; it is refused like any invalid field.
    let created = match format {
        Some(_) => state.webhooks.create(&m.actor(), input).await,
        None => {
            Err(WebhookError::Invalid(FieldErrors::one("format", "invalid", "must be json, slack, teams or matrix")))
        }
    };
    match created {
        Ok(hook) => {
            let form = FormState { secret: Some(hook.secret), ..empty_form() };
            page(&state, &m, "dead".into(), form, StatusCode::CREATED)
        }
        Err(WebhookError::Invalid(e)) => {
            let mut errors = FormErrors::from_domain(v, &e);
            // Errors on single kinds (`events[2]`) are shown on the kinds' field.
            for i in 0..e.0.len() {
                errors.rename(&format!("events[{i}]"), "events");
            }
            let form = FormState {
                url: get("url"),
                events: checked,
                other,
                format: format.unwrap_or_default(),
                matrix_room: get("matrix_room"),
                errors,
                secret: None,
            };
            page(&state, &m, "dead".into(), form, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(super::error_page(v, e.into())),
    }
}

pub async fn delete(State(state): State<AppState>, m: Member, Path(id): Path<WebhookId>) -> PageResult {
    let v = &m.viewer;
    state.webhooks.delete(&m.actor(), id).await.map_err(fail(v))?;
    Ok(redirect_with("/admin/webhooks", v.tr.t("webhook_deleted")))
}

pub async fn retry(State(state): State<AppState>, m: Member, Path(id): Path<DeliveryId>) -> PageResult {
    let v = &m.viewer;
    state.webhooks.retry(&m.actor(), id).await.map_err(fail(v))?;
    Ok(redirect_with("/admin/webhooks", v.tr.t("webhook_call_retried")))
}
