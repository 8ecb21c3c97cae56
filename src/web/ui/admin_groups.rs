//! Admin: user groups (admins) and room/location access rules (managers and admins). What the
//! rules mean is docs/access.md; these pages only edit them.

use super::booking::FormErrors;
use super::session::Member;
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::access::{AccessRule, Action, Role};
use crate::groups::{GroupError, GroupPatch, RuleInput};
use crate::model::group::Group;
use crate::model::user::User;
use crate::types::{GroupId, RoomId, UserId};
use crate::web::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

/// A posted form; rule forms post one value per ticked group.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
}

pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub members: usize,
}

#[derive(Template)]
#[template(path = "admin_groups.html")]
struct GroupsPage {
    ctx: Ctx,
    tab: &'static str,
    groups: Vec<GroupRow>,
    name: String,
    description: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "admin_group.html")]
struct GroupPage {
    ctx: Ctx,
    tab: &'static str,
    group: Group,
    members: Vec<User>,
    /// Users not in the group yet: (id, "name <e-mail>").
    others: Vec<(String, String)>,
    errors: FormErrors,
}

/// One right of a rule form: its field name, label, and each group with whether it is ticked.
pub struct RightRow {
    pub field: &'static str,
    pub label: String,
    pub help: String,
    pub groups: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "admin_access.html")]
struct AccessPage {
    ctx: Ctx,
    tab: &'static str,
    /// (location, summary)
    locations: Vec<(String, String)>,
    /// (room id, room name, location, summary)
    rooms: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "admin_access_rule.html")]
struct RulePage {
    ctx: Ctx,
    tab: &'static str,
    heading: String,
    action: String,
    /// What applies when this rule is empty.
    fallback: String,
    rights: Vec<RightRow>,
    min_role: String,
    roles: Vec<(String, String)>,
    errors: FormErrors,
}

fn group_errors(v: &super::session::Viewer, e: GroupError) -> Result<FormErrors, axum::response::Response> {
    match e {
        GroupError::Invalid(fe) => Ok(FormErrors::from_domain(v, &fe)),
        GroupError::NameTaken => Ok(FormErrors::one("name", v.tr.t("verr_taken"))),
        e => Err(super::error_page(v, e.into())),
    }
}

fn groups_page(state: &AppState, m: &Member, form: (String, String, FormErrors)) -> PageResult {
    let v = &m.viewer;
    let groups = state
        .groups
        .list(&m.actor())
        .map_err(fail(v))?
        .into_iter()
        .map(|(g, n)| GroupRow { id: g.id.to_string(), name: g.name, description: g.description, members: n })
        .collect();
    let status = if form.2.first().is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = GroupsPage {
        ctx: Ctx::new(v, "admin"),
        tab: "groups",
        groups,
        name: form.0,
        description: form.1,
        errors: form.2,
    };
    Ok(render(status, &page, v.flash.is_some()))
}

pub async fn list(State(state): State<AppState>, m: Member) -> PageResult {
    groups_page(&state, &m, Default::default())
}

#[derive(Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

pub async fn create(State(state): State<AppState>, m: Member, Form(f): Form<GroupForm>) -> PageResult {
    let v = &m.viewer;
    match state.groups.create(&m.actor(), f.name.clone(), Some(f.description.clone())).await {
        Ok(g) => Ok(redirect_with(&format!("/admin/groups/{}", g.id), &v.tr.f("group_created", &[("name", &g.name)]))),
        Err(e) => groups_page(&state, &m, (f.name, f.description, group_errors(v, e)?)),
    }
}

fn group_page(state: &AppState, m: &Member, id: GroupId, errors: FormErrors) -> PageResult {
    let v = &m.viewer;
    let (group, members) = state.groups.get(&m.actor(), id).map_err(fail(v))?;
    let others = state
        .users
        .list(Some(&m.actor()))
        .map_err(fail(v))?
        .into_iter()
        .filter(|u| u.active && !members.iter().any(|x| x.id == u.id))
        .map(|u| (u.id.to_string(), format!("{} <{}>", u.name, u.email)))
        .collect();
    let status = if errors.first().is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = GroupPage { ctx: Ctx::new(v, "admin"), tab: "groups", group, members, others, errors };
    Ok(render(status, &page, v.flash.is_some()))
}

pub async fn show(State(state): State<AppState>, m: Member, Path(id): Path<GroupId>) -> PageResult {
    group_page(&state, &m, id, FormErrors::default())
}

pub async fn update(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<GroupId>,
    Form(f): Form<GroupForm>,
) -> PageResult {
    let v = &m.viewer;
    let patch = GroupPatch { name: Some(f.name), description: Some(f.description) };
    match state.groups.update(&m.actor(), id, patch, None).await {
        Ok(g) => Ok(redirect_with(&format!("/admin/groups/{id}"), &v.tr.f("group_saved", &[("name", &g.name)]))),
        Err(e) => group_page(&state, &m, id, group_errors(v, e)?),
    }
}

pub async fn delete(State(state): State<AppState>, m: Member, Path(id): Path<GroupId>) -> PageResult {
    let v = &m.viewer;
    state.groups.delete(&m.actor(), id).await.map_err(fail(v))?;
    Ok(redirect_with("/admin/groups", v.tr.t("group_deleted")))
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    user: String,
}

pub async fn add_member(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<GroupId>,
    Form(f): Form<MemberForm>,
) -> PageResult {
    let v = &m.viewer;
    let Ok(user) = f.user.trim().parse::<UserId>() else {
        return group_page(&state, &m, id, FormErrors::one("user", v.tr.t("group_choose_user")));
    };
    match state.groups.set_member(&m.actor(), id, user, true).await {
        Ok(()) => Ok(redirect_with(&format!("/admin/groups/{id}"), v.tr.t("group_member_added"))),
        Err(GroupError::UserNotFound) => {
            group_page(&state, &m, id, FormErrors::one("user", v.tr.t("group_choose_user")))
        }
        Err(e) => Err(super::error_page(v, e.into())),
    }
}

pub async fn remove_member(
    State(state): State<AppState>,
    m: Member,
    Path((id, user)): Path<(GroupId, UserId)>,
) -> PageResult {
    let v = &m.viewer;
    state.groups.set_member(&m.actor(), id, user, false).await.map_err(fail(v))?;
    Ok(redirect_with(&format!("/admin/groups/{id}"), v.tr.t("group_member_removed")))
}

/// "Members of Research may book; everyone sees", or "No rule: roles decide".
fn summary(
    v: &super::session::Viewer,
    rule: Option<&AccessRule>,
    names: &std::collections::HashMap<GroupId, String>,
) -> String {
    let Some(rule) = rule else { return v.tr.t("access_no_rule").to_string() };
    let list = |ids: &[GroupId]| ids.iter().filter_map(|id| names.get(id).cloned()).collect::<Vec<_>>().join(", ");
    let mut parts = Vec::new();
    for (key, ids) in [
        ("access_see", &rule.see),
        ("access_book", &rule.book),
        ("access_book_without_approval", &rule.book_without_approval),
        ("access_manage", &rule.manage),
    ] {
        if !ids.is_empty() {
            parts.push(format!("{}: {}", v.tr.t(key), list(ids)));
        }
    }
    if let Some(role) = rule.min_role_to_book {
        parts.push(format!("{}: {}", v.tr.t("access_min_role"), v.tr.t(&format!("role_{role}"))));
    }
    parts.join(" · ")
}

pub async fn access(State(state): State<AppState>, m: Member) -> PageResult {
    let v = &m.viewer;
    let actor = m.actor();
    let names = state.groups.names().map_err(fail(v))?;
    let location_rules = state.groups.location_rules(&actor).map_err(fail(v))?;
    let rooms = state.rooms.list(false).map_err(fail(v))?;
    let mut locations: Vec<String> =
        rooms.iter().map(|r| r.location.trim().to_string()).filter(|l| !l.is_empty()).collect();
    locations.extend(location_rules.iter().map(|l| l.location.clone()));
    locations.sort_by_key(|l| l.to_lowercase());
    locations.dedup_by_key(|l| l.to_lowercase());
    let locations = locations
        .into_iter()
        .map(|l| {
            let rule = location_rules.iter().find(|r| r.location.eq_ignore_ascii_case(&l)).map(|r| &r.rule);
            let s = summary(v, rule, &names);
            (l, s)
        })
        .collect();
    let mut rows = Vec::new();
    for room in rooms {
        let (own, _) = state.groups.room_rule(&actor, room.id).map_err(fail(v))?;
        let s = match own {
            Some(rule) => summary(v, Some(&rule), &names),
            None => v.tr.t("access_follows_location").to_string(),
        };
        rows.push((room.id.to_string(), room.name, room.location, s));
    }
    let page = AccessPage { ctx: Ctx::new(v, "admin"), tab: "access", locations, rooms: rows };
    Ok(render(StatusCode::OK, &page, v.flash.is_some()))
}

fn rule_page(
    state: &AppState,
    m: &Member,
    (heading, action, fallback): (String, String, String),
    rule: AccessRule,
    errors: FormErrors,
) -> PageResult {
    let v = &m.viewer;
    // Managers edit rules without managing groups: they pick from every group by name.
    let mut groups: Vec<(GroupId, String)> = state.groups.names().map_err(fail(v))?.into_iter().collect();
    groups.sort_by_key(|(_, name)| name.to_lowercase());
    let row = |field: &'static str, ticked: &[GroupId]| RightRow {
        field,
        label: v.tr.t(&format!("access_{field}")).to_string(),
        help: v.tr.t(&format!("access_{field}_help")).to_string(),
        groups: groups.iter().map(|(id, name)| (id.to_string(), name.clone(), ticked.contains(id))).collect(),
    };
    let rights = vec![
        row("see", &rule.see),
        row("book", &rule.book),
        row("book_without_approval", &rule.book_without_approval),
        row("manage", &rule.manage),
    ];
    let roles =
        Role::ALL.iter().rev().map(|r| (r.as_str().to_string(), v.tr.t(&format!("role_{r}")).to_string())).collect();
    let status = if errors.first().is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = RulePage {
        ctx: Ctx::new(v, "admin"),
        tab: "access",
        heading,
        action,
        fallback,
        rights,
        min_role: rule.min_role_to_book.map(|r| r.as_str().to_string()).unwrap_or_default(),
        roles,
        errors,
    };
    Ok(render(status, &page, v.flash.is_some()))
}

fn rule_input(f: &Fields) -> RuleInput {
    RuleInput {
        see: f.all("see"),
        book: f.all("book"),
        book_without_approval: f.all("book_without_approval"),
        manage: f.all("manage"),
        min_role_to_book: Role::parse(&f.get("min_role")),
    }
}

fn rule_errors(v: &super::session::Viewer, e: GroupError) -> Result<FormErrors, axum::response::Response> {
    match e {
        GroupError::Invalid(fe) => Ok(FormErrors::from_domain(v, &fe)),
        e => Err(super::error_page(v, e.into())),
    }
}

pub async fn room_rule(State(state): State<AppState>, m: Member, Path(id): Path<RoomId>) -> PageResult {
    let v = &m.viewer;
    let (own, location) = state.groups.room_rule(&m.actor(), id).map_err(fail(v))?;
    let room = state.rooms.room(id).map_err(fail(v))?;
    let fallback = match &location {
        Some(l) => v.tr.f("access_room_falls_back", &[("location", &l.location)]),
        None => v.tr.t("access_no_rule").to_string(),
    };
    let labels =
        (v.tr.f("access_room_heading", &[("room", &room.name)]), format!("/admin/access/rooms/{id}"), fallback);
    rule_page(&state, &m, labels, own.unwrap_or_default(), FormErrors::default())
}

pub async fn save_room_rule(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<RoomId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let v = &m.viewer;
    let f = Fields(pairs);
    match state.groups.set_room_rule(&m.actor(), id, rule_input(&f)).await {
        Ok(_) => Ok(redirect_with("/admin/access", v.tr.t("access_saved"))),
        Err(e) => {
            let errors = rule_errors(v, e)?;
            let room = state.rooms.room(id).map_err(fail(v))?;
            let labels = (
                v.tr.f("access_room_heading", &[("room", &room.name)]),
                format!("/admin/access/rooms/{id}"),
                String::new(),
            );
            rule_page(&state, &m, labels, AccessRule::default(), errors)
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LocationQuery {
    name: String,
}

fn location_labels(v: &super::session::Viewer, name: &str) -> (String, String, String) {
    let action = format!("/admin/access/location?name={}", utf8_percent(name));
    (v.tr.f("access_location_heading", &[("location", name)]), action, v.tr.t("access_no_rule").to_string())
}

/// Percent-encodes a query value (location names are free text).
fn utf8_percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub async fn location_rule(State(state): State<AppState>, m: Member, Query(q): Query<LocationQuery>) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ManageRooms).map_err(fail(v))?;
    let rule = state
        .groups
        .location_rules(&m.actor())
        .map_err(fail(v))?
        .into_iter()
        .find(|l| l.location.eq_ignore_ascii_case(q.name.trim()))
        .map(|l| l.rule)
        .unwrap_or_default();
    rule_page(&state, &m, location_labels(v, q.name.trim()), rule, FormErrors::default())
}

pub async fn save_location_rule(
    State(state): State<AppState>,
    m: Member,
    Query(q): Query<LocationQuery>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let v = &m.viewer;
    let f = Fields(pairs);
    match state.groups.set_location_rule(&m.actor(), q.name.clone(), rule_input(&f)).await {
        Ok(_) => Ok(redirect_with("/admin/access", v.tr.t("access_saved"))),
        Err(e) => rule_page(&state, &m, location_labels(v, q.name.trim()), AccessRule::default(), rule_errors(v, e)?),
    }
}
