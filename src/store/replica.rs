//! Salas on PostgreSQL, seen from one process. The database holds the data; each process keeps
//! a local copy in an embedded store (`DATA_DIR/replica/`) from which it answers reads, at
//! memory speed, and against which its writer judges commands. The copy follows the database's
//! replication log (`postgres/primary.rs`):
//! - a write batch first locks the log's head and applies every entry it lacks, so commands
//!   are judged on the newest data of all processes; the batch's ops become the next entry;
//! - before a request is handled, [`Store::sync`] asks the database for the log's head and waits
//!   until the copy holds it, so a write acknowledged by any process is seen by the next
//!   request to any other;
//! - a follower task does the same a few times a second, so live streams and consumers of an
//!   idle process keep up.
//!
//! The copy records which database and entry it holds; a copy of another database, or one too
//! far behind a pruned log, is thrown away and made again from a snapshot of the tables.

use super::postgres::Database;
use super::postgres::primary::{Change, Primary};
use super::postgres::replica::{Head, Reader, prepare, snapshot};
use super::tables::REPLICA;
use super::tx::{Log, Tx};
use super::{Store, StoreError};
use redb::{ReadableDatabase, WriteTransaction};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long the replication log keeps its entries. A process stopped for longer finds its copy
/// too old at start and makes it again from the tables.
const LOG_KEPT_DAYS: i32 = 7;
/// The local copy's directory, inside the data directory.
pub const REPLICA_DIR: &str = "replica";
/// How often an idle process asks whether others wrote.
const FOLLOW_EVERY: Duration = Duration::from_millis(200);
/// A request waits at most this long for its process's copy to catch up.
const SYNC_TIMEOUT: Duration = Duration::from_secs(5);
/// The local copy is flushed to its disk at most this often: it can always be caught up from
/// the database, so a lost tail costs a replay, never data.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// The writer's side: its connection and where the copy stands.
pub(super) struct Link {
    primary: Primary,
    applied: watch::Sender<u64>,
    cluster: uuid::Uuid,
    last_flush: Instant,
    /// The entry the batch in progress brings the copy to, once committed.
    pending: u64,
    /// The head read under the lock, while a batch holds it.
    locked: Option<u64>,
}

impl Link {
    /// Prepares a batch: with `lock` (it has commands) takes the log's head and applies every
    /// entry up to it; without (a catch-up) applies what is there. Then the batch's own ops
    /// are logged.
    pub(super) fn begin(&mut self, tx: &mut Tx, lock: bool) -> Result<(), StoreError> {
        self.pending = *self.applied.borrow();
        self.locked = None;
        let head = if lock {
            let head = self.primary.lock()?;
            self.locked = Some(head);
            head
        } else {
            u64::MAX
        };
        while self.pending < head {
            let changes = self.primary.changes(self.pending)?;
            let Some(last) = changes.last().map(|c| c.seq) else { break };
            for Change { seq, ops } in changes {
                if seq != self.pending + 1 {
                    return Err(StoreError::Corrupt(format!(
                        "the replication log skips from entry {} to {seq}",
                        self.pending
                    )));
                }
                tx.replay(ops)?;
                self.pending = seq;
            }
            if !lock && last == self.pending {
                break;
            }
        }
        if lock && self.pending != head {
            return Err(StoreError::Corrupt(format!(
                "the replication log ends at entry {} but its head says {head}",
                self.pending
            )));
        }
        tx.start_log();
        Ok(())
    }

    /// Writes the batch into the database and commits it there (first: the database is the
    /// record), and notes in `txn` where the copy now stands. Returns whether the local commit
    /// should reach the disk now (see [`FLUSH_EVERY`]).
    pub(super) fn commit(&mut self, txn: &WriteTransaction, log: Option<Log>) -> Result<bool, StoreError> {
        if let Some(head) = self.locked
            && let Some(log) = log.filter(|l| !l.ops.is_empty())
        {
            self.primary.write(head + 1, log)?;
            self.pending = head + 1;
        }
        write_marker(txn, self.cluster, self.pending)?;
        if self.locked.take().is_some() {
            self.primary.commit()?;
        }
        if self.last_flush.elapsed() < FLUSH_EVERY {
            return Ok(false);
        }
        self.last_flush = Instant::now();
        Ok(true)
    }

    /// The batch failed: nothing of it stays in the database.
    pub(super) fn abort(&mut self) {
        if self.locked.take().is_some() {
            self.primary.rollback();
        }
    }

    /// The local copy committed: it now holds the batch.
    pub(super) fn committed(&self) {
        self.applied.send_replace(self.pending);
    }
}

fn write_marker(txn: &WriteTransaction, cluster: uuid::Uuid, applied: u64) -> Result<(), StoreError> {
    let mut table = txn.open_table(REPLICA)?;
    table.insert("cluster", cluster.as_bytes().as_slice())?;
    table.insert("applied", applied.to_be_bytes().as_slice())?;
    Ok(())
}

/// The database and log entry a local copy holds, if it is one.
fn read_marker(dir: &Path) -> Option<(uuid::Uuid, u64)> {
    let db = redb::Database::open(dir.join(super::DB_FILE)).ok()?;
    let txn = db.begin_read().ok()?;
    let table = txn.open_table(REPLICA).ok()?;
    let cluster = uuid::Uuid::from_slice(table.get("cluster").ok()??.value()).ok()?;
    let applied = u64::from_be_bytes(table.get("applied").ok()??.value().try_into().ok()?);
    Some((cluster, applied))
}

pub struct ReplicaStatus {
    /// The last replication log entry the local copy holds.
    pub applied: u64,
    pub database_answers: bool,
}

/// The request side: how far the database's log has gone, and whether it answers.
pub(super) struct Follow {
    reader: Arc<Reader>,
    applied: watch::Receiver<u64>,
    healthy: AtomicBool,
}

impl Store {
    /// Opens the store of a server on PostgreSQL: prepares the database, makes or reuses the
    /// local copy in `data_dir`, and starts following the log.
    pub async fn open_replica(data_dir: &Path, cache_bytes: usize, db: Database<'_>) -> Result<Store, StoreError> {
        super::create_private_dir(data_dir)?;
        let head = prepare(db).await?;
        let dir = data_dir.join(REPLICA_DIR);
        let applied = match read_marker(&dir) {
            Some((cluster, applied)) if usable(&head, cluster, applied) => applied,
            found => {
                if found.is_some() {
                    tracing::info!("the local copy is of another database or too old; making it again");
                }
                copy_database(db, &dir, head.cluster).await?
            }
        };
        let (applied_tx, applied_rx) = watch::channel(applied);
        let link = Link {
            primary: Primary::new(db)?,
            applied: applied_tx,
            cluster: head.cluster,
            last_flush: Instant::now(),
            pending: applied,
            locked: None,
        };
        let follow = Arc::new(Follow {
            reader: Arc::new(Reader::new(db)?),
            applied: applied_rx,
            healthy: AtomicBool::new(true),
        });
        let store = Store::open_inner(&dir, cache_bytes, Some(link), Some(follow))?;
        tokio::spawn(follow_log(store.clone()));
        Ok(store)
    }

    /// Waits until this process's copy holds every write acknowledged anywhere before the call
    /// (at once on the embedded store). Err when the database cannot be asked.
    pub async fn sync(&self) -> Result<(), StoreError> {
        let Some(follow) = &self.follow else { return Ok(()) };
        let head = follow.reader.head().await;
        follow.healthy.store(head.is_ok(), Ordering::SeqCst);
        let head = head?;
        if *follow.applied.borrow() >= head {
            return Ok(());
        }
        self.writer.catch_up();
        let mut applied = follow.applied.clone();
        match tokio::time::timeout(SYNC_TIMEOUT, applied.wait_for(|a| *a >= head)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(StoreError::Closed),
            Err(_) => Err(StoreError::Unavailable("this replica could not catch up with the database in time".into())),
        }
    }

    /// Where this process's copy stands, on PostgreSQL (for `/metrics`).
    pub fn replica_status(&self) -> Option<ReplicaStatus> {
        let follow = self.follow.as_ref()?;
        Some(ReplicaStatus {
            applied: *follow.applied.borrow(),
            database_answers: follow.healthy.load(Ordering::SeqCst),
        })
    }

    /// On PostgreSQL: deletes the replication log's entries older than [`LOG_KEPT_DAYS`] (the
    /// session clean-up job asks); returns how many.
    pub async fn prune_replication_log(&self) -> Result<u64, StoreError> {
        match &self.follow {
            Some(follow) => follow.reader.prune(LOG_KEPT_DAYS).await,
            None => Ok(0),
        }
    }

    /// False while the database does not answer (always true on the embedded store).
    pub(super) fn database_answers(&self) -> bool {
        self.follow.as_ref().is_none_or(|f| f.healthy.load(Ordering::SeqCst))
    }

    /// Whether the data lives in PostgreSQL.
    pub fn is_shared(&self) -> bool {
        self.follow.is_some()
    }
}

fn usable(head: &Head, cluster: uuid::Uuid, applied: u64) -> bool {
    cluster == head.cluster && applied <= head.seq && head.oldest.is_none_or(|oldest| oldest <= applied + 1)
}

/// Makes the local copy from a snapshot of the tables; returns the log entry it holds.
async fn copy_database(db: Database<'_>, dir: &Path, cluster: uuid::Uuid) -> Result<u64, StoreError> {
    let (data, seq) = snapshot(db).await?;
    let dir: PathBuf = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| StoreError::Storage(format!("cannot remove {}: {e}", dir.display())))?;
        }
        super::export::import_data(&dir, data).map_err(|e| StoreError::Storage(e.to_string()))?;
        let db = redb::Database::open(dir.join(super::DB_FILE))?;
        let txn = db.begin_write()?;
        write_marker(&txn, cluster, seq)?;
        txn.commit()?;
        Ok(seq)
    })
    .await
    .map_err(|e| StoreError::Storage(format!("making the local copy failed: {e}")))?
}

/// Keeps an idle process's copy current: its live streams and consumers see others' writes
/// within [`FOLLOW_EVERY`].
async fn follow_log(store: Store) {
    let mut signal = store.event_signal();
    loop {
        tokio::time::sleep(FOLLOW_EVERY).await;
        if signal.has_changed().is_err() {
            return; // the store closed
        }
        if let Err(e) = store.sync().await {
            if matches!(e, StoreError::Closed) {
                return;
            }
            tracing::debug!(error = %e, "cannot follow the database's log");
        }
        signal.mark_unchanged();
    }
}
