//! The real server, started in-process on 127.0.0.1:0 with a temporary data directory, and a
//! small HTTP client that speaks to it like any API client would.

#![allow(dead_code)] // each test file uses a different part of the toolkit

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub mod postgres;
pub mod process;

pub const ADMIN_EMAIL: &str = "admin@example.test";
pub const ADMIN_PASSWORD: &str = "admin password 1";
/// Password of the users [`TestServer::user`] creates.
pub const PASSWORD: &str = "member password 1";

pub struct TestServer {
    pub url: String,
    pub dir: TempDir,
    server: Option<salas::app::Server>,
}

/// Asks `probe` every 100 ms, for up to 15 s, until it answers `Ok`; panics with its last `Err`.
/// For what the server records a moment after the outside world sees it: a delivery is logged as
/// sent (a durable write) only after the receiver has the mail or the call.
pub async fn eventually<T, F: std::future::Future<Output = Result<T, String>>>(what: &str, probe: impl Fn() -> F) -> T {
    let mut last = String::new();
    for _ in 0..150 {
        match probe().await {
            Ok(v) => return v,
            Err(e) => last = e,
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{what}: not within 15 s; last seen: {last}");
}

pub fn config(data_dir: &Path) -> salas::config::Config {
    let mut c =
        salas::config::Config { listen: "127.0.0.1:0".into(), data_dir: data_dir.to_path_buf(), ..Default::default() };
    c.admin.email = ADMIN_EMAIL.into();
    c.admin.password = ADMIN_PASSWORD.into();
    // Every test client comes from 127.0.0.1 and signs in often; tests/it/gateway.rs turns the
    // rate limits on with small numbers where it tests them.
    c.limits = salas::config::LimitsConfig::off();
    if postgres::selected() {
        c.store.backend = salas::config::Backend::Postgres;
        c.store.url = postgres::database_for(data_dir);
        c.secret.key = postgres::SECRET_KEY.into();
    }
    c
}

impl TestServer {
    pub async fn start() -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir).await
    }

    /// Starts on an existing data directory (for restarts).
    pub async fn start_in(dir: TempDir) -> TestServer {
        let c = config(dir.path());
        Self::start_with(dir, c).await
    }

    pub async fn start_with(dir: TempDir, config: salas::config::Config) -> TestServer {
        let server = salas::app::start(config).await.expect("server starts");
        let s = TestServer { url: format!("http://{}", server.addr), dir, server: Some(server) };
        s.wait_until_ready().await;
        s
    }

    /// Polls `/readyz` as a load balancer would (the search index builds in the background).
    pub async fn wait_until_ready(&self) {
        for _ in 0..400 {
            if self.anonymous().get("/readyz").await.status == 200 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the server did not become ready within 10 s");
    }

    /// Stops gracefully and hands back the data directory.
    pub async fn stop(mut self) -> TempDir {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
        self.dir
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// A client with no credentials.
    pub fn anonymous(&self) -> Api {
        Api {
            base: self.url.clone(),
            token: None,
            http: reqwest::Client::new(),
            id: String::new(),
            email: String::new(),
        }
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Api {
        self.anonymous().sign_in(email, password).await
    }

    pub async fn admin(&self) -> Api {
        self.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// Creates a user with `role` (through the API, as the admin) and signs in as them.
    pub async fn user(&self, role: &str) -> Api {
        self.admin().await.new_user(role).await
    }
}

/// An API client, signed in or not.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: Option<String>,
    pub http: reqwest::Client,
    /// The signed-in user's id and e-mail address.
    pub id: String,
    pub email: String,
}

#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `field` names of a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| a.iter().map(|e| e["field"].as_str().unwrap_or("").to_string()).collect())
            .unwrap_or_default()
    }
}

impl Api {
    pub fn with_token(&self, token: &str) -> Api {
        Api { token: Some(token.to_string()), ..self.clone() }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Res {
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let res = req.send().await.expect("request reaches the server");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Res { status, headers, body }
    }

    /// Signs in as another user, on the same server.
    pub async fn sign_in(&self, email: &str, password: &str) -> Api {
        let anonymous = Api { token: None, id: String::new(), email: String::new(), ..self.clone() };
        let res = anonymous.post("/api/v1/auth/token", json!({"email": email, "password": password})).await;
        assert_eq!(res.status, 200, "sign-in of {email}: {}", res.body);
        let token = res.body["access_token"].as_str().expect("token").to_string();
        let mut api = Api { token: Some(token), email: email.to_string(), ..anonymous };
        let me = api.get("/api/v1/users/me").await;
        api.id = me.body["id"].as_str().unwrap_or_default().to_string();
        api
    }

    /// As an admin: creates a user with `role` and signs in as them.
    pub async fn new_user(&self, role: &str) -> Api {
        let email = format!("{role}-{}@example.test", uuid::Uuid::now_v7().simple());
        let body = json!({"email": email, "name": format!("A {role}"), "role": role, "password": PASSWORD});
        let res = self.post("/api/v1/users", body).await;
        assert_eq!(res.status, 201, "{}", res.body);
        self.sign_in(&email, PASSWORD).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Res {
        self.send(self.http.put(format!("{}{path}", self.base)).json(&body)).await
    }

    pub async fn get(&self, path: &str) -> Res {
        self.send(self.http.get(format!("{}{path}", self.base))).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Res {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Res {
        self.send(self.http.patch(format!("{}{path}", self.base)).json(&body)).await
    }

    pub async fn patch_if_match(&self, path: &str, version: u64, body: Value) -> Res {
        self.send(
            self.http.patch(format!("{}{path}", self.base)).header("if-match", format!("\"{version}\"")).json(&body),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Res {
        self.send(self.http.delete(format!("{}{path}", self.base))).await
    }

    pub async fn create_room(&self, name: &str, capacity: u32) -> String {
        let res =
            self.post("/api/v1/rooms", json!({"name": name, "capacity": capacity, "timezone": "Europe/Madrid"})).await;
        assert_eq!(res.status, 201, "{}", res.body);
        res.body["id"].as_str().expect("room id").to_string()
    }

    /// Creates a room in Europe/Madrid on `location`, with a one-line description, and returns
    /// its id.
    pub async fn create_room_on(&self, name: &str, capacity: u32, location: &str) -> String {
        let body = json!({"name": name, "capacity": capacity, "location": location, "timezone": "Europe/Madrid",
            "description": format!("{name}: a quiet room on {location}.")});
        let res = self.post("/api/v1/rooms", body).await;
        assert_eq!(res.status, 201, "{}", res.body);
        res.body["id"].as_str().expect("room id").to_string()
    }

    /// Books `room` under `title`, asserting that it was booked, and returns the reservation's id.
    pub async fn book_titled(&self, room: &str, title: &str, start: &str, end: &str) -> String {
        let res = self
            .post("/api/v1/reservations", json!({"room_id": room, "title": title, "start": start, "end": end}))
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
        res.body["id"].as_str().expect("reservation id").to_string()
    }

    /// Books like [`Api::book`], but a request the server never answered (it was killed) is
    /// `None` instead of a panic: (status, id) otherwise.
    pub async fn try_book(&self, room: &str, start: &str, end: &str) -> Option<(u16, String)> {
        let body = json!({"room_id": room, "title": "Meeting", "start": start, "end": end});
        let req = self.http.post(format!("{}/api/v1/reservations", self.base)).json(&body);
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let res = req.send().await.ok()?;
        let status = res.status().as_u16();
        let body: Value = res.json().await.ok()?;
        Some((status, body["id"].as_str().unwrap_or_default().to_string()))
    }

    /// Books `room` from `start` to `end` (RFC 3339) and returns the response.
    pub async fn book(&self, room: &str, start: &str, end: &str) -> Res {
        self.post("/api/v1/reservations", json!({"room_id": room, "title": "Meeting", "start": start, "end": end}))
            .await
    }
}

/// An instant `days` days and `hours` hours from now, on a whole hour, in RFC 3339.
pub fn at(days: i64, hours: i64) -> String {
    let base = salas::clock::now().date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    (base + chrono::Duration::days(days) + chrono::Duration::hours(hours)).to_rfc3339()
}

impl TestServer {
    /// Starts with `config` and a clock the test can move (`salas::clock::Clock::advance`).
    pub async fn start_with_clock(
        dir: TempDir,
        config: salas::config::Config,
        clock: salas::clock::Clock,
    ) -> TestServer {
        let server = salas::app::start_with_clock(config, clock).await.expect("server starts");
        let s = TestServer { url: format!("http://{}", server.addr), dir, server: Some(server) };
        s.wait_until_ready().await;
        s
    }
}

/// A free TCP port on 127.0.0.1 (free when asked; the caller binds it soon after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// A real SMTP server (Python's aiosmtpd, see `smtp_sink.py`) that writes every message it
/// accepts, parsed, as JSON into a directory.
pub struct SmtpSink {
    pub port: u16,
    pub out: TempDir,
    child: Option<std::process::Child>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let mut sink = SmtpSink { port: free_port(), out: tempfile::tempdir().expect("temp dir"), child: None };
        sink.resume();
        sink
    }

    /// Starts the server (again) on the same port and directory.
    pub fn resume(&mut self) {
        use std::io::BufRead;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/smtp_sink.py");
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .arg(self.port.to_string())
            .arg(self.out.path())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs the SMTP sink (pip install aiosmtpd icalendar)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("sink output");
        assert_eq!(line.trim(), "ready", "the SMTP sink did not start");
        self.child = Some(child);
    }

    /// Stops the server: connections are refused until [`SmtpSink::resume`].
    pub fn pause(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Configures `c` to send through this server.
    pub fn configure(&self, c: &mut salas::config::Config) {
        c.smtp.host = "127.0.0.1".into();
        c.smtp.port = self.port;
        c.smtp.security = "none".into();
        c.smtp.from = "Salas <salas@example.test>".into();
        c.smtp.retry_seconds = 1;
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.out.path()).expect("sink dir").flatten() {
            if entry.path().extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(entry.path()).expect("message file");
                out.push(serde_json::from_str(&text).expect("message JSON"));
            }
        }
        out
    }

    /// Waits until at least `n` messages satisfy `pred` (at most 20 s); returns them.
    pub async fn wait_for(&self, n: usize, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        for _ in 0..200 {
            let found: Vec<Value> = self.messages().into_iter().filter(|m| pred(m)).collect();
            if found.len() >= n {
                return found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("expected {n} messages; got {:#?}", self.messages());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.pause();
    }
}

/// The problems `salas check` finds in the store of `data_dir` (on PostgreSQL: its database).
pub async fn check_store(data_dir: &Path) -> Vec<String> {
    let dir = data_dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        if postgres::selected() {
            let url = postgres::database_for(&dir);
            salas::store::postgres::check(salas::store::postgres::Database { url: &url, password: None }).unwrap()
        } else {
            salas::store::check(&dir).unwrap()
        }
    })
    .await
    .unwrap()
}
