//! The writer thread's connection to the database when Salas runs on PostgreSQL. The writer is
//! a plain thread, so the connection lives on a small runtime of its own.
//!
//! A batch: [`Primary::lock`] begins a transaction and takes the head row (every process's
//! batches queue there), [`Primary::changes`] gives what other processes committed since this
//! one's last batch, [`Primary::write`] writes the batch's rows and its log entry, and
//! [`Primary::commit`] commits. Any failure that is the connection's drops it: the next batch
//! connects again, to whichever host of the URL now accepts writes.

use super::super::StoreError;
use super::super::tx::{Log, Op};
use super::project::Row;
use super::{Database, SERVER_CONNECT_TIMEOUT, batch, describe, link_error, open_config};
use std::collections::HashMap;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Statement};

/// The most log entries replayed in one batch (a process far behind catches up over several).
const REPLAY_LIMIT: i64 = 2000;

pub struct Primary {
    runtime: tokio::runtime::Runtime,
    config: tokio_postgres::Config,
    target: String,
    client: Option<Client>,
    statements: HashMap<(&'static str, usize), Statement>,
}

/// One entry of the replication log.
pub struct Change {
    pub seq: u64,
    pub ops: Vec<Op>,
}

impl Primary {
    pub fn new(db: Database) -> Result<Primary, StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Storage(format!("cannot start the database client: {e}")))?;
        Ok(Primary {
            runtime,
            config: open_config(db, SERVER_CONNECT_TIMEOUT)?,
            target: describe(db.url)?,
            client: None,
            statements: HashMap::new(),
        })
    }

    /// Runs `work` with the connection, connecting first if there is none; a failure of the
    /// connection drops it.
    fn with<T>(
        &mut self,
        work: impl AsyncFnOnce(&Client, &mut HashMap<(&'static str, usize), Statement>) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StoreError> {
        let Primary { runtime, config, target, client, statements } = self;
        runtime.block_on(async {
            if client.is_none() {
                let (c, connection) = config.connect(NoTls).await.map_err(|e| link_error(target, e))?;
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::warn!(error = %e, "the writer's database connection closed");
                    }
                });
                // The head row is every process's one lock: a process that stops answering
                // while holding it (a lost machine sends no reset) must not hold the others up.
                c.batch_execute("SET idle_in_transaction_session_timeout = '10s'; SET lock_timeout = '10s'")
                    .await
                    .map_err(|e| link_error(target, e))?;
                statements.clear();
                *client = Some(c);
            }
            let Some(c) = client.as_ref() else { return Err(StoreError::Closed) };
            match work(c, statements).await {
                Ok(value) => Ok(value),
                Err(e) => {
                    let error = link_error(target, e);
                    if matches!(error, StoreError::Unavailable(_)) {
                        *client = None;
                    } else {
                        let _ = c.batch_execute("ROLLBACK").await;
                    }
                    Err(error)
                }
            }
        })
    }

    /// Begins the batch's transaction and waits for the head row: returns the newest log entry.
    pub fn lock(&mut self) -> Result<u64, StoreError> {
        self.with(async |c, _| {
            c.batch_execute("BEGIN").await?;
            c.query_one("SELECT seq FROM salas_head FOR UPDATE", &[]).await
        })
        .map(|row| row.get::<_, i64>(0) as u64)
    }

    /// The log's entries after `after`, oldest first (at most [`REPLAY_LIMIT`]).
    pub fn changes(&mut self, after: u64) -> Result<Vec<Change>, StoreError> {
        let rows = self.with(async |c, _| {
            c.query(
                "SELECT seq, ops::text FROM salas_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&(after as i64), &REPLAY_LIMIT],
            )
            .await
        })?;
        rows.iter()
            .map(|row| {
                let ops: Vec<Op> = serde_json::from_str(row.get(1))
                    .map_err(|e| StoreError::Corrupt(format!("replication log entry {}: {e}", row.get::<_, i64>(0))))?;
                Ok(Change { seq: row.get::<_, i64>(0) as u64, ops })
            })
            .collect()
    }

    /// Writes the batch's rows and its log entry `seq`, pipelined, in as few statements as
    /// [`batch::plan`] makes of them.
    pub fn write(&mut self, seq: u64, log: Log) -> Result<(), StoreError> {
        let ops = serde_json::to_string(&log.ops).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let seq = seq as i64;
        let runs = batch::plan(&log.rows);
        let append = Row {
            sql: "INSERT INTO salas_changes (seq, ops) VALUES ($1, $2::text::json)",
            params: vec![Box::new(seq), Box::new(ops)],
        };
        let head = Row { sql: "UPDATE salas_head SET seq = $1", params: vec![Box::new(seq)] };
        self.with(async move |c, statements| {
            let shapes = runs.iter().map(|r| (r.sql, r.rows.len())).chain([(append.sql, 1), (head.sql, 1)]);
            let mut missing: Vec<(&'static str, usize)> = shapes.filter(|s| !statements.contains_key(s)).collect();
            missing.sort_unstable();
            missing.dedup();
            let texts: Vec<String> = missing.iter().map(|(sql, rows)| batch::multi_row(sql, *rows)).collect();
            let prepared = futures_util::future::try_join_all(texts.iter().map(|sql| c.prepare(sql))).await?;
            statements.extend(missing.into_iter().zip(prepared));
            let statements = &*statements;
            let writes = runs.iter().map(|run| {
                let statement = &statements[&(run.sql, run.rows.len())];
                async move { c.execute(statement, &run.params()).await }
            });
            let log_writes = [&append, &head].map(|row| {
                let params: Vec<&(dyn ToSql + Sync)> = row.params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect();
                let statement = &statements[&(row.sql, 1)];
                async move { c.execute(statement, &params).await }
            });
            futures_util::future::try_join(
                futures_util::future::try_join_all(writes),
                futures_util::future::try_join_all(log_writes),
            )
            .await?;
            Ok(())
        })
    }

    pub fn commit(&mut self) -> Result<(), StoreError> {
        self.with(async |c, _| c.batch_execute("COMMIT").await)
    }

    /// Ends a transaction whose batch failed (nothing of it is kept).
    pub fn rollback(&mut self) {
        if let Some(c) = &self.client {
            let _ = self.runtime.block_on(c.batch_execute("ROLLBACK"));
        }
    }
}
