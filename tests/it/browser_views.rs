//! The week, month and small-calendar views and the keyboard shortcuts in headless Chromium
//! (`tests/browser/views.py`, which reuses e2e.py's helpers), against the real server seeded here
//! through the API. Needs `/usr/bin/chromium` and Playwright, as browser_e2e does; screenshots
//! land in `target/screenshots/`.

use crate::common::{TestServer, at};

// Several worker threads: the server answers the browser while this test waits for python3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn week_month_small_calendar_and_shortcuts_in_headless_chromium() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let north = admin.create_room_on("Sala Norte", 8, "Floor 1").await;
    let south = admin.create_room_on("Sala Sur", 8, "Floor 1").await;
    // Tomorrow, so the times never fall in the past whenever the test runs; the UI shows UTC.
    admin.book_titled(&north, "Weekly planning", &at(1, 9), &at(1, 10)).await;
    let half_past =
        (chrono::DateTime::parse_from_rfc3339(&at(1, 11)).expect("time") + chrono::Duration::minutes(30)).to_rfc3339();
    member.book_titled(&south, "One to one", &at(1, 11), &half_past).await;

    let date = at(1, 0)[..10].to_string();
    crate::chromium::run("views.py", crate::chromium::args(&s, &member, &["--room-north", &north, "--date", &date]))
        .await;
}
