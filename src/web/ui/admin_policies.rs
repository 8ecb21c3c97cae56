//! Admin: room policies. A room's own settings (`/admin/rooms/{id}/policy`) and each location's
//! defaults (`/admin/locations`), edited with one form: opening hours per weekday, blackout
//! days, duration limits, horizon, buffer and weekly quota. An empty field inherits, and the
//! inherited value is shown next to it.

use super::booking::FormErrors;
use super::session::{Member, Viewer};
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::access::Action;
use crate::model::policy::{Blackout, DAY_KEYS, Policy, PolicyOverrides, WeekHours};
use crate::model::room::Room;
use crate::rooms::RoomError;
use crate::rooms::RoomPatch;
use crate::types::RoomId;
use crate::validation::FieldErrors;
use crate::web::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use std::collections::HashMap;

/// One weekday's row of the form.
pub struct DayRow {
    pub key: &'static str,
    pub value: String,
    /// What the level above gives that day.
    pub inherited: String,
}

/// One limit's row: its form name, value and inherited value.
pub struct LimitRow {
    pub name: &'static str,
    pub value: String,
    pub inherited: String,
}

/// The form's contents, as stored or as typed.
pub struct PolicyView {
    pub own_hours: bool,
    pub days: Vec<DayRow>,
    pub blackouts: String,
    /// Blackouts the level above adds (they apply whatever this form says).
    pub inherited_blackouts: Vec<String>,
    pub limits: Vec<LimitRow>,
}

const LIMITS: [&str; 5] =
    ["min_duration_minutes", "max_duration_minutes", "horizon_days", "buffer_minutes", "weekly_quota_hours"];

fn limit_of(o: &PolicyOverrides, name: &str) -> Option<u32> {
    match name {
        "min_duration_minutes" => o.min_duration_minutes,
        "max_duration_minutes" => o.max_duration_minutes,
        "horizon_days" => o.horizon_days,
        "buffer_minutes" => o.buffer_minutes,
        _ => o.weekly_quota_hours,
    }
}

fn effective_limit(p: &Policy, name: &str) -> u32 {
    match name {
        "min_duration_minutes" => p.min_duration_minutes,
        "max_duration_minutes" => p.max_duration_minutes,
        "horizon_days" => p.horizon_days,
        "buffer_minutes" => p.buffer_minutes,
        _ => p.weekly_quota_hours,
    }
}

/// A day's hours as people read them: the intervals, "closed", or "any time".
pub fn day_summary(v: &Viewer, week: Option<&WeekHours>, i: usize) -> String {
    match week {
        None => v.tr.t("policy_any_time").to_string(),
        Some(w) if w.days()[i].is_empty() => v.tr.t("policy_closed").to_string(),
        Some(w) => w.day_text(i).replace('-', "–"),
    }
}

/// The opening hours of a room as (weekday name, hours) rows, Monday first; empty when it has
/// none (it is bookable at any time).
pub fn hours_rows(v: &Viewer, p: &Policy) -> Vec<(String, String)> {
    let Some(week) = &p.opening_hours else { return Vec::new() };
    DAY_KEYS
        .iter()
        .enumerate()
        .map(|(i, k)| (v.tr.t(&format!("day_{k}")).to_string(), day_summary(v, Some(week), i)))
        .collect()
}

impl PolicyView {
    /// The form for `own` settings over `parent` (what applies without them).
    fn new(v: &Viewer, own: &PolicyOverrides, parent: &Policy) -> PolicyView {
        let days = DAY_KEYS
            .iter()
            .enumerate()
            .map(|(i, key)| DayRow {
                key,
                value: own.opening_hours.as_ref().map(|w| w.day_text(i)).unwrap_or_default(),
                inherited: day_summary(v, parent.opening_hours.as_ref(), i),
            })
            .collect();
        let limits = LIMITS
            .iter()
            .map(|name| LimitRow {
                name,
                value: limit_of(own, name).map(|n| n.to_string()).unwrap_or_default(),
                inherited: effective_limit(parent, name).to_string(),
            })
            .collect();
        PolicyView {
            own_hours: own.opening_hours.is_some(),
            days,
            blackouts: own.blackouts.iter().map(Blackout::line).collect::<Vec<_>>().join("\n"),
            inherited_blackouts: parent.blackouts.iter().map(Blackout::line).collect(),
            limits,
        }
    }

    /// The form as typed, over `parent`, to show again with its errors.
    fn typed(v: &Viewer, form: &HashMap<String, String>, parent: &Policy) -> PolicyView {
        let mut view = PolicyView::new(v, &PolicyOverrides::default(), parent);
        let get = |k: &str| form.get(k).cloned().unwrap_or_default();
        view.own_hours = get("own_hours") == "on";
        for d in &mut view.days {
            d.value = get(&format!("hours_{}", d.key));
        }
        view.blackouts = get("blackouts");
        for l in &mut view.limits {
            l.value = get(l.name);
        }
        view
    }
}

/// Reads the posted form; errors name the form's fields.
fn parse(form: &HashMap<String, String>) -> Result<PolicyOverrides, FieldErrors> {
    let get = |k: &str| form.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let mut errors = FieldErrors::new();
    let mut o = PolicyOverrides::default();
    if get("own_hours") == "on" {
        let mut week = WeekHours::default();
        for (i, key) in DAY_KEYS.iter().enumerate() {
            let name = format!("hours_{key}");
            match WeekHours::parse_day(&get(&name)) {
                Ok(day) => *week.day_mut(i) = day,
                Err(e) => errors.add(name, "invalid_hours", e),
            }
        }
        o.opening_hours = Some(week);
    }
    for line in get("blackouts").lines().filter(|l| !l.trim().is_empty()) {
        match Blackout::parse_line(line) {
            Ok(b) => o.blackouts.push(b),
            Err(e) => errors.add("blackouts", "invalid_blackout", e),
        }
    }
    for name in LIMITS {
        let raw = get(name);
        if raw.is_empty() {
            continue;
        }
        match raw.parse::<u32>() {
            Ok(n) => match name {
                "min_duration_minutes" => o.min_duration_minutes = Some(n),
                "max_duration_minutes" => o.max_duration_minutes = Some(n),
                "horizon_days" => o.horizon_days = Some(n),
                "buffer_minutes" => o.buffer_minutes = Some(n),
                _ => o.weekly_quota_hours = Some(n),
            },
            Err(_) => errors.add(name, "out_of_range", "must be a whole number"),
        }
    }
    errors.into_result().map(|()| o)
}

/// The domain names fields as the API does (`policy.opening_hours.mon`, `blackouts[2].reason`);
/// the form's names are `hours_mon`, `blackouts`…
fn form_errors(v: &Viewer, e: &FieldErrors) -> FormErrors {
    let renamed =
        e.0.iter()
            .map(|f| {
                let field = f.field.strip_prefix("policy.").unwrap_or(&f.field);
                let field = match field {
                    f if f.starts_with("opening_hours.") => format!("hours_{}", &f["opening_hours.".len()..]),
                    f if f.starts_with("blackouts") => "blackouts".to_string(),
                    f => f.to_string(),
                };
                crate::validation::FieldError { field, ..f.clone() }
            })
            .collect();
    FormErrors::from_domain(v, &FieldErrors(renamed))
}

#[derive(Template)]
#[template(path = "admin_policy.html")]
struct PolicyPage {
    ctx: Ctx,
    tab: &'static str,
    heading: String,
    intro: String,
    action: String,
    back: String,
    version: String,
    policy: PolicyView,
    errors: FormErrors,
}

fn room_parent(state: &AppState, room: &Room) -> Result<Policy, RoomError> {
    let parent = Room { policy: PolicyOverrides::default(), ..room.clone() };
    state.rooms.effective_policy(&parent)
}

fn room_page(v: &Viewer, room: &Room, policy: PolicyView, errors: FormErrors, status: StatusCode) -> PageResult {
    let page = PolicyPage {
        ctx: Ctx::new(v, "admin"),
        tab: "rooms",
        heading: v.tr.f("policy_room_heading", &[("room", &room.name)]),
        intro: if room.location.is_empty() {
            v.tr.t("policy_room_intro").to_string()
        } else {
            v.tr.f("policy_room_intro_location", &[("location", &room.location)])
        },
        action: format!("/admin/rooms/{}/policy", room.id),
        back: format!("/admin/rooms/{}", room.id),
        version: room.version.to_string(),
        policy,
        errors,
    };
    Ok(render(status, &page, v.flash.is_some()))
}

pub async fn room_policy(State(state): State<AppState>, m: Member, Path(id): Path<RoomId>) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ManageRooms).map_err(fail(v))?;
    let room = state.rooms.room(id).map_err(fail(v))?;
    let parent = room_parent(&state, &room).map_err(fail(v))?;
    let view = PolicyView::new(v, &room.policy, &parent);
    room_page(v, &room, view, FormErrors::default(), StatusCode::OK)
}

pub async fn save_room_policy(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<RoomId>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ManageRooms).map_err(fail(v))?;
    let room = state.rooms.room(id).map_err(fail(v))?;
    let parent = room_parent(&state, &room).map_err(fail(v))?;
    let again = |errors: FieldErrors, status| {
        room_page(v, &room, PolicyView::typed(v, &form, &parent), form_errors(v, &errors), status)
    };
    let own = match parse(&form) {
        Ok(own) => own,
        Err(e) => return again(e, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let version = form.get("version").and_then(|s| s.parse().ok());
    let patch = RoomPatch { policy: Some(own), ..RoomPatch::default() };
    match state.rooms.update(&m.actor(), id, patch, version).await {
        Ok(room) => Ok(redirect_with(&format!("/admin/rooms/{id}"), &v.tr.f("policy_saved", &[("name", &room.name)]))),
        Err(RoomError::Invalid(e)) => again(e, StatusCode::UNPROCESSABLE_ENTITY),
        Err(RoomError::StaleVersion { .. }) => {
            again(FieldErrors::one("form", "stale", "changed by someone else"), StatusCode::PRECONDITION_FAILED)
        }
        Err(e) => Err(fail(v)(e)),
    }
}

/// One row of the locations list.
pub struct LocationRow {
    pub name: String,
    pub rooms: usize,
    pub has_own: bool,
}

#[derive(Template)]
#[template(path = "admin_locations.html")]
struct LocationsPage {
    ctx: Ctx,
    tab: &'static str,
    rows: Vec<LocationRow>,
    global: Vec<(String, String)>,
}

/// Every location rooms name, and those with settings but no rooms (yet).
pub async fn locations(State(state): State<AppState>, m: Member) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ManageLocationPolicies).map_err(fail(v))?;
    let mut rows: Vec<LocationRow> = Vec::new();
    for room in state.rooms.list(true).map_err(fail(v))?.iter().filter(|r| !r.location.is_empty()) {
        match rows.iter_mut().find(|r| r.name.eq_ignore_ascii_case(&room.location)) {
            Some(row) => row.rooms += 1,
            None => rows.push(LocationRow { name: room.location.clone(), rooms: 1, has_own: false }),
        }
    }
    for l in state.rooms.location_policies().map_err(fail(v))? {
        match rows.iter_mut().find(|r| r.name.eq_ignore_ascii_case(&l.location)) {
            Some(row) => row.has_own = true,
            None => rows.push(LocationRow { name: l.location, rooms: 0, has_own: true }),
        }
    }
    rows.sort_by_key(|r| r.name.to_lowercase());
    let page = LocationsPage {
        ctx: Ctx::new(v, "admin"),
        tab: "locations",
        rows,
        global: hours_rows(v, state.rooms.global_policy()),
    };
    Ok(render(StatusCode::OK, &page, v.flash.is_some()))
}

fn location_page(v: &Viewer, name: &str, policy: PolicyView, errors: FormErrors, status: StatusCode) -> PageResult {
    let page = PolicyPage {
        ctx: Ctx::new(v, "admin"),
        tab: "locations",
        heading: v.tr.f("policy_location_heading", &[("location", name)]),
        intro: v.tr.t("policy_location_intro").to_string(),
        action: format!("/admin/locations/{}", urlencoding(name)),
        back: "/admin/locations".to_string(),
        version: String::new(),
        policy,
        errors,
    };
    Ok(render(status, &page, v.flash.is_some()))
}

fn urlencoding(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

pub async fn location_policy(State(state): State<AppState>, m: Member, Path(name): Path<String>) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ManageLocationPolicies).map_err(fail(v))?;
    let (own, _) = state.rooms.location_policy(&m.actor(), &name).map_err(fail(v))?;
    let view = PolicyView::new(v, &own, state.rooms.global_policy());
    location_page(v, &name, view, FormErrors::default(), StatusCode::OK)
}

pub async fn save_location_policy(
    State(state): State<AppState>,
    m: Member,
    Path(name): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let v = &m.viewer;
    let global = state.rooms.global_policy().clone();
    let again = |errors: FieldErrors| {
        location_page(
            v,
            &name,
            PolicyView::typed(v, &form, &global),
            form_errors(v, &errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let own = match parse(&form) {
        Ok(own) => own,
        Err(e) => return again(e),
    };
    match state.rooms.set_location_policy(&m.actor(), &name, own).await {
        Ok(_) => Ok(redirect_with("/admin/locations", &v.tr.f("policy_saved", &[("name", name.trim())]))),
        Err(RoomError::Invalid(e)) => again(e),
        Err(e) => Err(fail(v)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_form_reads_into_settings() {
        let o = parse(&form(&[
            ("own_hours", "on"),
            ("hours_mon", "08:00-12:00, 13:00-18:00"),
            ("blackouts", "2026-12-25 Christmas Day\n\n2026-12-31..2027-01-01 New Year"),
            ("buffer_minutes", "10"),
            ("horizon_days", ""),
        ]))
        .unwrap();
        assert_eq!(o.opening_hours.as_ref().unwrap().mon.len(), 2);
        assert!(o.opening_hours.as_ref().unwrap().sun.is_empty());
        assert_eq!(o.blackouts.len(), 2);
        assert_eq!((o.buffer_minutes, o.horizon_days), (Some(10), None));
        // Without the box ticked the hours are inherited, whatever the day fields say.
        assert_eq!(parse(&form(&[("hours_mon", "nonsense")])).unwrap(), PolicyOverrides::default());
        let e =
            parse(&form(&[("own_hours", "on"), ("hours_tue", "9-5"), ("blackouts", "soon"), ("buffer_minutes", "x")]))
                .unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["hours_tue", "blackouts", "buffer_minutes"]);
    }
}
