//! The store: the only module that names redb. Domain modules read through [`View`] and write
//! through [`Store::write`], which runs their command on the single writer thread and answers
//! only after the batch it joined is durably committed.

mod account_links;
mod audit;
mod backup;
mod calendar;
mod codec;
mod displays;
mod export;
mod fields;
mod groups;
mod health;
mod kept;
mod locks;
mod migrate;
mod outbox;
mod people;
mod policies;
pub mod postgres;
mod push;
mod queries;
mod recent;
mod replica;
mod tables;
mod tx;
mod writer;

pub use backup::{BackupError, Restored, backup_offline, restore};
pub use export::{Export, Imported, export_offline, import};
pub use groups::AccessMap;
pub use migrate::SCHEMA_VERSION;
pub use queries::{ListFilter, View};
pub use replica::ReplicaStatus;
pub use tx::Tx;

use crate::model::event::Event;
use crate::model::reservation::Reservation;
use redb::{Database, ReadableDatabase};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::watch;

#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the data directory {0} is in use by another Salas process (a running server?); stop it first")]
    Locked(PathBuf),
    #[error(
        "the data directory was written by a newer Salas (schema {found}; this version reads up to {supported}); upgrade Salas or restore a backup"
    )]
    TooNew { found: u64, supported: u64 },
    #[error("storage error: {0}")]
    Storage(String),
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error("the store is shutting down")]
    Closed,
    /// The disk failed (full, read-only…); the store recovers by itself once it works again.
    #[error("the store cannot be used right now: {0}")]
    Unavailable(String),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Storage(e.to_string())
            }
        }
    )*};
}
from_redb!(redb::Error, redb::StorageError, redb::TableError, redb::TransactionError, redb::CommitError);

impl From<redb::DatabaseError> for StoreError {
    fn from(e: redb::DatabaseError) -> Self {
        StoreError::Storage(e.to_string())
    }
}

/// A handle to the open store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Arc<health::DbCell>,
    writer: writer::Handle,
    events: watch::Receiver<u64>,
    file: Arc<Path>,
    /// Room access rules and group memberships in memory (the writer keeps it current).
    access: kept::Latest<AccessMap>,
    /// The users in memory (the writer keeps them current).
    people: kept::Latest<people::People>,
    /// False while those copies may differ from the file (the writer keeps it).
    copies_current: Arc<AtomicBool>,
    /// The live reservations in memory (the writer keeps it current).
    calendar: calendar::Calendar,
    /// The newest events, decoded (the writer adds them).
    recent: recent::Recent,
    /// On PostgreSQL: how this process follows the database (replica.rs).
    follow: Option<Arc<replica::Follow>>,
}

pub const DB_FILE: &str = "salas.redb";

/// The page cache of commands that open the store briefly (the server takes it from the
/// configuration).
const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

impl Store {
    /// Opens the store with the default page cache; see [`Store::open_with_cache`].
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Store::open_with_cache(data_dir, DEFAULT_CACHE_BYTES)
    }

    /// Opens (creating if needed) the store in `data_dir` with a page cache of `cache_bytes`,
    /// upgrades its schema, and starts the writer thread.
    pub fn open_with_cache(data_dir: &Path, cache_bytes: usize) -> Result<Store, StoreError> {
        Store::open_inner(data_dir, cache_bytes, None, None)
    }

    fn open_inner(
        data_dir: &Path,
        cache_bytes: usize,
        link: Option<replica::Link>,
        follow: Option<Arc<replica::Follow>>,
    ) -> Result<Store, StoreError> {
        create_private_dir(data_dir)?;
        let path = data_dir.join(DB_FILE);
        let db = match Database::builder().set_cache_size(cache_bytes).create(&path) {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(StoreError::Locked(data_dir.to_path_buf()));
            }
            Err(e) => return Err(e.into()),
        };
        backup::keep_before_upgrade(&db, &path)?;
        migrate::run(&db)?;
        let last_seq = View::read(&db)?.last_event_seq()?;
        let (events_tx, events) = watch::channel(last_seq);
        let access = kept::Latest::new(AccessMap::build(&View::read(&db)?)?);
        let people = kept::Latest::new(people::People::build(&View::read(&db)?)?);
        let copies_current = Arc::new(AtomicBool::new(true));
        let calendar = calendar::Calendar::default();
        calendar.refresh_rooms(&View::read(&db)?)?;
        let db = Arc::new(health::DbCell::new(db, path.clone(), cache_bytes));
        let recent = recent::Recent::new(last_seq);
        let followers = writer::Followers {
            events: events_tx,
            access: access.clone(),
            people: people.clone(),
            current: copies_current.clone(),
            calendar: calendar.clone(),
            recent: recent.clone(),
            catch_up_queued: Arc::default(),
        };
        let writer = writer::spawn(db.clone(), followers, link);
        Ok(Store { db, writer, events, file: path.into(), access, people, copies_current, calendar, recent, follow })
    }

    /// A snapshot for reading. Its reads of a room, an access rule, a user's groups or a user come
    /// from memory, as committed by every write answered so far (from the file while a failed
    /// disk has left those copies in doubt).
    pub fn view(&self) -> Result<View<'static>, StoreError> {
        let mut view = View::read(&*self.db.get()?)?;
        if self.copies_current.load(Ordering::SeqCst) {
            view.memory = Some(kept::Memory {
                access: self.access.get(),
                rooms: self.calendar.rooms(),
                people: self.people.get(),
            });
        }
        Ok(view)
    }

    /// Runs `command` in a write transaction on the writer thread. The command reads through the
    /// [`Tx`] it is given, decides, and stages writes; the writes are applied only if it returns
    /// `Ok`, and the result is returned once the transaction is durably committed.
    pub async fn write<T, E, F>(&self, command: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    {
        self.writer.submit(true, command).await
    }

    /// [`Store::write`] for work that is done again after a crash if it was lost: the event
    /// followers' cursor moves and what they stage with them (each under a once key). Its batch
    /// is flushed to disk only if another command in it needs that; otherwise it becomes durable
    /// with the next flushed batch, or when the store closes.
    pub async fn write_replayable<T, E, F>(&self, command: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    {
        self.writer.submit(false, command).await
    }

    /// The same as [`Store::write`], for the command line, which has no async runtime.
    pub fn write_blocking<T, E, F>(&self, command: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    {
        self.writer.submit_blocking(command)
    }

    /// The current room access rules and group memberships: a cheap, consistent snapshot for
    /// per-request room checks (a write that changed them is answered only after it is here).
    pub fn access(&self) -> Arc<AccessMap> {
        self.access.get()
    }

    /// Every room (archived ones too), by name, from memory: as committed by every write
    /// answered so far.
    pub fn rooms(&self) -> Arc<Vec<crate::model::room::Room>> {
        self.calendar.rooms()
    }

    /// Starts building the in-memory calendar of live reservations in the background (the
    /// server does, once; command-line tools do not need it). Until it is built, reads use the
    /// file.
    pub fn start_calendar(&self) {
        self.writer.build_calendar();
    }

    /// A page of reservations, as [`View::list`] gives it; from memory when the filter asks for
    /// one room's live reservations in a window (a calendar page, the timeline).
    pub fn list(&self, f: &ListFilter) -> Result<Vec<Reservation>, StoreError> {
        match self.calendar.page(f) {
            Some(page) => Ok(page.iter().map(|r| Reservation::clone(r)).collect()),
            None => self.view()?.list(f),
        }
    }

    /// [`Store::list`] without copying what is in memory (for pages that only read it).
    pub fn list_shared(&self, f: &ListFilter) -> Result<Vec<Arc<Reservation>>, StoreError> {
        match self.calendar.page(f) {
            Some(page) => Ok(page),
            None => Ok(self.view()?.list(f)?.into_iter().map(Arc::new).collect()),
        }
    }

    /// The events after `seq`, oldest first (at most `limit`): from memory while it holds them,
    /// so the log's many followers do not each decode every event again.
    pub fn events_after(&self, seq: u64, limit: usize) -> Result<Vec<Arc<Event>>, StoreError> {
        match self.recent.after(seq, limit) {
            Some(events) => Ok(events),
            None => Ok(self.view()?.events_after(seq, limit)?.into_iter().map(Arc::new).collect()),
        }
    }

    /// Watches the sequence number of the newest event (consumers wake on changes).
    pub fn event_signal(&self) -> watch::Receiver<u64> {
        self.events.clone()
    }

    /// True when a read transaction can be opened (for `/readyz`).
    pub fn is_ready(&self) -> bool {
        self.db.get().is_ok_and(|db| db.begin_read().is_ok()) && self.database_answers()
    }

    /// The size of the store file in bytes (for `/metrics`); 0 if it cannot be read.
    pub fn file_size(&self) -> u64 {
        std::fs::metadata(&self.file).map(|m| m.len()).unwrap_or(0)
    }

    /// Stops the writer after the commands already queued, and closes the file.
    pub fn close(self) {
        let Store { db, writer, events, .. } = self;
        drop(events);
        writer.shutdown();
        db.close();
    }
}

fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| StoreError::Storage(format!("cannot create data directory {}: {e}", dir.display())))
}

/// `salas check`: verifies the file's integrity and the invariants of a store no server has
/// open. Returns the problems found (empty when all is well).
pub fn check(data_dir: &Path) -> Result<Vec<String>, StoreError> {
    let path = data_dir.join(DB_FILE);
    if !path.exists() {
        return Err(StoreError::Storage(format!("there is no store in {}", data_dir.display())));
    }
    let mut db = match Database::open(&path) {
        Ok(db) => db,
        Err(redb::DatabaseError::DatabaseAlreadyOpen) => return Err(StoreError::Locked(data_dir.to_path_buf())),
        Err(e) => return Err(e.into()),
    };
    let mut problems = Vec::new();
    if !db.check_integrity().map_err(|e| StoreError::Storage(e.to_string()))? {
        problems.push("the file needed repairs (redb's integrity check failed)".to_string());
    }
    let found = migrate::version(&db)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew { found, supported: SCHEMA_VERSION });
    }
    if found < SCHEMA_VERSION {
        problems
            .push(format!("schema version {found} is older than {SCHEMA_VERSION}; start the server once to upgrade"));
        return Ok(problems);
    }
    problems.extend(View::read(&db)?.verify()?);
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_replayable_write_is_seen_at_once_and_kept_by_a_clean_close() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let moved = store.write_replayable(|tx: &mut Tx| {
            tx.set_cursor("test", 7);
            Ok::<(), StoreError>(())
        });
        moved.await.unwrap();
        assert_eq!(store.view().unwrap().cursor("test").unwrap(), Some(7));
        store.close();
        // Closing makes the unflushed commit durable: a new process finds it.
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.view().unwrap().cursor("test").unwrap(), Some(7));
        store.close();
    }

    /// A room's listing with the cancelled reservations merges the live and the closed index in
    /// (start, id) order, page by page.
    #[tokio::test]
    async fn a_room_listing_with_cancelled_ones_is_in_start_order_across_pages() {
        use crate::model::reservation::{Reservation, Status};
        use crate::types::{ReservationId, RoomId, UserId};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (room, other) = (RoomId::new(), RoomId::new());
        let made: Vec<Reservation> = (0..12)
            .map(|n: i64| {
                let start = chrono::DateTime::UNIX_EPOCH + chrono::Duration::hours(1_000_000 + n);
                let mut r: Reservation = serde_json::from_value(serde_json::json!({
                    "id": ReservationId::new(), "room_id": if n == 5 { other } else { room },
                    "user_id": UserId::new(), "title": "t", "description": "", "start": start,
                    "end": start + chrono::Duration::minutes(30), "attendees": [], "status": "confirmed",
                    "version": 1, "created_by": UserId::new(), "created_at": start, "updated_at": start,
                    "cancelled_at": null
                }))
                .unwrap();
                r.status = [Status::Confirmed, Status::Cancelled, Status::Pending, Status::NoShow][n as usize % 4];
                r
            })
            .collect();
        let stored = made.clone();
        store
            .write(move |tx: &mut Tx| {
                stored.into_iter().rev().for_each(|r| tx.put_reservation(r));
                Ok::<(), StoreError>(())
            })
            .await
            .unwrap();
        let page = |include_cancelled, after| {
            let f = ListFilter { room: Some(room), include_cancelled, after, limit: 4, ..ListFilter::default() };
            store.view().unwrap().list(&f).unwrap()
        };
        let (mut all, mut after) = (Vec::new(), None);
        loop {
            let got = page(true, after);
            after = got.last().map(|r: &Reservation| (r.start, r.id));
            all.extend(got.into_iter().map(|r| r.id));
            if after.is_none() {
                break;
            }
        }
        let expected: Vec<_> = made.iter().filter(|r| r.room_id == room).map(|r| r.id).collect();
        assert_eq!(all, expected);
        let live: Vec<_> = page(false, None).into_iter().map(|r| r.id).collect();
        assert_eq!(live, [made[0].id, made[2].id, made[4].id, made[6].id]);
        assert!(store.view().unwrap().verify().unwrap().is_empty());
        store.close();
        // `salas check` notices a closed entry that no longer matches its reservation's start.
        let cancelled = &made[1];
        let db = Database::open(dir.path().join(DB_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut closed = txn.open_table(tables::CLOSED_BY_ROOM).unwrap();
            let start = crate::types::micros(cancelled.start);
            closed.remove((room.bytes(), start, cancelled.id.bytes())).unwrap();
            closed.insert((room.bytes(), start + 1, cancelled.id.bytes()), ()).unwrap();
        }
        txn.commit().unwrap();
        drop(db);
        let problems = check(dir.path()).unwrap();
        assert!(problems.iter().any(|p| p.contains("closed index entry")), "{problems:?}");
    }

    /// `salas check` finds an unread notification missing from the unread index.
    #[test]
    fn check_compares_the_unread_index_with_the_notifications() {
        let dir = tempfile::tempdir().unwrap();
        Store::open(dir.path()).unwrap().close();
        assert_eq!(check(dir.path()).unwrap(), Vec::<String>::new());
        let db = Database::create(dir.path().join(DB_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        let stored = [&[1u8][..], br#"{"title":"x","read_at":null}"#].concat();
        txn.open_table(tables::NOTIFICATIONS).unwrap().insert(([1u8; 16], [2u8; 16]), stored.as_slice()).unwrap();
        txn.commit().unwrap();
        drop(db);
        let problems = check(dir.path()).unwrap();
        assert!(problems.iter().any(|p| p.contains("unread index")), "{problems:?}");
    }

    /// The writer answers reads of rooms and memberships from memory until its batch writes one:
    /// a command after it in the same batch must see the write.
    #[tokio::test]
    async fn a_room_or_membership_written_in_a_batch_is_seen_by_the_rest_of_it() {
        use crate::model::room::Room;
        use crate::types::{GroupId, RoomId, UserId};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let room: Room = serde_json::from_value(serde_json::json!({
            "id": RoomId::new(), "name": "Norte", "capacity": 4, "location": "", "description": "",
            "timezone": "UTC", "resources": [], "requires_approval": false, "active": true, "version": 1,
            "created_at": "2030-01-01T00:00:00Z", "updated_at": "2030-01-01T00:00:00Z"
        }))
        .unwrap();
        let (id, group, user) = (room.id, GroupId::new(), UserId::new());
        store
            .write(move |tx: &mut Tx| {
                tx.put_room(room);
                Ok::<(), StoreError>(())
            })
            .await
            .unwrap();
        // Hold the writer in a batch of its own until the commands under test have queued up
        // behind it, so that they share the next one.
        let (running, started) = tokio::sync::oneshot::channel();
        let (open, gate) = std::sync::mpsc::channel::<()>();
        let held = store.clone();
        let hold = tokio::spawn(async move {
            held.write(move |_: &mut Tx| {
                let _ = running.send(());
                let _ = gate.recv_timeout(std::time::Duration::from_secs(10));
                Ok::<(), StoreError>(())
            })
            .await
        });
        started.await.unwrap();
        let (archived, read) = {
            let mut archive = std::pin::pin!(store.write(move |tx: &mut Tx| {
                let mut room = tx.room(id)?.expect("stored");
                room.active = false;
                tx.put_room(room);
                tx.set_member(group, user, true);
                Ok::<(), StoreError>(())
            }));
            let mut read = std::pin::pin!(
                store.write(move |tx: &mut Tx| Ok::<_, StoreError>((tx.room(id)?, tx.groups_of(user)?)))
            );
            // A first poll queues each command; neither can be answered while the writer is held.
            std::future::poll_fn(|cx| {
                assert!(archive.as_mut().poll(cx).is_pending() && read.as_mut().poll(cx).is_pending());
                std::task::Poll::Ready(())
            })
            .await;
            open.send(()).unwrap();
            tokio::join!(archive, read)
        };
        archived.unwrap();
        let (room, groups) = read.unwrap();
        hold.await.unwrap().unwrap();
        assert!(!room.expect("still there").active, "the archive of the same batch is seen");
        assert_eq!(groups, [group]);
        // And after the commit, from the memory reloaded.
        let (room, groups) =
            store.write(move |tx: &mut Tx| Ok::<_, StoreError>((tx.room(id)?, tx.groups_of(user)?))).await.unwrap();
        assert!(!room.expect("still there").active);
        assert_eq!(groups, [group]);
        store.close();
    }

    /// Where it is allowed (as root on CI) the writer takes its raised priority; elsewhere the
    /// store works the same.
    #[tokio::test]
    async fn the_writer_runs_at_a_raised_priority_when_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        // Answered by the writer thread, so it has set its priority by now.
        store.write(|_: &mut Tx| Ok::<(), StoreError>(())).await.unwrap();
        let writers_nice: Vec<i32> = std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("stat")).ok())
            .filter(|stat| stat.contains("(salas-writer)"))
            // After the command name: state is the first field, nice the seventeenth.
            .filter_map(|stat| stat.rsplit_once(") ")?.1.split(' ').nth(16)?.parse().ok())
            .collect();
        assert!(!writers_nice.is_empty(), "no writer thread found");
        // Whether this process may raise a thread's priority: root alone is not enough (a container
        // without CAP_SYS_NICE), so a thread of its own tries.
        let allowed =
            std::thread::spawn(|| rustix::process::setpriority_process(None, writer::WRITER_NICE).is_ok()).join();
        if allowed.unwrap_or(false) {
            assert!(writers_nice.contains(&writer::WRITER_NICE), "writer threads' nice values: {writers_nice:?}");
        }
        store.close();
    }
}
