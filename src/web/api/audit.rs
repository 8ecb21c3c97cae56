//! `/api/v1/audit`: the audit log for admins, newest first and paginated like the reservation
//! list, and its export as CSV or JSON.

use super::Instant;
use crate::access::Actor;
use crate::audit::{self, AuditAction, AuditRecord, Outcome, Query};
use crate::validation::FieldErrors;
use crate::web::AppState;
use crate::web::extract::ApiQuery;
use crate::web::problem::Problem;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct AuditTargetDto {
    /// `user`, `room`, `resource`, `api_key`, `webhook`, `email_template`, `backup`…
    kind: String,
    /// Its id; empty when there is none.
    id: String,
    /// A name people recognise (an e-mail address, a room's name).
    label: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditRecordDto {
    id: uuid::Uuid,
    at: DateTime<Utc>,
    /// Who acted; null for an anonymous attempt, the command line or the system.
    #[schema(value_type = Option<String>, format = Uuid)]
    actor_id: Option<crate::types::UserId>,
    /// The actor's e-mail address; for a failed sign-in, the address tried.
    actor_email: String,
    /// e.g. `auth.sign_in_failed`, `user.role_changed`.
    #[schema(example = "user.role_changed")]
    action: String,
    target: Option<AuditTargetDto>,
    /// The client's IP address, `admin socket (uid N)`, or `system`.
    from: String,
    /// `success` or `failure`.
    #[schema(example = "success")]
    outcome: String,
    /// What changed or why it failed; never a secret.
    #[schema(value_type = Object)]
    detail: serde_json::Value,
}

impl From<AuditRecord> for AuditRecordDto {
    fn from(r: AuditRecord) -> Self {
        AuditRecordDto {
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            actor_email: r.actor_email,
            action: r.action.as_str().to_string(),
            target: r.target.map(|t| AuditTargetDto { kind: t.kind, id: t.id, label: t.label }),
            from: r.from,
            outcome: if r.outcome == Outcome::Success { "success" } else { "failure" }.to_string(),
            // Always an object (empty when there is nothing to say), as documented.
            detail: if r.detail.is_object() { r.detail } else { serde_json::json!({}) },
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Records at or after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<Instant>,
    /// Records at or before this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<Instant>,
    /// A user id, or part of an e-mail address (case-insensitive).
    actor: Option<String>,
    /// One action, e.g. `auth.sign_in_failed`.
    action: Option<String>,
    /// From the `Link: <…>; rel="next"` header of the previous page.
    cursor: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<usize>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    #[default]
    Json,
    Csv,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditExportQuery {
    /// Records at or after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<Instant>,
    /// Records at or before this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<Instant>,
    /// A user id, or part of an e-mail address (case-insensitive).
    actor: Option<String>,
    /// One action, e.g. `auth.sign_in_failed`.
    action: Option<String>,
    /// `json` (default) or `csv`.
    #[param(value_type = Option<String>, example = "csv")]
    format: Option<ExportFormat>,
}

/// The filters shared by the listing and the export; an unknown action or cursor is a 422.
pub fn query(
    from: Option<Instant>,
    to: Option<Instant>,
    actor: Option<String>,
    action: Option<&str>,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Query, FieldErrors> {
    let mut errors = FieldErrors::new();
    let action = action.map(str::trim).filter(|a| !a.is_empty());
    let parsed = action.and_then(AuditAction::parse);
    errors.check(action.is_none() || parsed.is_some(), "action", "invalid", "is not an audit action (see the docs)");
    let before = cursor.filter(|c| !c.is_empty()).map(audit::parse_cursor);
    errors.check(!matches!(before, Some(None)), "cursor", "invalid", "is not a cursor this server gave");
    if let (Some(f), Some(t)) = (from, to) {
        errors.check(f.0 <= t.0, "to", "before_from", "must not be before from");
    }
    errors.into_result()?;
    Ok(Query {
        from: from.map(|t| t.0),
        to: to.map(|t| t.0),
        actor: actor.filter(|a| !a.trim().is_empty()),
        action: parsed,
        before: before.flatten(),
        limit,
    })
}

/// The audit log, newest first, 100 a page by default; the next page's address is in the `Link`
/// header (`rel="next"`), its cursor also in `X-Next-Cursor`. Admins only.
#[utoipa::path(get, path = "/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Vec<AuditRecordDto>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    OriginalUri(uri): OriginalUri,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Response, Problem> {
    let limit = q.limit.unwrap_or(100);
    let query =
        query(q.from, q.to, q.actor, q.action.as_deref(), q.cursor.as_deref(), limit).map_err(Problem::invalid)?;
    let page = audit::list(&state.store, &actor, query)?;
    let items: Vec<AuditRecordDto> = page.items.into_iter().map(Into::into).collect();
    let mut res = axum::Json(items).into_response();
    if let Some(cursor) = page.next {
        super::link_next(&mut res, &uri, &cursor);
    }
    Ok(res)
}

/// Every record the filters match, oldest first, as a download: a JSON array of the listing's
/// objects, or CSV with one row each. The export is itself recorded (`audit.exported`).
#[utoipa::path(get, path = "/audit/export", tag = "audit", security(("bearer" = [])), params(AuditExportQuery),
    responses(
        (status = 200, description = "The records", content(
            (Vec<AuditRecordDto> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, body = Problem),
        (status = 422, body = Problem),
    ))]
pub async fn export(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<AuditExportQuery>,
) -> Result<Response, Problem> {
    let format = q.format.unwrap_or_default();
    let query = query(q.from, q.to, q.actor, q.action.as_deref(), None, usize::MAX).map_err(Problem::invalid)?;
    let name = if format == ExportFormat::Csv { "csv" } else { "json" };
    let records = audit::export(&state.store, &actor, query, name).await?;
    Ok(download(records, format))
}

/// The file an export answers with (shared with the admin page's download links).
pub fn download(records: Vec<AuditRecord>, format: ExportFormat) -> Response {
    let (body, content_type, ext) = match format {
        ExportFormat::Csv => (audit::to_csv(&records).into_bytes(), "text/csv; charset=utf-8", "csv"),
        ExportFormat::Json => {
            let dtos: Vec<AuditRecordDto> = records.into_iter().map(Into::into).collect();
            (serde_json::to_vec_pretty(&dtos).unwrap_or_default(), "application/json", "json")
        }
    };
    let disposition = format!("attachment; filename=\"salas-audit.{ext}\"");
    let mut res = body.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}
