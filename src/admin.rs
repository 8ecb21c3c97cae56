//! The administration commands that handle a whole data directory: backup, restore, export,
//! import and the container health check. Each returns one readable line on failure.

use crate::admin_socket::{self, Command};
use crate::config::Config;
use crate::store;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// `salas backup --output FILE`: through the running server if there is one, else directly
/// from the stopped data directory. The file appears complete or not at all.
pub fn backup(config: &Config, output: &Path) -> Result<(), String> {
    if config.store.backend == crate::config::Backend::Postgres {
        return Err("the data is in PostgreSQL: back it up with pg_dump (docs/postgres.md), or write a portable export with `salas export --store-url URL`".into());
    }
    let partial = partial_path(output);
    let result = (|| {
        let mut file = create_private(&partial)?;
        match admin_socket::request(&config.data_dir, Command::Backup, &mut file)? {
            Some(_) => sync(file, &partial)?,
            None => {
                drop(file);
                fs::remove_file(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
                store::backup_offline(&config.data_dir, &partial).map_err(|e| e.to_string())?;
            }
        }
        fs::rename(&partial, output).map_err(|e| format!("{}: {e}", output.display()))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    result?;
    println!("backup written to {}", output.display());
    Ok(())
}

/// `salas restore FILE`: into a stopped data directory, after verifying the file.
pub fn restore(config: &Config, file: &Path) -> Result<(), String> {
    if answers(&config.data_dir) {
        return Err(format!("a server is running on {}; stop it before restoring", config.data_dir.display()));
    }
    let restored = store::restore(file, &config.data_dir).map_err(|e| e.to_string())?;
    println!(
        "restored {} into {} (backup schema version {}, now {})",
        file.display(),
        config.data_dir.display(),
        restored.backup_schema,
        store::SCHEMA_VERSION
    );
    if let Some(previous) = restored.previous {
        println!("the replaced store is kept as {}", previous.display());
    }
    Ok(())
}

/// `salas export [--output FILE]`: standard output when no file is given.
pub fn export(config: &Config, output: Option<&Path>, store_url: Option<&str>) -> Result<(), String> {
    let mut json = Vec::new();
    if let Some(url) = store_url {
        json = store::postgres::export(database(config, url)).map_err(|e| e.to_string())?;
    } else if admin_socket::request(&config.data_dir, Command::Export, &mut json)?.is_none() {
        json = store::export_offline(&config.data_dir).map_err(|e| e.to_string())?;
    }
    match output {
        None => std::io::stdout().lock().write_all(&json).map_err(|e| format!("writing the export: {e}")),
        Some(path) => {
            let partial = partial_path(path);
            let mut file = create_private(&partial)?;
            file.write_all(&json).map_err(|e| format!("{}: {e}", partial.display()))?;
            sync(file, &partial)?;
            fs::rename(&partial, path).map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("export written to {}", path.display());
            Ok(())
        }
    }
}

/// `salas import FILE`: creates the store of a new data directory from an export.
pub fn import(config: &Config, file: &Path, store_url: Option<&str>) -> Result<(), String> {
    let json = fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    if let Some(url) = store_url {
        let done = store::postgres::import(database(config, url), &json).map_err(|e| e.to_string())?;
        println!(
            "imported {} users, {} rooms, {} reservations and {} events into {}",
            done.users, done.rooms, done.reservations, done.events, done.target
        );
        return Ok(());
    }
    let done = store::import(&config.data_dir, &json).map_err(|e| e.to_string())?;
    println!(
        "imported {} users, {} rooms, {} reservations and {} events into {}",
        done.users,
        done.rooms,
        done.reservations,
        done.events,
        config.data_dir.display()
    );
    Ok(())
}

/// `salas store copy`: the stopped data directory's store into an empty database (`to`), or a
/// database into a data directory without a store (`from`).
pub fn copy_store(config: &Config, to: Option<&str>, from: Option<&str>) -> Result<(), String> {
    let dir = config.data_dir.display();
    match (to, from) {
        (Some(url), None) => {
            let done = store::postgres::copy_to(&config.data_dir, database(config, url)).map_err(|e| e.to_string())?;
            println!(
                "copied {} users, {} rooms, {} reservations and {} events from {dir} to {}",
                done.users, done.rooms, done.reservations, done.events, done.target
            );
        }
        (None, Some(url)) => {
            let done =
                store::postgres::copy_from(database(config, url), &config.data_dir).map_err(|e| e.to_string())?;
            let source = store::postgres::describe(url).map_err(|e| e.to_string())?;
            println!(
                "copied {} users, {} rooms, {} reservations and {} events from {source} to {dir}",
                done.users, done.rooms, done.reservations, done.events
            );
        }
        _ => return Err("give either --to URL or --from URL".into()),
    }
    Ok(())
}

/// The database at `url`, with the configuration's PGPASSWORD for a URL without a password.
pub fn database<'a>(config: &'a Config, url: &'a str) -> store::postgres::Database<'a> {
    store::postgres::Database { url, password: config.store.pg_password.as_deref() }
}

/// `salas healthcheck`: asks the local server's /healthz (for container HEALTHCHECKs, where no
/// curl is installed). Listening on every address means asking on loopback.
pub fn healthcheck(config: &Config) -> Result<(), String> {
    let mut addr = config.listen_addr().map_err(|e| e.to_string())?;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
    }
    let timeout = std::time::Duration::from_secs(5);
    if config.tls.enabled() {
        return healthcheck_tls(addr, timeout);
    }
    let mut conn = std::net::TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
    conn.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    conn.write_all(format!("GET /healthz HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes()).map_err(|e| e.to_string())?;
    let mut head = [0u8; 12];
    conn.read_exact(&mut head).map_err(|e| format!("{addr}: {e}"))?;
    match &head[8..] {
        b" 200" => Ok(()),
        status => Err(format!("{addr}/healthz answered{}", String::from_utf8_lossy(status))),
    }
}

/// `healthcheck` of a server speaking TLS. Only whether it answers is checked, not its
/// certificate: that names the public host, not the loopback address asked here.
fn healthcheck_tls(addr: std::net::SocketAddr, timeout: std::time::Duration) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        let res = client.get(format!("https://{addr}/healthz")).send().await.map_err(|e| format!("{addr}: {e}"))?;
        match res.status().as_u16() {
            200 => Ok(()),
            status => Err(format!("{addr}/healthz answered {status}")),
        }
    })
}

/// True if a server answers on the data directory's admin socket.
fn answers(data_dir: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(data_dir.join(admin_socket::SOCKET)).is_ok()
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}

/// Backups and exports hold password hashes: only their owner may read them.
fn create_private(path: &Path) -> Result<fs::File, String> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn sync(file: fs::File, path: &Path) -> Result<(), String> {
    file.sync_all().map_err(|e| format!("{}: {e}", path.display()))
}
