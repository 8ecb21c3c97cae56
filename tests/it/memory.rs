//! What the running binary gives back: the memory of password checks (argon2id works in 19 MiB
//! per check) must not stay resident after the sign-ins that used it.

use crate::common::process::Running;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

#[tokio::test]
async fn sign_ins_give_their_password_memory_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path());
    // The first sign-in warms up what the process keeps for good (threads, caches).
    server.admin().await;
    let before = rss_kib(server.child.id());
    for _ in 0..3 {
        server.admin().await;
    }
    tokio::join!(server.admin(), server.admin(), server.admin(), server.admin());
    let after = rss_kib(server.child.id());
    // Without the fixed mmap threshold each of these kept ~19 MiB (+39 MiB sequentially here,
    // more at once); what may grow is a blocking thread's stack or two.
    assert!(after < before + 8 * 1024, "RSS grew from {before} KiB to {after} KiB over seven sign-ins");
    server.stop();
}
