//! `/users/me/delegates`: the people who may book for the signed-in user (users/delegates.rs).

use crate::access::Actor;
use crate::model::user::User;
use crate::types::UserId;
use crate::web::AppState;
use crate::web::extract::ApiJson;
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Delegate {
    #[schema(value_type = String, format = Uuid)]
    id: UserId,
    name: String,
    email: String,
}

#[derive(Serialize, ToSchema)]
pub struct Delegates {
    /// By name.
    delegates: Vec<Delegate>,
}

#[derive(Deserialize, ToSchema)]
pub struct SetDelegates {
    /// E-mail addresses of active users (at most 20); they replace the ones named before, and an
    /// empty list names nobody.
    delegates: Vec<String>,
}

fn listed(users: Vec<User>) -> Json<Delegates> {
    Json(Delegates {
        delegates: users.into_iter().map(|u| Delegate { id: u.id, name: u.name, email: u.email }).collect(),
    })
}

/// The people who may book for you, and change or cancel your bookings.
#[utoipa::path(get, path = "/users/me/delegates", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Delegates)))]
pub async fn get(State(state): State<AppState>, actor: Actor) -> Result<Json<Delegates>, Problem> {
    Ok(listed(state.users.delegates(&actor)?))
}

/// Name the people who may book for you (replacing the list).
#[utoipa::path(put, path = "/users/me/delegates", tag = "users", security(("bearer" = [])),
    request_body = SetDelegates,
    responses((status = 200, body = Delegates), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<SetDelegates>,
) -> Result<Json<Delegates>, Problem> {
    Ok(listed(state.users.set_delegates(&actor, &body.delegates).await?))
}
