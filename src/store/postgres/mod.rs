//! PostgreSQL, the second store: its schema and versioned migrations, and the commands that move
//! data between it and the embedded store (`salas store copy`), export it and check it (see
//! docs/postgres.md). Records keep the embedded store's shapes (the export document's), so a
//! copy there and back gives the same data.
//!
//! The command line has no async runtime: each of its calls runs on a runtime of its own. A
//! server on PostgreSQL writes through [`primary`] (the writer thread) and follows the
//! database through [`replica`].

mod batch;
mod migrate;
pub(super) mod primary;
mod project;
pub(super) mod replica;
mod rows;

pub(super) use project::{Row, project};

use super::StoreError;
use super::backup::BackupError;
use super::export::{self, Export, Imported, import_data, read_offline, to_json};
use crate::model::notify::Webhook;
use std::path::Path;
use std::time::Duration;
use tokio_postgres::{Client, Config, NoTls};

pub use migrate::SCHEMA_VERSION as PG_SCHEMA_VERSION;

/// A database unreachable for this long is reported as such (a URL may set `connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The same for a running server, whose requests wait for it: they get a 503 sooner.
const SERVER_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// What `salas store copy --to` wrote.
pub struct Copied {
    pub target: String,
    pub users: usize,
    pub rooms: usize,
    pub reservations: usize,
    pub events: usize,
}

/// A database to use: its URL, and the password to use where the URL has none (libpq's
/// `PGPASSWORD`, which the configuration reads).
#[derive(Clone, Copy)]
pub struct Database<'a> {
    pub url: &'a str,
    pub password: Option<&'a str>,
}

/// `salas store copy --to URL`: copies the stopped embedded store of `data_dir` into an empty
/// database, creating its schema; all or nothing.
pub fn copy_to(data_dir: &Path, db: Database) -> Result<Copied, BackupError> {
    write_all(db, read_offline(data_dir)?)
}

/// `salas import FILE --store-url URL`: an export document into an empty database.
pub fn import(db: Database, json: &[u8]) -> Result<Copied, BackupError> {
    write_all(db, export::parse(json)?)
}

fn write_all(db: Database, data: Export) -> Result<Copied, BackupError> {
    let target = describe(db.url)?;
    block_on(async {
        let mut client = connect(db).await?;
        migrate::run(&mut client).await?;
        let tx = client.transaction().await.map_err(db_error)?;
        if let Some(table) = rows::first_non_empty(&tx).await? {
            return Err(BackupError::Refused(format!(
                "{target} already holds Salas data (table {table} is not empty); copy into an empty database"
            )));
        }
        rows::write(&tx, &data).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(Copied {
            target: target.clone(),
            users: data.users.len(),
            rooms: data.rooms.len(),
            reservations: data.reservations.len(),
            events: data.events.len(),
        })
    })
}

/// `salas store copy --from URL`: copies the database into `data_dir`, which must have no store
/// yet.
pub fn copy_from(db: Database, data_dir: &Path) -> Result<Imported, BackupError> {
    let data = block_on(async {
        let mut client = connect(db).await?;
        migrate::require_current(&client).await?;
        rows::read(&mut client).await
    })?;
    import_data(data_dir, data)
}

/// `salas export --store-url URL`: the export document of the database, from one snapshot.
pub fn export(db: Database) -> Result<Vec<u8>, BackupError> {
    let data = block_on(async {
        let mut client = connect(db).await?;
        migrate::require_current(&client).await?;
        rows::read(&mut client).await
    })?;
    Ok(to_json(&data)?)
}

/// `salas check --store-url URL`: the problems found in the database (empty when all is well).
pub fn check(db: Database) -> Result<Vec<String>, StoreError> {
    block_on(async {
        let mut client = connect(db).await?;
        let found = migrate::version(&client).await?;
        if found < migrate::SCHEMA_VERSION {
            return Ok(vec![format!(
                "schema version {found} is older than {}; copy a store into it or start Salas on it once",
                migrate::SCHEMA_VERSION
            )]);
        }
        migrate::require_current(&client).await?;
        rows::verify(&mut client).await
    })
}

/// The webhooks the database holds (`salas check` opens their sealed secrets).
pub fn webhooks(db: Database) -> Result<Vec<Webhook>, StoreError> {
    block_on(async {
        let client = connect(db).await?;
        migrate::require_current(&client).await?;
        rows::webhooks(&client).await
    })
}

/// The URL's hosts, ports and database, without its password: what messages may name.
pub fn describe(url: &str) -> Result<String, StoreError> {
    let config = parse(url)?;
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            tokio_postgres::config::Host::Tcp(name) => format!("{name}:{port}"),
            tokio_postgres::config::Host::Unix(dir) => format!("{}:{port}", dir.display()),
        })
        .collect();
    Ok(format!("postgres://{}/{}", hosts.join(","), config.get_dbname().unwrap_or("")))
}

fn parse(url: &str) -> Result<Config, StoreError> {
    url.parse::<Config>().map_err(|e| StoreError::Storage(format!("the store URL is not a PostgreSQL URL: {e}")))
}

/// The URL's settings, with the password of `PGPASSWORD` where it has none and a connect timeout.
fn open_config(db: Database<'_>, timeout: Duration) -> Result<Config, StoreError> {
    let mut config = parse(db.url)?;
    if let (None, Some(password)) = (config.get_password(), db.password) {
        config.password(password);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(timeout);
    }
    Ok(config)
}

async fn connect(db: Database<'_>) -> Result<Client, StoreError> {
    let config = open_config(db, CONNECT_TIMEOUT)?;
    let target = describe(db.url)?;
    let (client, connection) = config
        .connect(NoTls)
        .await
        .map_err(|e| StoreError::Unavailable(format!("cannot reach the database {target}: {}", reason(&e))))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "database connection closed");
        }
    });
    Ok(client)
}

fn block_on<T, E: From<StoreError>>(work: impl Future<Output = Result<T, E>>) -> Result<T, E> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StoreError::Storage(format!("cannot start the database client: {e}")))?;
    runtime.block_on(work)
}

/// The server's own words where it gave some (a constraint, a missing table), else the client's.
fn reason(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_string(),
        },
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

/// A server's failure: [`StoreError::Unavailable`] (answered 503, tried again later) when the
/// connection or the server is at fault (lost, shutting down, a standby that no longer takes
/// writes, a conflict to retry), else the statement's.
fn link_error(target: &str, e: tokio_postgres::Error) -> StoreError {
    let transient = match e.as_db_error() {
        Some(db) => {
            let code = db.code().code();
            ["08", "57", "53", "40"].iter().any(|class| code.starts_with(class)) || code == "25006"
        }
        None => true,
    };
    if transient { StoreError::Unavailable(format!("the database {target}: {}", reason(&e))) } else { db_error(e) }
}

fn db_error(e: tokio_postgres::Error) -> StoreError {
    StoreError::Storage(format!("database error: {}", reason(&e)))
}
