//! The writer's transaction as commands see it ([`Tx`]), and how the writes they stage ([`Op`])
//! are applied to the tables and their indexes. The writer thread that batches and commits them
//! is in `writer.rs`.

use super::StoreError;
use super::calendar::Change;
use super::codec::{decode, encode};
use super::kept::{Kept, Memory};
use super::queries::{Txn, View, name_key};
use super::tables::*;
use crate::model::event::{Event, NewEvent};
use crate::model::reservation::{Reservation, Status};
use crate::model::room::{Resource, Room};
use crate::model::user::{ApiKey, Session, User};
use crate::types::{ApiKeyId, EventId, ResourceId, micros};
use redb::WriteTransaction;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// A write staged by a command. On PostgreSQL the applied ops of each batch are also the
/// replication log's entry (`postgres/primary.rs`), which every other replica applies with the
/// same code, so they serialize.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) enum Op {
    User(Box<User>),
    ApiKey(Box<ApiKey>),
    DeleteApiKey(ApiKeyId),
    Room(Box<Room>),
    Resource(Box<Resource>),
    DeleteResource(ResourceId),
    Reservation(Box<Reservation>),
    /// Staged by a command; applied as [`Op::Appended`] once it has its `seq` and id.
    #[serde(skip)]
    Event(Box<NewEvent>),
    Appended(Box<Event>),
    Session([u8; 32], Box<Session>),
    DeleteSession([u8; 32]),
    PurgeSessions(chrono::DateTime<chrono::Utc>),
    Notify(super::outbox::NotifyOp),
    Waitlist(Box<crate::model::wait::WaitEntry>),
    FeedGeneration([u8; 16], u64),
    LocationPolicy(Box<crate::model::policy::LocationPolicy>),
    Display(super::displays::DisplayOp),
    Audit(Box<crate::model::audit::AuditRecord>),
    Groups(super::groups::GroupOp),
    LoginLock(String, Option<Box<crate::model::user::LoginLock>>),
    PurgeLoginLocks(chrono::DateTime<chrono::Utc>),
    Push(super::push::PushOp),
    BookingField(super::fields::FieldOp),
    AccountLink(super::account_links::LinkOp),
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
    /// On PostgreSQL: what the batch wrote, for the database.
    log: Option<Log>,
}

/// The ops a batch applied, as the replication log records them, and the table rows they
/// write on PostgreSQL.
#[derive(Default)]
pub(super) struct Log {
    pub ops: Vec<serde_json::Value>,
    pub rows: Vec<super::postgres::Row>,
}

impl<'a> std::ops::Deref for Tx<'a> {
    type Target = View<'a>;
    fn deref(&self) -> &View<'a> {
        &self.view
    }
}

/// What a batch's transaction leaves for the writer once its commands have run.
pub(super) struct Applied {
    pub failed: Option<StoreError>,
    pub last_seq: u64,
    pub copies_changed: bool,
    pub changes: Vec<Change>,
    pub events: Vec<Arc<Event>>,
    pub log: Option<Log>,
}

impl<'a> Tx<'a> {
    pub(super) fn finish(self) -> Applied {
        let Tx { failed, last_seq, copies_changed, changes, events, log, .. } = self;
        Applied { failed, last_seq, copies_changed, changes, events, log }
    }

    /// A command of the batch failed while writing: the batch is aborted, later ones do not run.
    pub(super) fn has_failed(&self) -> bool {
        self.failed.is_some()
    }

    pub(super) fn new(txn: &'a WriteTransaction, memory: Option<Memory>) -> Tx<'a> {
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
            log: None,
        }
    }

    /// Records what the batch applies from now on (on PostgreSQL, after the log's entries from
    /// other replicas are replayed).
    pub(super) fn start_log(&mut self) {
        self.log = Some(Log::default());
    }

    /// Applies ops another replica committed (the replication log's entries, in order).
    pub(super) fn replay(&mut self, ops: Vec<Op>) -> Result<(), StoreError> {
        let result = ops.into_iter().try_for_each(|op| self.apply(op));
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn txn(&self) -> &'a WriteTransaction {
        kept(&self.view).txn
    }

    pub(super) fn run<T, E: From<StoreError>>(
        &mut self,
        command: impl FnOnce(&mut Tx) -> Result<T, E>,
    ) -> Result<T, E> {
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
        let applied = catch_unwind(AssertUnwindSafe(|| staged.into_iter().try_for_each(|op| self.record(op))))
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
    pub fn put_wait_entry(&mut self, entry: crate::model::wait::WaitEntry) {
        self.staged.push(Op::Waitlist(Box::new(entry)));
    }
    /// Appends to the event log; the event gets the next `seq` when applied.
    pub fn append_event(&mut self, event: NewEvent) {
        self.staged.push(Op::Event(Box::new(event)));
    }

    /// Gives a staged event its place in the log, records the op where a log is kept, and
    /// applies it.
    fn record(&mut self, op: Op) -> Result<(), StoreError> {
        let op = match op {
            Op::Event(e) => Op::Appended(Box::new(Event {
                seq: self.last_seq + 1,
                id: EventId::new(),
                kind: e.kind,
                actor: e.actor,
                subject: e.subject,
                at: e.at,
                data: e.data,
            })),
            op => op,
        };
        if let Some(log) = &mut self.log {
            log.rows.extend(super::postgres::project(&op)?);
            log.ops.push(serde_json::to_value(&op).map_err(|e| StoreError::Corrupt(e.to_string()))?);
        }
        self.apply(op)
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
            op @ (Op::LoginLock(..) | Op::PurgeLoginLocks(_)) => super::locks::apply(txn, op)?,
            Op::Push(op) => super::push::apply(txn, op)?,
            Op::BookingField(op) => super::fields::apply(txn, op)?,
            Op::AccountLink(op) => super::account_links::apply(txn, op)?,
            Op::Event(_) => return Err(StoreError::Storage("an event was applied before it was numbered".into())),
            Op::Appended(event) => {
                kept(&self.view).events.write()?.insert(event.seq, encode(&*event)?.as_slice())?;
                self.last_seq = event.seq;
                self.events.push(Arc::new(*event));
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
