//! The gateway's guards, in front of every route: who the client is (trusted proxies), rate
//! limits, the request timeout, and HSTS under TLS.

use super::AppState;
use super::buckets::Buckets;
use super::problem::Problem;
use super::ui;
use crate::config::Config;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// Routes that answer with a long-lived stream, exempt from the request timeout. The timeout
/// bounds the time to a response's head (and so a slowly sent request body), never a body being
/// streamed; but a stream's handler may rightly wait before it answers. The one list of such
/// routes; add a new stream here.
pub const NO_TIMEOUT: &[&str] = &["/api/v1/events/stream"];

pub struct Gateway {
    trusted_proxies: Vec<IpNet>,
    per_ip: Option<Buckets>,
    per_credential: Option<Buckets>,
    sign_in: Option<Buckets>,
    timeout: Duration,
    /// Serving TLS ourselves.
    tls: bool,
    /// The `Strict-Transport-Security` value, when serving TLS.
    hsts: Option<HeaderValue>,
}

impl Gateway {
    pub fn new(config: &Config) -> Gateway {
        let l = &config.limits;
        let max = l.max_tracked as usize;
        let hsts = (config.tls.enabled() && config.tls.hsts_max_age_seconds > 0)
            .then(|| HeaderValue::from_str(&format!("max-age={}", config.tls.hsts_max_age_seconds)).ok())
            .flatten();
        Gateway {
            trusted_proxies: config.trusted_proxies(),
            per_ip: Buckets::new(l.per_ip_per_minute, l.per_ip_burst, max),
            per_credential: Buckets::new(l.per_credential_per_minute, l.per_credential_burst, max),
            sign_in: Buckets::new(l.sign_in_per_minute, l.sign_in_burst, max),
            timeout: Duration::from_secs(config.http.request_timeout_seconds.into()),
            tls: config.tls.enabled(),
            hsts,
        }
    }

    /// The client as the request's peer, or as the trusted proxies in front of us report it.
    fn client(&self, peer: Option<IpAddr>, req: &Request) -> Client {
        let native_tls = self.tls;
        let Some(peer) = peer else { return Client { ip: None, https: native_tls } };
        if !self.trusted(peer) {
            return Client { ip: Some(peer), https: native_tls };
        }
        // X-Forwarded-For lists the hops in order, each proxy appending the address it saw.
        // Walk it from the right: the first address that is not a trusted proxy is the client;
        // anything left of it was written by the client and proves nothing.
        let hops: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|hop| hop.trim().parse().ok())
            .collect();
        let ip = hops.iter().rev().find(|ip| !self.trusted(**ip)).or(hops.first()).copied().unwrap_or(peer);
        let forwarded_https = req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        Client { ip: Some(ip), https: native_tls || forwarded_https }
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
}

/// Who sent a request, as the gateway decided; handlers read it through
/// [`ClientAddr`](super::extract::ClientAddr).
#[derive(Clone, Copy, Debug)]
pub struct Client {
    pub ip: Option<IpAddr>,
    /// Reached over HTTPS: our own TLS, or a trusted proxy's X-Forwarded-Proto.
    pub https: bool,
}

/// First of all: settles the client address and scheme before anything logs or counts them.
///
/// Whatever the client sent as X-Forwarded-For/-Proto is replaced by what the gateway decided,
/// so code that builds links from `X-Forwarded-Proto` (feed and sign-in callback URLs) can
/// neither be fooled by an untrusted client nor miss our own TLS.
pub fn identify(gw: &Gateway, req: &mut Request) {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_canonical());
    let client = gw.client(peer, req);
    let headers = req.headers_mut();
    headers.remove("x-forwarded-for");
    headers.insert("x-forwarded-proto", HeaderValue::from_static(if client.https { "https" } else { "http" }));
    req.extensions_mut().insert(client);
}

/// Last of all: responses under TLS get HSTS.
pub fn mark_hsts(gw: &Gateway, res: &mut Response) {
    if let Some(hsts) = &gw.hsts {
        res.headers_mut().insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
}

/// Rate limits, then the request timeout (except for [`NO_TIMEOUT`] routes) around `inner`.
pub async fn guard<F: Future<Output = Response>>(
    state: &AppState,
    gw: &Gateway,
    req: Request,
    inner: impl FnOnce(Request) -> F,
) -> Response {
    let now = Instant::now();
    let client = req.extensions().get::<Client>().and_then(|c| c.ip);
    let ip_key = client.map(bucket_key).unwrap_or_else(|| "unknown".into());
    let mut refusal = None;
    if let Some(b) = &gw.per_ip {
        refusal = b.take(&ip_key, now).err();
    }
    if refusal.is_none()
        && let (Some(b), Some(credential)) = (&gw.per_credential, credential_key(&req))
    {
        refusal = b.take(&credential, now).err();
    }
    if refusal.is_none()
        && let Some(b) = gw.sign_in.as_ref().filter(|_| is_sign_in(req.method(), req.uri().path()))
    {
        refusal = b.take(&ip_key, now).err();
    }
    if let Some(retry_after) = refusal {
        return too_many_requests(state, req, retry_after).await;
    }

    let path = req.uri().path();
    if NO_TIMEOUT.contains(&path) {
        return inner(req).await;
    }
    let is_api = path.starts_with("/api/");
    match tokio::time::timeout(gw.timeout, inner(req)).await {
        Ok(res) => res,
        Err(_) if is_api => {
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, "timeout", "the request took too long and was stopped")
                .into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "the request took too long and was stopped").into_response(),
    }
}

/// Clients are limited by address; an IPv6 client by its /64, which one subscriber usually holds
/// whole (counting single addresses would let one client take billions of buckets).
fn bucket_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The request's credential (bearer token or session cookie), hashed: the table never holds a
/// usable secret. A made-up credential gets a bucket too, but the per-address limit still holds.
fn credential_key(req: &Request) -> Option<String> {
    let bearer = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let session = || ui::session::cookie(req.headers(), ui::session::SESSION_COOKIE);
    let secret = bearer.or_else(session)?;
    Some(hex::encode(&Sha256::digest(secret.as_bytes())[..16]))
}

/// Sign-in and token endpoints, which get the stricter bucket: the sign-in form and every
/// sign-in provider's route under /login, the token API, and API key creation.
fn is_sign_in(method: &Method, path: &str) -> bool {
    let under = |prefix: &str| path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    (path == "/login" && method == Method::POST)
        || path.starts_with("/login/")
        || under("/api/v1/auth")
        || (method == Method::POST && (path == "/api/v1/api-keys" || path == "/profile/api-keys"))
}

/// 429 with Retry-After: problem+json under /api, a page elsewhere.
async fn too_many_requests(state: &AppState, req: Request, retry_after: u64) -> Response {
    let detail = format!("too many requests; try again in {retry_after} seconds");
    let mut res = if req.uri().path().starts_with("/api/") {
        Problem::rate_limited(retry_after, detail).into_response()
    } else {
        let (mut parts, _) = req.into_parts();
        let Ok(v) = ui::session::Viewer::from_request_parts(&mut parts, state).await;
        let message = v.tr.f("error_rate_limited", &[("seconds", &retry_after.to_string())]);
        let mut res = ui::error_page(&v, Problem::rate_limited(retry_after, message));
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(ui::PAGE_CSP));
        res
    };
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(trusted: &[&str]) -> Gateway {
        let mut c = Config::default();
        c.http.trusted_proxies = trusted.iter().map(|s| s.to_string()).collect();
        Gateway::new(&c)
    }

    fn req(headers: &[(&str, &str)]) -> Request {
        let mut b = Request::builder().uri("/x");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(axum::body::Body::empty()).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_only_from_trusted_proxies() {
        let gw = gateway(&["10.0.0.0/8"]);
        let spoof = req(&[("x-forwarded-for", "1.2.3.4"), ("x-forwarded-proto", "https")]);
        let c = gw.client(Some(ip("192.0.2.9")), &spoof);
        assert_eq!((c.ip, c.https), (Some(ip("192.0.2.9")), false));

        let c = gw.client(Some(ip("10.0.0.2")), &spoof);
        assert_eq!((c.ip, c.https), (Some(ip("1.2.3.4")), true));

        // The client wrote the leftmost entries; the last untrusted hop is who reached the proxy.
        let chained = req(&[("x-forwarded-for", "6.6.6.6, 203.0.113.5, 10.0.0.7")]);
        assert_eq!(gw.client(Some(ip("10.0.0.2")), &chained).ip, Some(ip("203.0.113.5")));

        // A trusted peer without the header is the client itself.
        assert_eq!(gw.client(Some(ip("10.0.0.2")), &req(&[])).ip, Some(ip("10.0.0.2")));
        // IPv4-mapped IPv6 peers match IPv4 networks.
        assert!(gw.trusted(ip("::ffff:10.1.1.1")));
    }

    #[test]
    fn sign_in_routes() {
        assert!(is_sign_in(&Method::POST, "/login"));
        assert!(!is_sign_in(&Method::GET, "/login"));
        assert!(is_sign_in(&Method::GET, "/login/oidc/callback"));
        assert!(is_sign_in(&Method::POST, "/api/v1/auth/token"));
        assert!(is_sign_in(&Method::POST, "/api/v1/api-keys"));
        assert!(!is_sign_in(&Method::GET, "/api/v1/api-keys"));
        assert!(!is_sign_in(&Method::GET, "/api/v1/authors"));
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        assert_eq!(bucket_key(ip("2001:db8:1:2:aaaa::1")), bucket_key(ip("2001:db8:1:2:bbbb::9")));
        assert_ne!(bucket_key(ip("2001:db8:1:2::1")), bucket_key(ip("2001:db8:1:3::1")));
        assert_eq!(bucket_key(ip("192.0.2.1")), "192.0.2.1");
    }
}
