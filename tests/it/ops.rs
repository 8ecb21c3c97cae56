//! Operations endpoints: health, readiness, Prometheus metrics and the OpenAPI document.

use crate::common::{TestServer, at};
use crate::support::booked;

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test]
async fn health_and_readiness() {
    let s = TestServer::start().await;
    let anon = s.anonymous();
    for path in ["/healthz", "/readyz"] {
        let res = anon.get(path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.body);
        assert!(res.header("content-type").is_some_and(|c| c.starts_with("application/json")), "{path}");
        assert!(res.body.is_object(), "{path}: {}", res.body);
        assert!(res.body["status"].is_string(), "{path}: {}", res.body);
    }
    assert_eq!(anon.get("/healthz").await.body["version"], env!("CARGO_PKG_VERSION"));
    s.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_and_bookings() {
    let s = TestServer::start().await;
    let anon = s.anonymous();
    let res = anon.get("/metrics").await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").is_some_and(|c| c.starts_with("text/plain")), "{:?}", res.headers);
    let text = res.body.as_str().expect("text, not JSON").to_string();
    assert_eq!(metric(&text, "salas_reservations_created_total"), Some(0.0), "{text}");
    assert!(text.contains("# TYPE salas_http_requests_total counter"), "{text}");

    let admin = s.admin().await;
    let room = admin.create_room("Sala", 4).await;
    let (start, end) = (at(1, 10), at(1, 11)); // once: a second `at` may fall on the next day
    booked(&admin, &room, &start, &end).await;
    assert_eq!(admin.book(&room, &start, &end).await.status, 409);

    let text = anon.get("/metrics").await.body.as_str().unwrap().to_string();
    assert!(metric(&text, "salas_reservations_created_total").is_some_and(|v| v >= 1.0), "{text}");
    assert!(metric(&text, "salas_reservation_conflicts_total").is_some_and(|v| v >= 1.0), "{text}");
    let booking_requests = text
        .lines()
        .filter(|l| l.starts_with("salas_http_requests_total{") && l.contains("route=\"/api/v1/reservations\""))
        .filter(|l| l.contains("method=\"POST\"") && l.contains("status=\"201\""))
        .find_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok());
    assert_eq!(booking_requests, Some(1.0), "{text}");
    // Every sample line is `name{labels} value` or `name value`.
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "bad sample line: {line}");
        assert!(line.starts_with("salas_"), "{line}");
    }
    s.stop().await;
}

#[tokio::test]
async fn openapi_document_describes_the_api() {
    let s = TestServer::start().await;
    let res = s.anonymous().get("/api/openapi.json").await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").is_some_and(|c| c.starts_with("application/json")));
    let doc = &res.body;
    assert!(doc.is_object(), "valid JSON: {doc}");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/reservations",
        "/api/v1/reservations/{id}",
        "/api/v1/reservations/{id}/cancel",
        "/api/v1/rooms",
        "/api/v1/rooms/{id}",
        "/api/v1/rooms/{id}/availability",
        "/api/v1/availability",
        "/api/v1/resources",
        "/api/v1/users",
        "/api/v1/users/me",
        "/api/v1/auth/token",
    ] {
        assert!(paths.contains_key(path), "missing {path}; has {:?}", paths.keys().collect::<Vec<_>>());
    }
    assert!(paths["/api/v1/reservations"]["post"].is_object());
    assert!(paths["/api/v1/reservations"]["get"].is_object());
    assert!(paths["/api/v1/auth/token"]["post"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object(), "{}", doc["components"]);
    s.stop().await;
}
