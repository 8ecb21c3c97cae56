//! The UI's one CSRF guard, a layer over every page route: a POST carries the session's token
//! (the `csrf` field every form writes) or is refused before any handler runs, so a new form
//! cannot forget the check. A POST without a session goes to the sign-in page, as every page for
//! members does. The routes that cannot carry a session token say what protects them instead
//! ([`EXEMPT`]); tests/it/csrf.rs posts to every route of the router without a token.

use super::csrf_failure;
use super::session::{SESSION_COOKIE, Viewer, constant_time_eq, cookie};
use crate::web::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// POST routes without a session token (a path, or every path under one ending in `/`), and
/// what protects them instead.
const EXEMPT: &[(&str, &str)] = &[
    // No session exists yet: the sign-in form carries a token of its own, which must match a
    // cookie set with the form (a forged sign-in cannot read it); the handler checks it.
    ("/login", "its own token, double-submitted in a cookie"),
    // The same for the other forms of people not signed in: asking for a reset link, setting a
    // password through one, and signing up (src/web/ui/accounts.rs checks the token).
    ("/password/forgot", "its own token, double-submitted in a cookie"),
    ("/password/reset/", "its own token, double-submitted in a cookie"),
    ("/signup", "its own token, double-submitted in a cookie"),
    // Door displays have no session: the secret device token in the address is what a forged
    // request cannot know.
    ("/display/", "the device token in the path"),
];

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let exempt = |p: &str| path == p || (p.ends_with('/') && path.starts_with(p));
    if req.method() != Method::POST || EXEMPT.iter().any(|(p, _)| exempt(p)) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    // Only the session's token is needed here; the handler's extractor builds the page context.
    let session = cookie(&parts.headers, SESSION_COOKIE).and_then(|secret| state.users.session(&secret).ok().flatten());
    let Some(me) = session else {
        let asked = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let next = form_urlencoded::byte_serialize(asked.as_bytes()).collect::<String>();
        return Redirect::to(&format!("/login?next={next}")).into_response();
    };
    // The body limit of the gateway has capped it already.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let token = form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf").map(|(_, v)| v);
    if !token.is_some_and(|t| constant_time_eq(t.as_bytes(), me.session.csrf_token.as_bytes())) {
        // Refused: the page, in the viewer's language, is the only thing built for it.
        let Ok(viewer) = Viewer::from_request_parts(&mut parts, &state).await;
        return csrf_failure(&viewer);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
