//! The booking form: new and edit, with live feedback while typing.

use super::booking_fields;
use super::format::{self, parse_local};
use super::repeat::{self, RepeatFields};
use super::session::{Member, Viewer};
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::access::Action;
use crate::model::reservation::Reservation;
use crate::model::room::Room;
use crate::reservations::series::SeriesRequest;
use crate::reservations::{NewReservation, ReservationError, ReservationPatch};
use crate::types::{ReservationId, RoomId, TimeRange};
use crate::validation::FieldErrors;
use crate::web::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, Timelike, Utc};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// The form's fields, as typed (strings), so a bad value comes back to the user unchanged.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct BookForm {
    pub room: String,
    pub title: String,
    pub date: String,
    pub start: String,
    pub end: String,
    /// "Ends on another day" ticked: the end is `end_date` at `end`, not `date` at `end`.
    pub multi_day: String,
    pub end_date: String,
    /// Whom the booking is for (a user id; empty: the actor), for those who may book for others.
    pub for_user: String,
    pub description: String,
    pub attendees: String,
    pub version: String,
    /// On the live check of an edit: the reservation being edited (it does not conflict with itself).
    pub editing: String,
    /// The repeat section (new bookings) or the scope of a change (occurrences of a series).
    #[serde(flatten)]
    pub rep: RepeatFields,
    /// Everything else the form sends: the booking fields' inputs (`field.KEY`) among them.
    #[serde(flatten)]
    pub extra: BTreeMap<String, String>,
}

/// One field error in the viewer's language: `verr_<code>` (or `verr_<code>_<variant>`) with
/// the error's values filled in; weekdays are named (`days_<key>`). The English message when the
/// catalogs do not know the code.
pub fn field_message(v: &Viewer, fe: &crate::validation::FieldError) -> String {
    let key = match fe.params.get("variant") {
        Some(variant) => format!("verr_{}_{variant}", fe.code),
        None => format!("verr_{}", fe.code),
    };
    if v.tr.t(&key) == key {
        return fe.message.clone();
    }
    let values: Vec<(&str, String)> = fe
        .params
        .iter()
        .map(|(k, val)| match k.as_str() {
            "weekday" => (k.as_str(), v.tr.t(&format!("days_{val}")).to_string()),
            _ => (k.as_str(), val.clone()),
        })
        .collect();
    let args: Vec<(&str, &str)> = values.iter().map(|(k, val)| (*k, val.as_str())).collect();
    v.tr.f(&key, &args)
}

/// Translated messages by field.
#[derive(Default)]
pub struct FormErrors(HashMap<String, String>);

impl FormErrors {
    pub fn from_domain(v: &Viewer, e: &FieldErrors) -> FormErrors {
        let mut out = HashMap::new();
        for fe in &e.0 {
            let field = match fe.field.as_str() {
                "room_id" => "room".to_string(),
                "user_id" => "for_user".to_string(),
                "rrule" => "repeat".to_string(),
                f if f.starts_with("attendees") => "attendees".to_string(),
                f => f.to_string(),
            };
            out.entry(field).or_insert(field_message(v, fe));
        }
        FormErrors(out)
    }

    /// One of the messages (the live checks show a single line).
    pub fn first(&self) -> &str {
        self.0.values().next().map(String::as_str).unwrap_or("")
    }

    pub(super) fn one(field: &str, message: &str) -> FormErrors {
        FormErrors(HashMap::from([(field.to_string(), message.to_string())]))
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn msg(&self, field: &str) -> &str {
        self.0.get(field).map(String::as_str).unwrap_or("")
    }

    /// Moves a message to another field name (two forms on one page may share a field name).
    pub fn rename(&mut self, from: &str, to: &str) {
        if let Some(m) = self.0.remove(from) {
            self.0.insert(to.to_string(), m);
        }
    }
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookPage {
    ctx: Ctx,
    heading: String,
    action: String,
    rooms: Vec<Room>,
    form: BookForm,
    errors: FormErrors,
    conflicts: Vec<String>,
    zone: String,
    /// The repeat section's weekday checkboxes: field suffix, code, translated name.
    weekdays: Vec<(String, &'static str, String)>,
    fields: Vec<booking_fields::FieldRow>,
    /// Whom the actor may book for (id, "name <e-mail>"); empty when they may book only for
    /// themselves, which hides the picker.
    people: Vec<(String, String)>,
    /// The chosen room's day beside the form.
    panel: super::book_day::Panel,
}

#[derive(Template)]
#[template(path = "book_check.html")]
struct CheckFragment {
    state: &'static str,
    message: String,
    conflicts: Vec<String>,
}

/// The instants the form names, or the translated errors.
pub(super) fn parse_times(v: &Viewer, f: &BookForm) -> Result<TimeRange, FormErrors> {
    let start = parse_local(v.tz, &f.date, &f.start)
        .map_err(|k| FormErrors::one(if k == "error_date" { "date" } else { "start" }, v.tr.t(k)))?;
    let (end_date, date_field) = if f.is_multi_day() { (&f.end_date, "end_date") } else { (&f.date, "date") };
    let end = parse_local(v.tz, end_date, &f.end)
        .map_err(|k| FormErrors::one(if k == "error_date" { date_field } else { "end" }, v.tr.t(k)))?;
    // An end at or before the start on the same day means "past midnight" only for 00:00; on
    // another day it means what it says, and the domain judges it as the API would.
    let end = if !f.is_multi_day() && f.end.trim() == "00:00" && end <= start { end + Duration::days(1) } else { end };
    Ok(TimeRange::new(start, end))
}

impl BookForm {
    pub fn is_multi_day(&self) -> bool {
        !self.multi_day.is_empty()
    }
}

fn attendees(f: &BookForm) -> Vec<String> {
    f.attendees.split([',', ';', '\n', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

fn conflict_lines(v: &Viewer, list: &[Reservation]) -> Vec<String> {
    list.iter()
        .map(|r| {
            v.tr.f("conflicts_with", &[("title", &r.title), ("when", &format::range(&v.tr, v.tz, r.start, r.end))])
        })
        .collect()
}

/// What the booking form shows besides the rooms: its heading (a message key), where it posts,
/// the values, and any errors or conflicts from the last attempt.
struct FormState {
    heading: &'static str,
    action: String,
    form: BookForm,
    errors: FormErrors,
    conflicts: Vec<String>,
    status: StatusCode,
}

impl FormState {
    fn new(heading: &'static str, action: String, form: BookForm) -> FormState {
        FormState { heading, action, form, errors: FormErrors::default(), conflicts: vec![], status: StatusCode::OK }
    }

    fn refused(self, errors: FormErrors, conflicts: Vec<String>, status: StatusCode) -> FormState {
        FormState { errors, conflicts, status, ..self }
    }
}

/// The active people the actor may book for, by name: everyone for managers and administrators,
/// and for others the people who named them a delegate (none for most).
fn people(state: &AppState, m: &Member) -> Result<Vec<(String, String)>, crate::users::UserError> {
    let mut users: Vec<_> = if m.actor().may(Action::BookForOthers) {
        state.users.list(Some(&m.actor()))?.into_iter().filter(|u| u.active).collect()
    } else {
        state.users.principals(&m.actor())?
    };
    users.sort_by_key(|u| u.name.to_lowercase());
    Ok(users.into_iter().map(|u| (u.id.to_string(), format!("{} <{}>", u.name, u.email))).collect())
}

fn page(state: &AppState, m: &Member, f: FormState) -> PageResult {
    let v = &m.viewer;
    let rooms = state.groups.bookable(&m.actor(), state.rooms.list(false).map_err(fail(v))?);
    let defs = state.reservations.booking_fields(&m.actor()).map_err(fail(v))?;
    let fields = booking_fields::rows(v, &defs, &f.form.extra);
    let people = if f.form.editing.is_empty() { people(state, m).map_err(fail(v))? } else { vec![] };
    let panel = super::book_day::panel(state, m, &f.form.room, &f.form.date).map_err(fail(v))?;
    let page = BookPage {
        ctx: Ctx::new(v, "book"),
        heading: v.tr.t(f.heading).to_string(),
        action: f.action,
        rooms,
        form: f.form,
        errors: f.errors,
        conflicts: f.conflicts,
        zone: v.tz.name().to_string(),
        weekdays: repeat::weekdays(v),
        fields,
        people,
        panel,
    };
    Ok(render(f.status, &page, v.flash.is_some()))
}

/// `/book?room=&date=&start=&end=`: the form, prefilled from the timeline or a "repeat" link.
pub async fn new_page(State(state): State<AppState>, m: Member, Query(mut f): Query<BookForm>) -> PageResult {
    let now = format::local(m.viewer.tz, crate::clock::now());
    if f.date.is_empty() {
        f.date = now.format("%Y-%m-%d").to_string();
    }
    if f.end_date.is_empty() {
        f.end_date = f.date.clone();
    }
    if f.start.is_empty() {
        // The next half hour, for an hour.
        let next = now + Duration::minutes(30 - i64::from(now.minute() % 30));
        f.start = next.format("%H:%M").to_string();
        f.end = (next + Duration::hours(1)).format("%H:%M").to_string();
    }
    f.rep = f.rep.with_defaults();
    page(&state, &m, FormState::new("book_heading", "/book".into(), f))
}

pub async fn create(State(state): State<AppState>, m: Member, Form(f): Form<BookForm>) -> PageResult {
    let v = &m.viewer;
    let range = match parse_times(v, &f) {
        Ok(r) => r,
        Err(e) => {
            return page(
                &state,
                &m,
                FormState::new("book_heading", "/book".into(), f).refused(e, vec![], StatusCode::UNPROCESSABLE_ENTITY),
            );
        }
    };
    let Ok(room_id) = f.room.parse::<RoomId>() else {
        let e = FormErrors::one("room", v.tr.t("verr_no_room"));
        return page(
            &state,
            &m,
            FormState::new("book_heading", "/book".into(), f).refused(e, vec![], StatusCode::UNPROCESSABLE_ENTITY),
        );
    };
    let user_id = match f.for_user.trim() {
        "" => None,
        id => match id.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                let e = FormErrors::one("for_user", v.tr.t("verr_no_user"));
                let f = FormState::new("book_heading", "/book".into(), f);
                return page(&state, &m, f.refused(e, vec![], StatusCode::UNPROCESSABLE_ENTITY));
            }
        },
    };
    let input = NewReservation {
        room_id,
        title: f.title.clone(),
        description: Some(f.description.clone()),
        start: range.start,
        end: range.end,
        attendees: attendees(&f),
        user_id,
        fields: Some(booking_fields::posted(&f.extra)),
    };
    match repeat::form_rrule(&state, v, &f, room_id, range.start) {
        Ok(Some(rule)) => return create_series(&state, &m, f, input, &rule).await,
        Ok(None) => {}
        Err((field, message)) => {
            let e = FormErrors::one(field, &message);
            return page(
                &state,
                &m,
                FormState::new("book_heading", "/book".into(), f).refused(e, vec![], StatusCode::UNPROCESSABLE_ENTITY),
            );
        }
    }
    match state.reservations.create(&m.actor(), input).await {
        Ok(r) => {
            let room = state.rooms.room(r.room_id).map(|r| r.name).unwrap_or_default();
            let msg = v.tr.f("booked", &[("room", &room), ("when", &format::range(&v.tr, v.tz, r.start, r.end))]);
            Ok(redirect_with(&format!("/?date={}#r-{}", f.date, r.id), &msg))
        }
        Err(e) => form_error(&state, &m, FormState::new("book_heading", "/book".into(), f), e),
    }
}

/// Books the series `rule` through the same domain call as the API; the page lists what was
/// booked and what was skipped, or the form comes back with the taken dates.
async fn create_series(state: &AppState, m: &Member, f: BookForm, input: NewReservation, rule: &str) -> PageResult {
    let v = &m.viewer;
    let room = input.room_id;
    match state.reservations.create_series(&m.actor(), input, SeriesRequest::rule(rule), f.rep.on_conflict()).await {
        Ok(booked) => Ok(repeat::booked_page(state, v, rule, &booked)),
        Err(ReservationError::SeriesConflict(clashes)) => {
            let lines = repeat::clash_lines(state, v, Some(room), &clashes);
            let e = FormErrors::one("repeat", v.tr.t("repeat_refused"));
            page(state, m, FormState::new("book_heading", "/book".into(), f).refused(e, lines, StatusCode::CONFLICT))
        }
        Err(e) => form_error(state, m, FormState::new("book_heading", "/book".into(), f), e),
    }
}

/// A refused booking: the form again, with the reason next to the field or the conflicts listed.
fn form_error(state: &AppState, m: &Member, f: FormState, e: ReservationError) -> PageResult {
    let v = &m.viewer;
    let (errors, conflicts, status) = match e {
        ReservationError::Invalid(fe) => (FormErrors::from_domain(v, &fe), vec![], StatusCode::UNPROCESSABLE_ENTITY),
        ReservationError::Conflict(list) => (FormErrors::default(), conflict_lines(v, &list), StatusCode::CONFLICT),
        ReservationError::BufferClash { minutes, neighbours } => {
            let e = FormErrors::from_domain(v, &crate::reservations::policy::buffer_error(minutes));
            (e, conflict_lines(v, &neighbours), StatusCode::CONFLICT)
        }
        ReservationError::SeriesConflict(clashes) => {
            let room = f.form.room.parse().ok();
            (FormErrors::default(), repeat::clash_lines(state, v, room, &clashes), StatusCode::CONFLICT)
        }
        ReservationError::StaleVersion { .. } => {
            (FormErrors::one("form", v.tr.t("error_stale")), vec![], StatusCode::PRECONDITION_FAILED)
        }
        // Booking for someone else is for managers and admins: the domain refuses anyone else.
        ReservationError::Denied(_) if !f.form.for_user.is_empty() => {
            (FormErrors::one("for_user", v.tr.t("book_for_refused")), vec![], StatusCode::FORBIDDEN)
        }
        ReservationError::NotBookable(room) => {
            (FormErrors::one("room", &v.tr.f("room_not_bookable", &[("room", &room)])), vec![], StatusCode::FORBIDDEN)
        }
        e => return Err(super::error_page(v, e.into())),
    };
    page(state, m, f.refused(errors, conflicts, status))
}

/// `/book/check`: what the form would get, as the user types (an htmx fragment).
pub async fn check(State(state): State<AppState>, m: Member, Query(f): Query<BookForm>) -> Response {
    let v = &m.viewer;
    let (state_name, message, conflicts) = match (parse_times(v, &f), f.room.parse::<RoomId>()) {
        (Err(e), _) => ("invalid", e.0.into_values().next().unwrap_or_default(), vec![]),
        (_, Err(_)) => ("idle", v.tr.t("check_pick_room").to_string(), vec![]),
        (_, Ok(room)) if !state.groups.may_see(&m.actor(), room) => {
            ("invalid", v.tr.t("verr_no_room").to_string(), vec![])
        }
        (Ok(range), Ok(room)) => check_slot(&state, &m, room, range, f.editing.parse().ok()),
    };
    render(StatusCode::OK, &CheckFragment { state: state_name, message, conflicts }, false)
}

fn check_slot(
    state: &AppState,
    m: &Member,
    room: RoomId,
    range: TimeRange,
    editing: Option<ReservationId>,
) -> (&'static str, String, Vec<String>) {
    let v = &m.viewer;
    let old = editing.and_then(|id| state.reservations.get(&m.actor(), id).ok());
    if let Some(first) = state.reservations.time_problems(range, old.as_ref()).0.first() {
        return ("invalid", field_message(v, first), vec![]);
    }
    match state.reservations.room_availability(room, range) {
        Ok(a) => {
            let others: Vec<Reservation> = a
                .busy
                .iter()
                .filter(|(id, _)| Some(*id) != editing)
                .filter_map(|(id, _)| state.reservations.get(&m.actor(), *id).ok())
                .collect();
            let broken = state.reservations.policy_problems(&m.actor(), &a.room, range).unwrap_or_default();
            if let Some(first) = broken.0.first().filter(|_| others.is_empty()) {
                ("invalid", field_message(v, first), vec![])
            } else if others.is_empty() {
                ("free", v.tr.f("check_free", &[("room", &a.room.name)]), vec![])
            } else {
                ("conflict", v.tr.t("check_conflict").to_string(), conflict_lines(v, &others))
            }
        }
        Err(_) => ("invalid", v.tr.t("verr_no_room").to_string(), vec![]),
    }
}

fn form_of(v: &Viewer, r: &Reservation) -> BookForm {
    let (s, e) = (format::local(v.tz, r.start), format::local(v.tz, r.end));
    // Ending at midnight is "00:00" on the same form line; any other later day is multi-day.
    let multi = e.date_naive() != s.date_naive()
        && !(e.date_naive() == s.date_naive().succ_opt().unwrap_or_default() && e.hour() == 0 && e.minute() == 0);
    BookForm {
        multi_day: if multi { "1".into() } else { String::new() },
        end_date: e.format("%Y-%m-%d").to_string(),
        for_user: String::new(),
        room: r.room_id.to_string(),
        title: r.title.clone(),
        date: s.format("%Y-%m-%d").to_string(),
        start: s.format("%H:%M").to_string(),
        end: format::time(v.tz, r.end),
        description: r.description.clone(),
        attendees: r.attendees.join(", "),
        version: r.version.to_string(),
        editing: r.id.to_string(),
        rep: RepeatFields { series: r.series_id.map(|s| s.to_string()).unwrap_or_default(), ..RepeatFields::default() }
            .with_defaults(),
        extra: booking_fields::typed(&r.fields),
    }
}

pub async fn edit_page(State(state): State<AppState>, m: Member, Path(id): Path<ReservationId>) -> PageResult {
    let v = &m.viewer;
    let r = state.reservations.get(&m.actor(), id).map_err(fail(v))?;
    page(&state, &m, FormState::new("edit_heading", format!("/reservations/{id}/edit"), form_of(v, &r)))
}

pub async fn update(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<ReservationId>,
    Form(f): Form<BookForm>,
) -> PageResult {
    let v = &m.viewer;
    let action = format!("/reservations/{id}/edit");
    let range = match parse_times(v, &f) {
        Ok(r) => r,
        Err(e) => {
            return page(
                &state,
                &m,
                FormState::new("edit_heading", action, f).refused(e, vec![], StatusCode::UNPROCESSABLE_ENTITY),
            );
        }
    };
    let patch = ReservationPatch {
        room_id: f.room.parse().ok(),
        title: Some(f.title.clone()),
        description: Some(f.description.clone()),
        start: Some(range.start),
        end: Some(range.end),
        attendees: Some(attendees(&f)),
        fields: Some(booking_fields::posted(&f.extra)),
    };
    match state.reservations.update_scoped(&m.actor(), id, patch, f.version.parse().ok(), f.rep.scope()).await {
        Ok(r) => {
            let msg = v.tr.f("updated", &[("title", &r.title), ("when", &format::range(&v.tr, v.tz, r.start, r.end))]);
            Ok(redirect_with(&format!("/reservations/{id}"), &msg))
        }
        Err(e) => form_error(&state, &m, FormState::new("edit_heading", action, f), e),
    }
}

/// When a reservation starts, in the viewer's zone: for links such as "repeat next week".
pub fn local_parts(v: &Viewer, start: DateTime<Utc>, end: DateTime<Utc>) -> (String, String, String) {
    let s = format::local(v.tz, start);
    (s.format("%Y-%m-%d").to_string(), s.format("%H:%M").to_string(), format::time(v.tz, end))
}
