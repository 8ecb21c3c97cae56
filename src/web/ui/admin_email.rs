//! Admin: e-mail. Whether it is on and how it is sent, a test message that reports the SMTP
//! server's answer, and the delivery log with a filter and a retry button. Shared with the
//! webhooks page: the rows of a delivery log.

use super::booking::FormErrors;
use super::inbox::stamp;
use super::session::{Member, Viewer};
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::access::Action;
use crate::model::notify::{Delivery, DeliveryStatus};
use crate::notify::{EmailStatus, NotifyError};
use crate::types::DeliveryId;
use crate::web::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

/// Rows of the delivery log shown at once.
const LOG_ROWS: usize = 100;

/// One row of a delivery log (e-mails or webhook calls).
pub struct DeliveryRow {
    pub id: String,
    pub recipient: String,
    pub kind: String,
    pub subject: String,
    /// `pending`, `sent` or `dead`.
    pub status: &'static str,
    pub attempts: u32,
    pub error: String,
    pub when: String,
}

pub fn delivery_row(v: &Viewer, d: Delivery) -> DeliveryRow {
    DeliveryRow {
        id: d.id.to_string(),
        recipient: d.recipient,
        kind: d.kind,
        subject: d.subject,
        status: status_name(d.status),
        attempts: d.attempts,
        error: d.last_error.unwrap_or_default(),
        when: stamp(v, d.sent_at.unwrap_or(d.created_at)),
    }
}

fn status_name(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Dead => "dead",
    }
}

/// `?status=` of a log filter; anything else means all.
pub fn parse_status(s: &str) -> Option<DeliveryStatus> {
    [DeliveryStatus::Pending, DeliveryStatus::Sent, DeliveryStatus::Dead].into_iter().find(|d| status_name(*d) == s)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LogQuery {
    pub status: String,
}

/// What the last test message came to.
pub struct TestResult {
    pub ok: bool,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin_email.html")]
struct EmailPage {
    ctx: Ctx,
    tab: &'static str,
    smtp: EmailStatus,
    test_to: String,
    test: Option<TestResult>,
    errors: FormErrors,
    filter: String,
    rows: Vec<DeliveryRow>,
}

struct TestState {
    to: String,
    result: Option<TestResult>,
    errors: FormErrors,
}

fn page(state: &AppState, m: &Member, filter: String, test: TestState, status: StatusCode) -> PageResult {
    let v = &m.viewer;
    let smtp = state.notifier.email_status(&m.actor()).map_err(fail(v))?;
    let rows = state.notifier.deliveries(&m.actor(), parse_status(&filter), LOG_ROWS).map_err(fail(v))?;
    let page = EmailPage {
        ctx: Ctx::new(v, "admin"),
        tab: "email",
        smtp,
        test_to: test.to,
        test: test.result,
        errors: test.errors,
        filter,
        rows: rows.into_iter().map(|d| delivery_row(v, d)).collect(),
    };
    Ok(render(status, &page, v.flash.is_some()))
}

pub async fn show(State(state): State<AppState>, m: Member, Query(q): Query<LogQuery>) -> PageResult {
    m.actor().require(Action::ManageNotifications).map_err(fail(&m.viewer))?;
    let test = TestState { to: m.me.user.email.clone(), result: None, errors: FormErrors::default() };
    page(&state, &m, q.status, test, StatusCode::OK)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TestForm {
    to: String,
}

/// Sends the test message and shows the SMTP server's answer (or what went wrong) on the page.
pub async fn send_test(State(state): State<AppState>, m: Member, Form(f): Form<TestForm>) -> PageResult {
    let v = &m.viewer;
    let to = f.to.trim().to_string();
    let (result, errors, status) = match state.notifier.send_test(&m.actor(), &to).await {
        Ok(Ok(answer)) => (Some(TestResult { ok: true, detail: answer }), FormErrors::default(), StatusCode::OK),
        Ok(Err(why)) => (Some(TestResult { ok: false, detail: why }), FormErrors::default(), StatusCode::OK),
        Err(NotifyError::Invalid(e)) => (None, FormErrors::from_domain(v, &e), StatusCode::UNPROCESSABLE_ENTITY),
        Err(NotifyError::EmailOff) => {
            let off = TestResult { ok: false, detail: v.tr.t("email_off_admin").to_string() };
            (Some(off), FormErrors::default(), StatusCode::CONFLICT)
        }
        Err(e) => return Err(super::error_page(v, e.into())),
    };
    page(&state, &m, String::new(), TestState { to, result, errors }, status)
}

pub async fn retry(State(state): State<AppState>, m: Member, Path(id): Path<DeliveryId>) -> PageResult {
    let v = &m.viewer;
    let d = state.notifier.retry(&m.actor(), id).await.map_err(fail(v))?;
    Ok(redirect_with("/admin/email", &v.tr.f("delivery_retried", &[("recipient", &d.recipient)])))
}
