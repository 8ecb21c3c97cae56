//! The UI in a real browser: Debian's headless Chromium driven by Playwright
//! (`tests/browser/e2e.py`) against the real server, seeded here through the API. It needs
//! `/usr/bin/chromium` and `python3 -m pip install playwright` (`.ci/run` installs both); a
//! missing one fails the test rather than skipping it. Screenshots land in `target/screenshots/`.

use crate::common::{TestServer, at};

// Several worker threads: the server answers the browser while this test waits for python3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_book_conflict_cancel_and_spanish_in_headless_chromium() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let north = admin.create_room_on("Sala Norte", 8, "Floor 1").await;
    let south = admin.create_room_on("Sala Sur", 4, "Floor 1").await;
    admin.create_room_on("Auditorio", 60, "Floor 2").await;
    // Tomorrow, so the times never fall in the past whenever the test runs; the UI shows UTC.
    admin.book_titled(&north, "Weekly planning", &at(1, 9), &at(1, 10)).await;
    let half_past =
        (chrono::DateTime::parse_from_rfc3339(&at(1, 11)).expect("time") + chrono::Duration::minutes(30)).to_rfc3339();
    member.book_titled(&south, "One to one", &at(1, 11), &half_past).await;
    let day = |days: i64| at(days, 0)[..10].to_string();

    let args = crate::chromium::args(&s, &member, &["--room-north", &north, "--date", &day(1), "--free-date", &day(2)]);
    crate::chromium::run("e2e.py", args).await;
    // The page's subscription reached the server, for the member who enabled it.
    let subscriptions = member.get("/api/v1/push/subscriptions").await;
    let endpoints: Vec<&str> =
        subscriptions.body.as_array().unwrap().iter().map(|s| s["endpoint"].as_str().unwrap()).collect();
    assert_eq!(endpoints, ["https://push.example.test/e2e"], "{}", subscriptions.body);
    s.stop().await;
}
