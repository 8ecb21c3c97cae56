//! The notification centre: the signed-in user's in-app notifications (the bell's list), marking
//! them read, and which notifications they want.

use super::booking::FormErrors;
use super::format;
use super::session::{Member, Viewer};
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::model::notify::{Notification, Preferences};
use crate::notify::NotifyError;
use crate::types::NotificationId;
use crate::validation::FieldErrors;
use crate::web::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// How many notifications the page lists.
const SHOWN: usize = 100;

/// "Mon 30 Nov 14:05", in the viewer's zone and language.
pub fn stamp(v: &Viewer, t: DateTime<Utc>) -> String {
    format!("{} {}", format::date_short(&v.tr, format::local(v.tz, t).date_naive()), format::time(v.tz, t))
}

pub struct Entry {
    pub id: String,
    pub title: String,
    pub when: String,
    pub href: Option<String>,
    pub unread: bool,
}

fn entry(v: &Viewer, n: Notification) -> Entry {
    Entry {
        id: n.id.to_string(),
        title: n.title,
        when: stamp(v, n.created_at),
        href: n.reservation_id.map(|id| format!("/reservations/{id}")),
        unread: n.read_at.is_none(),
    }
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct InboxPage {
    ctx: Ctx,
    entries: Vec<Entry>,
}

pub async fn list(State(state): State<AppState>, m: Member) -> PageResult {
    let v = &m.viewer;
    let items = state.notifier.inbox(&m.actor(), false, SHOWN).map_err(fail(v))?;
    let page =
        InboxPage { ctx: Ctx::new(v, "notifications"), entries: items.into_iter().map(|n| entry(v, n)).collect() };
    Ok(render(StatusCode::OK, &page, v.flash.is_some()))
}

pub async fn mark_read(State(state): State<AppState>, m: Member, Path(id): Path<NotificationId>) -> PageResult {
    let v = &m.viewer;
    state.notifier.mark_read(&m.actor(), id).await.map_err(fail(v))?;
    Ok(redirect_with("/notifications", v.tr.t("notification_marked_read")))
}

pub async fn mark_all_read(State(state): State<AppState>, m: Member) -> PageResult {
    let v = &m.viewer;
    let n = state.notifier.mark_all_read(&m.actor()).await.map_err(fail(v))?;
    Ok(redirect_with("/notifications", &v.tr.f("notifications_marked_read", &[("count", &n.to_string())])))
}

#[derive(Template)]
#[template(path = "notification_prefs.html")]
struct PrefsPage {
    ctx: Ctx,
    prefs: Preferences,
    /// What was typed in the lead-time field (kept after an error).
    minutes: String,
    email_enabled: bool,
    sms_enabled: bool,
    /// The user's phone, for the SMS switch's hint.
    phone: String,
    errors: FormErrors,
}

/// The page; with `errors`, answered 422.
fn prefs_page(
    state: &AppState,
    m: &Member,
    prefs: Preferences,
    minutes: String,
    errors: Option<FormErrors>,
) -> PageResult {
    let v = &m.viewer;
    let status = if errors.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let errors = errors.unwrap_or_default();
    let page = PrefsPage {
        ctx: Ctx::new(v, "notifications"),
        prefs,
        minutes,
        email_enabled: state.notifier.email_enabled(),
        sms_enabled: state.notifier.sms_enabled(),
        phone: m.me.user.phone.clone(),
        errors,
    };
    Ok(render(status, &page, v.flash.is_some()))
}

pub async fn preferences(State(state): State<AppState>, m: Member) -> PageResult {
    let prefs = state.notifier.preferences(&m.actor()).map_err(fail(&m.viewer))?;
    let minutes = prefs.reminder_minutes.map(|n| n.to_string()).unwrap_or_default();
    prefs_page(&state, &m, prefs, minutes, None)
}

/// Checkboxes: present ("on") when ticked, absent otherwise.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PrefsForm {
    email: Option<String>,
    in_app: Option<String>,
    sms: Option<String>,
    push: Option<String>,
    reservation_created: Option<String>,
    reservation_updated: Option<String>,
    reservation_cancelled: Option<String>,
    reminders: Option<String>,
    reminder_minutes: String,
}

pub async fn save_preferences(State(state): State<AppState>, m: Member, Form(f): Form<PrefsForm>) -> PageResult {
    let v = &m.viewer;
    let minutes = f.reminder_minutes.trim().to_string();
    let prefs = Preferences {
        email: f.email.is_some(),
        in_app: f.in_app.is_some(),
        sms: f.sms.is_some(),
        push: f.push.is_some(),
        reservation_created: f.reservation_created.is_some(),
        reservation_updated: f.reservation_updated.is_some(),
        reservation_cancelled: f.reservation_cancelled.is_some(),
        reminders: f.reminders.is_some(),
        reminder_minutes: minutes.parse().ok(),
    };
    if !minutes.is_empty() && prefs.reminder_minutes.is_none() {
        let e = FieldErrors::one("reminder_minutes", "out_of_range", "must be a number of minutes");
        return prefs_page(&state, &m, prefs, minutes, Some(FormErrors::from_domain(v, &e)));
    }
    match state.notifier.set_preferences(&m.actor(), prefs.clone()).await {
        Ok(_) => Ok(redirect_with("/notifications/preferences", v.tr.t("preferences_saved"))),
        Err(NotifyError::Invalid(e)) => prefs_page(&state, &m, prefs, minutes, Some(FormErrors::from_domain(v, &e))),
        Err(e) => Err(super::error_page(v, e.into())),
    }
}
