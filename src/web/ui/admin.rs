//! Administration: rooms and resources (managers and admins), users (admins).

use super::booking::FormErrors;
use super::session::{Member, Viewer};
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::access::{Action, Role};
use crate::model::room::{Resource, Room};
use crate::model::user::User;
use crate::rooms::{FutureReservations, ResourceInput, ResourcePatch, RoomError, RoomInput, RoomPatch};
use crate::types::{ResourceId, RoomId, UserId};
use crate::users::{NewUser, UserError, UserPatch};
use crate::web::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

const PAGE_SIZE: usize = 25;

/// Fields of a posted form; rooms post several `resource` values, which a plain struct cannot take.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    page: usize,
}

pub struct Pager {
    pub page: usize,
    pub pages: usize,
    pub q: String,
}

fn paginate<T>(items: Vec<T>, q: &ListQuery) -> (Vec<T>, Pager) {
    let pages = items.len().div_ceil(PAGE_SIZE).max(1);
    let page = q.page.clamp(1, pages);
    let items = items.into_iter().skip((page - 1) * PAGE_SIZE).take(PAGE_SIZE).collect();
    (items, Pager { page, pages, q: q.q.clone() })
}

fn matches(q: &str, text: &str) -> bool {
    q.trim().is_empty() || text.to_lowercase().contains(&q.trim().to_lowercase())
}

#[derive(Template)]
#[template(path = "admin_rooms.html")]
struct RoomsPage {
    ctx: Ctx,
    rooms: Vec<Room>,
    pager: Pager,
    resources: Vec<Resource>,
    form: Vec<(String, String)>,
    errors: FormErrors,
    default_timezone: String,
}

impl RoomsPage {
    /// What the user typed in a field, to show the form again after an error. Checked
    /// resources come back comma-separated.
    fn value(&self, name: &str) -> String {
        Fields(self.form.clone()).all(name).join(",")
    }
}

fn rooms_page(
    state: &AppState,
    m: &Member,
    q: &ListQuery,
    form: Fields,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ManageRooms).map_err(fail(v))?;
    let all: Vec<Room> = state
        .rooms
        .list(true)
        .map_err(fail(v))?
        .into_iter()
        .filter(|r| matches(&q.q, &format!("{} {}", r.name, r.location)))
        .collect();
    let (rooms, pager) = paginate(all, q);
    let page = RoomsPage {
        ctx: Ctx::new(v, "admin"),
        rooms,
        pager,
        resources: state.rooms.resources().map_err(fail(v))?,
        form: form.0,
        errors,
        default_timezone: state.ui.default_timezone.clone(),
    };
    Ok(render(status, &page, v.flash.is_some()))
}

pub async fn rooms(State(state): State<AppState>, m: Member, Query(q): Query<ListQuery>) -> PageResult {
    rooms_page(&state, &m, &q, Fields(vec![]), FormErrors::default(), StatusCode::OK)
}

fn room_input(f: &Fields) -> Result<RoomInput, ()> {
    Ok(RoomInput {
        name: f.get("name"),
        capacity: f.get("capacity").trim().parse().map_err(|_| ())?,
        location: Some(f.get("location")),
        description: Some(f.get("description")),
        timezone: Some(f.get("timezone")).filter(|z| !z.is_empty()),
        resources: f.all("resource"),
        requires_approval: f.get("requires_approval") == "on",
        checkin: crate::model::room::CheckIn {
            required: f.get("checkin_required") == "on",
            window_minutes: checkin_window(f),
        },
        // Policies have their own form on the room's page.
        policy: Default::default(),
    })
}

/// The room's own check-in window: empty is the server default; what is not a number is 0, which
/// validation refuses under the field's name.
fn checkin_window(f: &Fields) -> Option<u32> {
    let raw = f.get("checkin_window_minutes");
    let raw = raw.trim();
    (!raw.is_empty()).then(|| raw.parse().unwrap_or(0))
}

fn room_errors(v: &Viewer, e: RoomError) -> Result<FormErrors, axum::response::Response> {
    match e {
        RoomError::Invalid(fe) => Ok(FormErrors::from_domain(v, &fe)),
        RoomError::NameTaken(_) => {
            Ok(FormErrors::from_domain(v, &crate::validation::FieldErrors::one("name", "taken", "is already taken")))
        }
        e => Err(super::error_page(v, e.into())),
    }
}

fn capacity_error(v: &Viewer) -> FormErrors {
    FormErrors::from_domain(v, &crate::validation::FieldErrors::one("capacity", "out_of_range", "must be a number"))
}

pub async fn create_room(
    State(state): State<AppState>,
    m: Member,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let v = &m.viewer;
    let f = Fields(pairs);
    let q = ListQuery::default();
    let Ok(input) = room_input(&f) else {
        return rooms_page(&state, &m, &q, f, capacity_error(v), StatusCode::UNPROCESSABLE_ENTITY);
    };
    match state.rooms.create(&m.actor(), input).await {
        Ok(room) => {
            Ok(redirect_with(&format!("/admin/rooms/{}", room.id), &v.tr.f("room_created", &[("room", &room.name)])))
        }
        Err(e) => rooms_page(&state, &m, &q, f, room_errors(v, e)?, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

#[derive(Template)]
#[template(path = "admin_room.html")]
struct RoomEditPage {
    ctx: Ctx,
    room: Room,
    resources: Vec<Resource>,
    errors: FormErrors,
    upcoming: usize,
    /// The room's effective opening hours by weekday (empty: bookable at any time).
    hours: Vec<(String, String)>,
}

impl RoomEditPage {
    /// The room's resource ids, for the checkboxes.
    fn resource_ids(&self) -> String {
        self.room.resources.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
    }

    fn checkin_window(&self) -> String {
        self.room.checkin.window_minutes.map(|m| m.to_string()).unwrap_or_default()
    }
}

async fn room_edit(state: &AppState, m: &Member, id: RoomId, errors: FormErrors, status: StatusCode) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ManageRooms).map_err(fail(v))?;
    let room = state.rooms.room(id).map_err(fail(v))?;
    let hours = super::admin_policies::hours_rows(v, &state.rooms.effective_policy(&room).map_err(fail(v))?);
    let now = crate::clock::now();
    let upcoming = state
        .reservations
        .room_availability(id, crate::types::TimeRange::new(now, now + chrono::Duration::days(3650)))
        .map(|a| a.busy.len())
        .unwrap_or(0);
    let page = RoomEditPage {
        ctx: Ctx::new(v, "admin"),
        room,
        resources: state.rooms.resources().map_err(fail(v))?,
        errors,
        upcoming,
        hours,
    };
    Ok(render(status, &page, v.flash.is_some()))
}

pub async fn room_page(State(state): State<AppState>, m: Member, Path(id): Path<RoomId>) -> PageResult {
    room_edit(&state, &m, id, FormErrors::default(), StatusCode::OK).await
}

pub async fn update_room(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<RoomId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let v = &m.viewer;
    let f = Fields(pairs);
    let Ok(input) = room_input(&f) else {
        return room_edit(&state, &m, id, capacity_error(v), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let patch = RoomPatch {
        name: Some(input.name),
        capacity: Some(input.capacity),
        location: input.location,
        description: input.description,
        timezone: input.timezone,
        resources: Some(input.resources),
        requires_approval: Some(input.requires_approval),
        checkin_required: Some(input.checkin.required),
        checkin_window_minutes: Some(input.checkin.window_minutes),
        policy: None,
        active: Some(f.get("active") == "on"),
    };
    match state.rooms.update(&m.actor(), id, patch, f.get("version").parse().ok()).await {
        Ok(room) => Ok(redirect_with(&format!("/admin/rooms/{id}"), &v.tr.f("room_saved", &[("room", &room.name)]))),
        Err(RoomError::StaleVersion { .. }) => {
            room_edit(
                &state,
                &m,
                id,
                FormErrors::from_domain(v, &crate::validation::FieldErrors::one("form", "stale", "stale")),
                StatusCode::PRECONDITION_FAILED,
            )
            .await
        }
        Err(e) => room_edit(&state, &m, id, room_errors(v, e)?, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

pub async fn archive_room(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<RoomId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let v = &m.viewer;
    let f = Fields(pairs);
    let choice = match f.get("future").as_str() {
        "cancel" => Some(FutureReservations::Cancel),
        "keep" => Some(FutureReservations::Keep),
        _ => None,
    };
    match state.rooms.archive(&m.actor(), id, choice).await {
        Ok(room) => Ok(redirect_with("/admin/rooms", &v.tr.f("room_archived", &[("room", &room.name)]))),
        Err(RoomError::HasFutureReservations(list)) => {
            let msg = v.tr.f("archive_choose", &[("count", &list.len().to_string())]);
            room_edit(
                &state,
                &m,
                id,
                FormErrors::from_domain(v, &crate::validation::FieldErrors::one("future", "choose", msg)),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(super::error_page(v, e.into())),
    }
}

#[derive(Template)]
#[template(path = "admin_resources.html")]
struct ResourcesPage {
    ctx: Ctx,
    resources: Vec<Resource>,
    errors: FormErrors,
    name: String,
}

fn resources_page(state: &AppState, m: &Member, errors: FormErrors, name: String, status: StatusCode) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ManageRooms).map_err(fail(v))?;
    let page =
        ResourcesPage { ctx: Ctx::new(v, "admin"), resources: state.rooms.resources().map_err(fail(v))?, errors, name };
    Ok(render(status, &page, v.flash.is_some()))
}

pub async fn resources(State(state): State<AppState>, m: Member) -> PageResult {
    resources_page(&state, &m, FormErrors::default(), String::new(), StatusCode::OK)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResourceForm {
    name: String,
    description: String,
}

pub async fn create_resource(State(state): State<AppState>, m: Member, Form(f): Form<ResourceForm>) -> PageResult {
    let v = &m.viewer;
    match state
        .rooms
        .create_resource(&m.actor(), ResourceInput { name: f.name.clone(), description: Some(f.description) })
        .await
    {
        Ok(r) => Ok(redirect_with("/admin/resources", &v.tr.f("resource_created", &[("name", &r.name)]))),
        Err(e) => resources_page(&state, &m, room_errors(v, e)?, f.name, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

pub async fn update_resource(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<ResourceId>,
    Form(f): Form<ResourceForm>,
) -> PageResult {
    let v = &m.viewer;
    let patch = ResourcePatch { name: Some(f.name.clone()), description: Some(f.description) };
    match state.rooms.update_resource(&m.actor(), id, patch).await {
        Ok(r) => Ok(redirect_with("/admin/resources", &v.tr.f("resource_saved", &[("name", &r.name)]))),
        Err(e) => resources_page(&state, &m, room_errors(v, e)?, f.name, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

pub async fn delete_resource(State(state): State<AppState>, m: Member, Path(id): Path<ResourceId>) -> PageResult {
    let v = &m.viewer;
    state.rooms.delete_resource(&m.actor(), id).await.map_err(fail(v))?;
    Ok(redirect_with("/admin/resources", v.tr.t("resource_deleted")))
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    ctx: Ctx,
    users: Vec<User>,
    pager: Pager,
    errors: FormErrors,
    created: Option<(String, String)>,
}

fn users_page(
    state: &AppState,
    m: &Member,
    q: &ListQuery,
    errors: FormErrors,
    created: Option<(String, String)>,
    status: StatusCode,
) -> PageResult {
    let v = &m.viewer;
    let all: Vec<User> = state
        .users
        .list(Some(&m.actor()))
        .map_err(fail(v))?
        .into_iter()
        .filter(|u| matches(&q.q, &format!("{} {}", u.name, u.email)))
        .collect();
    m.actor().require(Action::ManageUsers).map_err(fail(v))?;
    let (users, pager) = paginate(all, q);
    let page = UsersPage { ctx: Ctx::new(v, "admin"), users, pager, errors, created };
    Ok(render(status, &page, v.flash.is_some()))
}

pub async fn users(State(state): State<AppState>, m: Member, Query(q): Query<ListQuery>) -> PageResult {
    users_page(&state, &m, &q, FormErrors::default(), None, StatusCode::OK)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UserForm {
    email: String,
    name: String,
    role: String,
    active: String,
    /// "on": e-mail a set-your-password link instead of generating a password.
    invite: String,
}

fn user_errors(v: &Viewer, e: UserError) -> Result<FormErrors, axum::response::Response> {
    match e {
        UserError::Invalid(fe) => Ok(FormErrors::from_domain(v, &fe)),
        UserError::EmailTaken => {
            Ok(FormErrors::from_domain(v, &crate::validation::FieldErrors::one("email", "taken", "is already taken")))
        }
        e => Err(super::error_page(v, e.into())),
    }
}

/// Creates a user with a generated password, shown once on the page that answers.
pub async fn create_user(
    State(state): State<AppState>,
    m: Member,
    headers: axum::http::HeaderMap,
    Form(f): Form<UserForm>,
) -> PageResult {
    let v = &m.viewer;
    let role = Role::parse(&f.role).unwrap_or(Role::Member);
    let input = NewUser { email: f.email, name: f.name, role, password: None, language: None };
    let q = ListQuery::default();
    if f.invite == "on" {
        return match state.users.invite(&m.actor(), input).await {
            Ok((user, mail)) => {
                crate::web::links::send(&state, &headers, &mail, crate::web::links::Asker::Admin).await;
                Ok(redirect_with("/admin/users", &v.tr.f("user_invited", &[("email", &user.email)])))
            }
            Err(e) => users_page(&state, &m, &q, user_errors(v, e)?, None, StatusCode::UNPROCESSABLE_ENTITY),
        };
    }
    match state.users.create(Some(&m.actor()), input).await {
        Ok(c) => users_page(
            &state,
            &m,
            &q,
            FormErrors::default(),
            Some((c.user.email, c.generated_password.unwrap_or_default())),
            StatusCode::CREATED,
        ),
        Err(e) => users_page(&state, &m, &q, user_errors(v, e)?, None, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

/// E-mails the user a single-use link to set a new password.
pub async fn send_reset(
    State(state): State<AppState>,
    m: Member,
    headers: axum::http::HeaderMap,
    Path(id): Path<UserId>,
) -> PageResult {
    let v = &m.viewer;
    match state.users.send_password_reset(&m.actor(), id).await {
        Ok(mail) => {
            crate::web::links::send(&state, &headers, &mail, crate::web::links::Asker::Admin).await;
            Ok(redirect_with("/admin/users", &v.tr.f("reset_link_sent", &[("email", &mail.email)])))
        }
        Err(e) => {
            users_page(&state, &m, &ListQuery::default(), user_errors(v, e)?, None, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

pub async fn update_user(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<UserId>,
    Form(f): Form<UserForm>,
) -> PageResult {
    let v = &m.viewer;
    let patch = UserPatch { role: Role::parse(&f.role), active: Some(f.active == "on"), ..Default::default() };
    match state.users.update(Some(&m.actor()), id, patch).await {
        Ok(u) => Ok(redirect_with("/admin/users", &v.tr.f("user_saved", &[("name", &u.name)]))),
        Err(e) => {
            users_page(&state, &m, &ListQuery::default(), user_errors(v, e)?, None, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
