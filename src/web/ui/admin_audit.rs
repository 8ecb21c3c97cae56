//! Admin: the audit log. Filters by period (days in the viewer's zone), actor and action; pages
//! of 50, newest first; downloads of everything the filters match as CSV or JSON.

use super::format;
use super::inbox::stamp;
use super::session::{Member, Viewer};
use super::{Ctx, PageResult, fail, render};
use crate::access::Action;
use crate::audit::{self, AuditAction, AuditRecord, Outcome, Query};
use crate::web::AppState;
use crate::web::api::audit::{ExportFormat, download};
use askama::Template;
use axum::extract::{Query as UrlQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Deserialize;

const PAGE: usize = 50;

pub struct Row {
    pub when: String,
    /// The actor's e-mail address, or the address tried; empty for the system.
    pub who: String,
    pub anonymous: bool,
    pub action: &'static str,
    pub target: String,
    pub from: String,
    pub failed: bool,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    ctx: Ctx,
    tab: &'static str,
    rows: Vec<Row>,
    actions: Vec<&'static str>,
    f: Filters,
    /// The query string of the current filters (for the download links).
    filter_query: String,
    next: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct Filters {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub cursor: String,
    #[serde(default)]
    pub format: String,
}

impl Filters {
    /// The store query: days are whole days in the viewer's zone; bad values are ignored (the
    /// form only offers good ones) rather than failing the page.
    fn query(&self, v: &Viewer, limit: usize) -> Query {
        let day = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        let end_of = |d: NaiveDate| -> Option<DateTime<Utc>> {
            d.checked_add_days(Days::new(1))
                .map(|next| format::day_start(v.tz, next) - chrono::Duration::microseconds(1))
        };
        Query {
            from: day(&self.from).map(|d| format::day_start(v.tz, d)),
            to: day(&self.to).and_then(end_of),
            actor: Some(self.actor.trim().to_string()).filter(|a| !a.is_empty()),
            action: AuditAction::parse(&self.action),
            before: audit::parse_cursor(&self.cursor),
            limit,
        }
    }

    fn url_query(&self) -> String {
        let pairs = [("from", &self.from), ("to", &self.to), ("actor", &self.actor), ("action", &self.action)];
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, v)| (*k, v.trim())))
            .finish()
    }
}

fn row(v: &Viewer, r: AuditRecord) -> Row {
    let target = r
        .target
        .map(|t| if t.label.is_empty() { format!("{} {}", t.kind, t.id) } else { format!("{} {}", t.kind, t.label) })
        .unwrap_or_default();
    Row {
        when: stamp(v, r.at),
        anonymous: r.actor_id.is_none(),
        who: r.actor_email,
        action: r.action.as_str(),
        target,
        from: r.from,
        failed: r.outcome == Outcome::Failure,
        detail: if r.detail.is_null() { String::new() } else { r.detail.to_string() },
    }
}

pub async fn page(State(state): State<AppState>, m: Member, UrlQuery(f): UrlQuery<Filters>) -> PageResult {
    let v = &m.viewer;
    let page = audit::list(&state.store, &m.actor(), f.query(v, PAGE)).map_err(fail(v))?;
    let filter_query = f.url_query();
    let next = page.next.map(|c| {
        let cursor: String = form_urlencoded::byte_serialize(c.as_bytes()).collect();
        if filter_query.is_empty() { format!("?cursor={cursor}") } else { format!("?{filter_query}&cursor={cursor}") }
    });
    let rows = page.items.into_iter().map(|r| row(v, r)).collect();
    let actions = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
    let page = AuditPage { ctx: Ctx::new(v, "admin"), tab: "audit", rows, actions, f, filter_query, next };
    Ok(render(StatusCode::OK, &page, v.flash.is_some()))
}

/// `?format=csv|json` with the page's filters: everything they match, oldest first.
pub async fn export(State(state): State<AppState>, m: Member, UrlQuery(f): UrlQuery<Filters>) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ReadAuditLog).map_err(fail(v))?;
    let format = if f.format == "csv" { ExportFormat::Csv } else { ExportFormat::Json };
    let mut query = f.query(v, usize::MAX);
    query.before = None;
    let records =
        audit::export(&state.store, &m.actor(), query, if format == ExportFormat::Csv { "csv" } else { "json" })
            .await
            .map_err(fail(v))?;
    Ok(download(records, format).into_response())
}
