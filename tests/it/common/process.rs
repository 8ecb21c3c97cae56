//! The `salas` binary as a separate process: for what only a real process shows (the log line,
//! signals, crashes, the admin socket, command-line tools).

use super::{ADMIN_EMAIL, ADMIN_PASSWORD, Api};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The binary, with no `SALAS_*` variables from the developer's environment.
pub fn salas() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_salas"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("SALAS_") {
            c.env_remove(k);
        }
    }
    c
}

/// Runs `salas ARGS --data-dir DIR`: (success, stdout, stderr).
pub fn run(args: &[&str], dir: &Path) -> (bool, String, String) {
    let out = salas().args(args).arg("--data-dir").arg(dir).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// `salas serve` on a free port, with the test administrator and its log drained in the
/// background (so it never writes into a closed pipe).
pub struct Running {
    pub child: Child,
    pub url: String,
}

/// A test that fails before `stop` or `crash` must not leave its server running (holding the
/// test run's output open).
impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Running {
    pub fn start(dir: &Path) -> Running {
        Running::start_with(dir, &[])
    }

    /// Starts with extra environment variables, e.g. `("SALAS_SMTP_HOST", "127.0.0.1")`.
    pub fn start_with(dir: &Path, env: &[(&str, String)]) -> Running {
        let mut cmd = salas();
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir)
            .env("SALAS_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("SALAS_ADMIN_PASSWORD", ADMIN_PASSWORD)
            // Rate limits off, as in the in-process test server (every client is 127.0.0.1).
            .env("SALAS_LIMITS_PER_IP_PER_MINUTE", "0")
            .env("SALAS_LIMITS_PER_CREDENTIAL_PER_MINUTE", "0")
            .env("SALAS_LIMITS_SIGN_IN_PER_MINUTE", "0")
            .envs(backend_env(dir))
            .stdout(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| l.find("listening on ").map(|i| l[i + "listening on ".len()..].trim().to_string()))
            .expect("listening line");
        std::thread::spawn(move || lines.for_each(drop));
        Running { child, url }
    }

    /// SIGTERM, and the process must exit 0.
    pub fn stop(mut self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        assert!(self.child.wait().unwrap().success());
    }

    /// SIGKILL: no graceful anything.
    pub fn crash(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// An API client signed in as the test administrator.
    pub async fn admin(&self) -> Api {
        let api = Api {
            base: self.url.clone(),
            token: None,
            http: reqwest::Client::new(),
            id: String::new(),
            email: String::new(),
        };
        let body = serde_json::json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
        let res = api.post("/api/v1/auth/token", body).await;
        assert_eq!(res.status, 200, "{}", res.body);
        api.with_token(res.body["access_token"].as_str().unwrap())
    }
}

/// The store settings of a server on PostgreSQL, when the tests run it there.
fn backend_env(dir: &Path) -> Vec<(&'static str, String)> {
    if !super::postgres::selected() {
        return Vec::new();
    }
    vec![
        ("SALAS_STORE_BACKEND", "postgres".into()),
        ("SALAS_STORE_URL", super::postgres::database_for(dir)),
        ("SALAS_SECRET_KEY", super::postgres::SECRET_KEY.into()),
    ]
}
