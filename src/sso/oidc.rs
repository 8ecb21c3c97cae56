//! OpenID Connect sign-in: the authorization code flow with PKCE, `state` and `nonce`.
//!
//! The provider is discovered when it is first needed (and again every hour, for rotated
//! keys), never at start-up, so a provider that is down keeps only its own button from working.
//! A sign-in in progress (its `state`, PKCE verifier, nonce and where to go next) is kept by the
//! browser, in a cookie sealed with the server's secret key for ten minutes: a callback from
//! another browser is refused, the browser can read or change none of it, and any process of
//! several on one database can finish what another started.

use crate::config::OidcConfig;
use crate::secrets::{Sealer, constant_time_eq};
use crate::users::Identity;
use crate::users::directory::role_from_map;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreRevocableToken,
    CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, IdTokenFields,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardErrorResponse, StandardTokenResponse, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a started sign-in may take at the provider, in seconds.
pub const PENDING_SECONDS: i64 = 600;
/// Provider metadata and keys are fetched again after this long.
const REDISCOVER_AFTER: Duration = Duration::from_secs(3600);

/// Every claim beyond the standard ones (groups, roles, `realm_access`…), as JSON.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct OtherClaims(HashMap<String, Value>);
impl AdditionalClaims for OtherClaims {}

type IdFields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<IdFields, CoreTokenType>;
type OidcClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// Discovery, the token request or the keys failed: the provider is down or misconfigured.
    #[error("the sign-in provider cannot be reached: {0}")]
    Unavailable(String),
    /// The provider answered, but not with a valid sign-in (refused, bad token, wrong nonce).
    #[error("the sign-in provider refused the sign-in: {0}")]
    Refused(String),
    /// The callback does not belong to a sign-in this browser started (or it expired).
    #[error("this sign-in expired or was started elsewhere; please try again")]
    UnknownState,
    #[error("the provider did not give a verified e-mail address")]
    NoVerifiedEmail,
}

/// A sign-in in progress, as sealed into the browser's cookie.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    verifier: String,
    nonce: String,
    redirect: String,
    next: String,
    /// Unix seconds.
    started: i64,
}

/// Where to send the browser, and the sealed sign-in to keep in its cookie.
pub struct Started {
    pub url: String,
    pub cookie: String,
}

/// A finished sign-in: who, and the path the user wanted.
pub struct Finished {
    pub identity: Identity,
    pub next: String,
}

pub struct Oidc {
    config: OidcConfig,
    http: reqwest::Client,
    discovered: tokio::sync::Mutex<Option<(OidcClient, Instant)>>,
    sealer: Sealer,
}

impl Oidc {
    pub fn new(config: OidcConfig, sealer: Sealer) -> Oidc {
        let timeout = Duration::from_secs(config.timeout_seconds.into());
        let http = reqwest::Client::builder()
            // The provider's answers are read as they are: following redirects would let a
            // provider response steer requests elsewhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .unwrap_or_default();
        Oidc { config, http, discovered: tokio::sync::Mutex::new(None), sealer }
    }

    pub fn button_label(&self) -> &str {
        &self.config.button_label
    }

    /// The redirect URL to register: configured, or this site's callback path.
    pub fn redirect_url(&self, origin: &str) -> String {
        if self.config.redirect_url.is_empty() {
            format!("{origin}/login/oidc/callback")
        } else {
            self.config.redirect_url.clone()
        }
    }

    /// The provider's client, discovered now if not recently.
    async fn client(&self) -> Result<OidcClient, OidcError> {
        let mut cached = self.discovered.lock().await;
        if let Some((client, at)) = cached.as_ref()
            && at.elapsed() < REDISCOVER_AFTER
        {
            return Ok(client.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(|e| OidcError::Unavailable(e.to_string()))?;
        let http = adapter(&self.http);
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| OidcError::Unavailable(error_chain(&e)))?;
        let secret =
            (!self.config.client_secret.is_empty()).then(|| ClientSecret::new(self.config.client_secret.clone()));
        let client = OidcClient::from_provider_metadata(metadata, ClientId::new(self.config.client_id.clone()), secret);
        *cached = Some((client.clone(), Instant::now()));
        Ok(client)
    }

    /// Fetches the provider's metadata ahead of the first sign-in; a failure is only logged.
    pub async fn warm_up(&self) {
        match self.client().await {
            Ok(_) => tracing::info!(issuer = %self.config.issuer, "OpenID Connect provider discovered"),
            Err(e) => tracing::warn!(error = %e, "OpenID Connect: will retry discovery at the first sign-in"),
        }
    }

    /// Starts a sign-in: the provider's authorization URL, with a fresh PKCE challenge, state
    /// and nonce.
    pub async fn start(&self, redirect: &str, next: &str) -> Result<Started, OidcError> {
        let redirect = RedirectUrl::new(redirect.to_string()).map_err(|e| OidcError::Unavailable(e.to_string()))?;
        let client = self.client().await?.set_redirect_uri(redirect.clone());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request =
            client.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
        for scope in self.config.scopes.iter().filter(|s| !s.is_empty() && s.as_str() != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let pending = Pending {
            state: state.secret().clone(),
            verifier: verifier.secret().clone(),
            nonce: nonce.secret().clone(),
            redirect: redirect.as_str().to_string(),
            next: next.to_string(),
            started: crate::clock::now().timestamp(),
        };
        let json = serde_json::to_string(&pending).map_err(|e| OidcError::Unavailable(e.to_string()))?;
        Ok(Started { url: url.to_string(), cookie: self.sealer.seal(&json) })
    }

    /// Whether `cookie` holds a sign-in this site started, for the `state` the provider returned.
    pub fn is_ours(&self, cookie: &str, returned: &str) -> bool {
        self.pending(cookie, returned).is_ok()
    }

    /// The sign-in `cookie` holds, if it is one of ours, for the `state` the provider returned,
    /// and started at most ten minutes ago.
    fn pending(&self, cookie: &str, returned: &str) -> Result<Pending, OidcError> {
        let json = self.sealer.open(cookie).map_err(|_| OidcError::UnknownState)?;
        let pending: Pending = serde_json::from_str(&json).map_err(|_| OidcError::UnknownState)?;
        let fresh = crate::clock::now().timestamp() - pending.started < PENDING_SECONDS;
        let same = constant_time_eq(pending.state.as_bytes(), returned.as_bytes());
        if fresh && same && !returned.is_empty() { Ok(pending) } else { Err(OidcError::UnknownState) }
    }

    /// Finishes a sign-in from the provider's callback: exchanges the code (with the PKCE
    /// verifier), verifies the ID token (signature, issuer, audience, expiry, nonce, access-token
    /// hash) and reads the user's claims from it and from the userinfo endpoint.
    pub async fn finish(&self, cookie: &str, returned: &str, code: &str) -> Result<Finished, OidcError> {
        let pending = self.pending(cookie, returned)?;
        let redirect = RedirectUrl::new(pending.redirect).map_err(|_| OidcError::UnknownState)?;
        let client = self.client().await?.set_redirect_uri(redirect);
        let http = adapter(&self.http);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(r) => OidcError::Refused(r.to_string()),
                other => OidcError::Unavailable(error_chain(&other)),
            })?;
        let id_token = tokens.id_token().ok_or_else(|| OidcError::Refused("no ID token in the answer".into()))?;
        let verifier = client.id_token_verifier();
        let claims =
            id_token.claims(&verifier, &Nonce::new(pending.nonce)).map_err(|e| OidcError::Refused(e.to_string()))?;
        if let Some(expected) = claims.access_token_hash() {
            let refused = |e: &dyn std::fmt::Display| OidcError::Refused(e.to_string());
            let alg = id_token.signing_alg().map_err(|e| refused(&e))?;
            let key = id_token.signing_key(&verifier).map_err(|e| refused(&e))?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key).map_err(|e| refused(&e))?;
            if actual != *expected {
                return Err(OidcError::Refused("the access token does not match the ID token".into()));
            }
        }

        let mut seen = Claims {
            email: claims.email().map(|e| e.as_str().to_string()),
            email_verified: claims.email_verified(),
            name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string()),
            other: claims.additional_claims().0.clone(),
        };
        // Many providers put only the subject in the ID token of the code flow and the profile
        // behind the userinfo endpoint; read it too when there is one.
        if let Ok(request) = client.user_info(tokens.access_token().clone(), Some(claims.subject().clone())) {
            let info: UserInfoClaims<OtherClaims, CoreGenderClaim> =
                request.request_async(&http).await.map_err(|e| OidcError::Unavailable(error_chain(&e)))?;
            seen.email = seen.email.or_else(|| info.email().map(|e| e.as_str().to_string()));
            seen.email_verified = seen.email_verified.or(info.email_verified());
            seen.name = seen.name.or_else(|| info.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string()));
            for (k, v) in &info.additional_claims().0 {
                seen.other.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        Ok(Finished { identity: identity(&self.config, seen)?, next: pending.next })
    }
}

/// What the provider said about the user.
struct Claims {
    email: Option<String>,
    email_verified: Option<bool>,
    name: Option<String>,
    other: HashMap<String, Value>,
}

/// The identity the claims describe, under the configured rules (pure).
fn identity(config: &OidcConfig, seen: Claims) -> Result<Identity, OidcError> {
    let email = seen.email.filter(|e| !e.trim().is_empty()).ok_or(OidcError::NoVerifiedEmail)?;
    if !config.allow_unverified_email && seen.email_verified != Some(true) {
        return Err(OidcError::NoVerifiedEmail);
    }
    let role_values = claim_strings(&seen.other, &config.role_claim);
    let groups = (!config.groups_claim.is_empty()).then(|| claim_strings(&seen.other, &config.groups_claim));
    Ok(Identity {
        email,
        name: seen.name.unwrap_or_default(),
        role: role_from_map(role_values.iter().map(String::as_str), &config.role_map, config.default_role),
        default_role: config.default_role,
        groups,
        source: "oidc",
    })
}

/// The strings a claim holds: a string, or an array of strings, found by a dotted path.
fn claim_strings(claims: &HashMap<String, Value>, path: &str) -> Vec<String> {
    let mut parts = path.split('.');
    let Some(first) = parts.next().and_then(|p| claims.get(p)) else { return Vec::new() };
    let value = parts.try_fold(first, |v, p| v.get(p));
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// An error and its causes on one line ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

type Sent = std::pin::Pin<Box<dyn std::future::Future<Output = Result<HttpResponse, reqwest::Error>> + Send>>;

/// openidconnect's HTTP client interface over reqwest 0.13 (its own adapter is for 0.12). The
/// future owns its client handle, so it is `Send + 'static` as axum's handlers need.
fn adapter(http: &reqwest::Client) -> impl Fn(HttpRequest) -> Sent + use<> {
    let http = http.clone();
    move |request| Box::pin(send(http.clone(), request))
}

async fn send(http: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, reqwest::Error> {
    let response = http.execute(reqwest::Request::try_from(request)?).await?;
    let mut out = HttpResponse::new(Vec::new());
    *out.status_mut() = response.status();
    *out.headers_mut() = response.headers().clone();
    *out.body_mut() = response.bytes().await?.to_vec();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use serde_json::json;

    fn claims(email_verified: Option<bool>, other: Value) -> Claims {
        let other = serde_json::from_value(other).unwrap();
        Claims { email: Some("Ana@Example.org".into()), email_verified, name: Some("Ana".into()), other }
    }

    #[test]
    fn claims_map_to_a_role_and_groups() {
        let mut c = OidcConfig { groups_claim: "groups".into(), ..Default::default() };
        c.role_claim = "realm_access.roles".into();
        c.role_map.insert("salas-admin".into(), Role::Admin);
        let id = identity(
            &c,
            claims(Some(true), json!({"realm_access": {"roles": ["x", "salas-admin"]}, "groups": ["north", "it"]})),
        )
        .unwrap();
        assert_eq!(id.role, Some(Role::Admin));
        assert_eq!(id.groups, Some(vec!["north".to_string(), "it".to_string()]));
        let id = identity(&c, claims(Some(true), json!({"realm_access": {"roles": "nobody"}}))).unwrap();
        assert_eq!(id.role, Some(Role::Member));
    }

    #[test]
    fn an_unverified_address_is_refused_unless_allowed() {
        let c = OidcConfig::default();
        assert!(matches!(identity(&c, claims(None, json!({}))), Err(OidcError::NoVerifiedEmail)));
        assert!(matches!(identity(&c, claims(Some(false), json!({}))), Err(OidcError::NoVerifiedEmail)));
        let c = OidcConfig { allow_unverified_email: true, ..Default::default() };
        let id = identity(&c, claims(None, json!({}))).unwrap();
        // No role map: roles are managed in Salas.
        assert_eq!((id.role, id.groups), (None, None));
    }
}
