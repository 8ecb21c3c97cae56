//! The open database, and what happens when its disk fails. After a failed write redb refuses
//! every later operation, reads included, until the file is closed and opened again. So the
//! writer, which sees the failure first, closes the database and reopens it once the disk works
//! again (space freed, file system writable). In between every request that needs the store gets
//! [`StoreError::Unavailable`] (503 with the reason), nothing is half-written (redb commits are
//! atomic), and nothing acknowledged is lost.

use super::StoreError;
use redb::Database;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

pub(super) struct DbCell {
    current: RwLock<Option<Arc<Database>>>,
    path: PathBuf,
    cache_bytes: usize,
    /// Why the store is unavailable; None while it works.
    trouble: Mutex<Option<String>>,
}

impl DbCell {
    pub(super) fn new(db: Database, path: PathBuf, cache_bytes: usize) -> DbCell {
        DbCell { current: RwLock::new(Some(Arc::new(db))), path, cache_bytes, trouble: Mutex::new(None) }
    }

    /// The open database, or why there is none.
    pub(super) fn get(&self) -> Result<Arc<Database>, StoreError> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner()).clone();
        current.ok_or_else(|| StoreError::Unavailable(self.trouble().unwrap_or_else(|| "the store is closed".into())))
    }

    pub(super) fn trouble(&self) -> Option<String> {
        self.trouble.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Records that the disk failed and closes the database (it refuses everything from now on).
    pub(super) fn fail(&self, why: String) {
        let mut trouble = self.trouble.lock().unwrap_or_else(|e| e.into_inner());
        if trouble.is_none() {
            tracing::error!(reason = %why, "the store cannot write to its file; refusing requests until it can");
        }
        *trouble = Some(why);
        drop(trouble);
        self.close();
    }

    /// Opens the file again after a failure; Ok once the store works again, with `true` when it
    /// has just recovered from a failure.
    pub(super) fn reopen(&self) -> Result<bool, StoreError> {
        if self.trouble().is_none() {
            return Ok(false);
        }
        let mut slot = self.current.write().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            let db = Database::builder().set_cache_size(self.cache_bytes).create(&self.path).map_err(|e| {
                StoreError::Unavailable(format!("{} (reopening: {e})", self.trouble().unwrap_or_default()))
            })?;
            *slot = Some(Arc::new(db));
        }
        drop(slot);
        *self.trouble.lock().unwrap_or_else(|e| e.into_inner()) = None;
        tracing::warn!("the store works again; accepting writes");
        Ok(true)
    }

    /// Removes the database from the cell and waits (briefly, bounded) until nobody else holds
    /// it, so that its file is closed when this returns. Others (a connection task still dropping
    /// its router after a graceful shutdown, a request reading) may hold it a moment longer.
    pub(super) fn close(&self) {
        let Some(db) = self.current.write().unwrap_or_else(|e| e.into_inner()).take() else { return };
        for _ in 0..500 {
            if Arc::strong_count(&db) == 1 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The reason to give when a failed operation means the disk (not the data) is at fault.
pub(super) fn io_trouble(e: &redb::StorageError) -> Option<String> {
    use std::io::ErrorKind::*;
    match e {
        redb::StorageError::Io(io) => Some(match io.kind() {
            StorageFull | QuotaExceeded => "the disk holding the data directory is full".to_string(),
            ReadOnlyFilesystem => "the data directory is on a read-only file system".to_string(),
            PermissionDenied => "the store's file may not be written (permission denied)".to_string(),
            _ => format!("the store's file cannot be written: {io}"),
        }),
        redb::StorageError::PreviousIo => Some("an earlier write to the store's file failed".to_string()),
        _ => None,
    }
}

pub(super) fn commit_trouble(e: &redb::CommitError) -> Option<String> {
    match e {
        redb::CommitError::Storage(s) => io_trouble(s),
        _ => None,
    }
}

pub(super) fn begin_trouble(e: &redb::TransactionError) -> Option<String> {
    match e {
        redb::TransactionError::Storage(s) => io_trouble(s),
        _ => None,
    }
}
