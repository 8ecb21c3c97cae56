//! Who is looking at a page: the session cookie, the language and time zone to render in, and
//! the CSRF check every state-changing form goes through.

use crate::i18n::{Lang, Tr};
use crate::users::SignedIn;
use crate::web::AppState;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header, request::Parts};
use axum::response::{IntoResponse, Redirect, Response};
use chrono_tz::Tz;

pub const SESSION_COOKIE: &str = "salas_session";
pub const LANG_COOKIE: &str = "salas_lang";
/// The CSRF token of the sign-in form, before any session exists (double-submit cookie).
pub const LOGIN_CSRF_COOKIE: &str = "salas_login_csrf";
pub const FLASH_COOKIE: &str = "salas_flash";

/// Anyone, signed in or not.
#[derive(Clone)]
pub struct Viewer {
    pub signed_in: Option<SignedIn>,
    pub tr: Tr,
    pub tz: Tz,
    pub flash: Option<String>,
    pub path: String,
    /// Unread in-app notifications: the number on the bell.
    pub unread: usize,
}

/// A signed-in user; pages that need one send everyone else to the sign-in page.
#[derive(Clone)]
pub struct Member {
    pub viewer: Viewer,
    pub me: SignedIn,
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let signed_in =
            cookie(&parts.headers, SESSION_COOKIE).and_then(|secret| state.users.session(&secret).ok().flatten());
        let lang = signed_in
            .as_ref()
            .and_then(|s| Lang::from_code(&s.user.language))
            .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(|c| Lang::from_code(&c)))
            .or_else(|| {
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or(Lang::En);
        let tz = signed_in
            .as_ref()
            .map(|s| s.user.timezone.as_str())
            .filter(|z| !z.is_empty())
            .unwrap_or(&state.ui.default_timezone)
            .parse()
            .unwrap_or(Tz::UTC);
        let flash = cookie(&parts.headers, FLASH_COOKIE).map(|f| decode_flash(&f));
        let path = parts.uri.path_and_query().map(|p| p.to_string()).unwrap_or_else(|| "/".into());
        // A failure to count only hides the number; the page itself still works.
        let unread = signed_in
            .as_ref()
            .and_then(|s| {
                let actor = crate::access::Actor::user(s.user.id, s.user.role);
                state.notifier.unread_badge(&actor).ok()
            })
            .unwrap_or(0);
        Ok(Viewer { signed_in, tr: Tr::new(lang), tz, flash, path, unread })
    }
}

impl FromRequestParts<AppState> for Member {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Ok(viewer) = Viewer::from_request_parts(parts, state).await;
        match viewer.signed_in.clone() {
            Some(me) => Ok(Member { viewer, me }),
            None => {
                let next = form_urlencoded::byte_serialize(viewer.path.as_bytes()).collect::<String>();
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
        }
    }
}

impl Member {
    pub fn actor(&self) -> crate::access::Actor {
        crate::access::Actor::user(self.me.user.id, self.me.user.role)
    }
}

pub use crate::secrets::constant_time_eq;

/// A cookie the browser keeps for this site only, out of reach of scripts.
pub fn set_cookie(name: &str, value: &str, max_age_secs: Option<i64>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_secs {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

pub fn encode_flash(message: &str) -> String {
    form_urlencoded::byte_serialize(message.as_bytes()).collect()
}

fn decode_flash(raw: &str) -> String {
    form_urlencoded::parse(format!("m={raw}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_round_trip_and_cookies() {
        let m = "Reservado: Sala Norte, 10:00–11:00 & más";
        assert_eq!(decode_flash(&encode_flash(m)), m);
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; salas_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }
}
