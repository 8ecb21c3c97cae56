//! E-mail administration: status, a test message, templates (get, save, preview, reset) and the
//! delivery log with retry. Admins only.

use super::outbox::{DeliveryDto, DeliveryQuery};
use crate::access::{Action, Actor};
use crate::model::notify::EmailTemplate;
use crate::notify::NotifyError;
use crate::notify::templates::{KINDS, LANGUAGES, Rendered};
use crate::types::DeliveryId;
use crate::web::AppState;
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct EmailStatusDto {
    /// False when no SMTP host is configured: nothing is sent or queued.
    enabled: bool,
    host: String,
    port: u16,
    /// `none`, `starttls` or `tls`.
    security: String,
    from: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestEmail {
    /// Where to send the test message.
    to: String,
}

#[derive(Serialize, ToSchema)]
pub struct TestEmailResult {
    /// Whether the SMTP server accepted the message.
    ok: bool,
    /// The server's answer (`250 …`), or what went wrong.
    detail: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    /// minijinja (Jinja) source of the subject line.
    subject: String,
    /// Source of the plain-text part.
    text: String,
    /// Source of the HTML part (values are HTML-escaped).
    html: String,
}

#[derive(Serialize, ToSchema)]
pub struct TemplateDto {
    /// `reservation.created`, `reservation.updated`, `reservation.cancelled` or `reminder`.
    kind: String,
    /// `en` or `es`.
    language: String,
    /// True when an admin's version is in use instead of the shipped default.
    customized: bool,
    subject: String,
    text: String,
    html: String,
}

#[derive(Serialize, ToSchema)]
pub struct PreviewDto {
    subject: String,
    text: String,
    html: String,
}

impl From<Rendered> for PreviewDto {
    fn from(r: Rendered) -> Self {
        PreviewDto { subject: r.subject, text: r.text, html: r.html }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// A template to try; absent: the one in use.
    template: Option<TemplateBody>,
}

fn to_template(b: TemplateBody) -> EmailTemplate {
    EmailTemplate { subject: b.subject, text: b.text, html: b.html }
}

fn template_dto(state: &AppState, kind: &str, lang: &str) -> Result<TemplateDto, NotifyError> {
    let (t, customized) = state.notifier.template(kind, lang)?;
    Ok(TemplateDto {
        kind: kind.into(),
        language: lang.into(),
        customized,
        subject: t.subject,
        text: t.text,
        html: t.html,
    })
}

/// Whether e-mail is on, and the SMTP settings (never the password).
#[utoipa::path(get, path = "/admin/email", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = EmailStatusDto), (status = 403, body = Problem)))]
pub async fn status(State(state): State<AppState>, actor: Actor) -> Result<Json<EmailStatusDto>, Problem> {
    let s = state.notifier.email_status(&actor)?;
    Ok(Json(EmailStatusDto { enabled: s.enabled, host: s.host, port: s.port, security: s.security, from: s.from }))
}

/// Send a test e-mail now and report the SMTP server's answer.
#[utoipa::path(post, path = "/admin/email/test", tag = "notifications", security(("bearer" = [])),
    request_body = TestEmail,
    responses((status = 200, body = TestEmailResult), (status = 409, description = "e-mail is off", body = Problem)))]
pub async fn send_test(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<TestEmail>,
) -> Result<Json<TestEmailResult>, Problem> {
    let result = match state.notifier.send_test(&actor, &body.to).await? {
        Ok(answer) => TestEmailResult { ok: true, detail: answer },
        Err(e) => TestEmailResult { ok: false, detail: e },
    };
    Ok(Json(result))
}

/// Every template, in every language.
#[utoipa::path(get, path = "/admin/email/templates", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Vec<TemplateDto>), (status = 403, body = Problem)))]
pub async fn list_templates(State(state): State<AppState>, actor: Actor) -> Result<Json<Vec<TemplateDto>>, Problem> {
    actor.require(Action::ManageNotifications)?;
    let mut out = Vec::new();
    for kind in KINDS {
        for lang in LANGUAGES {
            out.push(template_dto(&state, kind, lang)?);
        }
    }
    Ok(Json(out))
}

/// One template.
#[utoipa::path(get, path = "/admin/email/templates/{kind}/{language}", tag = "notifications",
    security(("bearer" = [])), params(("kind" = String, Path), ("language" = String, Path)),
    responses((status = 200, body = TemplateDto), (status = 404, body = Problem)))]
pub async fn get_template(
    State(state): State<AppState>,
    actor: Actor,
    Path((kind, lang)): Path<(String, String)>,
) -> Result<Json<TemplateDto>, Problem> {
    actor.require(Action::ManageNotifications)?;
    Ok(Json(template_dto(&state, &kind, &lang)?))
}

/// Save an edited template; it is rendered with sample data first and refused (422) if it fails.
#[utoipa::path(put, path = "/admin/email/templates/{kind}/{language}", tag = "notifications",
    security(("bearer" = [])), params(("kind" = String, Path), ("language" = String, Path)),
    request_body = TemplateBody,
    responses((status = 200, body = TemplateDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_template(
    State(state): State<AppState>,
    actor: Actor,
    Path((kind, lang)): Path<(String, String)>,
    ApiJson(body): ApiJson<TemplateBody>,
) -> Result<Json<TemplateDto>, Problem> {
    state.notifier.save_template(&actor, &kind, &lang, to_template(body)).await?;
    Ok(Json(template_dto(&state, &kind, &lang)?))
}

/// Go back to the shipped default.
#[utoipa::path(delete, path = "/admin/email/templates/{kind}/{language}", tag = "notifications",
    security(("bearer" = [])), params(("kind" = String, Path), ("language" = String, Path)),
    responses((status = 200, body = TemplateDto), (status = 404, body = Problem)))]
pub async fn reset_template(
    State(state): State<AppState>,
    actor: Actor,
    Path((kind, lang)): Path<(String, String)>,
) -> Result<Json<TemplateDto>, Problem> {
    state.notifier.reset_template(&actor, &kind, &lang).await?;
    Ok(Json(template_dto(&state, &kind, &lang)?))
}

/// Render a template (the given one, or the one in use) with sample data.
#[utoipa::path(post, path = "/admin/email/templates/{kind}/{language}/preview", tag = "notifications",
    security(("bearer" = [])), params(("kind" = String, Path), ("language" = String, Path)),
    request_body = PreviewRequest,
    responses((status = 200, body = PreviewDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn preview(
    State(state): State<AppState>,
    actor: Actor,
    Path((kind, lang)): Path<(String, String)>,
    ApiJson(body): ApiJson<PreviewRequest>,
) -> Result<Json<PreviewDto>, Problem> {
    Ok(Json(state.notifier.preview(&actor, &kind, &lang, body.template.map(to_template))?.into()))
}

/// The e-mail delivery log, newest first.
#[utoipa::path(get, path = "/admin/email/deliveries", tag = "notifications", security(("bearer" = [])),
    params(DeliveryQuery), responses((status = 200, body = Vec<DeliveryDto>), (status = 403, body = Problem)))]
pub async fn deliveries(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> Result<Json<Vec<DeliveryDto>>, Problem> {
    let (status, limit) = q.parse()?;
    Ok(Json(state.notifier.deliveries(&actor, status, limit)?.into_iter().map(DeliveryDto::email).collect()))
}

/// Try a failed or given-up e-mail again now.
#[utoipa::path(post, path = "/admin/email/deliveries/{id}/retry", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = DeliveryDto), (status = 404, body = Problem)))]
pub async fn retry(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<DeliveryId>,
) -> Result<Json<DeliveryDto>, Problem> {
    Ok(Json(DeliveryDto::email(state.notifier.retry(&actor, id).await?)))
}
