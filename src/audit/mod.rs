//! The audit log: an append-only record of security-relevant and administrative actions (who,
//! what, when, from where, and whether it worked), for admins to review and export.
//!
//! A change that goes through the writer stages its record in the same transaction
//! ([`Entry::stage`]), so no change is stored without its record and no record outlives a
//! refused change. Failures (a wrong password, an unknown API key) change nothing, so their
//! records are written on their own ([`record`], [`record_detached`]).
//!
//! Records name people and things, never secrets: no password, token, key or webhook secret is
//! ever put in `detail`.
//!
//! Where a request came from travels with the request's task ([`with_origin`], set once per
//! request by the web layer from `ClientAddr`, like a tracing span), so domain services need no
//! extra parameter for it. An [`Entry`] reads it when it is made, on the request's task; the
//! command line and background jobs have no origin and record `cli`/`system` (see [`origin`]).

use crate::store::{Store, StoreError, Tx};
use crate::types::UserId;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use crate::model::audit::{AuditAction, AuditRecord, Outcome, Query, Target};

tokio::task_local! {
    static ORIGIN: String;
}

/// Runs `f` (a request's handling) with `addr` as the origin of the audit records it makes.
pub async fn with_origin<F: std::future::Future>(addr: String, f: F) -> F::Output {
    ORIGIN.scope(addr, f).await
}

/// Where the current task's work comes from: the request's client address; outside a request,
/// `system` inside the async runtime (jobs, consumers) and `cli` outside it (the command line
/// runs its commands with `block_on`, and says so with [`with_origin`] too).
pub fn origin() -> String {
    ORIGIN.try_with(|o| o.clone()).unwrap_or_else(|_| "system".to_string())
}

/// A record being made. Made on the request's task (it reads the origin and the time there),
/// then staged in the writer's transaction or written on its own.
#[derive(Clone, Debug)]
pub struct Entry {
    record: AuditRecord,
}

impl Entry {
    pub fn new(action: AuditAction, actor: Option<UserId>) -> Entry {
        Entry {
            record: AuditRecord {
                id: Uuid::now_v7(),
                at: crate::clock::now(),
                actor_id: actor,
                actor_email: String::new(),
                action,
                target: None,
                from: origin(),
                outcome: Outcome::Success,
                detail: serde_json::Value::Null,
            },
        }
    }

    /// The actor, when only the command's transaction knows it (the session being ended).
    pub fn by(mut self, actor: UserId) -> Entry {
        self.record.actor_id = Some(actor);
        self
    }

    /// Where the action came from, when it is not a web request (the admin socket).
    pub fn origin(mut self, from: &str) -> Entry {
        self.record.from = from.to_string();
        self
    }

    /// An anonymous attempt in the name of `email` (a failed sign-in).
    pub fn attempted(mut self, email: &str) -> Entry {
        self.record.actor_email = email.trim().chars().take(320).collect();
        self
    }

    pub fn target(mut self, kind: &str, id: impl ToString, label: impl Into<String>) -> Entry {
        self.record.target = Some(Target { kind: kind.into(), id: id.to_string(), label: label.into() });
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Entry {
        self.record.detail = detail;
        self
    }

    pub fn failed(mut self) -> Entry {
        self.record.outcome = Outcome::Failure;
        self
    }

    pub fn action(&self) -> AuditAction {
        self.record.action
    }

    /// Another record of the same request (same actor, origin and time) for another action:
    /// one change may be several actions (a new role and a new password in one edit).
    pub fn also(&self, action: AuditAction) -> Entry {
        let mut record = self.record.clone();
        record.id = Uuid::now_v7();
        record.action = action;
        Entry { record }
    }

    /// The record, with the actor's e-mail address as `view` knows it.
    fn finish(mut self, view: &crate::store::View) -> Result<AuditRecord, StoreError> {
        if let Some(id) = self.record.actor_id
            && let Some(user) = view.user(id)?
        {
            self.record.actor_email = user.email;
        }
        Ok(self.record)
    }

    /// Stages the record in the command's transaction: it is stored exactly when the change is.
    pub fn stage(self, tx: &mut Tx) -> Result<(), StoreError> {
        let record = self.finish(tx)?;
        tx.append_audit(record);
        Ok(())
    }
}

/// The top-level fields of a record that differ after a change (an audit record's `fields`).
pub fn changed_fields(before: &serde_json::Value, after: &impl serde::Serialize) -> Vec<String> {
    let after = serde_json::to_value(after).unwrap_or_default();
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else { return Vec::new() };
    a.iter()
        .filter(|(k, v)| !matches!(k.as_str(), "version" | "updated_at") && b.get(k.as_str()) != Some(v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Writes a record on its own (for failures, which change nothing else).
pub async fn record(store: &Store, entry: Entry) -> Result<(), StoreError> {
    store.write(move |tx: &mut Tx| entry.stage(tx)).await
}

/// [`record`] without waiting for the disk, for code that must not wait (or cannot: it is not
/// async). A record that cannot be written is logged, never an error for the request.
pub fn record_detached(store: &Store, entry: Entry) {
    let store = store.clone();
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    runtime.spawn(async move {
        let action = entry.action();
        if let Err(e) = record(&store, entry).await {
            tracing::error!(error = %e, action = action.as_str(), "could not write an audit record");
        }
    });
}

/// A page of records and the cursor of the next one.
pub struct Page {
    pub items: Vec<AuditRecord>,
    pub next: Option<String>,
}

/// The cursor after `r`: its time (µs) and id.
pub fn cursor_of(r: &AuditRecord) -> String {
    format!("{}.{}", crate::types::micros(r.at), r.id.simple())
}

pub fn parse_cursor(s: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (t, id) = s.split_once('.')?;
    Some((crate::types::from_micros(t.parse().ok()?), Uuid::parse_str(id).ok()?))
}

/// A page of the log for admins.
pub fn list(store: &Store, actor: &crate::access::Actor, mut q: Query) -> Result<Page, AuditError> {
    actor.require(crate::access::Action::ReadAuditLog)?;
    q.limit = q.limit.clamp(1, 1000);
    let mut items = store.view()?.audit(&q, q.limit + 1)?;
    let next = (items.len() > q.limit).then(|| {
        items.truncate(q.limit);
        items.last().map(cursor_of)
    });
    Ok(Page { items, next: next.flatten() })
}

/// Every record the filter matches (oldest first), for an export; the export is itself recorded.
pub async fn export(
    store: &Store,
    actor: &crate::access::Actor,
    mut q: Query,
    format: &str,
) -> Result<Vec<AuditRecord>, AuditError> {
    actor.require(crate::access::Action::ReadAuditLog)?;
    q.before = None;
    let mut items = store.view()?.audit(&q, usize::MAX)?;
    items.reverse();
    let entry = Entry::new(AuditAction::AuditExported, Some(actor.id))
        .detail(serde_json::json!({"format": format, "records": items.len()}));
    record(store, entry).await?;
    Ok(items)
}

/// CSV of records: one row each, RFC 4180 quoting.
pub fn to_csv(records: &[AuditRecord]) -> String {
    let header = [
        "at",
        "actor_id",
        "actor_email",
        "action",
        "target_kind",
        "target_id",
        "target_label",
        "from",
        "outcome",
        "detail",
    ];
    let cells: Vec<[String; 10]> = records
        .iter()
        .map(|r| {
            let t = r.target.clone().unwrap_or(Target { kind: String::new(), id: String::new(), label: String::new() });
            let detail = if r.detail.is_null() { String::new() } else { r.detail.to_string() };
            let outcome = if r.outcome == Outcome::Success { "success" } else { "failure" };
            [
                r.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                r.actor_id.map(|i| i.to_string()).unwrap_or_default(),
                r.actor_email.clone(),
                r.action.as_str().to_string(),
                t.kind,
                t.id,
                t.label,
                r.from.clone(),
                outcome.to_string(),
                detail,
            ]
        })
        .collect();
    // Every cell is text, some of it typed by people (addresses, labels): all of it made inert.
    crate::spreadsheet::csv(&header, cells.iter().map(|row| row.iter().map(|c| crate::spreadsheet::text(c)).collect()))
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Denied(#[from] crate::access::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(email: &str, action: AuditAction) -> AuditRecord {
        Entry::new(action, Some(UserId::new())).attempted(email).record
    }

    #[test]
    fn filters_by_actor_and_action() {
        let r = rec("Ana@Example.org", AuditAction::SignIn);
        let q = |actor: Option<&str>, action| Query { actor: actor.map(String::from), action, ..Default::default() };
        assert!(q(None, None).matches(&r));
        assert!(q(Some("ana@example"), Some(AuditAction::SignIn)).matches(&r));
        assert!(q(Some(&r.actor_id.unwrap().to_string()), None).matches(&r));
        assert!(!q(Some("bob"), None).matches(&r));
        assert!(!q(None, Some(AuditAction::SignOut)).matches(&r));
    }

    #[test]
    fn cursor_round_trip_and_csv_quoting() {
        let r = rec("a@b.c", AuditAction::SignIn);
        assert_eq!(parse_cursor(&cursor_of(&r)), Some((r.at, r.id)));
        assert_eq!(parse_cursor("x"), None);
        let csv = to_csv(&[r]);
        assert!(csv.starts_with("at,actor_id"));
        assert!(csv.contains(",auth.sign_in,"));
    }

    #[test]
    fn outside_a_request_the_origin_is_the_system() {
        assert_eq!(origin(), "system");
    }
}
