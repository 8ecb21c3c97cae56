use super::created;
use super::feeds::MeWithFeed;
use crate::access::{Actor, Role, Scope};
use crate::model::user::{ApiKey, User};
use crate::reservations::feed::FeedOwner;
use crate::types::{ApiKeyId, UserId};
use crate::users::{NewUser, UserPatch};
use crate::web::AppState;
use crate::web::extract::ApiJson;
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct UserDto {
    #[schema(value_type = String, format = Uuid)]
    id: UserId,
    email: String,
    name: String,
    #[schema(value_type = String, example = "member")]
    role: Role,
    active: bool,
    /// `en` or `es`; empty when the user never chose one, and pages follow the browser's
    /// `Accept-Language` (e-mails are in English).
    language: String,
    /// IANA zone for showing times; empty means the office default.
    timezone: String,
    /// For text messages, E.164 (`+34600123456`); empty: none.
    phone: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        UserDto {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            active: u.active,
            language: u.language,
            timezone: u.timezone,
            phone: u.phone,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedUserDto {
    #[serde(flatten)]
    user: UserDto,
    /// Only when the server generated the password: shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    email: String,
    name: String,
    /// `admin`, `manager`, `member` (the default) or `viewer`.
    #[schema(value_type = Option<String>)]
    role: Option<Role>,
    /// At least 10 characters; leave out to have one generated.
    password: Option<String>,
    /// `en` or `es`; leave out (or "") to let the user's browser decide.
    language: Option<String>,
    /// Leave `password` out and e-mail the new user a single-use link to set one (valid for
    /// 7 days) instead of generating a password.
    #[serde(default)]
    invite: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    email: Option<String>,
    name: Option<String>,
    #[schema(value_type = Option<String>)]
    role: Option<Role>,
    active: Option<bool>,
    /// `en`, `es`, or "" for the browser's language.
    language: Option<String>,
    /// IANA zone, or "" for the office default.
    timezone: Option<String>,
    /// E.164 with its country code (`+34 600 123 456` is stored as `+34600123456`); "" for none.
    phone: Option<String>,
    password: Option<String>,
    /// Needed when you change your own password or e-mail address.
    current_password: Option<String>,
}

/// All users (managers and admins).
#[utoipa::path(get, path = "/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Vec<UserDto>), (status = 403, body = Problem)))]
pub async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Vec<UserDto>>, Problem> {
    Ok(Json(state.users.list(Some(&actor))?.into_iter().map(Into::into).collect()))
}

/// Create a user (admins).
#[utoipa::path(post, path = "/users", tag = "users", security(("bearer" = [])), request_body = CreateUser,
    responses((status = 201, body = CreatedUserDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<Response, Problem> {
    let input = NewUser {
        email: body.email,
        name: body.name,
        role: body.role.unwrap_or(Role::Member),
        password: body.password,
        language: body.language,
    };
    if body.invite {
        let (user, mail) = state.users.invite(&actor, input).await?;
        crate::web::links::send(&state, &headers, &mail, crate::web::links::Asker::Admin).await;
        let location = format!("/api/v1/users/{}", user.id);
        return Ok(created(location, None, CreatedUserDto { user: user.into(), password: None }));
    }
    let c = state.users.create(Some(&actor), input).await?;
    let location = format!("/api/v1/users/{}", c.user.id);
    Ok(created(location, None, CreatedUserDto { user: c.user.into(), password: c.generated_password }))
}

/// E-mail a user a single-use link to set a new password (admins); valid for 60 minutes. Accounts
/// that sign in through single sign-on (or any, when `[auth] local_passwords` is off) get none:
/// 422.
#[utoipa::path(post, path = "/users/{id}/password-reset", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 202, description = "The link is on its way"), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn password_reset(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<UserId>,
) -> Result<StatusCode, Problem> {
    let mail = state.users.send_password_reset(&actor, id).await?;
    crate::web::links::send(&state, &headers, &mail, crate::web::links::Asker::Admin).await;
    Ok(StatusCode::ACCEPTED)
}

/// The signed-in user.
#[utoipa::path(get, path = "/users/me", tag = "users", security(("bearer" = [])), responses((status = 200, body = MeWithFeed)))]
pub async fn me(State(state): State<AppState>, actor: Actor, headers: HeaderMap) -> Result<Json<MeWithFeed>, Problem> {
    let user = state.users.get(&actor, actor.id)?.into();
    let owner = FeedOwner::User(actor.id);
    let ics_url = super::feeds::ics_url(&headers, owner, &state.reservations.feed_token(owner)?);
    Ok(Json(MeWithFeed { user, ics_url }))
}

/// One user (yourself, or anyone for managers and admins).
#[utoipa::path(get, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = UserDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<UserId>,
) -> Result<Json<UserDto>, Problem> {
    Ok(Json(state.users.get(&actor, id)?.into()))
}

/// Change a user. You may change your own name, language, e-mail and password; admins may also
/// change roles and deactivate accounts.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", security(("bearer" = [])), request_body = UpdateUser,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = UserDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<UserId>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<Json<UserDto>, Problem> {
    let patch = UserPatch {
        email: body.email,
        name: body.name,
        role: body.role,
        active: body.active,
        language: body.language,
        timezone: body.timezone,
        phone: body.phone,
        password: body.password,
        current_password: body.current_password,
    };
    Ok(Json(state.users.update(Some(&actor), id, patch).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyDto {
    #[schema(value_type = String, format = Uuid)]
    id: ApiKeyId,
    name: String,
    /// The key's first characters, to tell keys apart.
    prefix: String,
    created_at: DateTime<Utc>,
    /// What the key may be used for: `read`, `book` or `admin` (its owner's full rights).
    scope: Scope,
    /// The secret: only in the answer to its creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
}

impl ApiKeyDto {
    fn new(k: ApiKey, key: Option<String>) -> Self {
        ApiKeyDto { id: k.id, name: k.name, prefix: k.prefix, created_at: k.created_at, scope: k.scope, key }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    name: String,
    /// `read` (look only), `book` (also book and manage one's own reservations) or `admin`
    /// (everything the owner's role allows, the default). The key never exceeds its owner's role.
    #[serde(default)]
    scope: Scope,
}

/// Your API keys (without their secrets).
#[utoipa::path(get, path = "/api-keys", tag = "users", security(("bearer" = [])), responses((status = 200, body = Vec<ApiKeyDto>)))]
pub async fn list_keys(State(state): State<AppState>, actor: Actor) -> Result<Json<Vec<ApiKeyDto>>, Problem> {
    Ok(Json(state.users.api_keys(&actor)?.into_iter().map(|k| ApiKeyDto::new(k, None)).collect()))
}

/// Create an API key. Its secret (`key`) is in this answer only; store it now. Use it as
/// `Authorization: Bearer <key>`.
#[utoipa::path(post, path = "/api-keys", tag = "users", security(("bearer" = [])), request_body = CreateApiKey,
    responses((status = 201, body = ApiKeyDto), (status = 422, body = Problem)))]
pub async fn create_key(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<CreateApiKey>,
) -> Result<Response, Problem> {
    let (key, secret) = state.users.create_api_key(&actor, &body.name, body.scope).await?;
    Ok(created(format!("/api/v1/api-keys/{}", key.id), None, ApiKeyDto::new(key, Some(secret))))
}

/// Revoke an API key: it stops working at once.
#[utoipa::path(delete, path = "/api-keys/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<ApiKeyId>,
) -> Result<StatusCode, Problem> {
    state.users.revoke_api_key(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
