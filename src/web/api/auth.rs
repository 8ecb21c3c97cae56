use crate::web::AppState;
use crate::web::extract::{ApiJson, ClientAddr};
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    email: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    access_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds until the token expires.
    expires_in: i64,
}

/// Exchange an e-mail address (or, with `[ldap]`, a directory login) and password for an access
/// token.
#[utoipa::path(post, path = "/auth/token", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "Wrong e-mail address or password", body = Problem),
        (status = 403, description = "Password sign-in is turned off (`local-passwords-disabled`)", body = Problem),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = Problem),
        (status = 503, description = "The LDAP directory cannot be reached (`directory-unavailable`)", body = Problem),
    ))]
pub async fn token(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<Json<TokenResponse>, Problem> {
    let issued = state.users.sign_in(&body.email, &body.password, &client).await?;
    Ok(Json(TokenResponse { access_token: issued.token, token_type: "Bearer", expires_in: issued.expires_in }))
}
