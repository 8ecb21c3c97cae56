//! Static files (htmx, CSS, JS), embedded in the binary. URLs carry a content hash, so browsers
//! may cache them for a year and still never run a stale script.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Files;

/// file name → "/static/<hash8>/<file name>"
static URLS: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    Files::iter()
        .filter_map(|name| {
            let file = Files::get(&name)?;
            let hash = hex::encode(&file.metadata.sha256_hash()[..4]);
            Some((name.to_string(), format!("/static/{hash}/{name}")))
        })
        .collect()
});

/// The cache-busted URL of a static file.
pub fn url(name: &str) -> String {
    URLS.get(name).cloned().unwrap_or_else(|| format!("/static/0/{name}"))
}

/// An embedded file's bytes.
pub fn file(name: &str) -> Option<Vec<u8>> {
    Files::get(name).map(|f| f.data.into_owned())
}

pub async fn serve(Path((_hash, name)): Path<(String, String)>) -> Response {
    match Files::get(&name) {
        Some(file) => {
            let mime = HeaderValue::from_str(file.metadata.mimetype())
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
                ],
                file.data.into_owned(),
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
