//! The reports page's "e-mail me this report" form and the list of one's report subscriptions.

use super::session::{Member, Viewer};
use super::{PageResult, fail, redirect_with};
use crate::access::Actor;
use crate::reports::subscriptions::{NewSubscription, Period};
use crate::types::SubscriptionId;
use crate::validation::FieldErrors;
use crate::web::AppState;
use crate::web::problem::Problem;
use axum::Form;
use axum::extract::{Path, State};
use serde::Deserialize;

/// A subscription as the page lists it.
pub struct SubRow {
    pub id: String,
    pub period: String,
    /// The room, the location, or "all rooms".
    pub scope: String,
}

/// The caller's subscriptions, ready for the page.
pub fn rows(state: &AppState, v: &Viewer, actor: &Actor) -> Result<Vec<SubRow>, Problem> {
    let subs = state.reports.subscriptions(actor)?;
    let view = state.store.view()?;
    let mut out = Vec::with_capacity(subs.len());
    for s in subs {
        let scope = match (&s.room_id, &s.location) {
            (Some(id), _) => view.room(*id)?.map(|r| r.name).unwrap_or_else(|| id.to_string()),
            (None, Some(l)) => l.clone(),
            (None, None) => v.tr.t("all_rooms").to_string(),
        };
        let period = v.tr.t(if s.period == Period::Weekly { "report_weekly" } else { "report_monthly" });
        out.push(SubRow { id: s.id.to_string(), period: period.to_string(), scope });
    }
    Ok(out)
}

#[derive(Deserialize)]
pub struct SubscribeForm {
    period: String,
    #[serde(default)]
    room: String,
    #[serde(default)]
    location: String,
}

pub async fn subscribe(State(state): State<AppState>, m: Member, Form(f): Form<SubscribeForm>) -> PageResult {
    let v = &m.viewer;
    let period = match f.period.as_str() {
        "weekly" => Period::Weekly,
        "monthly" => Period::Monthly,
        _ => {
            let e = FieldErrors::one("period", "invalid", "choose weekly or monthly");
            return Err(fail(v)(Problem::invalid(e)));
        }
    };
    let room_id = match f.room.trim() {
        "" => None,
        id => Some(id.parse().map_err(|_| fail(v)(Problem::not_found("room")))?),
    };
    let location = Some(f.location.trim().to_string()).filter(|l| !l.is_empty());
    let new = NewSubscription { period, room_id, location };
    state.reports.subscribe(&m.actor(), new).await.map_err(fail(v))?;
    Ok(redirect_with("/reports#subscriptions", v.tr.t("report_subscribed")))
}

pub async fn unsubscribe(State(state): State<AppState>, m: Member, Path(id): Path<SubscriptionId>) -> PageResult {
    let v = &m.viewer;
    if !state.reports.unsubscribe(&m.actor(), id).await.map_err(fail(v))? {
        return Err(fail(v)(Problem::not_found("report subscription")));
    }
    Ok(redirect_with("/reports#subscriptions", v.tr.t("report_unsubscribed")))
}
