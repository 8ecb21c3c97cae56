//! Extractors: who is asking, JSON bodies and query strings that fail as problem+json naming the
//! field, and `If-Match`.

use super::AppState;
use super::gateway::Client;
use super::problem::Problem;
use crate::access::Actor;
use crate::validation::FieldErrors;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use serde::de::DeserializeOwned;

impl FromRequestParts<AppState> for Actor {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| Problem::unauthenticated("sign in: send Authorization: Bearer <token>"))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Problem::unauthenticated("the Authorization header must be `Bearer <token>`"))?;
        Ok(state.users.authenticate(token)?)
    }
}

/// A JSON body. Malformed JSON is a 400; well-formed JSON with a missing or wrongly typed field is
/// a 422 naming the field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let is_json = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
            let mime = v.split(';').next().unwrap_or("").trim();
            mime == "application/json" || mime.ends_with("+json")
        });
        if !is_json {
            return Err(Problem::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            Problem::new(e.status(), "body", format!("could not read the request body: {}", e.body_text()))
        })?;
        decode_json(&bytes).map(ApiJson)
    }
}

/// A JSON body's bytes as `T`: malformed JSON is a 400, a missing or wrongly typed field a 422
/// naming it. Public so the fuzz target `reservation_body` decodes exactly as the API does.
#[allow(clippy::result_large_err)] // a Problem, as every handler returns
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| Problem::bad_request(format!("the body is not valid JSON: {e}")))?;
    // Every body is an object. serde would also read a struct from an array, field by field in
    // order: an undocumented form whose errors name no field (`[0]`). Found by fuzzing.
    if !value.is_object() {
        return Err(Problem::invalid(FieldErrors::one("body", "invalid", "must be a JSON object")));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let message = clean_serde_message(&e.inner().to_string());
        // serde reports a missing field at its parent's path; name the field itself.
        let field = match (e.path().to_string(), missing_field(&message)) {
            (path, Some(missing)) if path == "." => missing.to_string(),
            (path, Some(missing)) => format!("{path}.{missing}"),
            (path, None) if path == "." => "body".to_string(),
            (path, None) => path,
        };
        Problem::invalid(FieldErrors::one(field, "invalid", message))
    })
}

/// A query string; a bad value is a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let field = e.path().to_string();
            let message = clean_serde_message(&e.inner().to_string());
            let field = if field == "." { missing_field(&message).unwrap_or("query").to_string() } else { field };
            Problem::invalid(FieldErrors::one(field, "invalid", message))
        })
    }
}

/// serde says "missing field `from`" at the top level; name that field.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

/// serde's messages end with "at line 1 column 40", which means nothing to a client of an API.
fn clean_serde_message(m: &str) -> String {
    match m.find(" at line ") {
        Some(i) => m[..i].to_string(),
        None => m.to_string(),
    }
}

/// The version an `If-Match` header names: `"3"`, `W/"3"` or `3`.
pub struct IfMatch(pub Option<u64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else { return Ok(IfMatch(None)) };
        let text = value.to_str().unwrap_or("").trim();
        if text == "*" {
            return Ok(IfMatch(None));
        }
        let bare = text.trim_start_matches("W/").trim_matches('"');
        bare.parse()
            .map(|v| IfMatch(Some(v)))
            .map_err(|_| Problem::bad_request("If-Match must be the ETag this server gave, like \"3\""))
    }
}

/// The client's address, as the gateway settled it: the peer's, or the one a trusted proxy
/// reports (`[http] trusted_proxies`). For sign-in lockouts, logs and the audit trail.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr::of(&parts.extensions))
    }
}

impl ClientAddr {
    pub fn of(extensions: &axum::http::Extensions) -> ClientAddr {
        let ip = extensions.get::<Client>().and_then(|c| c.ip);
        ClientAddr(ip.map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        title: String,
    }

    // Found by the fuzz target `reservation_body`: `["x"]` decoded as a struct, by position, and
    // `[2]` was refused naming the field `[0]`.
    #[test]
    fn a_body_must_be_an_object() {
        for text in [r#"["Weekly"]"#, "[2]", "2", "null", r#""title""#] {
            let p = decode_json::<Body>(text.as_bytes()).unwrap_err();
            let e = &p.errors[0];
            assert_eq!(
                (p.status, e.field.as_str(), e.message.as_str()),
                (422, "body", "must be a JSON object"),
                "{text}"
            );
        }
        assert_eq!(decode_json::<Body>(b"[").unwrap_err().status, 400);
        assert_eq!(decode_json::<Body>(br#"{"title":"Weekly"}"#).unwrap().title, "Weekly");
        let p = decode_json::<Body>(br#"{"title":2}"#).unwrap_err();
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "title"));
    }
}
