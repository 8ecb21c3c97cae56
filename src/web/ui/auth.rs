//! Sign in and sign out.

use super::session::{LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE, Viewer, constant_time_eq, cookie, set_cookie};
use super::{Ctx, csrf_failure, redirect_with, render};
use crate::i18n::Lang;
use crate::users::UserError;
use crate::web::AppState;
use crate::web::extract::ClientAddr;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: Ctx,
    next: String,
    email: String,
    error: Option<String>,
    login_csrf: String,
    /// Passwords are accepted (locally or by the LDAP directory); otherwise only the button.
    password_form: bool,
    /// With a directory, people may type a user name rather than an e-mail address.
    login_is_email: bool,
    /// "Sign in with …", when an OpenID Connect provider is configured, and where it starts.
    oidc_button: Option<String>,
    oidc_href: String,
    /// "Forgot your password?": passwords kept here are on.
    forgot_link: bool,
    /// "Create an account": `[auth] self_signup_domains` is not empty.
    signup_link: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
    /// `?lang=es`: the language switch of the sign-in page, remembered in a cookie.
    lang: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    remember: Option<String>,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

/// Only paths on this site: never send a user to another host after signing in.
pub(super) fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") { next } else { "/" }
}

pub(super) fn new_login_csrf() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub(super) fn login_response(
    state: &AppState,
    v: &Viewer,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<String>,
) -> Response {
    let secure = state.ui.secure_cookies;
    let login_csrf = new_login_csrf();
    let page = LoginPage {
        ctx: Ctx::new(v, "login"),
        next: next.to_string(),
        email: email.to_string(),
        error,
        login_csrf,
        password_form: state.users.accepts_passwords(),
        login_is_email: !state.users.has_directory(),
        oidc_button: state.oidc.as_ref().map(|o| v.tr.f("sign_in_with", &[("provider", o.button_label())])),
        forgot_link: state.users.resets_passwords(),
        signup_link: !state.users.signup_domains().is_empty(),
        oidc_href: format!("/login/oidc?next={}", form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()),
    };
    let mut res = render(status, &page, v.flash.is_some());
    if let Ok(c) = HeaderValue::from_str(&set_cookie(LOGIN_CSRF_COOKIE, &page.login_csrf, Some(3600), secure)) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

pub async fn login_page(State(state): State<AppState>, v: Viewer, Query(q): Query<NextQuery>) -> Response {
    if v.signed_in.is_some() {
        return Redirect::to(safe_next(&q.next)).into_response();
    }
    if let Some(lang) = q.lang.as_deref().and_then(Lang::from_code) {
        let next = form_urlencoded::byte_serialize(safe_next(&q.next).as_bytes()).collect::<String>();
        let mut res = Redirect::to(&format!("/login?next={next}")).into_response();
        let one_year = Some(365 * 24 * 3600);
        if let Ok(c) = HeaderValue::from_str(&set_cookie(LANG_COOKIE, lang.code(), one_year, state.ui.secure_cookies)) {
            res.headers_mut().append(header::SET_COOKIE, c);
        }
        return res;
    }
    login_response(&state, &v, StatusCode::OK, safe_next(&q.next), "", None)
}

pub async fn login(
    State(state): State<AppState>,
    v: Viewer,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), f.csrf.as_bytes()) {
        return csrf_failure(&v);
    }
    let next = safe_next(&f.next);
    if !state.users.accepts_passwords() {
        let msg = v.tr.t("error_local_passwords_off").to_string();
        return login_response(&state, &v, StatusCode::FORBIDDEN, next, "", Some(msg));
    }
    match state.users.start_session(&f.email, &f.password, &client, f.remember.is_some()).await {
        Ok((secret, signed_in)) => session_started(&state, &v, next, &secret, &signed_in),
        Err(UserError::LockedOut { retry_after_secs }) => {
            let minutes = retry_after_secs.div_ceil(60).to_string();
            let msg = v.tr.f("error_locked_out", &[("minutes", &minutes)]);
            let mut res = login_response(&state, &v, StatusCode::TOO_MANY_REQUESTS, next, &f.email, Some(msg));
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            res
        }
        Err(UserError::BadCredentials) => {
            let msg = v.tr.t("error_bad_credentials").to_string();
            login_response(&state, &v, StatusCode::UNAUTHORIZED, next, &f.email, Some(msg))
        }
        Err(UserError::DirectoryUnavailable(_)) => {
            let msg = v.tr.t("error_directory_unavailable").to_string();
            login_response(&state, &v, StatusCode::SERVICE_UNAVAILABLE, next, &f.email, Some(msg))
        }
        Err(UserError::Unauthenticated(_)) => {
            let msg = v.tr.t("error_account_unusable").to_string();
            login_response(&state, &v, StatusCode::FORBIDDEN, next, &f.email, Some(msg))
        }
        Err(e) => super::error_page(&v, e.into()),
    }
}

/// Sends the newly signed-in user on with the session cookie (password and provider sign-ins).
pub(super) fn session_started(
    state: &AppState,
    v: &Viewer,
    next: &str,
    secret: &str,
    signed_in: &crate::users::SignedIn,
) -> Response {
    let session = &signed_in.session;
    let max_age = session.persistent.then(|| (session.expires_at - session.created_at).num_seconds());
    let mut res = redirect_with(next, &v.tr.f("signed_in_as", &[("name", &signed_in.user.name)]));
    if let Ok(c) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, secret, max_age, state.ui.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// Signing out (behind the CSRF guard, which sends a signed-out browser to the sign-in page).
pub async fn logout(State(state): State<AppState>, v: Viewer, headers: HeaderMap) -> Response {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        let _ = state.users.end_session(&secret).await;
    }
    let mut res = redirect_with("/login", v.tr.t("signed_out"));
    if let Ok(c) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", Some(0), state.ui.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/my"), "/my");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
    }
}
