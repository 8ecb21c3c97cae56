//! Request metrics and the access log, in one middleware; the Prometheus text is rendered by
//! hand from a few counters, so each server (and each test server) has its own registry.

use super::problem::InternalCause;
use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    pub reservations_created: AtomicU64,
    pub reservation_conflicts: AtomicU64,
}

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            let h = l.entry(route.to_string()).or_default();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += seconds;
        }
    }

    pub fn render(&self, last_event_seq: u64) -> String {
        let mut out = String::new();
        out.push_str("# HELP salas_http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE salas_http_requests_total counter\n");
        if let Ok(r) = self.requests.lock() {
            for ((method, route, status), n) in r.iter() {
                let _ = writeln!(
                    out,
                    "salas_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP salas_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE salas_http_request_duration_seconds histogram\n");
        if let Ok(l) = self.latency.lock() {
            for (route, h) in l.iter() {
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "salas_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {}",
                        h.counts[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "salas_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(out, "salas_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
                let _ = writeln!(out, "salas_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
            }
        }
        let counters = [
            (
                "salas_reservations_created_total",
                "Reservations created.",
                self.reservations_created.load(Ordering::Relaxed),
            ),
            (
                "salas_reservation_conflicts_total",
                "Bookings refused because the room was taken.",
                self.reservation_conflicts.load(Ordering::Relaxed),
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        }
        let _ = writeln!(
            out,
            "# HELP salas_event_log_last_seq Sequence number of the newest event.\n# TYPE salas_event_log_last_seq gauge\nsalas_event_log_last_seq {last_event_seq}"
        );
        out
    }
}

/// Appends one gauge in the Prometheus text format.
pub fn gauge(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
}

/// Appends the event consumers' lag and failures, one series per consumer.
pub fn consumers(out: &mut String, reports: &[crate::events::bus::ConsumerReport]) {
    let series = [
        ("salas_consumer_lag_events", "gauge", "Events in the log a consumer has not handled yet."),
        ("salas_consumer_position", "gauge", "Sequence number of the last event a consumer handled."),
        ("salas_consumer_failures_total", "counter", "Failed attempts of a consumer since start."),
    ];
    for (i, (name, kind, help)) in series.iter().enumerate() {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for r in reports {
            let value = [r.lag, r.position, r.failures][i];
            let _ = writeln!(out, "{name}{{consumer=\"{}\"}} {value}", r.name);
        }
    }
}

/// The path as the access log shows it: a segment the route names `{token}` (a calendar feed's or
/// a door display's secret) is replaced, since whoever reads the log must not be able to use it.
fn loggable_path(route: &str, path: &str) -> String {
    if !route.contains("{token}") {
        return path.to_string();
    }
    let mut route_segments = route.split('/');
    let segments: Vec<&str> = path
        .split('/')
        .map(|s| if route_segments.next().is_some_and(|r| r.starts_with("{token}")) { "[redacted]" } else { s })
        .collect();
    segments.join("/")
}

/// Records every request `inner` answers in the metrics and the access log (with the request
/// id the outer layer assigned). A 5xx's internal cause is logged here, never sent to the client.
pub async fn observe<F: Future<Output = Response>>(
    state: &super::AppState,
    req: Request,
    inner: impl FnOnce(Request) -> F,
) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let path = loggable_path(&route, req.uri().path());
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_string();
    // The address the gateway settled on (behind a trusted proxy, the proxy's client).
    let client = req.extensions().get::<super::gateway::Client>().and_then(|c| c.ip).map(|ip| ip.to_string());
    let client = client.unwrap_or_else(|| "-".into());
    let res = inner(req).await;
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    state.metrics.record(&method, &route, status, elapsed.as_secs_f64());
    let ms = (elapsed.as_secs_f64() * 100_000.0).round() / 100.0;
    if let Some(cause) = res.extensions().get::<InternalCause>() {
        tracing::error!(%request_id, %client, %method, %path, status, ms, cause = %cause.0, "request failed");
    } else {
        tracing::info!(%request_id, %client, %method, %path, status, ms, "request");
    }
    res
}

#[cfg(test)]
mod log_tests {
    use super::loggable_path;

    #[test]
    fn tokens_in_paths_are_not_logged() {
        assert_eq!(loggable_path("/api/v1/rooms/{id}", "/api/v1/rooms/abc"), "/api/v1/rooms/abc");
        assert_eq!(
            loggable_path("/api/v1/feeds/rooms/{id}/{token}", "/api/v1/feeds/rooms/r1/s3cr3t.ics"),
            "/api/v1/feeds/rooms/r1/[redacted]"
        );
        assert_eq!(loggable_path("/display/{token}/book", "/display/s3cr3t/book"), "/display/[redacted]/book");
    }
}
