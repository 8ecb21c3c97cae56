//! Booking fields: the extra questions of every booking, defined by admins. Reservations carry
//! the answers in `fields`.

use super::created;
use crate::access::Actor;
use crate::model::field::{BookingField, FieldKind, Label};
use crate::reservations::fields::FieldInput;
use crate::types::BookingFieldId;
use crate::web::AppState;
use crate::web::extract::ApiJson;
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelDto {
    en: String,
    /// Empty: Spanish pages show the English label.
    #[serde(default)]
    es: String,
}

#[derive(Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindDto {
    Text,
    Number,
    Select,
    Checkbox,
}

#[derive(Serialize, ToSchema)]
pub struct BookingFieldDto {
    #[schema(value_type = String, format = Uuid)]
    id: BookingFieldId,
    /// Answers are under `fields.KEY` in reservations, exports and event payloads.
    key: String,
    label: LabelDto,
    kind: KindDto,
    /// The choices of a `select`.
    options: Vec<String>,
    /// A required checkbox must be ticked.
    required: bool,
    /// Order in forms and exports.
    position: u32,
}

impl From<BookingField> for BookingFieldDto {
    fn from(f: BookingField) -> Self {
        BookingFieldDto {
            id: f.id,
            key: f.key,
            label: LabelDto { en: f.label.en, es: f.label.es },
            kind: match f.kind {
                FieldKind::Text => KindDto::Text,
                FieldKind::Number => KindDto::Number,
                FieldKind::Select => KindDto::Select,
                FieldKind::Checkbox => KindDto::Checkbox,
            },
            options: f.options,
            required: f.required,
            position: f.position,
        }
    }
}

/// A field to define (`key`, `label` and `kind` required) or the changes to one (its `key`
/// cannot change: answers are stored under it).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldBody {
    #[schema(example = "cost_centre")]
    key: Option<String>,
    label: Option<LabelDto>,
    kind: Option<KindDto>,
    options: Option<Vec<String>>,
    required: Option<bool>,
    position: Option<u32>,
}

impl From<FieldBody> for FieldInput {
    fn from(b: FieldBody) -> Self {
        FieldInput {
            key: b.key,
            label: b.label.map(|l| Label { en: l.en, es: l.es }),
            kind: b.kind.map(|k| match k {
                KindDto::Text => FieldKind::Text,
                KindDto::Number => FieldKind::Number,
                KindDto::Select => FieldKind::Select,
                KindDto::Checkbox => FieldKind::Checkbox,
            }),
            options: b.options,
            required: b.required,
            position: b.position,
        }
    }
}

/// The booking fields, in form order (everyone signed in: forms and clients need them).
#[utoipa::path(get, path = "/booking-fields", tag = "booking-fields", security(("bearer" = [])),
    responses((status = 200, body = Vec<BookingFieldDto>)))]
pub async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Vec<BookingFieldDto>>, Problem> {
    Ok(Json(state.reservations.booking_fields(&actor)?.into_iter().map(Into::into).collect()))
}

/// Define a booking field (admins).
#[utoipa::path(post, path = "/booking-fields", tag = "booking-fields", security(("bearer" = [])), request_body = FieldBody,
    responses((status = 201, body = BookingFieldDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<FieldBody>,
) -> Result<Response, Problem> {
    let f = state.reservations.define_field(&actor, b.into()).await?;
    Ok(created(format!("/api/v1/booking-fields/{}", f.id), None, BookingFieldDto::from(f)))
}

/// Change a booking field (admins); answers already given are kept as they are.
#[utoipa::path(patch, path = "/booking-fields/{id}", tag = "booking-fields", security(("bearer" = [])), request_body = FieldBody,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = BookingFieldDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<BookingFieldId>,
    ApiJson(b): ApiJson<FieldBody>,
) -> Result<Json<BookingFieldDto>, Problem> {
    Ok(Json(state.reservations.change_field(&actor, id, b.into()).await?.into()))
}

/// Delete a booking field (admins); answers already given stay in their reservations.
#[utoipa::path(delete, path = "/booking-fields/{id}", tag = "booking-fields", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<BookingFieldId>,
) -> Result<StatusCode, Problem> {
    state.reservations.delete_field(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
