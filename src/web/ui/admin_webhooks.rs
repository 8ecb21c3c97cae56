//! Admin: webhooks. The registered URLs, a form to register one (its secret is shown once),
//! delete, and the list of calls (by default the dead letters) with retry.

use super::admin_email::{DeliveryRow, delivery_row, parse_status};
use super::booking::FormErrors;
use super::inbox::stamp;
use super::session::Member;
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::access::Action;
use crate::types::{DeliveryId, WebhookId};
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
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin_webhooks.html")]
struct WebhooksPage {
    ctx: Ctx,
    tab: &'static str,
    hooks: Vec<HookRow>,
    kinds: [&'static str; 4],
    /// The secret of the webhook just registered, shown once.
    new_secret: Option<String>,
    form_url: String,
    form_events: Vec<String>,
    form_other: String,
    errors: FormErrors,
    filter: String,
    rows: Vec<DeliveryRow>,
}

struct FormState {
    url: String,
    events: Vec<String>,
    other: String,
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
                created: stamp(v, h.created_at),
            })
            .collect(),
        kinds: KINDS,
        new_secret: form.secret,
        form_url: form.url,
        form_events: form.events,
        form_other: form.other,
        errors: form.errors,
        filter,
        rows: rows.into_iter().map(|d| delivery_row(v, d)).collect(),
    };
    Ok(render(status, &page, v.flash.is_some()))
}

fn empty_form() -> FormState {
    FormState { url: String::new(), events: vec![], other: String::new(), errors: FormErrors::default(), secret: None }
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
    let input = NewWebhook { url: get("url"), events, secret };
    match state.webhooks.create(&m.actor(), input).await {
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
            let form = FormState { url: get("url"), events: checked, other, errors, secret: None };
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
