//! HTTP: the route table, the middleware stack (the "gateway"), health and metrics. The only
//! module that names axum.

pub mod api;
mod buckets;
mod dav;
mod extract;
pub mod gateway;
mod links;
mod observe;
mod openapi;
pub mod problem;
mod ui;

use crate::reservations::Reservations;
use crate::rooms::Rooms;
use crate::store::Store;
use crate::users::Users;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
pub use extract::decode_json;
pub use observe::Metrics;
use problem::Problem;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

/// What every handler reaches through `State`: cloned for each extractor of each request, so it
/// is one reference count rather than a copy of every service's handles (which measurably cost
/// the write path a tenth of its CPU under load).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.0
    }
}

pub struct Services {
    pub store: Store,
    pub users: Users,
    pub rooms: Rooms,
    pub reservations: Reservations,
    pub metrics: Arc<Metrics>,
    pub bus: crate::events::bus::Bus,
    pub notifier: crate::notify::Notifier,
    pub webhooks: crate::webhooks::Webhooks,
    pub scheduler: crate::scheduler::Scheduler,
    pub search: crate::search::Search,
    pub reports: crate::reports::Reports,
    pub ui: Arc<UiSettings>,
    /// `[oidc]`: the "Sign in with …" button and its callback; None when not configured.
    pub oidc: Option<Arc<crate::sso::oidc::Oidc>>,
    /// Live fan-out of the event log (SSE streams, live pages, door displays).
    pub live: crate::events::live::Live,
    pub displays: crate::displays::Displays,
    /// User groups and room access rules; `groups.rights(actor, room)` for room checks.
    pub groups: crate::groups::Groups,
    pub waitlist: crate::waitlist::Waitlist,
    /// Rooms and your bookings as CalDAV calendars.
    pub calendars: crate::calendars::Calendars,
}

pub use ui::UiSettings;

#[derive(OpenApi)]
#[openapi(
    info(title = "Salas", description = "Room and resource booking. Errors are RFC 9457 problem+json; times are RFC 3339 with an offset. Live changes: `GET /api/v1/events/stream` (Server-Sent Events) or the same events over a WebSocket at `GET /api/v1/events/ws` (not listed below: an upgrade has no OpenAPI shape), with the same authentication, `room_id` and `mine` filters, one StreamEventDto per text message, and `?after=SEQ` to resume after the last `seq` received."),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "users"), (name = "rooms"), (name = "resources"), (name = "reservations"), (name = "events"), (name = "audit"), (name = "groups"), (name = "notifications"), (name = "webhooks"), (name = "operations"), (name = "reports"))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer));
        openapi.components.get_or_insert_with(Default::default).add_security_scheme("bearer", scheme);
    }
}

pub struct Limits {
    pub max_body_bytes: usize,
    /// Client addresses, rate limits, the request timeout, HSTS.
    pub gateway: gateway::Gateway,
}

pub fn router(state: AppState, limits: Limits) -> Router {
    let gateway = Arc::new(limits.gateway);
    let (api, mut openapi) =
        OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", api::router()).split_for_parts();
    openapi.info.version = env!("CARGO_PKG_VERSION").to_string();
    openapi::complete(&mut openapi);
    let openapi = Arc::new(openapi);
    let request_id = HeaderName::from_static("x-request-id");

    Router::new()
        .merge(api)
        .route("/api/openapi.json", get(move || async move { Json(openapi.as_ref().clone()) }))
        .route("/api/v1/events/ws", get(api::stream::websocket))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(dav::routes())
        .merge(ui::routes(&state).layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(ui::PAGE_CSP),
        )))
        .fallback(fallback)
        // Extractors stop at the limit; the layer also caps bodies nothing extracts. Inside
        // problem_bodies, so an oversized body under /api is answered as problem+json.
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(middleware::from_fn_with_state((state.clone(), gateway), gate))
        .layer(CatchPanicLayer::custom(|_| {
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on the server")
                .into_response()
        }))
        // Restrictive defaults: the API serves JSON, never anything a browser should run or frame.
        .layer(header_default(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_default(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header_default(header::REFERRER_POLICY, "no-referrer"))
        .layer(header_default(header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"))
        .layer(header_default(header::CACHE_CONTROL, "no-store"))
        // Outermost: every request gets an id first, and every response carries it back.
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

fn header_default(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// The gateway, in the order a request meets it: the client settled (trusted proxies), the
/// access log and metrics, rate limits and the request timeout (inside the log, so their 429s
/// and 503s are logged and counted like any answer), the client address as the origin of the
/// audit records the request makes, and problem+json for axum's own rejections. One middleware
/// rather than one for each: an axum `from_fn` layer clones the whole stack beneath it and
/// boxes two futures for every request. Merging five cut the request threads' CPU under 64
/// booking clients from ~147 to ~119 µs a booking (docs/performance.md).
async fn gate(State((state, gw)): State<(AppState, Arc<gateway::Gateway>)>, mut req: Request, next: Next) -> Response {
    gateway::identify(&gw, &mut req);
    let mut res = observe::observe(&state, req, |req| {
        gateway::guard(&state, &gw, req, |req| {
            let extract::ClientAddr(addr) = extract::ClientAddr::of(req.extensions());
            crate::audit::with_origin(addr, problem_bodies(&state, req, next))
        })
    })
    .await;
    gateway::mark_hsts(&gw, &mut res);
    res
}

/// Responses axum makes itself (a bad path parameter, a wrong method, a body too large) come as
/// plain text; under /api, turn them into problem+json like every other API error (pages get the
/// error page, see [`plain_rejection_as_page`]).
async fn problem_bodies(state: &AppState, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    // Pages keep the request's head: a plain-text rejection becomes the friendly page for
    // whoever is signed in.
    let head = (!is_api).then(|| (req.uri().clone(), req.headers().clone()));
    // On PostgreSQL: first catch up with what other processes acknowledged (store/replica.rs).
    let path = req.uri().path();
    let local = path.starts_with("/static/") || matches!(path, "/healthz" | "/readyz" | "/metrics");
    if !local && let Err(e) = state.store.sync().await {
        if is_api {
            return Problem::from(e).into_response();
        }
        let (uri, headers) = head.unwrap_or_default();
        let mut page = error_page_for(state, uri, headers, Problem::from(e)).await;
        page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return page;
    }
    let res = next.run(req).await;
    if let Some((uri, headers)) = head {
        return plain_rejection_as_page(state, uri, headers, res).await;
    }
    let status = res.status();
    let is_problem =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let detail = String::from_utf8_lossy(&text).trim().to_string();
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::SERVICE_UNAVAILABLE => "timeout",
        _ if status.is_server_error() => "internal",
        _ => "malformed",
    };
    let detail = if detail.is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { detail };
    let mut out = Problem::new(status, code, detail).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// An extractor's plain-text rejection of a page request (a malformed id in the path, a body
/// too large) echoes the raw input in English developer wording; the person gets the friendly
/// error page instead, with none of their input in it.
async fn plain_rejection_as_page(
    state: &AppState,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    res: Response,
) -> Response {
    let status = res.status();
    let plain = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if !status.is_client_error() || !plain {
        return res;
    }
    let detail = status.canonical_reason().unwrap_or("error");
    let mut page = error_page_for(state, uri, headers, Problem::new(status, "malformed", detail)).await;
    for (name, value) in res.headers().iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            page.headers_mut().insert(name.clone(), value.clone());
        }
    }
    page
}

/// The error page for `problem`, as whoever sent `headers` sees it.
async fn error_page_for(
    state: &AppState,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    problem: Problem,
) -> Response {
    use axum::extract::FromRequestParts;
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.uri = uri;
    parts.headers = headers;
    let Ok(v) = ui::session::Viewer::from_request_parts(&mut parts, state).await;
    let mut page = ui::error_page(&v, problem);
    page.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(ui::PAGE_CSP));
    page
}

/// Unknown paths: problem+json under /api, a friendly page elsewhere.
async fn fallback(v: ui::session::Viewer, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        Problem::not_found("page").into_response()
    } else {
        let mut res = ui::not_found(v).await;
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(ui::PAGE_CSP));
        res
    }
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

async fn readyz(State(state): State<AppState>) -> Response {
    let (store, index) = (state.store.is_ready(), state.search.is_ready());
    if store && index {
        Json(serde_json::json!({"status": "ready"})).into_response()
    } else {
        let says = |ok| if ok { "ready" } else { "unavailable" };
        let body = serde_json::json!({"status": "not ready", "store": says(store), "search_index": says(index)});
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let last_seq = *state.store.event_signal().borrow();
    let mut body = state.metrics.render(last_seq);
    observe::consumers(&mut body, &state.bus.reports(last_seq));
    observe::gauge(
        &mut body,
        "salas_store_size_bytes",
        "Size of the store file (salas.redb).",
        state.store.file_size(),
    );
    // Each replica answers for itself: a scrape of every replica shows which lag or lost the
    // database (the Prometheus target's instance label tells them apart).
    if let Some(replica) = state.store.replica_status() {
        observe::gauge(
            &mut body,
            "salas_replica_log_applied",
            "Entries of the database's replication log this replica's local copy holds.",
            replica.applied,
        );
        observe::gauge(
            &mut body,
            "salas_replica_database_up",
            "1 while the database answers this replica, else 0.",
            u64::from(replica.database_answers),
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
