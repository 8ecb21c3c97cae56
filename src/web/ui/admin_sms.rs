//! Admin: text messages. Whether SMS is on and where it goes, a test message that reports the
//! gateway's answer, the texts (each with what it renders to and how many SMS that costs), and
//! the delivery log with a retry button.

use super::admin_email::{DeliveryRow, LogQuery, TestResult, delivery_row, parse_status};
use super::booking::FormErrors;
use super::session::Member;
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::access::Action;
use crate::notify::sms::KINDS;
use crate::notify::templates::LANGUAGES;
use crate::notify::{NotifyError, SmsStatus, SmsText};
use crate::types::DeliveryId;
use crate::web::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

/// Rows of the delivery log shown at once.
const LOG_ROWS: usize = 100;

/// One text as listed or edited.
pub struct TextRow {
    kind: String,
    kind_key: String,
    language: String,
    text: String,
    customized: bool,
    sample: String,
    /// "1 SMS · GSM-7 · 87 characters", in the viewer's language.
    cost: String,
}

fn text_row(m: &Member, kind: &str, lang: &str, t: SmsText) -> TextRow {
    let tr = &m.viewer.tr;
    let seg = t.segments;
    let cost = tr.f(
        if seg.encoding == "gsm7" { "sms_cost_gsm7" } else { "sms_cost_ucs2" },
        &[("segments", &seg.segments.to_string()), ("units", &seg.units.to_string())],
    );
    TextRow {
        kind: kind.into(),
        kind_key: format!("kind_{}", kind.replace('.', "_")),
        language: lang.into(),
        text: t.text,
        customized: t.customized,
        sample: t.sample,
        cost,
    }
}

#[derive(Template)]
#[template(path = "admin_sms.html")]
struct SmsPage {
    ctx: Ctx,
    tab: &'static str,
    sms: SmsStatus,
    test_to: String,
    test: Option<TestResult>,
    errors: FormErrors,
    texts: Vec<TextRow>,
    filter: String,
    rows: Vec<DeliveryRow>,
}

fn page(state: &AppState, m: &Member, filter: String, test: (String, Option<TestResult>, FormErrors)) -> PageResult {
    let v = &m.viewer;
    let sms = state.notifier.sms_status(&m.actor()).map_err(fail(v))?;
    let rows = state.notifier.sms_deliveries(&m.actor(), parse_status(&filter), LOG_ROWS).map_err(fail(v))?;
    let mut texts = Vec::new();
    for kind in KINDS {
        for lang in LANGUAGES {
            texts.push(text_row(m, kind, lang, state.notifier.sms_text(kind, lang).map_err(fail(v))?));
        }
    }
    let status = if test.2.has("to") { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = SmsPage {
        ctx: Ctx::new(v, "admin"),
        tab: "sms",
        sms,
        test_to: test.0,
        test: test.1,
        errors: test.2,
        texts,
        filter,
        rows: rows.into_iter().map(|d| delivery_row(v, d)).collect(),
    };
    Ok(render(status, &page, v.flash.is_some()))
}

pub async fn show(State(state): State<AppState>, m: Member, Query(q): Query<LogQuery>) -> PageResult {
    m.actor().require(Action::ManageNotifications).map_err(fail(&m.viewer))?;
    let to = m.me.user.phone.clone();
    page(&state, &m, q.status, (to, None, FormErrors::default()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TestForm {
    to: String,
}

/// Sends the test message and shows the gateway's answer (or what went wrong) on the page.
pub async fn send_test(State(state): State<AppState>, m: Member, Form(f): Form<TestForm>) -> PageResult {
    let v = &m.viewer;
    let to = f.to.trim().to_string();
    let (result, errors) = match state.notifier.send_sms_test(&m.actor(), &to).await {
        Ok(sent) => (Some(test_result(sent)), FormErrors::default()),
        Err(NotifyError::Invalid(e)) => (None, FormErrors::from_domain(v, &e)),
        Err(NotifyError::SmsOff) => {
            (Some(TestResult { ok: false, detail: v.tr.t("sms_off_admin").to_string() }), FormErrors::default())
        }
        Err(e) => return Err(super::error_page(v, e.into())),
    };
    page(&state, &m, String::new(), (to, result, errors))
}

fn test_result(sent: Result<String, String>) -> TestResult {
    match sent {
        Ok(answer) => TestResult { ok: true, detail: answer },
        Err(why) => TestResult { ok: false, detail: why },
    }
}

pub async fn retry(State(state): State<AppState>, m: Member, Path(id): Path<DeliveryId>) -> PageResult {
    let v = &m.viewer;
    let d = state.notifier.retry_sms(&m.actor(), id).await.map_err(fail(v))?;
    Ok(redirect_with("/admin/sms", &v.tr.f("delivery_retried", &[("recipient", &d.recipient)])))
}

#[derive(Template)]
#[template(path = "admin_sms_text.html")]
struct TextPage {
    ctx: Ctx,
    tab: &'static str,
    t: TextRow,
    errors: FormErrors,
}

fn text_page(m: &Member, t: TextRow, errors: FormErrors) -> PageResult {
    let status = if errors.has("text") { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = TextPage { ctx: Ctx::new(&m.viewer, "admin"), tab: "sms", t, errors };
    Ok(render(status, &page, m.viewer.flash.is_some()))
}

pub async fn edit(State(state): State<AppState>, m: Member, Path((kind, lang)): Path<(String, String)>) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ManageNotifications).map_err(fail(v))?;
    let t = state.notifier.sms_text(&kind, &lang).map_err(fail(v))?;
    text_page(&m, text_row(&m, &kind, &lang, t), FormErrors::default())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TextForm {
    text: String,
    /// `save` or `preview`.
    action: String,
}

/// Saves the text, or (`preview`) shows what it renders to and costs without saving.
pub async fn save(
    State(state): State<AppState>,
    m: Member,
    Path((kind, lang)): Path<(String, String)>,
    Form(f): Form<TextForm>,
) -> PageResult {
    let v = &m.viewer;
    let typed = |sample: String, errors: FormErrors| {
        let segments = crate::notify::sms::segments(&sample);
        let t = SmsText { text: f.text.clone(), customized: false, sample, segments };
        text_page(&m, text_row(&m, &kind, &lang, t), errors)
    };
    if f.action == "preview" {
        m.actor().require(Action::ManageNotifications).map_err(fail(v))?;
        state.notifier.sms_text(&kind, &lang).map_err(fail(v))?;
        return match crate::notify::sms::validate(&f.text, &kind, &lang) {
            Ok(sample) => typed(sample, FormErrors::default()),
            Err(NotifyError::Invalid(e)) => typed(String::new(), FormErrors::from_domain(v, &e)),
            Err(e) => Err(super::error_page(v, e.into())),
        };
    }
    match state.notifier.save_sms_text(&m.actor(), &kind, &lang, f.text.clone()).await {
        Ok(_) => Ok(redirect_with(
            &format!("/admin/sms/texts/{kind}/{lang}"),
            &v.tr.f("template_saved", &[("kind", &kind), ("language", &lang)]),
        )),
        Err(NotifyError::Invalid(e)) => typed(String::new(), FormErrors::from_domain(v, &e)),
        Err(e) => Err(super::error_page(v, e.into())),
    }
}

pub async fn reset(State(state): State<AppState>, m: Member, Path((kind, lang)): Path<(String, String)>) -> PageResult {
    let v = &m.viewer;
    state.notifier.reset_sms_text(&m.actor(), &kind, &lang).await.map_err(fail(v))?;
    Ok(redirect_with(
        &format!("/admin/sms/texts/{kind}/{lang}"),
        &v.tr.f("template_reset", &[("kind", &kind), ("language", &lang)]),
    ))
}
