//! A throwaway PostgreSQL server for one test: its own cluster in a temporary directory, on
//! 127.0.0.1 and a free port, stopped (fast) when dropped, also when the test panics. It needs
//! the server binaries of Debian's `postgresql` package, which `.ci/run` installs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The password of the role `salas`, which TCP connections need.
pub const PASSWORD: &str = "a test database password";

pub struct Postgres {
    pub port: u16,
    /// The cluster (`data/`), its Unix socket and its log (`log`).
    dir: TempDir,
    /// `postgres` itself, or `runuser` waiting for it when the tests run as root.
    child: Option<Child>,
}

impl Postgres {
    /// Creates a cluster (superuser `salas`, trust authentication, UTF8, C locale), starts it and
    /// creates the database `salas`.
    pub async fn start() -> Postgres {
        let dir = tempfile::tempdir().expect("temp dir");
        // PostgreSQL refuses to run as root: the cluster then belongs to Debian's `postgres` user.
        let root = is_root();
        if root {
            let ok = Command::new("chown").arg("postgres:postgres").arg(dir.path()).status().unwrap();
            assert!(ok.success(), "chown of {} to postgres", dir.path().display());
        }
        let data = dir.path().join("data");
        // Connections over TCP need the password, as a real server's do (PGPASSWORD is tested).
        let pwfile = dir.path().join("password");
        std::fs::write(&pwfile, PASSWORD).expect("password file");
        if root {
            let ok = Command::new("chown").arg("postgres:postgres").arg(&pwfile).status().unwrap();
            assert!(ok.success(), "chown of the password file");
        }
        let mut pg = Postgres { port: 0, dir, child: None };
        let out = pg
            .as_owner("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "salas", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .arg("--no-sync")
            .output()
            .expect("initdb runs");
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));

        // A port free when asked may be taken before the server binds it (tests run in
        // parallel): then the server exits, and it is started again on another.
        for attempt in 1..=3 {
            pg.port = super::free_port();
            match pg.launch(&[]).await {
                Ok(client) => {
                    client.batch_execute("CREATE DATABASE salas").await.expect("create database salas");
                    return pg;
                }
                Err(why) if attempt < 3 && why.contains("already in use") => continue,
                Err(why) => panic!("{why}"),
            }
        }
        unreachable!()
    }

    /// Starts `postgres` on the cluster and port, with `settings` (`name=value`), and waits
    /// until it is ready.
    async fn launch(&mut self, settings: &[&str]) -> Result<tokio_postgres::Client, String> {
        let data = self.dir.path().join("data");
        let log =
            std::fs::OpenOptions::new().create(true).append(true).open(self.dir.path().join("log")).expect("log file");
        let mut command = self.as_owner("postgres");
        command
            .arg("-D")
            .arg(&data)
            .args(["-p", &self.port.to_string(), "-c", "listen_addresses=127.0.0.1", "-k"])
            // The socket in the temporary directory: never /var/run/postgresql, Debian's.
            .arg(self.dir.path())
            // A cluster thrown away after one test need not survive a crash of the machine.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        for setting in settings {
            command.args(["-c", setting]);
        }
        let child =
            command.stdin(Stdio::null()).stdout(log.try_clone().unwrap()).stderr(log).spawn().expect("postgres starts");
        self.child = Some(child);
        self.ready(&data).await
    }

    /// `program` of the server binaries, run as the cluster's owner.
    fn as_owner(&self, program: &str) -> Command {
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin_dir().join(program));
            c
        } else {
            Command::new(bin_dir().join(program))
        }
    }

    /// Stops the server (fast shutdown) and waits for it to exit.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        // SIGINT is PostgreSQL's fast shutdown (`pg_ctl stop -m fast`): SIGTERM's smart shutdown
        // would wait for the test's own connections, whose tasks no longer run once it is over.
        // The postmaster is signalled directly: `runuser` would pass a signal on as SIGTERM and
        // SIGKILL it two seconds later.
        if let Ok(None) = child.try_wait() {
            let pid = self.postmaster_pid().unwrap_or_else(|| child.id().to_string());
            let _ = Command::new("kill").args(["-INT", &pid]).status();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Ok(None) = child.try_wait() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the stopped server again, on the same port.
    pub async fn restart(&mut self) {
        self.launch(&[]).await.expect("postgres starts again");
    }

    /// A streaming standby of this server (`pg_basebackup -R`), started on a port of its own.
    pub async fn standby(&self) -> Postgres {
        let dir = tempfile::tempdir().expect("temp dir");
        if is_root() {
            let ok = Command::new("chown").arg("postgres:postgres").arg(dir.path()).status().unwrap();
            assert!(ok.success());
        }
        let mut standby = Postgres { port: 0, dir, child: None };
        let out = standby
            .as_owner("pg_basebackup")
            .arg("-D")
            .arg(standby.dir.path().join("data"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "salas", "-R", "-X", "stream", "-c", "fast"])
            .env("PGPASSWORD", PASSWORD)
            .output()
            .expect("pg_basebackup runs");
        assert!(out.status.success(), "pg_basebackup: {}", String::from_utf8_lossy(&out.stderr));
        standby.port = super::free_port();
        standby.launch(&["hot_standby=on"]).await.expect("the standby starts");
        standby
    }

    /// Promotes a standby to primary (`pg_ctl promote`).
    pub fn promote(&self) {
        let out = self
            .as_owner("pg_ctl")
            .arg("promote")
            .arg("-w")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_ctl promote: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Waits until the server accepts connections (it first replays and checkpoints), for up to
    /// 30 s; a server that exits fails at once, with its log.
    async fn ready(&mut self, data: &Path) -> Result<tokio_postgres::Client, String> {
        let admin = format!("postgres://salas:{PASSWORD}@127.0.0.1:{}/postgres", self.port);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(client) = connect(&admin).await {
                // Not another test's server that holds the port this one could not bind.
                let row = client.query_one("SHOW data_directory", &[]).await;
                if row.is_ok_and(|r| Path::new(r.get::<_, &str>(0)) == data) {
                    return Ok(client);
                }
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                return Err(format!("postgres exited ({status}):\n{}", self.log()));
            }
            if Instant::now() > deadline {
                return Err(format!("postgres not ready within 30 s:\n{}", self.log()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The database `salas`, as given to `salas --store-url`.
    pub fn url(&self) -> String {
        format!("postgres://salas:{PASSWORD}@127.0.0.1:{}/salas", self.port)
    }

    /// A client of the database `salas`, for direct SQL in tests.
    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url()).await.expect("connect to the test database")
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// The postmaster's pid, from its lock file (the child is `runuser` when the tests run as root).
    fn postmaster_pid(&self) -> Option<String> {
        let lock = std::fs::read_to_string(self.dir.path().join("data/postmaster.pid")).ok()?;
        lock.lines().next().map(str::to_string)
    }
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// The newest `/usr/lib/postgresql/N/bin` with an `initdb`.
fn bin_dir() -> PathBuf {
    let versions = std::fs::read_dir("/usr/lib/postgresql").into_iter().flatten().flatten();
    versions
        .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists())
        .max()
        .map(|(_, bin)| bin)
        .expect(
            "no PostgreSQL server in /usr/lib/postgresql/*/bin: install Debian's `postgresql` package (.ci/run does)",
        )
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}

/// Whether the test servers keep their data in PostgreSQL instead of the embedded store: always
/// in the test binary `postgres` (tests/postgres.rs), and in any with `SALAS_TEST_BACKEND=postgres`.
#[allow(clippy::disallowed_methods)] // the tests' own setting, not Salas's configuration
pub fn selected() -> bool {
    static SELECTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SELECTED.get_or_init(|| {
        let binary = std::env::current_exe().ok().and_then(|p| Some(p.file_name()?.to_str()?.to_string()));
        std::env::var("SALAS_TEST_BACKEND").is_ok_and(|b| b == "postgres")
            || binary.is_some_and(|name| name.starts_with("postgres-"))
    })
}

/// For the tests of the embedded store's own files: true (and a note) when the servers run on
/// PostgreSQL, where the test does not apply.
pub fn redb_only() -> bool {
    let skip = selected();
    if skip {
        eprintln!("not applicable with the servers on PostgreSQL: this test reads the embedded store's files");
    }
    skip
}

/// The secret key every test server on PostgreSQL is given (the backend requires one).
pub const SECRET_KEY: &str = "6c6f6e672074657374206b657920666f72207468652073616c61732074657374";

/// One server for the whole test process, started on first use; each data directory gets a
/// database of its own on it, so a test that restarts its server finds its data again.
fn shared() -> &'static Postgres {
    static SHARED: std::sync::OnceLock<Postgres> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| {
        // On a thread of its own: the caller may be inside a runtime already.
        let pg = std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(Postgres::start())
        })
        .join()
        .expect("the shared PostgreSQL starts");
        // Never dropped (a static): a watcher stops it when the test process is gone.
        let pid_file = pg.dir.path().join("data/postmaster.pid");
        let watch = format!(
            "while kill -0 {} 2>/dev/null; do sleep 1; done; kill -INT $(head -1 {})",
            std::process::id(),
            pid_file.display()
        );
        #[allow(clippy::zombie_processes)] // it outlives this process by design; init reaps it
        Command::new("sh").args(["-c", &watch]).stdin(Stdio::null()).spawn().expect("watcher");
        pg
    })
}

/// The URL of the database of `data_dir` on the shared server, created if needed.
pub fn database_for(data_dir: &Path) -> String {
    use sha2::Digest;
    let pg = shared();
    let name = format!("t{}", &hex::encode(sha2::Sha256::digest(data_dir.to_string_lossy().as_bytes()))[..20]);
    let out = Command::new(bin_dir().join("createdb"))
        .args(["-h", "127.0.0.1", "-p", &pg.port.to_string(), "-U", "salas", &name])
        .env("PGPASSWORD", PASSWORD)
        .output()
        .expect("createdb runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() || stderr.contains("already exists"), "createdb {name}: {stderr}");
    format!("postgres://salas:{PASSWORD}@127.0.0.1:{}/{name}", pg.port)
}
