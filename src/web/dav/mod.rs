//! CalDAV (RFC 4791) under `/dav/`, found through `/.well-known/caldav` (RFC 6764). Calendar
//! clients sign in with HTTP Basic (e-mail address and API key, or password). The rules live in
//! `calendars` (and, for bookings, in `reservations`); this module speaks WebDAV: paths, methods,
//! headers and the XML of requests and answers.

mod props;
mod xml;

use super::AppState;
use super::extract::ClientAddr;
use super::problem::Problem;
use crate::access::Actor;
use crate::calendars::{CalendarError, Collection, CollectionId, Precondition};
use crate::types::TimeRange;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::any;
use base64::Engine;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use props::Kind;

/// The largest PROPFIND, REPORT or PUT body read (one event, or a multiget of many hrefs).
const BODY_LIMIT: usize = 1 << 20;
const REALM: &str = r#"Basic realm="Salas", charset="UTF-8""#;
const ALLOW: &str = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, REPORT";

/// What a path names.
#[derive(Debug, PartialEq)]
enum Target {
    Root,
    Principal,
    Home,
    Collection(CollectionId),
    Event(CollectionId, String),
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/caldav", any(|| async { Redirect::permanent("/dav/") }))
        .route("/dav", any(serve))
        .route("/dav/", any(serve))
        .route("/dav/{*path}", any(serve))
}

async fn serve(State(state): State<AppState>, ClientAddr(client): ClientAddr, req: Request) -> Response {
    if req.method() == Method::OPTIONS {
        return options();
    }
    let (parts, body) = req.into_parts();
    let actor = match authenticate(&state, &parts.headers, &client).await {
        Ok(actor) => actor,
        Err(res) => return res,
    };
    let Some(target) = target(parts.uri.path(), &actor) else {
        return error_response(CalendarError::NotFound);
    };
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let body = String::from_utf8_lossy(&body);
    let result = match parts.method.as_str() {
        "PROPFIND" => propfind(&state, &actor, target, depth(&parts.headers), &body),
        "REPORT" => report(&state, &actor, target, &body),
        "GET" | "HEAD" => get(&state, &actor, target),
        "PUT" => put(&state, &actor, target, &parts.headers, &body).await,
        "DELETE" => delete(&state, &actor, target, &parts.headers).await,
        _ => Ok((StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, ALLOW)]).into_response()),
    };
    result.unwrap_or_else(error_response)
}

fn options() -> Response {
    let mut res = StatusCode::OK.into_response();
    let h = res.headers_mut();
    h.insert("dav", HeaderValue::from_static("1, 3, calendar-access"));
    h.insert(header::ALLOW, HeaderValue::from_static(ALLOW));
    res
}

/// The Basic credentials, checked like a sign-in (and counted by the same lockout).
async fn authenticate(state: &AppState, headers: &HeaderMap, client: &str) -> Result<Actor, Response> {
    let Some((email, secret)) = basic_credentials(headers) else {
        return Err(unauthorized("sign in with your e-mail address and an API key (HTTP Basic)"));
    };
    state.users.basic(&email, &secret, client).await.map_err(|e| {
        let p = Problem::from(e);
        match p.status {
            429 => {
                let retry = p.detail.clone();
                let mut res = p.into_response();
                *res.body_mut() = xml::error(None, "locked-out", &retry).into();
                res.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
                res
            }
            400..=499 => unauthorized(&p.detail),
            _ => p.into_response(),
        }
    })
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let (email, secret) =
        String::from_utf8(decoded).ok()?.split_once(':').map(|(a, b)| (a.to_string(), b.to_string()))?;
    Some((email, secret))
}

fn unauthorized(reason: &str) -> Response {
    let mut res = xml_body(StatusCode::UNAUTHORIZED, xml::error(None, "unauthenticated", reason));
    res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(REALM));
    res
}

fn xml_body(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/xml; charset=utf-8")], body).into_response()
}

/// A refusal as a `DAV:error` body naming the precondition and the reason (a 5xx stays
/// problem+json, so its cause is logged as everywhere else).
fn error_response(e: CalendarError) -> Response {
    let p = Problem::from(e);
    if p.status >= 500 {
        return p.into_response();
    }
    let code = p.kind.strip_prefix("urn:salas:problem:").unwrap_or("error").to_string();
    // A room rule the booking breaks is a conflict with the room's state, in WebDAV's terms.
    let status = if p.status == 422 { 409 } else { p.status };
    let precondition = match (code.as_str(), status) {
        ("valid-calendar-data", _) => Some("<c:valid-calendar-data/>"),
        ("supported-calendar-component", _) => Some("<c:supported-calendar-component/>"),
        ("valid-sync-token", _) => Some("<d:valid-sync-token/>"),
        ("conflict" | "buffer", _) => Some("<s:no-conflict/>"),
        (_, 409) => Some("<s:booking-rule/>"),
        (_, 403) => Some("<d:need-privileges/>"),
        _ => None,
    };
    let mut res = xml_body(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        xml::error(precondition, &code, &p.detail),
    );
    if let Some(secs) = p.retry_after() {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// Path segments are percent-encoded in what is written out, and decoded when read.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'@');

fn target(path: &str, actor: &Actor) -> Option<Target> {
    let rest = path.strip_prefix("/dav")?;
    let segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode_str(s).decode_utf8().map(|s| s.into_owned()))
        .collect::<Result<_, _>>()
        .ok()?;
    let me = actor.id.to_string();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        [] => Some(Target::Root),
        ["principals", user] if *user == me => Some(Target::Principal),
        ["calendars", user] if *user == me => Some(Target::Home),
        ["calendars", user, c] if *user == me => CollectionId::parse(c).map(Target::Collection),
        ["calendars", user, c, name] if *user == me => {
            CollectionId::parse(c).map(|c| Target::Event(c, name.to_string()))
        }
        _ => None,
    }
}

/// Where things are, for `actor`.
pub struct Paths {
    principal: String,
    home: String,
}

impl Paths {
    fn of(actor: &Actor) -> Paths {
        Paths { principal: format!("/dav/principals/{}/", actor.id), home: format!("/dav/calendars/{}/", actor.id) }
    }

    fn collection(&self, c: CollectionId) -> String {
        format!("{}{}/", self.home, c.segment())
    }

    fn event(&self, c: CollectionId, name: &str) -> String {
        format!("{}{}", self.collection(c), utf8_percent_encode(name, SEGMENT))
    }
}

/// `Depth: 0` or 1 (infinity is answered as 1: the tree is two levels deep).
fn depth(headers: &HeaderMap) -> u8 {
    match headers.get("depth").and_then(|v| v.to_str().ok()).map(str::trim) {
        Some("0") => 0,
        _ => 1,
    }
}

fn read_request(body: &str) -> Result<xml::Request, CalendarError> {
    xml::parse(body).map_err(|e| CalendarError::BadRequest(format!("the XML body is malformed: {e}")))
}

fn propfind(state: &AppState, actor: &Actor, target: Target, depth: u8, body: &str) -> Result<Response, CalendarError> {
    let req = read_request(body)?;
    let paths = Paths::of(actor);
    let user = state.users.get(actor, actor.id).map_err(|_| CalendarError::NotFound)?;
    let token = state.calendars.sync_token();
    let ctx = props::Context { paths: &paths, user: &user, sync_token: &token };
    let mut ms = xml::Multistatus::new();
    match target {
        Target::Root => ms.response("/dav/", ctx.answer(&req, Kind::Root)),
        Target::Principal => ms.response(&paths.principal, ctx.answer(&req, Kind::Principal)),
        Target::Home => {
            ms.response(&paths.home, ctx.answer(&req, Kind::Home));
            if depth > 0 {
                for c in state.calendars.collections(actor)? {
                    ms.response(&paths.collection(c.id), ctx.answer(&req, Kind::Collection(&c)));
                }
            }
        }
        Target::Collection(id) => {
            let c = state.calendars.collection(actor, id)?;
            ms.response(&paths.collection(id), ctx.answer(&req, Kind::Collection(&c)));
            if depth > 0 {
                for item in state.calendars.items(actor, &c, None)? {
                    ms.response(&paths.event(id, &item.href()), ctx.answer(&req, Kind::Event(&item)));
                }
            }
        }
        Target::Event(id, name) => {
            let c = state.calendars.collection(actor, id)?;
            let item = state.calendars.item(actor, &c, &name)?;
            ms.response(&paths.event(id, &name), ctx.answer(&req, Kind::Event(&item)));
        }
    }
    Ok(multistatus(ms.finish(None)))
}

fn multistatus(body: String) -> Response {
    xml_body(StatusCode::MULTI_STATUS, body)
}

fn report(state: &AppState, actor: &Actor, target: Target, body: &str) -> Result<Response, CalendarError> {
    let req = read_request(body)?;
    let Target::Collection(id) = target else {
        return Err(CalendarError::Unsupported("reports are answered on calendar collections"));
    };
    let c = state.calendars.collection(actor, id)?;
    let paths = Paths::of(actor);
    let user = state.users.get(actor, actor.id).map_err(|_| CalendarError::NotFound)?;
    let token = state.calendars.sync_token();
    let ctx = props::Context { paths: &paths, user: &user, sync_token: &token };
    let root = req.root.clone().map(|n| n.local).unwrap_or_default();
    let mut ms = xml::Multistatus::new();
    match root.as_str() {
        "calendar-query" => {
            let window = time_range(&req)?;
            for item in state.calendars.items(actor, &c, window)? {
                ms.response(&paths.event(id, &item.href()), ctx.answer(&req, Kind::Event(&item)));
            }
            Ok(multistatus(ms.finish(None)))
        }
        "calendar-multiget" => {
            for href in &req.hrefs {
                let name = href.rsplit('/').next().unwrap_or_default();
                let name = percent_decode_str(name).decode_utf8_lossy();
                match state.calendars.item(actor, &c, &name) {
                    Ok(item) => ms.response(href, ctx.answer(&req, Kind::Event(&item))),
                    Err(CalendarError::NotFound) => ms.gone(href),
                    Err(e) => return Err(e),
                }
            }
            Ok(multistatus(ms.finish(None)))
        }
        "sync-collection" => {
            let changes = state.calendars.changes(actor, &c, req.sync_token.as_deref().unwrap_or(""))?;
            for item in &changes.changed {
                ms.response(&paths.event(id, &item.href()), ctx.answer(&req, Kind::Event(item)));
            }
            for name in &changes.removed {
                ms.gone(&paths.event(id, name));
            }
            Ok(multistatus(ms.finish(Some(&changes.token))))
        }
        "free-busy-query" => {
            let window =
                time_range(&req)?.ok_or(CalendarError::BadRequest("free-busy-query needs a time-range".into()))?;
            let busy = match c.id {
                CollectionId::Room(room) => state.calendars.busy(Some(actor), room, window)?,
                CollectionId::Mine => state
                    .calendars
                    .items(actor, &c, Some(window))?
                    .into_iter()
                    .map(|i| (i.reservation.range(), i.reservation.status))
                    .collect(),
            };
            let body = crate::calendars::ical::freebusy(window, &busy, crate::clock::now());
            Ok(([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], body).into_response())
        }
        _ => Err(CalendarError::Unsupported(
            "supported reports: calendar-query, calendar-multiget, sync-collection, free-busy-query",
        )),
    }
}

/// The `time-range` of a report; an open end reaches two years past the start.
fn time_range(req: &xml::Request) -> Result<Option<TimeRange>, CalendarError> {
    let Some((start, end)) = &req.time_range else { return Ok(None) };
    let parse = |s: &Option<String>| -> Result<Option<DateTime<Utc>>, CalendarError> {
        s.as_deref()
            .map(|s| {
                NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ").map(|t| t.and_utc()).map_err(|_| {
                    CalendarError::BadRequest(format!("time-range: `{s}` is not a UTC time like 20300101T000000Z"))
                })
            })
            .transpose()
    };
    let start = parse(start)?.unwrap_or_else(|| crate::clock::now() - Duration::days(366));
    let end = parse(end)?.unwrap_or(start + Duration::days(731));
    if end <= start {
        return Err(CalendarError::BadRequest("time-range: the end must be after the start".into()));
    }
    Ok(Some(TimeRange::new(start, end)))
}

fn get(state: &AppState, actor: &Actor, target: Target) -> Result<Response, CalendarError> {
    let calendar = |body: String| ([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], body);
    match target {
        Target::Event(id, name) => {
            let c = state.calendars.collection(actor, id)?;
            let item = state.calendars.item(actor, &c, &name)?;
            Ok(([(header::ETAG, item.etag())], calendar(item.ics())).into_response())
        }
        Target::Collection(id) => {
            let c: Collection = state.calendars.collection(actor, id)?;
            let items = state.calendars.items(actor, &c, None)?;
            let shown: Vec<_> = items.iter().map(|i| i.shown()).collect();
            Ok(calendar(crate::calendars::ical::calendar(&shown)).into_response())
        }
        _ => Ok((StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "OPTIONS, PROPFIND")]).into_response()),
    }
}

async fn put(
    state: &AppState,
    actor: &Actor,
    target: Target,
    headers: &HeaderMap,
    body: &str,
) -> Result<Response, CalendarError> {
    let Target::Event(id, name) = target else {
        return Err(CalendarError::Unsupported("PUT one event into a room's calendar"));
    };
    let c = state.calendars.collection(actor, id)?;
    let pre = if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == b"*") {
        Precondition::Absent
    } else {
        match if_match(headers)? {
            Some(v) => Precondition::Version(v),
            None => Precondition::None,
        }
    };
    let (item, created) = state.calendars.put(actor, &c, &name, body, pre).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::NO_CONTENT };
    Ok((status, [(header::ETAG, item.etag())]).into_response())
}

async fn delete(
    state: &AppState,
    actor: &Actor,
    target: Target,
    headers: &HeaderMap,
) -> Result<Response, CalendarError> {
    let Target::Event(id, name) = target else {
        return Err(CalendarError::Unsupported("only events can be deleted (which cancels the booking)"));
    };
    let c = state.calendars.collection(actor, id)?;
    state.calendars.delete(actor, &c, &name, if_match(headers)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The version an `If-Match` names; `*` asks for none in particular. An ETag this server never
/// gave cannot match.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, CalendarError> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    text.trim_start_matches("W/").trim_matches('"').parse().map(Some).map_err(|_| CalendarError::PreconditionFailed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::types::UserId;

    #[test]
    fn paths_name_only_the_actors_own_tree() {
        let actor = Actor::user(UserId::new(), Role::Member);
        let me = actor.id;
        assert_eq!(target("/dav/", &actor), Some(Target::Root));
        assert_eq!(target(&format!("/dav/principals/{me}/"), &actor), Some(Target::Principal));
        assert_eq!(target(&format!("/dav/calendars/{me}/mine/"), &actor), Some(Target::Collection(CollectionId::Mine)));
        assert_eq!(
            target(&format!("/dav/calendars/{me}/mine/a%20b.ics"), &actor),
            Some(Target::Event(CollectionId::Mine, "a b.ics".into()))
        );
        assert_eq!(target(&format!("/dav/calendars/{}/mine/", UserId::new()), &actor), None);
        assert_eq!(target("/dav/calendars/x/y/z/w", &actor), None);
        assert_eq!(
            Paths::of(&actor).event(CollectionId::Mine, "a b.ics"),
            format!("/dav/calendars/{me}/mine/a%20b.ics")
        );
    }
}
