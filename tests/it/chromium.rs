//! Runs a Playwright script of `tests/browser/` in Debian's headless Chromium: each browser test
//! seeds a server through the API, then hands the script the server's address and what it
//! seeded. A missing Chromium or Playwright fails the test rather than skipping it; screenshots
//! land in `target/screenshots/`.

use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, Api, PASSWORD, TestServer};

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The arguments of the scripts that act as the admin and as `member` on server `s`, then `more`.
pub fn args(s: &TestServer, member: &Api, more: &[&str]) -> Vec<String> {
    let people = ["--admin-email", ADMIN_EMAIL, "--admin-password", ADMIN_PASSWORD, "--member-email", &member.email];
    ["--url", s.url.as_str()]
        .into_iter()
        .chain(people)
        .chain(["--member-password", PASSWORD])
        .chain(more.iter().copied())
        .map(String::from)
        .collect()
}

/// Runs `tests/browser/{script}` with `args` and the screenshot folder and Chromium; fails the
/// test with the script's output unless it exits 0. Returns what it printed.
pub async fn run(script: &str, args: Vec<String>) -> String {
    assert!(std::path::Path::new(CHROMIUM).exists(), "{CHROMIUM} is missing: apt-get install chromium chromium-driver");
    let path = format!("{}/tests/browser/{script}", env!("CARGO_MANIFEST_DIR"));
    let shots = concat!(env!("CARGO_MANIFEST_DIR"), "/target/screenshots");
    let args: Vec<String> =
        [path].into_iter().chain(args).chain(["--shots", shots, "--chromium", CHROMIUM].map(String::from)).collect();
    // On a blocking thread, with the test's runtime on several workers: the server answers the
    // browser while the test waits for python3.
    let out = tokio::task::spawn_blocking(move || std::process::Command::new("python3").args(&args).output())
        .await
        .expect("join")
        .expect("python3 runs (with Playwright: python3 -m pip install playwright)");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{script} failed ({})\n--- stdout\n{stdout}\n--- stderr\n{stderr}", out.status);
    stdout.into_owned()
}
