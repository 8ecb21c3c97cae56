//! The database's schema version (`salas_meta.schema_version`) and the migrations that bring it
//! up to this Salas's, in order, each once. A database of a newer Salas is refused.

use super::{StoreError, db_error};
use tokio_postgres::{Client, GenericClient};

/// The migrations, oldest first; the schema version is how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_tables.sql"),
    include_str!("migrations/0002_replicas.sql"),
    include_str!("migrations/0003_login_locks.sql"),
    include_str!("migrations/0004_push.sql"),
    include_str!("migrations/0005_booking_fields.sql"),
    include_str!("migrations/0006_account_links.sql"),
];
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Held for the whole migration: Salas processes starting together on an empty database wait
/// for the first, which creates the schema, instead of racing it. (The number is arbitrary:
/// "salas" in ASCII.)
const MIGRATION_LOCK: i64 = 0x73_61_6c_61_73;

/// Brings the schema up to date, in one transaction: a failed migration leaves nothing behind.
pub async fn run(client: &mut Client) -> Result<(), StoreError> {
    let tx = client.transaction().await.map_err(db_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(db_error)?;
    tx.batch_execute(
        r#"CREATE TABLE IF NOT EXISTS salas_meta (key text COLLATE "C" PRIMARY KEY, value bigint NOT NULL)"#,
    )
    .await
    .map_err(db_error)?;
    let found = version(&tx).await?;
    refuse_newer(found)?;
    for sql in &MIGRATIONS[found as usize..] {
        tx.batch_execute(sql).await.map_err(db_error)?;
    }
    tx.execute(
        "INSERT INTO salas_meta (key, value) VALUES ('schema_version', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&SCHEMA_VERSION],
    )
    .await
    .map_err(db_error)?;
    tx.commit().await.map_err(db_error)
}

/// The database's schema version: 0 when it has no Salas schema yet.
pub async fn version(client: &impl GenericClient) -> Result<i64, StoreError> {
    let exists: bool =
        client.query_one("SELECT to_regclass('salas_meta') IS NOT NULL", &[]).await.map_err(db_error)?.get(0);
    if !exists {
        return Ok(0);
    }
    let row =
        client.query_opt("SELECT value FROM salas_meta WHERE key = 'schema_version'", &[]).await.map_err(db_error)?;
    Ok(row.map_or(0, |r| r.get(0)))
}

/// For reading: the schema must be this Salas's own.
pub async fn require_current(client: &Client) -> Result<(), StoreError> {
    let found = version(client).await?;
    refuse_newer(found)?;
    if found < SCHEMA_VERSION {
        return Err(StoreError::Storage(format!(
            "the database has schema version {found}, this Salas reads version {SCHEMA_VERSION}; copy a store into it first"
        )));
    }
    Ok(())
}

fn refuse_newer(found: i64) -> Result<(), StoreError> {
    if found > SCHEMA_VERSION {
        return Err(StoreError::Storage(format!(
            "the database was written by a newer Salas (schema {found}; this version knows up to {SCHEMA_VERSION}); upgrade Salas"
        )));
    }
    Ok(())
}
