//! The room import page in headless Chromium (`tests/browser/ics_import.py`): upload an
//! Outlook-shaped file, see the dry run, confirm, the bookings show; English and Spanish, a
//! 390 px phone. Needs `/usr/bin/chromium` and Playwright, as browser_e2e does.

use crate::common::TestServer;
use crate::ics_import::{base, fixture};

// Several worker threads: the server answers the browser while this test waits for python3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_page_dry_run_confirm_and_the_bookings_show_in_headless_chromium() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala Retiro", 8).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("outlook.ics");
    // Only the interview and the first Monday of the series fall in the base week; the file's
    // two events are what the page reports.
    std::fs::write(&file, fixture("outlook.ics")).unwrap();
    let week = base().format("%Y-%m-%d").to_string();
    let args =
        crate::chromium::args(&s, &member, &["--room", &room, "--ics-file", file.to_str().unwrap(), "--week", &week]);
    crate::chromium::run("ics_import.py", args).await;
}
