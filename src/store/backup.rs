//! Whole-store copies. A backup is a new store file filled table by table from one read
//! transaction: a consistent snapshot that runs beside the writer (redb's MVCC) and never copies
//! a file that is being written. The same copy keeps the previous schema's data before an
//! upgrade. A restore verifies a backup (integrity, schema, invariants) before it replaces the
//! store of a stopped data directory.

use super::{DB_FILE, StoreError, View, migrate};
use redb::{
    Database, Key, ReadOnlyDatabase, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, TableError,
    TableHandle, Value,
};
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// What went wrong with a backup, a restore or an import, in words for the command line.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Refused(String),
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for BackupError {
            fn from(e: $t) -> Self {
                BackupError::Store(e.into())
            }
        }
    )*};
}
from_redb!(redb::DatabaseError, redb::TransactionError, redb::StorageError);

pub(super) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let what = what.into();
    move |e| BackupError::Io(what, e)
}

/// What a restore did.
pub struct Restored {
    /// The schema version of the backup (the restored store is upgraded to the current one).
    pub backup_schema: u64,
    /// Where the store that was replaced now is, if there was one.
    pub previous: Option<PathBuf>,
}

/// Copies one table, if it has the key and value types `K` and `V`; `Ok(false)` if it has
/// other types, so the caller can try the next shape.
fn copy_as<K: Key + 'static, V: Value + 'static>(
    src: &ReadTransaction,
    dst: &redb::WriteTransaction,
    name: &str,
) -> Result<bool, StoreError> {
    let def = TableDefinition::<K, V>::new(name);
    let from = match src.open_table(def) {
        Ok(t) => t,
        Err(TableError::TableTypeMismatch { .. }) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let mut to = dst.open_table(def)?;
    for row in from.iter()? {
        let (k, v) = row?;
        to.insert(k.value(), v.value())?;
    }
    Ok(true)
}

type Id = [u8; 16];

/// Copies every table of the snapshot into a new store file at `out` (mode 0600; it must not
/// exist). Tables are found by listing, not by name, so a table added to the schema is backed
/// up without a change here — unless it has a key/value shape not listed below, which fails
/// loudly (and the backup unit test with it) rather than leaving the table out.
pub(super) fn copy_to(src: &ReadTransaction, out: &Path) -> Result<(), BackupError> {
    if src.list_multimap_tables()?.next().is_some() {
        return Err(BackupError::Refused("backup does not handle multimap tables yet".into()));
    }
    OpenOptions::new().write(true).create_new(true).mode(0o600).open(out).map_err(io(out.display().to_string()))?;
    let db = Database::create(out)?;
    let dst = db.begin_write()?;
    for table in src.list_tables()? {
        let name = table.name();
        let copied = copy_as::<&str, u64>(src, &dst, name)?
            || copy_as::<&str, Id>(src, &dst, name)?
            || copy_as::<&str, &[u8]>(src, &dst, name)?
            || copy_as::<u64, &[u8]>(src, &dst, name)?
            || copy_as::<Id, &[u8]>(src, &dst, name)?
            || copy_as::<Id, Id>(src, &dst, name)?
            || copy_as::<Id, u64>(src, &dst, name)?
            || copy_as::<[u8; 32], Id>(src, &dst, name)?
            || copy_as::<[u8; 32], &[u8]>(src, &dst, name)?
            || copy_as::<[u8; 32], ()>(src, &dst, name)?
            || copy_as::<(Id, i64, Id), i64>(src, &dst, name)?
            || copy_as::<(Id, i64, Id), ()>(src, &dst, name)?
            || copy_as::<(i64, Id), ()>(src, &dst, name)?
            || copy_as::<(Id, Id), &[u8]>(src, &dst, name)?
            || copy_as::<(Id, Id), ()>(src, &dst, name)?
            || copy_as::<(i64, Id), &[u8]>(src, &dst, name)?;
        if !copied {
            return Err(BackupError::Refused(format!(
                "backup does not know the key/value types of table `{name}`; add them to store/backup.rs"
            )));
        }
    }
    dst.commit().map_err(StoreError::from)?;
    drop(db);
    File::open(out).and_then(|f| f.sync_all()).map_err(io(out.display().to_string()))
}

impl super::Store {
    /// Writes a consistent backup of the running store to `out` (which must not exist).
    pub fn backup_to(&self, out: &Path) -> Result<(), BackupError> {
        copy_to(&self.db.get()?.begin_read()?, out)
    }
}

/// Backs up the store of a stopped data directory, opened read-only so nothing in it changes.
pub fn backup_offline(data_dir: &Path, out: &Path) -> Result<(), BackupError> {
    let db = open_read_only(data_dir)?;
    copy_to(&db.begin_read()?, out)
}

pub(super) fn open_read_only(data_dir: &Path) -> Result<ReadOnlyDatabase, BackupError> {
    let path = data_dir.join(DB_FILE);
    if !path.exists() {
        return Err(BackupError::Refused(format!("there is no store in {}", data_dir.display())));
    }
    ReadOnlyDatabase::open(&path).map_err(|e| match e {
        redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked(data_dir.to_path_buf()).into(),
        e => e.into(),
    })
}

/// Before a migration changes the schema, keeps a copy of the store as it was
/// (`salas.redb.v<N>.bak`), so an upgrade can be undone by going back to the older Salas.
pub(super) fn keep_before_upgrade(db: &Database, path: &Path) -> Result<(), StoreError> {
    let found = migrate::version(db)?;
    if found == 0 || found >= migrate::SCHEMA_VERSION {
        return Ok(());
    }
    let copy = path.with_extension(format!("redb.v{found}.bak"));
    // A leftover from a start that failed before upgrading holds the same schema: replace it.
    if copy.exists() {
        fs::remove_file(&copy).map_err(|e| StoreError::Storage(format!("{}: {e}", copy.display())))?;
    }
    copy_to(&db.begin_read()?, &copy).map_err(|e| StoreError::Storage(format!("keeping {}: {e}", copy.display())))?;
    tracing::info!(copy = %copy.display(), from = found, "kept a copy of the store before upgrading its schema");
    Ok(())
}

/// `salas restore`: verifies `file` and makes it the store of `data_dir`, whose server must be
/// stopped. The replaced store is kept as `salas.redb.before-restore`.
pub fn restore(file: &Path, data_dir: &Path) -> Result<Restored, BackupError> {
    super::create_private_dir(data_dir)?;
    let live = data_dir.join(DB_FILE);
    // Holding the current store open keeps a server from starting on it during the restore.
    let current = match live.exists().then(|| Database::open(&live)) {
        Some(Err(redb::DatabaseError::DatabaseAlreadyOpen)) => {
            return Err(StoreError::Locked(data_dir.to_path_buf()).into());
        }
        Some(Ok(db)) => Some(db),
        // A store too damaged to open is what a restore is for.
        Some(Err(_)) | None => None,
    };
    let staging = data_dir.join(format!("{DB_FILE}.restoring"));
    if staging.exists() {
        fs::remove_file(&staging).map_err(io(staging.display().to_string()))?;
    }
    copy_file(file, &staging)?;
    let backup_schema = match verify_backup(file, &staging) {
        Ok(v) => v,
        Err(e) => {
            let _ = fs::remove_file(&staging);
            return Err(e);
        }
    };
    give_to_owner_of(&staging, data_dir)?;
    let previous = if live.exists() {
        let kept = data_dir.join(format!("{DB_FILE}.before-restore"));
        fs::rename(&live, &kept).map_err(io(live.display().to_string()))?;
        Some(kept)
    } else {
        None
    };
    fs::rename(&staging, &live).map_err(io(live.display().to_string()))?;
    File::open(data_dir).and_then(|d| d.sync_all()).map_err(io(data_dir.display().to_string()))?;
    drop(current);
    Ok(Restored { backup_schema, previous })
}

fn copy_file(from: &Path, to: &Path) -> Result<(), BackupError> {
    let mut src = File::open(from).map_err(io(from.display().to_string()))?;
    let mut dst =
        OpenOptions::new().write(true).create_new(true).mode(0o600).open(to).map_err(io(to.display().to_string()))?;
    std::io::copy(&mut src, &mut dst).and_then(|_| dst.sync_all()).map_err(io(to.display().to_string()))
}

/// Checks a copy of a backup: redb's integrity check (a backup that needs repairs is damaged),
/// a schema this Salas can read, an upgrade to the current schema, and the store's invariants.
fn verify_backup(file: &Path, copy: &Path) -> Result<u64, BackupError> {
    let invalid = |why: String| BackupError::Refused(format!("{} is not a usable backup: {why}", file.display()));
    let mut db = Database::open(copy).map_err(|e| invalid(e.to_string()))?;
    match db.check_integrity() {
        Ok(true) => {}
        Ok(false) => return Err(invalid("the file is damaged (redb's integrity check needed repairs)".into())),
        Err(e) => return Err(invalid(e.to_string())),
    }
    let found = migrate::version(&db).map_err(|e| invalid(e.to_string()))?;
    if found == 0 {
        return Err(invalid("it holds no Salas schema".into()));
    }
    migrate::run(&db)?;
    let problems = View::read(&db)?.verify()?;
    if let Some(first) = problems.first() {
        return Err(invalid(format!("{first} ({} problem(s))", problems.len())));
    }
    Ok(found)
}

/// A file the administrator wrote as root into the data directory must still be readable by
/// the service's own user, who owns that directory.
pub(super) fn give_to_owner_of(file: &Path, dir: &Path) -> Result<(), BackupError> {
    let (want, have) = (
        fs::metadata(dir).map_err(io(dir.display().to_string()))?,
        fs::metadata(file).map_err(io(file.display().to_string()))?,
    );
    if (want.uid(), want.gid()) == (have.uid(), have.gid()) {
        return Ok(());
    }
    std::os::unix::fs::chown(file, Some(want.uid()), Some(want.gid())).map_err(io(format!(
        "giving {} to the owner of {}",
        file.display(),
        dir.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table of the current schema has a shape the backup can copy, and the copy has the
    /// same tables and version as the original.
    #[test]
    fn backup_copies_every_table_of_the_current_schema() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("a.redb")).unwrap();
        migrate::run(&db).unwrap();
        let out = dir.path().join("b.redb");
        copy_to(&db.begin_read().unwrap(), &out).unwrap();
        let names = |db: &dyn Fn() -> ReadTransaction| {
            db().list_tables().unwrap().map(|t| t.name().to_string()).collect::<Vec<_>>()
        };
        let copy = Database::open(&out).unwrap();
        assert_eq!(names(&|| db.begin_read().unwrap()), names(&|| copy.begin_read().unwrap()));
        assert_eq!(migrate::version(&copy).unwrap(), migrate::SCHEMA_VERSION);
        assert!(copy_to(&db.begin_read().unwrap(), &out).is_err(), "an existing file is never overwritten");
    }
}
