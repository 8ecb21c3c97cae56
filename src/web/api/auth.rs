use crate::web::AppState;
use crate::web::extract::{ApiJson, ClientAddr};
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    email: String,
}

/// Ask for a password-reset link. Always 202, whether or not the address has an account (and
/// whether or not too many links were asked for): nobody learns who has an account here. A
/// known account that signs in with a password kept by Salas gets an e-mail with a single-use
/// link to `/password/reset/{token}`, valid for 60 minutes; setting the new password there ends
/// every session and access token of the account (API keys stay).
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted; an e-mail follows if the address is known"),
        (status = 422, description = "The body is not `{\"email\": \"…\"}`", body = Problem),
    ))]
pub async fn password_reset(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> StatusCode {
    let email = body.email.trim().to_string();
    if !email.is_empty() {
        crate::web::links::forgot_in_background(state, headers, email, client, "");
    }
    StatusCode::ACCEPTED
}
