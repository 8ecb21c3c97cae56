//! Account links leaving the web layer: the address a link is made of, and the e-mail queued with
//! it. Shared by the pages and the API.

use super::AppState;
use crate::notify::account_mail::Link;
use crate::users::links::LinkMail;
use axum::http::{HeaderMap, header};

/// The path a link's secret is followed at (resets, invitations and sign-ups alike).
pub const FOLLOW: &str = "/password/reset/";

/// Who asked for a link: the address a request came to is theirs to choose (its Host header).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    /// A signed-in administrator (a reset or an invitation they send).
    Admin,
    /// Anyone (forgot password, sign-up): the link never takes the request's Host, or a forged
    /// one would mail a stranger's secret to the forger's site.
    Anyone,
}

/// `[auth] public_url`, or else, for an administrator's request, the address it came to.
fn base(state: &AppState, headers: &HeaderMap, asker: Asker) -> Option<String> {
    if !state.ui.public_url.is_empty() {
        return Some(state.ui.public_url.trim_end_matches('/').to_string());
    }
    if asker == Asker::Anyone {
        return None;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let https = headers.get("x-forwarded-proto").is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
    Some(format!("{}://{host}", if https { "https" } else { "http" }))
}

/// Queues the e-mail with the link. A failure is logged (never with the link) and not shown: the
/// person asking is told the same either way.
pub async fn send(state: &AppState, headers: &HeaderMap, mail: &LinkMail, asker: Asker) {
    let Some(base) = base(state, headers, asker) else {
        tracing::warn!(purpose = ?mail.purpose, "no account link e-mailed: set [auth] public_url to send links asked for by people who are not signed in");
        return;
    };
    let url = format!("{base}{FOLLOW}{}", mail.secret);
    let link =
        Link { purpose: mail.purpose, email: &mail.email, name: &mail.name, language: &mail.language, url: &url };
    if let Err(e) = state.notifier.send_account_link(&link).await {
        tracing::error!(error = %e, purpose = ?mail.purpose, "could not queue an account link e-mail");
    }
}

/// A reset link for whoever has this address, asked for by `client`, made and queued after the
/// answer is sent: the answer takes the same time whether the address is known or not.
pub fn forgot_in_background(state: AppState, headers: HeaderMap, email: String, client: String, lang: &str) {
    let lang = lang.to_string();
    tokio::spawn(async move {
        match state.users.forgot_password(&email, &client, &lang).await {
            Ok(Some(mail)) => send(&state, &headers, &mail, Asker::Anyone).await,
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "could not make a password-reset link"),
        }
    });
}

/// A sign-up link (or, for an address that has an account, a reset link), made and queued after
/// the answer is sent. The address was checked already.
pub fn signup_in_background(
    state: AppState,
    headers: HeaderMap,
    email: String,
    name: String,
    client: String,
    lang: &str,
) {
    let lang = lang.to_string();
    tokio::spawn(async move {
        match state.users.request_signup(&email, &name, &client, &lang).await {
            Ok(Some(mail)) => send(&state, &headers, &mail, Asker::Anyone).await,
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "could not make a sign-up link"),
        }
    });
}
