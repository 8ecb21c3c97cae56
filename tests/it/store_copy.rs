//! `salas store copy` between a data directory and PostgreSQL, and the commands that read the
//! database (`export --store-url`, `check --store-url`), against a real PostgreSQL server
//! (common/postgres.rs) and a store written by the real binary. The database's own guard, the
//! exclusion constraint on live reservations, is tried with direct SQL.

use crate::common::postgres::Postgres;
use crate::common::process::{Running, salas};
use crate::common::{ADMIN_EMAIL, Api, Res, at, free_port};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tempfile::TempDir;

/// Every process here uses one secret key, so the webhook's sealed secret opens after the copy
/// (a new data directory has no `secret.key` of its own).
const KEY: &str = "5a1a5a1a5a1a5a1a5a1a5a1a5a1a5a1a5a1a5a1a5a1a5a1a5a1a5a1a5a1a5a1a";

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs `salas ARGS` in `cwd` (so a command that wrongly falls back to `./salas-data` writes
/// there, not into the repository). Waits at most 60 s: a command that hangs fails the test
/// instead of stalling the run.
fn salas_in(cwd: &Path, args: &[&str]) -> Out {
    let child = salas()
        .args(args)
        .env("SALAS_SECRET_KEY", KEY)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let Ok(out) = rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = std::process::Command::new("kill").args(["-KILL", &pid]).status();
        panic!("salas {args:?} did not finish within 60 s");
    };
    let out = out.unwrap();
    Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// Succeeded, or fails the test with what the command said.
fn ok(out: Out, what: &str) -> Out {
    assert!(out.ok, "{what} failed:\n{}{}", out.stdout, out.stderr);
    out
}

/// Failed with one readable line (and no panic).
fn refused(out: &Out, what: &str) {
    assert!(!out.ok, "{what} succeeded:\n{}", out.stdout);
    let err = out.stderr.trim_end();
    assert!(err.starts_with("salas: ") && err.lines().count() == 1, "{what}: not one `salas: ` line:\n{err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
}

/// `check` found nothing wrong.
fn consistent(out: &Out, what: &str) {
    assert!(out.ok, "{what}:\n{}{}", out.stdout, out.stderr);
    assert!(out.stdout.lines().any(|l| l.starts_with("ok:")), "{what}: {}", out.stdout);
    assert!(!out.stdout.contains("problem:"), "{what}: {}", out.stdout);
}

/// `salas export --output WORK/NAME SOURCE…`: the file's bytes.
fn export(work: &Path, name: &str, source: &[&str]) -> Vec<u8> {
    let file = work.join(name);
    let mut args = vec!["export", "--output", file.to_str().unwrap()];
    args.extend_from_slice(source);
    ok(salas_in(work, &args), &format!("export {source:?}"));
    std::fs::read(&file).unwrap()
}

/// The same bytes, or the first line where they differ.
fn same(a: &[u8], b: &[u8], what: &str) {
    if a != b {
        let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
        let first =
            a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(a.lines().count().min(b.lines().count()));
        let line = |t: &str| t.lines().nth(first).unwrap_or("(end)").to_string();
        panic!("{what} differ, first at line {}:\n  {}\n  {}", first + 1, line(&a), line(&b));
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A data directory written by `salas serve` and stopped cleanly, with some of everything.
struct Seeded {
    dir: TempDir,
    /// A confirmed one-hour reservation (tomorrow 09:00–10:00 UTC) in `norte`, the room's only
    /// live one that day.
    kept: String,
    /// Another room.
    sur: String,
}

/// A user with `role`, signed in.
async fn user(admin: &Api, role: &str, name: &str) -> Api {
    let email = format!("{name}@example.test");
    let password = format!("{name} password 1");
    let res =
        admin.post("/api/v1/users", json!({"email": email, "name": name, "role": role, "password": password})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let res = admin.post("/api/v1/auth/token", json!({"email": email, "password": password})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let mut api = admin.with_token(res.body["access_token"].as_str().unwrap());
    api.id = api.get("/api/v1/users/me").await.body["id"].as_str().unwrap_or_default().to_string();
    api
}

/// The new record's id, failing the test on anything but 201.
fn created(res: Res, what: &str) -> String {
    assert_eq!(res.status, 201, "{what}: {}", res.body);
    res.body["id"].as_str().unwrap_or_default().to_string()
}

async fn seeded_store() -> Seeded {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start_with(dir.path(), &[("SALAS_SECRET_KEY", KEY.to_string())]);
    let admin = server.admin().await;
    let put = |path: String, body: serde_json::Value| {
        let admin = admin.clone();
        async move { admin.send(admin.http.put(format!("{}{path}", admin.base)).json(&body)).await }
    };
    user(&admin, "manager", "mara").await;
    user(&admin, "viewer", "vito").await;
    let member = user(&admin, "member", "mina").await;
    assert!(!member.id.is_empty(), "the member's id is listed");
    created(admin.post("/api/v1/api-keys", json!({"name": "ci"})).await, "api key");

    let research = created(admin.post("/api/v1/groups", json!({"name": "Research"})).await, "group");
    let joined = admin.send(admin.http.put(format!("{}/api/v1/groups/{research}/members/{}", admin.base, member.id)));
    let joined = joined.await;
    assert_eq!(joined.status, 204, "{}", joined.body);
    created(admin.post("/api/v1/resources", json!({"name": "Proyector"})).await, "resource");
    let room = |name: &str, extra: serde_json::Value| {
        let mut body = json!({"name": name, "capacity": 8, "timezone": "Europe/Madrid", "location": "HQ"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        admin.post("/api/v1/rooms", body)
    };
    let norte = created(room("Sala Norte", json!({"resources": ["Proyector"]})).await, "room");
    let sur = created(room("Sala Sur", json!({})).await, "room");
    let board = created(room("Consejo", json!({})).await, "room");
    let rule = put(format!("/api/v1/rooms/{board}/access"), json!({"see": ["Research"], "min_role_to_book": "member"}));
    assert_eq!(rule.await.status, 200);

    // Confirmed, cancelled, edited, and a daily series with one occurrence cancelled.
    let kept = created(member.book(&norte, &at(1, 9), &at(1, 10)).await, "booking");
    let gone = created(member.book(&sur, &at(1, 9), &at(1, 11)).await, "booking");
    assert_eq!(member.post(&format!("/api/v1/reservations/{gone}/cancel"), json!({})).await.status, 200);
    let moved = created(admin.book(&sur, &at(2, 9), &at(2, 10)).await, "booking");
    let res = admin.patch(&format!("/api/v1/reservations/{moved}"), json!({"title": "Moved"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let daily = json!({"room_id": norte, "title": "Daily", "start": at(3, 10), "end": at(3, 11),
                       "rrule": "FREQ=DAILY;COUNT=3"});
    let series = member.post("/api/v1/reservations", daily).await;
    assert_eq!(series.status, 201, "{}", series.body);
    let second = series.body["occurrences"][1]["id"].as_str().expect("occurrence ids").to_string();
    assert_eq!(member.post(&format!("/api/v1/reservations/{second}/cancel"), json!({})).await.status, 200);

    // An edited e-mail template and a webhook (its secret sealed with KEY), made last so no
    // delivery is pending when the server stops.
    let template = json!({"subject": "New: {{ reservation.title }}", "text": "Room {{ room.name }}",
                          "html": "<p>{{ room.name }}</p>"});
    let res = put("/api/v1/admin/email/templates/reservation.created/en".into(), template).await;
    assert_eq!(res.status, 200, "{}", res.body);
    // Nothing listens at its address; no event comes after it anyway.
    let hook = json!({"url": format!("http://127.0.0.1:{}/hook", free_port()), "events": ["reservation.created"],
                      "secret": "a-shared-secret-of-some-length"});
    created(admin.post("/api/v1/admin/webhooks", hook).await, "webhook");
    server.stop();
    Seeded { dir, kept, sur }
}

/// The real binary's store → PostgreSQL → a new data directory: every export is the same bytes,
/// and both copies check out.
#[tokio::test]
async fn a_store_copied_to_postgres_and_back_exports_the_same_bytes() {
    let pg = Postgres::start().await;
    let seeded = seeded_store().await;
    let work = tempfile::tempdir().unwrap();
    let (w, url, data) = (work.path(), pg.url(), path(seeded.dir.path()));
    let copied = w.join("copied");

    let a = export(w, "a.json", &["--data-dir", data]);
    let out = ok(salas_in(w, &["store", "copy", "--to", &url, "--data-dir", data]), "copy --to");
    assert!(out.stdout.lines().any(|l| l.starts_with("copied")), "{}", out.stdout);
    let b = export(w, "b.json", &["--store-url", &url]);
    let out = ok(salas_in(w, &["store", "copy", "--from", &url, "--data-dir", path(&copied)]), "copy --from");
    assert!(out.stdout.lines().any(|l| l.starts_with("copied")), "{}", out.stdout);
    let c = export(w, "c.json", &["--data-dir", path(&copied)]);
    same(&a, &b, "the export from PostgreSQL and the data directory's");
    same(&a, &c, "the export of the copy back and the original's");
    let doc: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert!(doc["reservations"].as_array().is_some_and(|r| r.len() == 6), "{}", doc["reservations"]);
    assert!(String::from_utf8_lossy(&a).contains(ADMIN_EMAIL));

    let checked = salas_in(w, &["check", "--store-url", &url]);
    consistent(&checked, "check --store-url");
    assert!(checked.stdout.contains("opens all 1 stored secret(s)"), "the database's webhook: {}", checked.stdout);
    // Without the key that sealed it, the database's webhook cannot sign, and check says so.
    let keyless =
        salas().args(["check", "--store-url", &url]).current_dir(w).env_remove("SALAS_SECRET_KEY").output().unwrap();
    assert!(!keyless.status.success(), "{}", String::from_utf8_lossy(&keyless.stdout));
    assert!(String::from_utf8_lossy(&keyless.stdout).contains("problem:"));
    let out = salas_in(w, &["check", "--data-dir", path(&copied)]);
    consistent(&out, "check of the copy back");
    assert!(out.stdout.contains("opens all 1 stored secret(s)"), "the webhook came back: {}", out.stdout);

    // What the export leaves out came back too: the edited template and the webhook.
    let server = Running::start_with(&copied, &[("SALAS_SECRET_KEY", KEY.to_string())]);
    let admin = server.admin().await;
    let template = admin.get("/api/v1/admin/email/templates/reservation.created/en").await;
    assert_eq!(template.body["customized"], true, "{}", template.body);
    let hooks = admin.get("/api/v1/admin/webhooks").await;
    assert_eq!(hooks.body.as_array().map(Vec::len), Some(1), "{}", hooks.body);
    server.stop();
}

/// Copies only create: into a database with Salas data, or a data directory with a store, they
/// are refused and change nothing.
#[tokio::test]
async fn copies_into_a_database_or_directory_that_has_data_are_refused() {
    let pg = Postgres::start().await;
    let seeded = seeded_store().await;
    let work = tempfile::tempdir().unwrap();
    let (w, url, data) = (work.path(), pg.url(), path(seeded.dir.path()));
    ok(salas_in(w, &["store", "copy", "--to", &url, "--data-dir", data]), "copy --to");
    let a = export(w, "a.json", &["--store-url", &url]);

    // Another store, with other data: a copy that wrote anything would show in the export.
    let other = w.join("other");
    let add = ["user", "add", "--email", "otra@example.test", "--name", "Otra", "--data-dir", path(&other)];
    ok(salas_in(w, &add), "user add");
    let before = export(w, "other-before.json", &["--data-dir", path(&other)]);
    let files = |dir: &Path| {
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        names
    };
    let other_files = files(&other);

    refused(&salas_in(w, &["store", "copy", "--to", &url, "--data-dir", path(&other)]), "copy --to a used database");
    same(&a, &export(w, "a-after.json", &["--store-url", &url]), "the database before and after a refused copy");

    let back = salas_in(w, &["store", "copy", "--from", &url, "--data-dir", path(&other)]);
    refused(&back, "copy --from into a directory with a store");
    assert_eq!(files(&other), other_files, "the refused copy changed the directory's files");
    let after = export(w, "other-after.json", &["--data-dir", path(&other)]);
    same(&before, &after, "the store before and after a refused copy");
}

/// A database written by a newer Salas (a higher `salas_meta` schema_version) is refused.
#[tokio::test]
async fn a_database_of_a_newer_schema_is_refused() {
    let pg = Postgres::start().await;
    let seeded = seeded_store().await;
    let work = tempfile::tempdir().unwrap();
    let (w, url) = (work.path(), pg.url());
    ok(salas_in(w, &["store", "copy", "--to", &url, "--data-dir", path(seeded.dir.path())]), "copy --to");
    consistent(&salas_in(w, &["check", "--store-url", &url]), "check before");

    let db = pg.client().await;
    let bumped = db.execute("UPDATE salas_meta SET value = value + 1 WHERE key = 'schema_version'", &[]).await.unwrap();
    assert_eq!(bumped, 1, "salas_meta has one schema_version row");
    let out = salas_in(w, &["check", "--store-url", &url]);
    assert!(!out.ok, "a newer schema passed check:\n{}", out.stdout);
    assert!(format!("{}{}", out.stdout, out.stderr).contains("newer"), "{}{}", out.stdout, out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

/// Two live reservations of one room whose [starts_at, ends_at) overlap: the database itself
/// refuses the second (SQLSTATE 23P01), whatever wrote it.
#[tokio::test]
async fn the_database_refuses_overlapping_live_reservations() {
    let pg = Postgres::start().await;
    let seeded = seeded_store().await;
    let work = tempfile::tempdir().unwrap();
    ok(salas_in(work.path(), &["store", "copy", "--to", &pg.url(), "--data-dir", path(seeded.dir.path())]), "copy");
    let db = pg.client().await;
    let kept = uuid::Uuid::parse_str(&seeded.kept).unwrap();
    let live: bool = db.query_one("SELECT live FROM reservations WHERE id = $1", &[&kept]).await.unwrap().get(0);
    assert!(live, "a confirmed reservation is live");
    // Inserts a copy of the kept reservation's row (every column), with a new id and `set`.
    let insert = |set: String| {
        let db = &db;
        async move {
            db.batch_execute("DROP TABLE IF EXISTS probe").await.unwrap();
            let n = db.execute("CREATE TEMP TABLE probe AS SELECT * FROM reservations WHERE id = $1", &[&kept]).await;
            assert_eq!(n.unwrap(), 1);
            db.batch_execute(&format!("UPDATE probe SET id = gen_random_uuid(), {set}")).await.unwrap();
            db.execute("INSERT INTO reservations SELECT * FROM probe", &[]).await
        }
    };
    let sqlstate = |r: Result<u64, tokio_postgres::Error>| match r {
        Ok(n) => format!("inserted {n}"),
        Err(e) => e.code().map_or_else(|| e.to_string(), |c| c.code().to_string()),
    };

    let same = insert("live = true".into()).await;
    assert_eq!(sqlstate(same), "23P01", "the same time again");
    let shifted = "starts_at = starts_at + interval '30 minutes', ends_at = ends_at + interval '30 minutes'";
    assert_eq!(sqlstate(insert(shifted.into()).await), "23P01", "half an hour later, still overlapping");

    let not_live = insert("live = false".into()).await;
    assert_eq!(sqlstate(not_live), "inserted 1", "a reservation that is not live holds nothing");
    let next = insert("starts_at = ends_at, ends_at = ends_at + interval '1 hour'".into()).await;
    assert_eq!(sqlstate(next), "inserted 1", "[starts_at, ends_at): one ending as the next starts is no overlap");
    // Sala Sur's only reservation that day is cancelled.
    let elsewhere = insert(format!("room_id = '{}'", seeded.sur)).await;
    assert_eq!(sqlstate(elsewhere), "inserted 1", "the same time in another room");
}

/// A database that cannot be reached: a failure and one readable line, for each command.
#[tokio::test]
async fn an_unreachable_database_is_one_line_and_a_failure() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let data = w.join("data");
    ok(salas_in(w, &["user", "add", "--email", "ana@example.test", "--name", "Ana", "--data-dir", path(&data)]), "add");
    // Nothing listens there: free when asked, and no server is started on it.
    let url = format!("postgres://salas@127.0.0.1:{}/salas", free_port());
    let (new, file) = (w.join("new"), w.join("out.json"));
    let commands: [&[&str]; 4] = [
        &["store", "copy", "--to", &url, "--data-dir", path(&data)],
        &["store", "copy", "--from", &url, "--data-dir", path(&new)],
        &["export", "--store-url", &url, "--output", path(&file)],
        &["check", "--store-url", &url],
    ];
    for args in commands {
        refused(&salas_in(w, args), &format!("{args:?}"));
    }
    assert!(!new.join("salas.redb").exists(), "a failed copy --from left a store behind");
}

/// A URL without its password takes the one in PGPASSWORD, as libpq does, so that none appears
/// on a command line; without either, the database refuses and the command says so in one line.
#[tokio::test]
async fn the_password_may_come_from_pgpassword() {
    let pg = Postgres::start().await;
    let work = tempfile::tempdir().unwrap();
    let bare = pg.url().replace(&format!(":{}@", crate::common::postgres::PASSWORD), "@");
    assert!(!bare.contains(crate::common::postgres::PASSWORD), "{bare}");
    let check = |password: Option<&str>| {
        let mut cmd = salas();
        cmd.args(["check", "--store-url", &bare]).current_dir(work.path()).env_remove("PGPASSWORD");
        if let Some(p) = password {
            cmd.env("PGPASSWORD", p);
        }
        cmd.output().unwrap()
    };
    let without = check(None);
    assert!(!without.status.success());
    let said = String::from_utf8_lossy(&without.stderr);
    assert!(said.starts_with("salas: ") && said.contains("password"), "{said}");
    let with = check(Some(crate::common::postgres::PASSWORD));
    // An empty database: reachable, and older than this Salas (no schema yet).
    let out = String::from_utf8_lossy(&with.stdout);
    assert!(out.contains("schema version 0 is older"), "{out}\n{}", String::from_utf8_lossy(&with.stderr));
}
