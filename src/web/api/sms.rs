//! Text messages: the admin's status, test, texts and delivery log; and a user's test message
//! to their own phone.

use super::outbox::{DeliveryDto, DeliveryQuery};
use crate::access::Actor;
use crate::notify::SmsText;
use crate::notify::sms::KINDS;
use crate::notify::templates::LANGUAGES;
use crate::types::DeliveryId;
use crate::web::AppState;
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct SmsStatusDto {
    /// False when `[sms] provider` is empty: nothing is sent or queued.
    enabled: bool,
    /// `http`, `twilio`, or empty.
    provider: String,
    /// Where messages go: the gateway's origin, or Twilio's URL and sender.
    target: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestSms {
    /// A phone number with its country code.
    to: String,
}

#[derive(Serialize, ToSchema)]
pub struct TestSmsResult {
    /// Whether the gateway accepted the message.
    ok: bool,
    /// The gateway's answer, or what went wrong.
    detail: String,
}

impl From<Result<String, String>> for TestSmsResult {
    fn from(sent: Result<String, String>) -> Self {
        match sent {
            Ok(answer) => TestSmsResult { ok: true, detail: answer },
            Err(e) => TestSmsResult { ok: false, detail: e },
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsTextBody {
    /// minijinja source, with the e-mail templates' variables; rendered on one line.
    text: String,
}

#[derive(Serialize, ToSchema)]
pub struct SmsTextDto {
    kind: String,
    /// `en` or `es`.
    language: String,
    /// True when an admin's text is in use instead of the shipped one.
    customized: bool,
    text: String,
    /// The text rendered with sample data.
    sample: String,
    /// `gsm7` (160 characters per SMS) or `ucs2` (70), for the sample.
    encoding: String,
    /// How many SMS the sample takes.
    segments: usize,
}

fn dto(kind: &str, lang: &str, t: SmsText) -> SmsTextDto {
    SmsTextDto {
        kind: kind.into(),
        language: lang.into(),
        customized: t.customized,
        text: t.text,
        sample: t.sample,
        encoding: t.segments.encoding.into(),
        segments: t.segments.segments,
    }
}

/// Whether SMS is on, and where it goes (never a token).
#[utoipa::path(get, path = "/admin/sms", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = SmsStatusDto), (status = 403, body = Problem)))]
pub async fn status(State(state): State<AppState>, actor: Actor) -> Result<Json<SmsStatusDto>, Problem> {
    let s = state.notifier.sms_status(&actor)?;
    Ok(Json(SmsStatusDto { enabled: s.enabled, provider: s.provider, target: s.target }))
}

/// Send a test text message now and report the gateway's answer.
#[utoipa::path(post, path = "/admin/sms/test", tag = "notifications", security(("bearer" = [])),
    request_body = TestSms,
    responses((status = 200, body = TestSmsResult), (status = 409, description = "SMS is off", body = Problem),
        (status = 422, body = Problem)))]
pub async fn send_test(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<TestSms>,
) -> Result<Json<TestSmsResult>, Problem> {
    Ok(Json(state.notifier.send_sms_test(&actor, &body.to).await?.into()))
}

/// Send a test text message to your own `phone` now.
#[utoipa::path(post, path = "/users/me/sms/test", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = TestSmsResult), (status = 409, description = "SMS is off", body = Problem),
        (status = 422, description = "you have no phone number", body = Problem)))]
pub async fn send_own_test(State(state): State<AppState>, actor: Actor) -> Result<Json<TestSmsResult>, Problem> {
    Ok(Json(state.notifier.send_own_sms_test(&actor).await?.into()))
}

/// Every text, in every language.
#[utoipa::path(get, path = "/admin/sms/texts", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Vec<SmsTextDto>), (status = 403, body = Problem)))]
pub async fn list_texts(State(state): State<AppState>, actor: Actor) -> Result<Json<Vec<SmsTextDto>>, Problem> {
    state.notifier.sms_status(&actor)?;
    let mut out = Vec::new();
    for kind in KINDS {
        for lang in LANGUAGES {
            out.push(dto(kind, lang, state.notifier.sms_text(kind, lang)?));
        }
    }
    Ok(Json(out))
}

/// Replace a text (checked by rendering it with sample data: 422 naming `text` otherwise).
#[utoipa::path(put, path = "/admin/sms/texts/{kind}/{language}", tag = "notifications", security(("bearer" = [])),
    params(("kind" = String, Path), ("language" = String, Path)), request_body = SmsTextBody,
    responses((status = 200, body = SmsTextDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_text(
    State(state): State<AppState>,
    actor: Actor,
    Path((kind, lang)): Path<(String, String)>,
    ApiJson(body): ApiJson<SmsTextBody>,
) -> Result<Json<SmsTextDto>, Problem> {
    let t = state.notifier.save_sms_text(&actor, &kind, &lang, body.text).await?;
    Ok(Json(dto(&kind, &lang, t)))
}

/// Back to the shipped text.
#[utoipa::path(delete, path = "/admin/sms/texts/{kind}/{language}", tag = "notifications", security(("bearer" = [])),
    params(("kind" = String, Path), ("language" = String, Path)),
    responses((status = 200, body = SmsTextDto), (status = 404, body = Problem)))]
pub async fn reset_text(
    State(state): State<AppState>,
    actor: Actor,
    Path((kind, lang)): Path<(String, String)>,
) -> Result<Json<SmsTextDto>, Problem> {
    let t = state.notifier.reset_sms_text(&actor, &kind, &lang).await?;
    Ok(Json(dto(&kind, &lang, t)))
}

/// The SMS delivery log, newest first (`subject` is the text sent).
#[utoipa::path(get, path = "/admin/sms/deliveries", tag = "notifications", security(("bearer" = [])),
    params(DeliveryQuery), responses((status = 200, body = Vec<DeliveryDto>), (status = 403, body = Problem)))]
pub async fn deliveries(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> Result<Json<Vec<DeliveryDto>>, Problem> {
    let (status, limit) = q.parse()?;
    Ok(Json(state.notifier.sms_deliveries(&actor, status, limit)?.into_iter().map(DeliveryDto::email).collect()))
}

/// Try a failed or given-up text message again now.
#[utoipa::path(post, path = "/admin/sms/deliveries/{id}/retry", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = DeliveryDto), (status = 404, body = Problem)))]
pub async fn retry(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<DeliveryId>,
) -> Result<Json<DeliveryDto>, Problem> {
    Ok(Json(DeliveryDto::email(state.notifier.retry_sms(&actor, id).await?)))
}
