//! The profile: name, language, time zone, delegates, password and API keys.

use super::booking::FormErrors;
use super::session::Member;
use super::{Ctx, PageResult, fail, redirect_with, render};
use crate::access::Scope;
use crate::model::user::ApiKey;
use crate::types::{ApiKeyId, UserId};
use crate::users::{UserError, UserPatch};
use crate::web::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    ctx: Ctx,
    name: String,
    email: String,
    role: String,
    language: String,
    timezone: String,
    phone: String,
    default_timezone: String,
    zones: Vec<&'static str>,
    /// Each key with its scope's label.
    keys: Vec<(ApiKey, String)>,
    new_key: Option<String>,
    /// The people who may book for this user: (id, "Name <email>").
    delegates: Vec<(String, String)>,
    /// Whether text messages are on (the phone's test button).
    sms_enabled: bool,
    errors: FormErrors,
}

fn page(state: &AppState, m: &Member, new_key: Option<String>, errors: FormErrors, status: StatusCode) -> PageResult {
    let v = &m.viewer;
    let u = &m.me.user;
    let page = ProfilePage {
        ctx: Ctx::new(v, "profile"),
        name: u.name.clone(),
        email: u.email.clone(),
        role: v.tr.t(&format!("role_{}", u.role)).to_string(),
        language: u.language.clone(),
        timezone: u.timezone.clone(),
        phone: u.phone.clone(),
        default_timezone: state.ui.default_timezone.clone(),
        zones: chrono_tz::TZ_VARIANTS
            .iter()
            .map(|z| z.name())
            .filter(|n| n.contains('/') && !n.starts_with("Etc/"))
            .collect(),
        keys: (state.users.api_keys(&m.actor()).map_err(fail(v))?.into_iter())
            .map(|k| {
                let label = v.tr.t(&format!("scope_{}", k.scope.as_str())).to_string();
                (k, label)
            })
            .collect(),
        new_key,
        delegates: (state.users.delegates(&m.actor()).map_err(fail(v))?.into_iter())
            .map(|u| (u.id.to_string(), format!("{} <{}>", u.name, u.email)))
            .collect(),
        sms_enabled: state.notifier.sms_enabled(),
        errors,
    };
    Ok(render(status, &page, v.flash.is_some()))
}

pub async fn page_get(State(state): State<AppState>, m: Member) -> PageResult {
    page(&state, &m, None, FormErrors::default(), StatusCode::OK)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProfileForm {
    name: String,
    language: String,
    timezone: String,
    phone: String,
}

pub async fn update(State(state): State<AppState>, m: Member, Form(f): Form<ProfileForm>) -> PageResult {
    let v = &m.viewer;
    let patch = UserPatch {
        name: Some(f.name),
        language: Some(f.language),
        timezone: Some(f.timezone),
        phone: Some(f.phone),
        ..Default::default()
    };
    match state.users.update(Some(&m.actor()), m.me.user.id, patch).await {
        // The new language applies from the next page on, so say it in that language.
        Ok(u) => Ok(redirect_with(
            "/profile",
            crate::i18n::Tr::new(crate::i18n::Lang::from_code(&u.language).unwrap_or(v.tr.lang)).t("profile_saved"),
        )),
        Err(UserError::Invalid(e)) => {
            page(&state, &m, None, FormErrors::from_domain(v, &e), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(super::error_page(v, e.into())),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DelegateForm {
    email: String,
}

/// Names one more delegate.
pub async fn add_delegate(State(state): State<AppState>, m: Member, Form(f): Form<DelegateForm>) -> PageResult {
    if f.email.trim().is_empty() {
        let e = crate::validation::FieldErrors::one("delegate_email", "required", "is required");
        let errors = FormErrors::from_domain(&m.viewer, &e);
        return page(&state, &m, None, errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let mut emails = delegate_emails(&state, &m)?;
    emails.push(f.email);
    set_delegates(&state, &m, &emails, "delegate_added").await
}

/// Takes a delegate's right to book for this user away.
pub async fn remove_delegate(State(state): State<AppState>, m: Member, Path(id): Path<UserId>) -> PageResult {
    let v = &m.viewer;
    let kept: Vec<String> = (state.users.delegates(&m.actor()).map_err(fail(v))?.into_iter())
        .filter(|u| u.id != id)
        .map(|u| u.email)
        .collect();
    set_delegates(&state, &m, &kept, "delegate_removed").await
}

fn delegate_emails(state: &AppState, m: &Member) -> Result<Vec<String>, axum::response::Response> {
    let named = state.users.delegates(&m.actor()).map_err(fail(&m.viewer))?;
    Ok(named.into_iter().map(|u| u.email).collect())
}

async fn set_delegates(state: &AppState, m: &Member, emails: &[String], done: &str) -> PageResult {
    let v = &m.viewer;
    match state.users.set_delegates(&m.actor(), emails).await {
        Ok(_) => Ok(redirect_with("/profile#delegates", v.tr.t(done))),
        Err(UserError::Invalid(e)) => {
            let mut errors = FormErrors::from_domain(v, &e);
            errors.rename("delegates", "delegate_email");
            page(state, m, None, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(super::error_page(v, e.into())),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    password: String,
}

/// Changing the password ends every session, this one too: the user signs in again with it.
pub async fn password(State(state): State<AppState>, m: Member, Form(f): Form<PasswordForm>) -> PageResult {
    let v = &m.viewer;
    let patch =
        UserPatch { password: Some(f.password), current_password: Some(f.current_password), ..Default::default() };
    match state.users.update(Some(&m.actor()), m.me.user.id, patch).await {
        Ok(_) => Ok(redirect_with("/login?next=/profile", v.tr.t("password_changed"))),
        Err(UserError::Invalid(e)) => {
            page(&state, &m, None, FormErrors::from_domain(v, &e), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(super::error_page(v, e.into())),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct KeyForm {
    name: String,
    scope: String,
}

/// Creates an API key and shows its secret on this page, once.
pub async fn create_key(State(state): State<AppState>, m: Member, Form(f): Form<KeyForm>) -> PageResult {
    let v = &m.viewer;
    // A form without the field (an older page) gets the documented default.
    let scope = if f.scope.is_empty() { Some(Scope::default()) } else { Scope::parse(&f.scope) };
    let Some(scope) = scope else {
        let e = crate::validation::FieldErrors::one("scope", "bad_scope", "must be read, book or admin");
        let mut errors = FormErrors::from_domain(v, &e);
        errors.rename("scope", "key_scope");
        return page(&state, &m, None, errors, StatusCode::UNPROCESSABLE_ENTITY);
    };
    match state.users.create_api_key(&m.actor(), &f.name, scope).await {
        Ok((_, secret)) => page(&state, &m, Some(secret), FormErrors::default(), StatusCode::OK),
        Err(UserError::Invalid(e)) => {
            let mut errors = FormErrors::from_domain(v, &e);
            errors.rename("name", "key_name");
            page(&state, &m, None, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(super::error_page(v, e.into())),
    }
}

pub async fn revoke_key(State(state): State<AppState>, m: Member, Path(id): Path<ApiKeyId>) -> PageResult {
    let v = &m.viewer;
    state.users.revoke_api_key(&m.actor(), id).await.map_err(fail(v))?;
    Ok(redirect_with("/profile", v.tr.t("key_revoked")))
}

/// Sends a test text message to the user's own phone and says how it went.
pub async fn sms_test(State(state): State<AppState>, m: Member) -> PageResult {
    let v = &m.viewer;
    match state.notifier.send_own_sms_test(&m.actor()).await {
        Ok(Ok(_)) => Ok(redirect_with("/profile", &v.tr.f("test_sms_sent_own", &[("phone", &m.me.user.phone)]))),
        Ok(Err(why)) => Ok(redirect_with("/profile", &format!("{} {why}", v.tr.t("test_sms_failed")))),
        Err(crate::notify::NotifyError::Invalid(e)) => {
            page(&state, &m, None, FormErrors::from_domain(v, &e), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(super::error_page(v, e.into())),
    }
}
