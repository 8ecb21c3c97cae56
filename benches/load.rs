//! Load benchmark of the real server: runs the release `salas` binary as a process of its own on a
//! temporary data directory and drives it over HTTP like any client, so every figure includes
//! routing, JSON, the access log, authentication and the durable group commit. `cargo bench --bench
//! load` measures booking throughput (1 and 64 clients), availability reads over 10,000 stored
//! reservations and the server's memory, and writes the table to stdout and target/bench-results.md.

use chrono::{DateTime, Duration as Span, SecondsFormat, Utc};
use reqwest::{Client, RequestBuilder};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

const ADMIN_EMAIL: &str = "bench@example.test";
const ADMIN_PASSWORD: &str = "bench password 1";
/// Rooms the write scenario spreads its bookings over.
const WRITE_ROOMS: usize = 16;
/// Rooms of the read scenario: one calendar page showing every room of an office.
const READ_ROOMS: usize = 50;

/// Whether this is `cargo bench` (which passes `--bench`) rather than a test run.
fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// How much work a step does: `bench` under `cargo bench`, `smoke` when run as a test (`cargo
/// test --benches`), or the value of the BENCH_* variable `name`. (The lint against `env::var`
/// keeps the server's settings in config.rs; a bench's own knobs are not settings.)
#[allow(clippy::disallowed_methods)]
fn count(name: &str, bench: usize, smoke: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v} is not a count")),
        Err(_) if full_run() => bench,
        Err(_) => smoke,
    }
}

// Bookings must start in the future, so the bench needs the wall clock (the lint is for the server).
#[allow(clippy::disallowed_methods)]
fn tomorrow() -> DateTime<Utc> {
    (Utc::now() + Span::days(1)).date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

/// RFC 3339 with `Z`, so it can go into a query string unescaped (a `+` would read as a space).
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The server under test; dropping it kills the process, so a failed run leaves nothing behind.
struct Server {
    child: Child,
    url: String,
    log_errors: Arc<AtomicU64>,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_salas"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("SALAS_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("SALAS_ADMIN_PASSWORD", ADMIN_PASSWORD)
            // One address and one credential make all the load: with the gateway's rate limits
            // on, the limits would be what is measured.
            .env("SALAS_LIMITS_PER_IP_PER_MINUTE", "0")
            .env("SALAS_LIMITS_PER_CREDENTIAL_PER_MINUTE", "0")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("salas starts");
        let (found, address) = mpsc::channel();
        let log_errors = Arc::new(AtomicU64::new(0));
        watch_log(child.stdout.take().expect("stdout"), found.clone(), log_errors.clone());
        watch_log(child.stderr.take().expect("stderr"), found, log_errors.clone());
        let address = address.recv_timeout(Duration::from_secs(30)).expect("`listening on http://` in the log");
        Server { child, url: format!("http://{address}"), log_errors, _dir: dir }
    }

    /// SIGTERM, as a service manager stops it, then waits for the exit; returns how it went.
    fn stop(mut self) -> String {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        for _ in 0..1500 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return format!("{status}, {} ERROR lines in its log", self.log_errors.load(Ordering::Relaxed));
            }
            std::thread::sleep(Duration::from_millis(20)); // 30 s in all
        }
        "still running 30 s after SIGTERM (killed)".into()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one of the server's output pipes on a thread of its own: reports the address, counts
/// (and shows the first few) ERROR lines, and above all keeps the pipe drained, since the access
/// log writes a line per request and a full pipe would stall the server.
fn watch_log(pipe: impl Read + Send + 'static, found: mpsc::Sender<String>, errors: Arc<AtomicU64>) {
    std::thread::spawn(move || {
        let mut starting = true; // until then every line is shown: it tells why a start failed
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let show_error = line.contains("ERROR") && errors.fetch_add(1, Ordering::Relaxed) < 5;
            if let Some(rest) = line.split("listening on http://").nth(1) {
                starting = false;
                let _ = found.send(rest.split_whitespace().next().unwrap_or_default().to_string());
            } else if starting || show_error {
                eprintln!("server: {line}");
            }
        }
    });
}

/// A signed-in API client; clones share one connection pool.
#[derive(Clone)]
struct Api {
    http: Client,
    base: String,
    token: String,
}

impl Api {
    async fn sign_in(base: &str) -> Api {
        let http = Client::builder().timeout(Duration::from_secs(60)).build().expect("http client");
        let api = Api { http, base: base.to_string(), token: String::new() };
        let body = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
        let token = parse(api.send(api.post("/api/v1/auth/token", &body), 200).await.expect("sign-in"));
        Api { token: token["access_token"].as_str().expect("access_token").to_string(), ..api }
    }

    /// Sends `req` and returns the body if the status is `want`, otherwise what came back instead.
    /// Bodies are read in full (the client waits for them) but only parsed where needed.
    async fn send(&self, req: RequestBuilder, want: u16) -> Outcome {
        let res = req.bearer_auth(&self.token).send().await.map_err(|e| format!("request failed: {e}"))?;
        let status = res.status().as_u16();
        let body = res.text().await.map_err(|e| format!("{status}, body unreadable: {e}"))?;
        if status == want { Ok(body) } else { Err(format!("{status} {}", body.chars().take(300).collect::<String>())) }
    }

    fn get(&self, path: &str) -> RequestBuilder {
        self.http.get(format!("{}{path}", self.base))
    }

    fn post(&self, path: &str, body: &Value) -> RequestBuilder {
        self.http.post(format!("{}{path}", self.base)).json(body)
    }

    async fn book(&self, room: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Outcome {
        let body = json!({"room_id": room, "title": "Load test", "start": rfc3339(start), "end": rfc3339(end)});
        self.send(self.post("/api/v1/reservations", &body), 201).await
    }

    /// Creates `n` rooms of 2 to 12 seats (so a capacity filter has something to drop).
    async fn create_rooms(&self, n: usize, prefix: &str) -> Arc<Vec<String>> {
        let mut ids = Vec::new();
        for i in 0..n {
            let body = json!({"name": format!("{prefix} room {i}"), "capacity": 2 + i % 11});
            let room = parse(self.send(self.post("/api/v1/rooms", &body), 201).await.expect("room created"));
            ids.push(room["id"].as_str().expect("room id").to_string());
        }
        Arc::new(ids)
    }
}

/// A response body as JSON (`null` if it is not JSON).
fn parse(body: String) -> Value {
    serde_json::from_str(&body).unwrap_or_default()
}

/// Timings of one measured run: latencies of its operations and the wall time of all of them.
#[derive(Default)]
struct Run {
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// What came back instead of the expected status, per failed request.
    failures: Vec<String>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// A one-client run (its latencies in order) seen as sweeps of `n` consecutive requests.
    fn per_sweep(&self, n: usize) -> Run {
        let latencies = self.latencies.chunks(n).map(|c| c.iter().sum()).collect();
        Run { elapsed: self.elapsed, latencies, ..Run::default() }
    }

    /// Latency at quantile `q` (nearest rank), in ms.
    fn percentile(&self, q: f64) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
        sorted.get(rank - 1).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    }
}

/// The body of the expected answer, or a description of the unexpected one.
type Outcome = Result<String, String>;
/// Request number `i` of a run, shared by its concurrent clients.
type Call = Arc<dyn Fn(usize) -> Pin<Box<dyn Future<Output = Outcome> + Send>> + Send + Sync>;

fn call<Fut: Future<Output = Outcome> + Send + 'static>(f: impl Fn(usize) -> Fut + Send + Sync + 'static) -> Call {
    Arc::new(move |i| Box::pin(f(i)))
}

/// Makes calls 0..total from `clients` concurrent clients, each sending its next request as soon
/// as the last is answered (a closed loop: throughput is what the server sustains, not a target).
async fn run(clients: usize, total: usize, call: Call) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = JoinSet::new();
    for _ in 0..clients {
        let (next, call) = (next.clone(), call.clone());
        workers.spawn(async move {
            let mut seen = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return seen;
                }
                let t = Instant::now();
                let outcome = call(i).await;
                seen.push((t.elapsed(), outcome.err()));
            }
        });
    }
    let seen = workers.join_all().await;
    let mut out = Run { elapsed: started.elapsed(), ..Run::default() };
    for (latency, failure) in seen.into_iter().flatten() {
        out.latencies.push(latency);
        out.failures.extend(failure);
    }
    out
}

/// Books one new 30-minute slot per call; slots are numbered across runs (by `slots`) and dealt
/// round-robin over the rooms, so no two bookings overlap and every answer should be a 201.
fn book_next_slot(api: &Api, rooms: &Arc<Vec<String>>, slots: &Arc<AtomicUsize>, base: DateTime<Utc>) -> Call {
    let (api, rooms, slots) = (api.clone(), rooms.clone(), slots.clone());
    call(move |_| {
        let n = slots.fetch_add(1, Ordering::Relaxed);
        let room = rooms[n % rooms.len()].clone();
        let start = base + Span::minutes(30 * (n / rooms.len()) as i64);
        let api = api.clone();
        async move { api.book(&room, start, start + Span::minutes(30)).await }
    })
}

/// Seeds a working calendar: booking `n` is an hour in room `n % rooms`, ten a day from 08:00 UTC
/// on consecutive days, so 10,000 bookings fill 20 days of 50 rooms.
fn book_working_hours(api: &Api, rooms: &Arc<Vec<String>>, base: DateTime<Utc>) -> Call {
    let (api, rooms) = (api.clone(), rooms.clone());
    call(move |n| {
        let k = n / rooms.len();
        let start = base + Span::days((k / 10) as i64) + Span::hours(8 + (k % 10) as i64);
        let (api, room) = (api.clone(), rooms[n % rooms.len()].clone());
        async move { api.book(&room, start, start + Span::hours(1)).await }
    })
}

/// GETs the paths in turn: call `i` reads `paths[i % paths.len()]`.
fn get_each(api: &Api, paths: Vec<String>) -> Call {
    let api = api.clone();
    call(move |i| {
        let req = api.get(&paths[i % paths.len()]);
        let api = api.clone();
        async move { api.send(req, 200).await }
    })
}

#[derive(Default)]
struct Report {
    timings: Vec<[String; 6]>,
    memory: Vec<[String; 3]>,
    notes: Vec<String>,
}

impl Report {
    fn timing(&mut self, what: &str, run: &Run) {
        let f = |x: f64| format!("{x:.2}");
        let (n, failed) = (run.latencies.len().to_string(), run.failures.len().to_string());
        self.timings.push([what.into(), n, f(run.rate()), f(run.percentile(0.5)), f(run.percentile(0.99)), failed]);
        if let Some(first) = run.failures.first() {
            self.notes.push(format!("{what}: {} failed; the first: {first}", run.failures.len()));
        }
    }

    /// The server's resident memory now (VmRSS) and at its peak so far (VmHWM), in MiB.
    fn memory(&mut self, when: &str, server: &Server) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap_or_default();
        let mib = |key: &str| {
            let kib = status.lines().find_map(|l| l.strip_prefix(key)?.split_whitespace().next()?.parse::<f64>().ok());
            kib.map_or("?".into(), |k| format!("{:.1}", k / 1024.0))
        };
        self.memory.push([when.into(), mib("VmRSS:"), mib("VmHWM:")]);
    }

    fn markdown(&self) -> String {
        let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
        let head = ["Operation", "Ops", "Ops/s", "p50 ms", "p99 ms", "Failed"];
        let timings = table(&head, &self.timings);
        let memory = table(&["Server memory", "VmRSS MiB", "VmHWM MiB"], &self.memory);
        let notes: String = self.notes.iter().map(|n| format!("- {n}\n")).collect();
        format!("# Salas load benchmark\n\nClient and server share {cpus} CPUs.\n\n{timings}\n{memory}\n{notes}")
    }
}

/// A markdown table padded to line up in a terminal as well; figures right-aligned (`---:`).
fn table<const N: usize>(head: &[&str; N], rows: &[[String; N]]) -> String {
    let widths: Vec<usize> = (0..N).map(|c| rows.iter().map(|r| r[c].len()).fold(head[c].len(), usize::max)).collect();
    let cell = |c: usize, s: &str| match c {
        0 => format!("{s:<w$}", w = widths[c]),
        _ => format!("{s:>w$}", w = widths[c]),
    };
    let rule = |c: usize| match c {
        0 => "-".repeat(widths[c]),
        _ => format!("{}:", "-".repeat(widths[c] - 1)),
    };
    let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    let mut out = line((0..N).map(|c| cell(c, head[c])).collect());
    out += &line((0..N).map(rule).collect());
    rows.iter().for_each(|r| out += &line((0..N).map(|c| cell(c, &r[c])).collect()));
    out
}

/// Scenario 1: booking throughput and latency with 1 and with 64 clients.
async fn write_path(report: &mut Report) {
    let server = Server::start();
    report.memory("write server, idle after start", &server);
    let api = Api::sign_in(&server.url).await;
    let rooms = api.create_rooms(WRITE_ROOMS, "Write").await;
    let slots = Arc::new(AtomicUsize::new(0));
    let (writes_1, writes_64) = (count("BENCH_WRITES_1", 2_000, 20), count("BENCH_WRITES_64", 10_000, 128));
    let one = run(1, writes_1, book_next_slot(&api, &rooms, &slots, tomorrow())).await;
    report.timing("POST /reservations, 1 client", &one);
    let many = run(64, writes_64, book_next_slot(&api, &rooms, &slots, tomorrow())).await;
    report.timing("POST /reservations, 64 clients", &many);
    report.notes.push(format!("Throughput 64 clients / 1 client: {:.2}x", many.rate() / one.rate()));
    report.memory(&format!("write server, after scenario 1 ({} reservations)", writes_1 + writes_64), &server);
    report.notes.push(format!("Write server stopped with SIGTERM: {}", server.stop()));
}

/// Scenario 2, on a fresh server so the store holds exactly the seeded reservations: a week of
/// availability for each of 50 rooms, and the search for rooms free for an hour.
async fn read_path(report: &mut Report) {
    let server = Server::start();
    report.memory("read server, idle after start", &server);
    let api = Api::sign_in(&server.url).await;
    let rooms = api.create_rooms(READ_ROOMS, "Read").await;
    let base = tomorrow();
    let seed = count("BENCH_SEED", 10_000, 500);
    report.timing("seed: POST /reservations, 64 clients", &run(64, seed, book_working_hours(&api, &rooms, base)).await);
    report.memory(&format!("read server, after seeding {seed} reservations"), &server);

    // Days 5 to 11 of the seeded calendar: full working days while the seed covers 20 days.
    let (from, to) = (rfc3339(base + Span::days(5)), rfc3339(base + Span::days(12)));
    let first = api.send(api.get(&format!("/api/v1/rooms/{}/availability?from={from}&to={to}", rooms[0])), 200).await;
    let busy = parse(first.unwrap_or_default())["busy"].as_array().map_or(0, Vec::len);
    report.notes.push(format!("Busy intervals per room in the 7-day window: {busy}"));
    // One client showing a week of every room, as a calendar page does, sweep after sweep.
    let week = rooms.iter().map(|r| format!("/api/v1/rooms/{r}/availability?from={from}&to={to}")).collect();
    let single = run(1, count("BENCH_SWEEPS", 200, 2) * READ_ROOMS, get_each(&api, week)).await;
    report.timing("availability, 50 rooms x 7 days (per sweep)", &single.per_sweep(READ_ROOMS));
    report.timing("GET /rooms/{id}/availability, 7 days", &single);

    // An evening hour, after the seeded working hours: rooms of 4+ seats are all free then.
    let (from, to) = (base + Span::days(6) + Span::hours(19), base + Span::days(6) + Span::hours(20));
    let free = format!("/api/v1/availability?from={}&to={}&capacity=4", rfc3339(from), rfc3339(to));
    let found = parse(api.send(api.get(&free), 200).await.unwrap_or_default()).as_array().map_or(0, Vec::len);
    report.notes.push(format!("Rooms found free by GET /availability: {found}"));
    let search = run(1, count("BENCH_FREE_QUERIES", 1_000, 10), get_each(&api, vec![free])).await;
    report.timing("GET /availability?capacity=4, 1 hour", &search);
    report.memory("read server, after the read scenarios", &server);
    report.notes.push(format!("Read server stopped with SIGTERM: {}", server.stop()));
}

#[tokio::main]
async fn main() {
    let mut report = Report::default();
    write_path(&mut report).await;
    read_path(&mut report).await;
    let markdown = report.markdown();
    println!("\n{markdown}");
    if full_run() {
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target directory");
        std::fs::write(target.join("bench-results.md"), &markdown).expect("write bench-results.md");
        println!("Written to {}", target.join("bench-results.md").display());
    }
}
