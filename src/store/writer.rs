//! The single writer. redb allows one write transaction at a time, so one thread owns them: it
//! drains the queue of commands, runs each against the same transaction (each judged on its own:
//! a refused command stages nothing), commits the batch once with `Durability::Immediate`, and
//! only then answers every command. Many concurrent bookings thus share one disk flush.
//!
//! A batch made only of replayable commands (the event followers' cursor moves and what they
//! stage with them, which are done again after a crash when lost) is committed without a flush:
//! it becomes durable with the next batch that is, or when the store closes. The followers then
//! cost the disk no flush of their own.

use super::StoreError;
use super::calendar::{Calendar, Change, Keeper};
use super::codec::{decode, encode};
use super::health::{DbCell, begin_trouble, commit_trouble};
use super::kept::{Kept, Latest, Memory};
use super::queries::{Txn, View, name_key};
use super::tables::*;
use crate::events::{Event, NewEvent};
use crate::reservations::model::{Reservation, Status};
use crate::rooms::model::{Resource, Room};
use crate::types::{ApiKeyId, EventId, ResourceId, micros};
use crate::users::model::{ApiKey, Session, User};
use redb::{Database, Durability, WriteTransaction};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::watch;

/// The most commands committed together.
const MAX_BATCH: usize = 1024;

/// The writer's nice value. Every write waits for this one thread, so on a busy two-core box it
/// should not queue for a core behind the threads parsing the next requests: measured with 64
/// booking clients, a batch then applies in ~60 µs a booking instead of ~80 and commits sooner.
/// Lowering a nice value needs CAP_SYS_NICE or an RLIMIT_NICE allowing it (the systemd unit sets
/// `LimitNICE=-10`); without either the writer runs at the normal priority, only slower.
pub(super) const WRITER_NICE: i32 = -10;

type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type Job = Box<dyn for<'a, 'b> FnOnce(Option<&'b mut Tx<'a>>) -> Completion + Send>;

enum Msg {
    /// A command; `durable` when its batch must reach the disk before it is answered.
    Job {
        job: Job,
        durable: bool,
    },
    /// Build the in-memory calendar (the server asks once it starts).
    BuildCalendar,
    Stop,
}

#[derive(Clone)]
pub(super) struct Handle {
    queue: mpsc::Sender<Msg>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

/// What the writer keeps current besides the file: the event signal, the access map, the
/// calendar of live reservations and the newest events.
pub(super) struct Followers {
    pub events: watch::Sender<u64>,
    pub access: Latest<super::groups::AccessMap>,
    pub people: Latest<super::people::People>,
    /// Whether the copies above match the file (not after a failed commit until a reload).
    pub current: Arc<AtomicBool>,
    pub calendar: Calendar,
    pub recent: super::recent::Recent,
}

pub(super) fn spawn(db: Arc<DbCell>, followers: Followers) -> Handle {
    let (queue, rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("salas-writer".into())
        .spawn(move || {
            raise_priority();
            run(&db, &rx, &followers)
        })
        .ok();
    Handle { queue, thread: Arc::new(Mutex::new(thread)) }
}

/// Applies [`WRITER_NICE`] to the calling thread: on Linux a nice value belongs to a thread, and
/// `None` names the caller alone.
fn raise_priority() {
    match rustix::process::setpriority_process(None, WRITER_NICE) {
        Ok(()) => tracing::debug!(nice = WRITER_NICE, "the store's writer runs at a raised priority"),
        Err(e) => tracing::info!(
            error = %e,
            "the store's writer runs at the normal priority (raising it needs CAP_SYS_NICE or LimitNICE=-10)"
        ),
    }
}

impl Handle {
    /// Queues `command` and waits for its answer; `durable` false for a replayable command (see
    /// the module's documentation).
    pub(super) async fn submit<T, E, F>(&self, durable: bool, command: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.enqueue(durable, command, move |result| {
            let _ = tx.send(result);
        })?;
        rx.await.unwrap_or_else(|_| Err(StoreError::Closed.into()))
    }

    pub(super) fn submit_blocking<T, E, F>(&self, command: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.enqueue(true, command, move |result| {
            let _ = tx.send(result);
        })?;
        rx.recv().unwrap_or_else(|_| Err(StoreError::Closed.into()))
    }

    fn enqueue<T, E, F>(
        &self,
        durable: bool,
        command: F,
        reply: impl FnOnce(Result<T, E>) + Send + 'static,
    ) -> Result<(), E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    {
        let job: Job = Box::new(move |tx: Option<&mut Tx>| {
            let outcome = match tx {
                Some(tx) => tx.run(command),
                None => Err(StoreError::Storage("an earlier command of the batch failed".into()).into()),
            };
            Box::new(move |committed: Result<(), StoreError>| {
                reply(match committed {
                    Ok(()) => outcome,
                    Err(e) => Err(e.into()),
                })
            })
        });
        self.queue.send(Msg::Job { job, durable }).map_err(|_| StoreError::Closed.into())
    }

    pub(super) fn build_calendar(&self) {
        let _ = self.queue.send(Msg::BuildCalendar);
    }

    /// Lets the commands already queued finish, then stops the thread.
    pub(super) fn shutdown(&self) {
        let _ = self.queue.send(Msg::Stop);
        if let Some(thread) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = thread.join();
        }
    }
}

/// How often a store whose disk failed tries to open its file again while no writes arrive.
const RETRY: Duration = Duration::from_secs(1);
/// How soon an idle writer looks again whether the calendar's build has finished.
const BUILD_POLL: Duration = Duration::from_millis(10);

fn run(cell: &DbCell, rx: &mpsc::Receiver<Msg>, followers: &Followers) {
    let mut keeper = Keeper::new(followers.calendar.clone());
    loop {
        keeper.poll();
        let wait = if keeper.is_building() { BUILD_POLL } else { RETRY };
        let (first, mut durable) = match rx.recv_timeout(wait) {
            Ok(Msg::Job { job, durable }) => (job, durable),
            Ok(Msg::BuildCalendar) => {
                // Between two batches: the snapshot misses no commit the keeper is not given.
                match cell.get().and_then(|db| View::read(&db)) {
                    Ok(snapshot) => keeper.start_build(snapshot),
                    Err(e) => tracing::error!(error = %e, "could not build the calendar; reads use the file"),
                }
                continue;
            }
            Ok(Msg::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = reopen(cell, &mut keeper, &followers.current);
                continue;
            }
        };
        let mut jobs = vec![first];
        let (mut stop, mut build) = (false, false);
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Job { job, durable: d }) => {
                    jobs.push(job);
                    durable |= d;
                }
                Ok(Msg::BuildCalendar) => {
                    build = true;
                    break;
                }
                Ok(Msg::Stop) => {
                    stop = true;
                    break;
                }
                Err(_) => break,
            }
        }
        match reopen(cell, &mut keeper, &followers.current).and_then(|()| cell.get()) {
            Ok(db) => commit_batch(cell, &db, (jobs, durable), followers, &mut keeper),
            Err(e) => {
                for job in jobs {
                    job(None)(Err(e.clone()));
                }
            }
        }
        if build && let Ok(snapshot) = cell.get().and_then(|db| View::read(&db)) {
            keeper.start_build(snapshot);
        }
        if stop {
            break;
        }
    }
}

/// Reopens a store whose disk failed, once it works again, and rebuilds the calendar from what
/// the file now holds. The rooms, access rules and users in memory are then no longer trusted
/// (`current`): a commit that failed may still have reached the file; the next commit reloads
/// them.
fn reopen(cell: &DbCell, keeper: &mut Keeper, current: &AtomicBool) -> Result<(), StoreError> {
    if cell.reopen()? {
        current.store(false, Ordering::SeqCst);
        keeper.rebuild(&View::read(&*cell.get()?)?);
    }
    Ok(())
}

/// Rebuilds the rooms, access rules and users in memory from `view`.
fn reload(view: &View, followers: &Followers) -> Result<(), StoreError> {
    followers.access.set(super::groups::AccessMap::build(view)?);
    followers.calendar.refresh_rooms(view)?;
    followers.people.set(super::people::People::build(view)?);
    Ok(())
}

fn commit_batch(
    cell: &DbCell,
    db: &Database,
    (jobs, durable): (Vec<Job>, bool),
    followers: &Followers,
    keeper: &mut Keeper,
) {
    let mut txn = match db.begin_write() {
        Ok(txn) => txn,
        Err(e) => {
            let e = match begin_trouble(&e) {
                Some(why) => {
                    cell.fail(why.clone());
                    StoreError::Unavailable(why)
                }
                None => StoreError::from(e),
            };
            for job in jobs {
                job(None)(Err(e.clone()));
            }
            return;
        }
    };
    // redb refuses only with persistent savepoints (never made here): the commit then stays
    // durable, which is merely slower.
    if !durable {
        let _ = txn.set_durability(Durability::None);
    }
    let started = std::time::Instant::now();
    let current = &followers.current;
    let memory = current.load(Ordering::SeqCst).then(|| Memory {
        access: followers.access.get(),
        rooms: followers.calendar.rooms(),
        people: followers.people.get(),
    });
    let mut tx = Tx::new(&txn, memory);
    let completions: Vec<Completion> =
        jobs.into_iter().map(|job| if tx.failed.is_some() { job(None) } else { job(Some(&mut tx)) }).collect();
    let (failed, last_seq, copies_changed) = (tx.failed.take(), tx.last_seq, tx.copies_changed);
    let changes = std::mem::take(&mut tx.changes);
    let events = std::mem::take(&mut tx.events);
    drop(tx);
    let applied = started.elapsed();
    let result = match failed {
        Some(e) => Err(e), // dropping `txn` aborts it: nothing of the batch is written
        None => txn.commit().map_err(|e| match commit_trouble(&e) {
            Some(why) => {
                cell.fail(why.clone());
                StoreError::Unavailable(why)
            }
            None => StoreError::from(e),
        }),
    };
    // Before answering and before waking the event consumers: whoever changed a rule, a room or
    // a user sees the change in their next request, and a consumer told of it reads it. Until a
    // reload succeeds, reads of them go to the file.
    if result.is_ok() && (copies_changed || !current.load(Ordering::SeqCst)) {
        let reloaded = View::read(db).and_then(|view| reload(&view, followers));
        current.store(reloaded.is_ok(), Ordering::SeqCst);
        if let Err(e) = reloaded {
            tracing::error!(error = %e, "could not reload the rooms, access rules and users; reads of them go to the file");
        }
    }
    if let Err(e) = &result {
        tracing::error!(error = %e, "write batch failed; nothing of it was stored");
    } else {
        // Before answering and before waking the event consumers: whoever got an answer, or
        // an event, finds the reservations as committed.
        keeper.committed(changes);
        if !events.is_empty() {
            followers.recent.committed(events);
            followers.events.send_replace(last_seq);
        }
    }
    tracing::trace!(
        size = completions.len(),
        durable,
        apply_us = applied.as_micros() as u64,
        total_us = started.elapsed().as_micros() as u64,
        "write batch done"
    );
    for complete in completions {
        complete(result.clone());
    }
}

pub(super) enum Op {
    User(Box<User>),
    ApiKey(Box<ApiKey>),
    DeleteApiKey(ApiKeyId),
    Room(Box<Room>),
    Resource(Box<Resource>),
    DeleteResource(ResourceId),
    Reservation(Box<Reservation>),
    Event(Box<NewEvent>),
    Session([u8; 32], Box<Session>),
    DeleteSession([u8; 32]),
    PurgeSessions(chrono::DateTime<chrono::Utc>),
    Notify(super::outbox::NotifyOp),
    Waitlist(Box<crate::waitlist::model::WaitEntry>),
    FeedGeneration([u8; 16], u64),
    LocationPolicy(Box<crate::rooms::policy::LocationPolicy>),
    Display(super::displays::DisplayOp),
    Audit(Box<crate::audit::AuditRecord>),
    Groups(super::groups::GroupOp),
}

/// The writer's transaction as a command sees it: reads (through `Deref` to [`View`]) see every
/// earlier command of the batch; `put_*` calls stage writes that are applied only if the command
/// returns `Ok`.
pub struct Tx<'a> {
    view: View<'a>,
    staged: Vec<Op>,
    failed: Option<StoreError>,
    last_seq: u64,
    /// A room, group, membership, access rule or user was written: the copies in memory must be
    /// rebuilt.
    copies_changed: bool,
    /// The reservations written, for the calendar once the batch is committed.
    changes: Vec<Change>,
    /// The events appended, for the log's followers once the batch is committed.
    events: Vec<Arc<Event>>,
}

impl<'a> std::ops::Deref for Tx<'a> {
    type Target = View<'a>;
    fn deref(&self) -> &View<'a> {
        &self.view
    }
}

impl<'a> Tx<'a> {
    fn new(txn: &'a WriteTransaction, memory: Option<Memory>) -> Tx<'a> {
        let view = View { txn: Txn::Write(Box::new(Kept::new(txn))), memory };
        let (last_seq, failed) = match view.last_event_seq() {
            Ok(seq) => (seq, None),
            Err(e) => (0, Some(e)),
        };
        Tx {
            view,
            staged: Vec::new(),
            failed,
            last_seq,
            copies_changed: false,
            changes: Vec::new(),
            events: Vec::new(),
        }
    }

    fn txn(&self) -> &'a WriteTransaction {
        kept(&self.view).txn
    }

    fn run<T, E: From<StoreError>>(&mut self, command: impl FnOnce(&mut Tx) -> Result<T, E>) -> Result<T, E> {
        self.staged.clear();
        let outcome = match catch_unwind(AssertUnwindSafe(|| command(self))) {
            Ok(outcome) => outcome,
            Err(_) => {
                self.staged.clear();
                return Err(StoreError::Storage("internal error while handling the command".into()).into());
            }
        };
        if outcome.is_err() {
            self.staged.clear();
            return outcome;
        }
        let staged = std::mem::take(&mut self.staged);
        let applied = catch_unwind(AssertUnwindSafe(|| staged.into_iter().try_for_each(|op| self.apply(op))))
            .unwrap_or_else(|_| Err(StoreError::Storage("internal error while writing".into())));
        match applied {
            Ok(()) => outcome,
            Err(e) => {
                // Part of this command may be in the transaction: the whole batch must go.
                self.failed = Some(e.clone());
                Err(e.into())
            }
        }
    }

    pub(super) fn stage(&mut self, op: Op) {
        self.staged.push(op);
    }
    pub fn put_user(&mut self, user: User) {
        self.staged.push(Op::User(Box::new(user)));
    }
    pub fn put_api_key(&mut self, key: ApiKey) {
        self.staged.push(Op::ApiKey(Box::new(key)));
    }
    pub fn delete_api_key(&mut self, id: ApiKeyId) {
        self.staged.push(Op::DeleteApiKey(id));
    }
    pub fn put_room(&mut self, room: Room) {
        self.staged.push(Op::Room(Box::new(room)));
    }
    pub fn put_resource(&mut self, resource: Resource) {
        self.staged.push(Op::Resource(Box::new(resource)));
    }
    pub fn delete_resource(&mut self, id: ResourceId) {
        self.staged.push(Op::DeleteResource(id));
    }
    pub fn put_reservation(&mut self, reservation: Reservation) {
        self.staged.push(Op::Reservation(Box::new(reservation)));
    }
    pub fn put_session(&mut self, secret_hash: [u8; 32], session: Session) {
        self.staged.push(Op::Session(secret_hash, Box::new(session)));
    }
    pub fn delete_session(&mut self, secret_hash: [u8; 32]) {
        self.staged.push(Op::DeleteSession(secret_hash));
    }
    /// Removes every session that expired before `now`.
    pub fn purge_expired_sessions(&mut self, now: chrono::DateTime<chrono::Utc>) {
        self.staged.push(Op::PurgeSessions(now));
    }
    /// Records that the calendar feed token of room or user `owner` is now at `generation`.
    pub fn put_feed_generation(&mut self, owner: [u8; 16], generation: u64) {
        self.staged.push(Op::FeedGeneration(owner, generation));
    }
    pub fn put_wait_entry(&mut self, entry: crate::waitlist::model::WaitEntry) {
        self.staged.push(Op::Waitlist(Box::new(entry)));
    }
    /// Appends to the event log; the event gets the next `seq` when applied.
    pub fn append_event(&mut self, event: NewEvent) {
        self.staged.push(Op::Event(Box::new(event)));
    }

    fn apply(&mut self, op: Op) -> Result<(), StoreError> {
        let txn = self.txn();
        match op {
            Op::User(user) => {
                self.copies_change();
                let old = self.view.user(user.id)?;
                let mut emails = txn.open_table(USER_EMAILS)?;
                if let Some(old) = old.filter(|o| o.email != user.email) {
                    emails.remove(old.email.as_str())?;
                }
                emails.insert(user.email.as_str(), user.id.bytes())?;
                txn.open_table(USERS)?.insert(user.id.bytes(), encode(&*user)?.as_slice())?;
            }
            Op::ApiKey(key) => {
                txn.open_table(API_KEY_HASHES)?.insert(key.secret_hash, key.id.bytes())?;
                txn.open_table(API_KEYS)?.insert(key.id.bytes(), encode(&*key)?.as_slice())?;
            }
            Op::DeleteApiKey(id) => {
                if let Some(key) = self.view.api_key(id)? {
                    txn.open_table(API_KEY_HASHES)?.remove(key.secret_hash)?;
                    txn.open_table(API_KEYS)?.remove(id.bytes())?;
                }
            }
            Op::Room(room) => {
                self.copies_change();
                let old = self.view.room(room.id)?;
                let mut names = txn.open_table(ROOM_NAMES)?;
                if let Some(old) = old {
                    names.remove(name_key(&old.name).as_str())?;
                }
                names.insert(name_key(&room.name).as_str(), room.id.bytes())?;
                kept(&self.view).rooms.write()?.insert(room.id.bytes(), encode(&*room)?.as_slice())?;
            }
            Op::Resource(resource) => {
                let old = self.view.resource(resource.id)?;
                let mut names = txn.open_table(RESOURCE_NAMES)?;
                if let Some(old) = old {
                    names.remove(name_key(&old.name).as_str())?;
                }
                names.insert(name_key(&resource.name).as_str(), resource.id.bytes())?;
                txn.open_table(RESOURCES)?.insert(resource.id.bytes(), encode(&*resource)?.as_slice())?;
            }
            Op::DeleteResource(id) => {
                if let Some(old) = self.view.resource(id)? {
                    txn.open_table(RESOURCE_NAMES)?.remove(name_key(&old.name).as_str())?;
                    txn.open_table(RESOURCES)?.remove(id.bytes())?;
                }
            }
            Op::Reservation(r) => {
                let old = self.view.reservation(r.id)?;
                let kept = kept(&self.view);
                if let Some(old) = &old {
                    unindex(kept, old)?;
                }
                index(kept, &r)?;
                kept.reservations.write()?.insert(r.id.bytes(), encode(&*r)?.as_slice())?;
                self.changes.push(Change::new(old.as_ref(), *r));
            }
            Op::Session(hash, session) => {
                txn.open_table(SESSIONS)?.insert(hash, encode(&*session)?.as_slice())?;
            }
            Op::DeleteSession(hash) => {
                txn.open_table(SESSIONS)?.remove(hash)?;
            }
            Op::PurgeSessions(now) => {
                let mut table = txn.open_table(SESSIONS)?;
                table.retain(|_, v| decode::<Session>(v).is_ok_and(|s| s.expires_at > now))?;
            }
            Op::Notify(op) => super::outbox::apply(kept(&self.view), &self.view, op)?,
            Op::LocationPolicy(p) => super::policies::apply(txn, &p)?,
            Op::Waitlist(entry) => {
                txn.open_table(WAITLIST)?.insert(entry.id.bytes(), encode(&*entry)?.as_slice())?;
            }
            Op::FeedGeneration(owner, generation) => {
                txn.open_table(FEED_GENERATIONS)?.insert(owner, generation)?;
            }
            Op::Display(op) => super::displays::apply(txn, &self.view, op)?,
            Op::Audit(record) => super::audit::append(txn, &record)?,
            Op::Groups(op) => {
                self.copies_change();
                super::groups::apply(txn, &self.view, op)?
            }
            Op::Event(e) => {
                let event = Event {
                    seq: self.last_seq + 1,
                    id: EventId::new(),
                    kind: e.kind,
                    actor: e.actor,
                    subject: e.subject,
                    at: e.at,
                    data: e.data,
                };
                kept(&self.view).events.write()?.insert(event.seq, encode(&event)?.as_slice())?;
                self.last_seq = event.seq;
                self.events.push(Arc::new(event));
            }
        }
        Ok(())
    }
}

impl Tx<'_> {
    /// A room, group, membership or rule is written: the rest of the batch reads them from the
    /// file, and the copies in memory are reloaded after the commit.
    fn copies_change(&mut self) {
        self.copies_changed = true;
        self.view.memory = None;
    }
}

/// The writer's kept tables (a `Tx`'s view always holds the write transaction).
fn kept<'s, 'a>(view: &'s View<'a>) -> &'s Kept<'a> {
    match &view.txn {
        Txn::Write(kept) => kept,
        Txn::Read(_) => unreachable!("a Tx always holds the write transaction"),
    }
}

fn index(kept: &Kept, r: &Reservation) -> Result<(), StoreError> {
    let (id, start) = (r.id.bytes(), micros(r.start));
    if r.status.is_live() {
        kept.live_by_room.write()?.insert((r.room_id.bytes(), start, id), micros(r.end))?;
    } else {
        kept.closed_by_room.write()?.insert((r.room_id.bytes(), start, id), ())?;
    }
    if r.status == Status::Pending {
        kept.pending.write()?.insert((micros(r.created_at), id), ())?;
    }
    kept.by_user.write()?.insert((r.user_id.bytes(), start, id), ())?;
    kept.by_start.write()?.insert((start, id), ())?;
    if let Some(series) = r.series_id {
        kept.by_series.write()?.insert((series.bytes(), start, id), ())?;
    }
    Ok(())
}

fn unindex(kept: &Kept, r: &Reservation) -> Result<(), StoreError> {
    let (id, start) = (r.id.bytes(), micros(r.start));
    kept.live_by_room.write()?.remove((r.room_id.bytes(), start, id))?;
    kept.pending.write()?.remove((micros(r.created_at), id))?;
    kept.closed_by_room.write()?.remove((r.room_id.bytes(), start, id))?;
    kept.by_user.write()?.remove((r.user_id.bytes(), start, id))?;
    kept.by_start.write()?.remove((start, id))?;
    if let Some(series) = r.series_id {
        kept.by_series.write()?.remove((series.bytes(), start, id))?;
    }
    Ok(())
}
