//! Admin: room door displays. The list of device tokens, a form to create one (its address is
//! shown once, with a QR code to open it on the tablet), and revoke.

use super::booking::FormErrors;
use super::inbox::stamp;
use super::session::Member;
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::access::Action;
use crate::displays::DisplayError;
use crate::types::{DisplayId, RoomId};
use crate::web::AppState;
use crate::web::api::displays::display_url;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

pub struct DisplayRow {
    pub id: String,
    pub name: String,
    pub room: String,
    pub prefix: String,
    pub created: String,
}

/// A display just created: its address, shown once.
pub struct NewDisplay {
    pub url: String,
    pub qr: String,
}

#[derive(Template)]
#[template(path = "admin_displays.html")]
struct DisplaysPage {
    ctx: Ctx,
    tab: &'static str,
    rows: Vec<DisplayRow>,
    rooms: Vec<(String, String)>,
    created: Option<NewDisplay>,
    form_room: String,
    form_name: String,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    room: String,
    #[serde(default)]
    name: String,
}

fn page(state: &AppState, m: &Member, form: (String, String, FormErrors), created: Option<NewDisplay>) -> PageResult {
    let v = &m.viewer;
    let rooms = state.rooms.list(false).map_err(fail(v))?;
    let rows = state
        .displays
        .list(&m.actor(), None)
        .map_err(fail(v))?
        .into_iter()
        .map(|d| DisplayRow {
            id: d.id.to_string(),
            room: rooms.iter().find(|r| r.id == d.room_id).map(|r| r.name.clone()).unwrap_or_default(),
            name: d.name,
            prefix: d.prefix,
            created: stamp(v, d.created_at),
        })
        .collect();
    let status = if !form.2.first().is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if created.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let page = DisplaysPage {
        ctx: Ctx::new(v, "admin"),
        tab: "displays",
        rows,
        rooms: rooms.into_iter().map(|r| (r.id.to_string(), r.name)).collect(),
        created,
        form_room: form.0,
        form_name: form.1,
        errors: form.2,
    };
    Ok(render(status, &page, v.flash.is_some()))
}

pub async fn list(State(state): State<AppState>, m: Member) -> PageResult {
    m.actor().require(Action::ManageDisplays).map_err(fail(&m.viewer))?;
    page(&state, &m, Default::default(), None)
}

pub async fn create(
    State(state): State<AppState>,
    m: Member,
    headers: HeaderMap,
    Form(f): Form<CreateForm>,
) -> PageResult {
    let v = &m.viewer;
    m.actor().require(Action::ManageDisplays).map_err(fail(v))?;
    let Ok(room) = f.room.trim().parse::<RoomId>() else {
        let errors =
            FormErrors::from_domain(v, &crate::validation::FieldErrors::one("room", "required", "choose a room"));
        return page(&state, &m, (f.room, f.name, errors), None);
    };
    match state.displays.create(&m.actor(), room, &f.name).await {
        Ok(made) => {
            let url = display_url(&headers, &made.token);
            let qr = super::qr::svg(&url, v.tr.t("display_address_qr"));
            page(&state, &m, Default::default(), Some(NewDisplay { url, qr }))
        }
        Err(DisplayError::Invalid(e)) => page(&state, &m, (f.room, f.name, FormErrors::from_domain(v, &e)), None),
        Err(e) => Err(super::error_page(v, e.into())),
    }
}

pub async fn revoke(State(state): State<AppState>, m: Member, Path(id): Path<DisplayId>) -> PageResult {
    let v = &m.viewer;
    state.displays.revoke(&m.actor(), id).await.map_err(fail(v))?;
    Ok(redirect_with("/admin/displays", v.tr.t("display_revoked")))
}
