//! Self-service accounts: "forgot password", following a reset, invitation or sign-up link, and
//! self-registration for `[auth] self_signup_domains`. Nobody is signed in on these pages, so
//! their forms carry a token of their own, double-submitted in a cookie as the sign-in form's.

use super::auth::new_login_csrf;
use super::booking::FormErrors;
use super::session::{LOGIN_CSRF_COOKIE, Viewer, constant_time_eq, cookie, set_cookie};
use super::{Ctx, csrf_failure, render};
use crate::model::user::LinkPurpose;
use crate::users::UserError;
use crate::web::AppState;
use crate::web::extract::ClientAddr;
use crate::web::links;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    ctx: Ctx,
    form_csrf: String,
    /// After a request: the one answer, whatever the address.
    sent: bool,
}

#[derive(Template)]
#[template(path = "password_set.html")]
struct SetPage {
    ctx: Ctx,
    form_csrf: String,
    purpose: LinkPurpose,
    email: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "link_gone.html")]
struct GonePage {
    ctx: Ctx,
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    ctx: Ctx,
    form_csrf: String,
    name: String,
    email: String,
    errors: FormErrors,
    sent: bool,
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf: String,
}

/// A page with a fresh form token, set in the cookie it is checked against.
fn with_token(state: &AppState, status: StatusCode, page: &impl Template, token: &str, had_flash: bool) -> Response {
    let mut res = render(status, page, had_flash);
    if let Ok(c) = HeaderValue::from_str(&set_cookie(LOGIN_CSRF_COOKIE, token, Some(3600), state.ui.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

fn token_ok(headers: &HeaderMap, sent: &str) -> bool {
    let expected = cookie(headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    !expected.is_empty() && constant_time_eq(expected.as_bytes(), sent.as_bytes())
}

fn forgot_response(state: &AppState, v: &Viewer, sent: bool) -> Response {
    let page = ForgotPage { ctx: Ctx::new(v, "login"), form_csrf: new_login_csrf(), sent };
    with_token(state, StatusCode::OK, &page, &page.form_csrf, v.flash.is_some())
}

pub async fn forgot_page(State(state): State<AppState>, v: Viewer) -> Response {
    forgot_response(&state, &v, false)
}

pub async fn forgot(
    State(state): State<AppState>,
    v: Viewer,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<EmailForm>,
) -> Response {
    if !token_ok(&headers, &f.csrf) {
        return csrf_failure(&v);
    }
    let email = f.email.trim().to_string();
    if !email.is_empty() {
        links::forgot_in_background(state.clone(), headers, email, client, v.tr.code());
    }
    forgot_response(&state, &v, true)
}

fn set_response(
    state: &AppState,
    v: &Viewer,
    status: StatusCode,
    opened: crate::users::links::Opened,
    errors: FormErrors,
) -> Response {
    let page = SetPage {
        ctx: Ctx::new(v, "login"),
        form_csrf: new_login_csrf(),
        purpose: opened.purpose,
        email: opened.email,
        errors,
    };
    with_token(state, status, &page, &page.form_csrf, v.flash.is_some())
}

/// A link that does not work (any more): 410 when it was known, 404 when not, the same page.
fn gone(v: &Viewer, e: UserError) -> Response {
    let status = match e {
        UserError::LinkGone => StatusCode::GONE,
        UserError::LinkUnknown => StatusCode::NOT_FOUND,
        other => return super::error_page(v, other.into()),
    };
    render(status, &GonePage { ctx: Ctx::new(v, "login") }, v.flash.is_some())
}

pub async fn follow_page(State(state): State<AppState>, v: Viewer, Path(token): Path<String>) -> Response {
    match state.users.open_link(&token) {
        Ok(opened) => set_response(&state, &v, StatusCode::OK, opened, FormErrors::default()),
        Err(e) => gone(&v, e),
    }
}

pub async fn follow(
    State(state): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<PasswordForm>,
) -> Response {
    if !token_ok(&headers, &f.csrf) {
        return csrf_failure(&v);
    }
    let opened = match state.users.open_link(&token) {
        Ok(o) => o,
        Err(e) => return gone(&v, e),
    };
    if f.password != f.password_confirm {
        let errors = FormErrors::one("password_confirm", v.tr.t("error_passwords_differ"));
        return set_response(&state, &v, StatusCode::UNPROCESSABLE_ENTITY, opened, errors);
    }
    let user = match state.users.follow_link(&token, &f.password).await {
        Ok(user) => user,
        Err(UserError::Invalid(e)) => {
            let errors = FormErrors::from_domain(&v, &e);
            return set_response(&state, &v, StatusCode::UNPROCESSABLE_ENTITY, opened, errors);
        }
        Err(e) => return gone(&v, e),
    };
    // Signed in at once: they have just proved they read the address's mail and chose the password.
    match state.users.open_session(user, false, "link").await {
        Ok((secret, signed_in)) => {
            let flash = v.tr.f("password_set_welcome", &[("name", &signed_in.user.name)]);
            let mut res = super::redirect_with("/", &flash);
            let session = set_cookie(super::session::SESSION_COOKIE, &secret, None, state.ui.secure_cookies);
            if let Ok(c) = HeaderValue::from_str(&session) {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            res
        }
        Err(e) => super::error_page(&v, e.into()),
    }
}

fn signup_response(
    state: &AppState,
    v: &Viewer,
    status: StatusCode,
    f: &SignupForm,
    errors: FormErrors,
    sent: bool,
) -> Response {
    let page = SignupPage {
        ctx: Ctx::new(v, "login"),
        form_csrf: new_login_csrf(),
        name: f.name.clone(),
        email: f.email.clone(),
        errors,
        sent,
    };
    with_token(state, status, &page, &page.form_csrf, v.flash.is_some())
}

pub async fn signup_page(State(state): State<AppState>, v: Viewer) -> Response {
    if state.users.signup_domains().is_empty() {
        return super::error_page(&v, crate::web::problem::Problem::not_found("page"));
    }
    let empty = SignupForm { name: String::new(), email: String::new(), csrf: String::new() };
    signup_response(&state, &v, StatusCode::OK, &empty, FormErrors::default(), false)
}

pub async fn signup(
    State(state): State<AppState>,
    v: Viewer,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<SignupForm>,
) -> Response {
    if !token_ok(&headers, &f.csrf) {
        return csrf_failure(&v);
    }
    if state.users.signup_domains().is_empty() {
        return super::error_page(&v, crate::web::problem::Problem::not_found("page"));
    }
    if let Err(e) = state.users.check_signup(&f.email, &f.name) {
        let errors = FormErrors::from_domain(&v, &e);
        return signup_response(&state, &v, StatusCode::UNPROCESSABLE_ENTITY, &f, errors, false);
    }
    let (email, name) = (f.email.trim().to_string(), f.name.trim().to_string());
    links::signup_in_background(state.clone(), headers, email, name, client, v.tr.code());
    signup_response(&state, &v, StatusCode::OK, &f, FormErrors::default(), true)
}
