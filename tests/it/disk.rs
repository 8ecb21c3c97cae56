//! The disk fails under the store. Full: writes are refused with 503 and a problem naming the
//! cause (no panic, no 500, nothing half-written), and the server recovers by itself once space is
//! freed, with every acknowledged reservation intact. Read-only: a data directory that is
//! read-only at start makes the server refuse to start with one line saying why; one that turns
//! read-only under the running server (ext4 remounting itself read-only after an error, as it
//! does when its disk misbehaves) gets the same 503s, and the server recovers once the file
//! system is mounted writable again. Needs root to mount a small tmpfs or an ext4 image as the
//! data directory (CI runs as root); where mounting is not allowed a test says so on stderr and
//! passes, so that a locked-down runner does not fail the whole suite.

use crate::common::{Api, TestServer, at, config};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

struct Mount(std::path::PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, size: &str) -> Option<Mount> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(dir.to_path_buf()))
    }

    fn remount(&self, mode: &str) {
        let ok = Command::new("mount").args(["-o", &format!("remount,{mode}")]).arg(&self.0).status().unwrap();
        assert!(ok.success(), "remount {mode}");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A small ext4 file system in an image file, mounted through a loop device with
/// `errors=remount-ro`: [`Ext4::fail`] makes ext4 record an error, after which it refuses every
/// write with EROFS, open files included, until it is mounted again.
struct Ext4 {
    image: std::path::PathBuf,
    at: std::path::PathBuf,
}

impl Ext4 {
    fn mount(image: &Path, at: &Path) -> Option<Ext4> {
        let made = Command::new("truncate").args(["-s", "64M"]).arg(image).status().is_ok_and(|s| s.success())
            && Command::new("mkfs.ext4").args(["-q", "-F"]).arg(image).status().is_ok_and(|s| s.success());
        std::fs::create_dir_all(at).unwrap();
        let fs = Ext4 { image: image.to_path_buf(), at: at.to_path_buf() };
        (made && fs.attach()).then_some(fs)
    }

    /// Mounts the image through a loop device of its own: `mount -o loop` would reuse the one
    /// still attached to the failed mount, and with it the failed file system.
    fn attach(&self) -> bool {
        let Ok(out) = Command::new("losetup").args(["-f", "--show"]).arg(&self.image).output() else { return false };
        let device = String::from_utf8_lossy(&out.stdout).trim().to_string();
        out.status.success()
            && Command::new("mount")
                .args(["-o", "errors=remount-ro", &device])
                .arg(&self.at)
                .status()
                .is_ok_and(|s| s.success())
            // Detached by the kernel once nothing uses it any more.
            && Command::new("losetup").args(["-d", &device]).status().is_ok_and(|s| s.success())
    }

    /// What ext4 does on finding corruption or failing I/O: record an error and turn read-only.
    /// False where the kernel offers no way to trigger it.
    fn fail(&self) -> bool {
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
        let at = self.at.to_str().unwrap();
        let device = mounts.lines().find(|l| l.split(' ').nth(1) == Some(at)).and_then(|l| l.split(' ').next());
        let name = Path::new(device.expect("mounted")).file_name().unwrap().to_str().unwrap().to_string();
        std::fs::write(format!("/sys/fs/ext4/{name}/trigger_fs_error"), "salas test\n").is_ok()
    }

    /// The administrator's repair: detach the failed mount (the server still holds files in it),
    /// check the file system and mount it again at the same place.
    fn remount_repaired(&self) {
        assert!(Command::new("umount").arg("-l").arg(&self.at).status().unwrap().success());
        let fsck = Command::new("e2fsck").args(["-f", "-y"]).arg(&self.image).output().unwrap();
        assert!(fsck.status.code().is_some_and(|c| c <= 1), "e2fsck: {fsck:?}");
        assert!(self.attach(), "mount again");
    }
}

impl Drop for Ext4 {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

/// Fills the file system with a file of zeros until it refuses more.
fn fill(path: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
}

/// Books one-hour slots on successive days until a booking is refused; returns the ids booked
/// and the refusal.
async fn book_until_refused(api: &Api, room: &str, first_day: i64) -> (Vec<String>, crate::common::Res) {
    let mut ids = Vec::new();
    for day in first_day..first_day + 2000 {
        let res = api.book(room, &at(day, 9), &at(day, 10)).await;
        if res.status != 201 {
            return (ids, res);
        }
        ids.push(res.body["id"].as_str().unwrap().to_string());
    }
    panic!("2,000 bookings fitted on a full disk");
}

/// Runs `salas serve` on `data`, which must fail; returns its last stderr line and exit code.
fn serve_fails(data: &Path) -> (String, i32) {
    let mut child = crate::common::process::salas()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..150 {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            let line = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").to_string();
            return (line, status.code().unwrap_or(-1));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("salas serve kept running on a read-only data directory");
}

/// Waits for the store to accept writes again (the writer retries every second).
async fn book_when_recovered(api: &Api, room: &str, day: i64) -> String {
    for _ in 0..100 {
        let res = api.book(room, &at(day, 14), &at(day, 15)).await;
        if res.status == 201 {
            return res.body["id"].as_str().unwrap().to_string();
        }
        assert_eq!(res.status, 503, "{}", res.body);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the store did not recover");
}

/// Books 9:00–10:00 on each of `days`; every booking must be acknowledged. Returns the ids.
async fn book_days(api: &Api, room: &str, days: std::ops::Range<i64>) -> Vec<String> {
    let mut ids = Vec::new();
    for day in days {
        let res = api.book(room, &at(day, 9), &at(day, 10)).await;
        assert_eq!(res.status, 201, "{}", res.body);
        ids.push(res.body["id"].as_str().unwrap().to_string());
    }
    ids
}

/// The store's refusal: 503 problem+json whose detail names `cause`, with Retry-After.
fn assert_storage_refused(refused: &crate::common::Res, cause: &str) {
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.header("content-type"), Some("application/problem+json"));
    assert_eq!(refused.body["type"], "urn:salas:problem:storage-unavailable");
    assert!(refused.body["detail"].as_str().unwrap().contains(cause), "{}", refused.body);
    assert!(refused.header("retry-after").is_some());
}

async fn assert_all_present(api: &Api, ids: &[String]) {
    for id in ids {
        let res = api.get(&format!("/api/v1/reservations/{id}")).await;
        assert_eq!(res.status, 200, "acknowledged reservation {id} lost: {}", res.body);
    }
}

#[tokio::test]
async fn a_full_disk_gives_503_until_space_is_freed_and_a_read_only_one_stops_start() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mount) = Mount::tmpfs(dir.path(), "24m") else {
        eprintln!("skipped: mounting a tmpfs needs root (CI runs this test)");
        return;
    };
    let data = dir.path().join("data");
    let s = TestServer::start_with(tempfile::tempdir().unwrap(), config(&data)).await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Disco", 6).await;
    let mut acknowledged = book_days(&admin, &room, 1..4).await;

    // Disk full.
    let filler = dir.path().join("filler");
    fill(&filler);
    let (more, refused) = book_until_refused(&admin, &room, 10).await;
    let refused_day = 10 + more.len() as i64;
    acknowledged.extend(more);
    assert_storage_refused(&refused, "full");
    // What happens next on the still-full disk depends on redb: reopening may need a write, and
    // a later write may fit in pages the failed one freed. So nothing more is asserted until the
    // space is back.

    std::fs::remove_file(&filler).unwrap();
    acknowledged.push(book_when_recovered(&admin, &room, 1).await);
    assert_all_present(&admin, &acknowledged).await;
    assert_eq!(s.anonymous().get("/readyz").await.status, 200);

    // Nothing half-written: the refused slot is free.
    let res = admin.book(&room, &at(refused_day, 9), &at(refused_day, 10)).await;
    assert_eq!(res.status, 201, "the refused slot is free: {}", res.body);
    acknowledged.push(res.body["id"].as_str().unwrap().to_string());
    s.stop().await;

    // A read-only file system: `salas serve` says why in one line and exits non-zero; once the
    // disk is writable again the server serves everything acknowledged, and `salas check` passes.
    mount.remount("ro");
    let (line, code) = serve_fails(&data);
    assert_ne!(code, 0);
    assert!(line.contains("Read-only file system") || line.contains("read-only"), "{line}");
    mount.remount("rw");
    let s = TestServer::start_with(tempfile::tempdir().unwrap(), config(&data)).await;
    assert_all_present(&s.admin().await, &acknowledged).await;
    s.stop().await;
    let (ok, out, err) = crate::common::process::run(&["check"], &data);
    assert!(ok, "salas check: {out}{err}");
    drop(mount);
}

#[tokio::test]
async fn a_file_system_turning_read_only_under_the_server_gives_503_until_mounted_writable_again() {
    let dir = tempfile::tempdir().unwrap();
    let Some(fs) = Ext4::mount(&dir.path().join("disk.img"), &dir.path().join("mnt")) else {
        eprintln!("skipped: mounting an ext4 image needs root and a loop device (CI runs this test)");
        return;
    };
    let data = fs.at.join("data");
    let s = TestServer::start_with(tempfile::tempdir().unwrap(), config(&data)).await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Solo Lectura", 6).await;
    let mut acknowledged = book_days(&admin, &room, 1..4).await;

    if !fs.fail() {
        eprintln!("skipped: this kernel has no /sys/fs/ext4/*/trigger_fs_error");
        return;
    }
    let refused = admin.book(&room, &at(5, 9), &at(5, 10)).await;
    assert_storage_refused(&refused, "read-only");
    // Still refused a moment later: the writer's retries find the file system read-only too.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(admin.book(&room, &at(6, 9), &at(6, 10)).await.status, 503);

    fs.remount_repaired();
    acknowledged.push(book_when_recovered(&admin, &room, 7).await);
    assert_all_present(&admin, &acknowledged).await;
    // Nothing half-written: the refused slot is free.
    let res = admin.book(&room, &at(5, 9), &at(5, 10)).await;
    assert_eq!(res.status, 201, "the refused slot is free: {}", res.body);
    s.stop().await;
    let (ok, out, err) = crate::common::process::run(&["check"], &data);
    assert!(ok, "salas check: {out}{err}");
}
