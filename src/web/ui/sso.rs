//! Sign-in through an OpenID Connect provider: the button's target, which sends the browser to
//! the provider, and the callback the provider sends it back to.

use super::auth::{login_response, safe_next, session_started};
use super::session::{Viewer, cookie, set_cookie};
use crate::sso::oidc::OidcError;
use crate::users::UserError;
use crate::web::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The `state` of the sign-in this browser started; the callback must bring the same one back.
const STATE_COOKIE: &str = "salas_oidc_state";

#[derive(Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    next: String,
}

pub async fn start(
    State(state): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Query(q): Query<StartQuery>,
) -> Response {
    let Some(oidc) = state.oidc.clone() else { return super::not_found(v).await };
    let next = safe_next(&q.next);
    match oidc.start(&oidc.redirect_url(&origin(&headers)), next).await {
        Ok(started) => {
            let mut res = Redirect::to(&started.url).into_response();
            with_state_cookie(&mut res, &state, &started.cookie, crate::sso::oidc::PENDING_SECONDS);
            res
        }
        Err(e) => refused(&state, &v, next, e),
    }
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    /// The provider's refusal (`access_denied`…), instead of a code.
    error: Option<String>,
    error_description: Option<String>,
}

pub async fn callback(
    State(state): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    let Some(oidc) = state.oidc.clone() else { return super::not_found(v).await };
    let expected = cookie(&headers, STATE_COOKIE).unwrap_or_default();
    let returned = q.state.unwrap_or_default();
    let finished = if !oidc.is_ours(&expected, &returned) {
        Err(OidcError::UnknownState)
    } else if let Some(error) = q.error {
        Err(OidcError::Refused(format!("{error}: {}", q.error_description.unwrap_or_default())))
    } else {
        oidc.finish(&expected, &returned, q.code.as_deref().unwrap_or_default()).await
    };
    let mut res = match finished {
        Ok(finished) => sign_in(&state, &v, finished).await,
        Err(e) => {
            state.users.record_provider_failure("oidc", reason(&e), None).await;
            refused(&state, &v, "/", e)
        }
    };
    with_state_cookie(&mut res, &state, "", 0);
    res
}

async fn sign_in(state: &AppState, v: &Viewer, finished: crate::sso::oidc::Finished) -> Response {
    let next = safe_next(&finished.next).to_string();
    let opened = match state.users.provision(finished.identity).await {
        Ok(user) => state.users.open_session(user, false, "oidc").await,
        Err(e) => Err(e),
    };
    match opened {
        Ok((secret, signed_in)) => session_started(state, v, &next, &secret, &signed_in),
        Err(UserError::Unauthenticated(why)) => {
            tracing::info!(reason = why, "OpenID Connect sign-in of an account that may not sign in");
            let msg = v.tr.t("error_account_unusable").to_string();
            login_response(state, v, StatusCode::FORBIDDEN, &next, "", Some(msg))
        }
        Err(e) => super::error_page(v, e.into()),
    }
}

/// The audit log's name for why a provider sign-in did not complete.
fn reason(e: &OidcError) -> &'static str {
    match e {
        OidcError::Unavailable(_) => "provider_unavailable",
        OidcError::Refused(_) => "provider_refused",
        OidcError::UnknownState => "unknown_state",
        OidcError::NoVerifiedEmail => "no_verified_email",
    }
}

/// The sign-in page again, saying why the provider sign-in did not work.
fn refused(state: &AppState, v: &Viewer, next: &str, e: OidcError) -> Response {
    let (status, key) = match &e {
        OidcError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "error_oidc_unavailable"),
        OidcError::Refused(_) => (StatusCode::UNAUTHORIZED, "error_oidc_refused"),
        OidcError::UnknownState => (StatusCode::BAD_REQUEST, "error_oidc_expired"),
        OidcError::NoVerifiedEmail => (StatusCode::FORBIDDEN, "error_oidc_no_email"),
    };
    // The operator finds the cause in the log; the page says what the user can do.
    tracing::warn!(error = %e, "OpenID Connect sign-in failed");
    login_response(state, v, status, next, "", Some(v.tr.t(key).to_string()))
}

fn with_state_cookie(res: &mut Response, state: &AppState, value: &str, max_age: i64) {
    if let Ok(c) = HeaderValue::from_str(&set_cookie(STATE_COOKIE, value, Some(max_age), state.ui.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
}

/// This site as the browser reached it, for the default redirect URL (`X-Forwarded-Proto`
/// from a TLS-terminating proxy).
fn origin(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let https = headers.get("x-forwarded-proto").is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}
