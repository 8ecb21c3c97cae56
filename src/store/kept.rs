//! The tables the writer keeps open for a whole batch. Opening a table in a write transaction
//! looks it up in redb's table of tables, checks its key and value types by name, and on close
//! stages its new root; with every read and write of a booking opening its tables anew, that was
//! a sixth of the writer's CPU. The tables a booking touches stay open from their first use to
//! the end of the batch ([`kept_table!`] sends the views' reads of them here); every other table
//! is opened per use.
//!
//! redb refuses to open a table that is already open, so a table kept here must never be opened
//! from the writer's transaction any other way: reads go through `with_table!`, writes through
//! [`Slot::write`].

use super::StoreError;
use super::groups::AccessMap;
use super::people::People;
use super::tables::*;
use crate::model::room::Room;
use redb::{Key, Table, TableDefinition, Value, WriteTransaction};
use std::cell::{Ref, RefCell, RefMut};
use std::sync::{Arc, RwLock};

type Id = [u8; 16];

/// One kept table: opened on first use.
pub(super) struct Slot<'a, K: Key + 'static, V: Value + 'static> {
    txn: &'a WriteTransaction,
    def: TableDefinition<'static, K, V>,
    table: RefCell<Option<Table<'a, K, V>>>,
}

impl<'a, K: Key + 'static, V: Value + 'static> Slot<'a, K, V> {
    fn new(txn: &'a WriteTransaction, def: TableDefinition<'static, K, V>) -> Self {
        Slot { txn, def, table: RefCell::new(None) }
    }

    fn open(&self) -> Result<(), StoreError> {
        if self.table.try_borrow().map_err(busy)?.is_none() {
            *self.table.try_borrow_mut().map_err(busy)? = Some(self.txn.open_table(self.def)?);
        }
        Ok(())
    }

    /// The table for reading; several reads may hold it at once.
    pub(super) fn read(&self) -> Result<Ref<'_, Table<'a, K, V>>, StoreError> {
        self.open()?;
        Ref::filter_map(self.table.try_borrow().map_err(busy)?, Option::as_ref).map_err(|_| busy(()))
    }

    /// The table for writing; no read may hold it meanwhile.
    pub(super) fn write(&self) -> Result<RefMut<'_, Table<'a, K, V>>, StoreError> {
        self.open()?;
        RefMut::filter_map(self.table.try_borrow_mut().map_err(busy)?, Option::as_mut).map_err(|_| busy(()))
    }
}

/// A write while a read of the same table is under way (a bug, answered as a failed command
/// rather than a panic).
fn busy(_: impl Sized) -> StoreError {
    StoreError::Storage("a kept table was in use".into())
}

/// The rooms, access rules and users as the last commit left them: the copies the writer keeps
/// (refreshed after every commit that wrote a room, a group, a membership, a rule or a user,
/// before it is answered). A reader's view answers reads of a room, of the rule governing a
/// room, of a user's groups and of a user from here, and so does the writer's transaction while
/// its batch has written none of those; a booking read and decoded them from the file two or
/// three times over, about a tenth of the writer's CPU.
pub(super) struct Memory {
    pub access: Arc<AccessMap>,
    pub rooms: Arc<Vec<Room>>,
    pub people: Arc<People>,
}

/// A copy kept in memory, swapped whole by the writer: readers take the current one with
/// [`Latest::get`] and keep reading it while a newer one is swapped in.
pub(super) struct Latest<T>(Arc<RwLock<Arc<T>>>);

impl<T> Clone for Latest<T> {
    fn clone(&self) -> Self {
        Latest(self.0.clone())
    }
}

impl<T> Latest<T> {
    pub(super) fn new(value: T) -> Self {
        Latest(Arc::new(RwLock::new(Arc::new(value))))
    }

    pub(super) fn get(&self) -> Arc<T> {
        self.0.read().map(|m| m.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    pub(super) fn set(&self, value: T) {
        let value = Arc::new(value);
        match self.0.write() {
            Ok(mut cell) => *cell = value,
            Err(poisoned) => *poisoned.into_inner() = value,
        }
    }
}

/// The writer's transaction and the tables it keeps open.
pub(super) struct Kept<'a> {
    pub txn: &'a WriteTransaction,
    pub reservations: Slot<'a, Id, &'static [u8]>,
    pub rooms: Slot<'a, Id, &'static [u8]>,
    pub live_by_room: Slot<'a, (Id, i64, Id), i64>,
    pub closed_by_room: Slot<'a, (Id, i64, Id), ()>,
    pub by_user: Slot<'a, (Id, i64, Id), ()>,
    pub by_series: Slot<'a, (Id, i64, Id), ()>,
    pub by_start: Slot<'a, (i64, Id), ()>,
    pub pending: Slot<'a, (i64, Id), ()>,
    pub events: Slot<'a, u64, &'static [u8]>,
    /// The event followers' cursors, once keys and inbox entries (each booking moves or adds one).
    pub cursors: Slot<'a, &'static str, u64>,
    pub once: Slot<'a, [u8; 32], ()>,
    pub notifications: Slot<'a, (Id, Id), &'static [u8]>,
    pub unread: Slot<'a, (Id, Id), ()>,
}

impl<'a> Kept<'a> {
    pub(super) fn new(txn: &'a WriteTransaction) -> Kept<'a> {
        Kept {
            txn,
            reservations: Slot::new(txn, RESERVATIONS),
            rooms: Slot::new(txn, ROOMS),
            live_by_room: Slot::new(txn, LIVE_BY_ROOM),
            closed_by_room: Slot::new(txn, CLOSED_BY_ROOM),
            by_user: Slot::new(txn, BY_USER),
            by_series: Slot::new(txn, BY_SERIES),
            by_start: Slot::new(txn, BY_START),
            pending: Slot::new(txn, PENDING),
            events: Slot::new(txn, EVENTS),
            cursors: Slot::new(txn, CURSORS),
            once: Slot::new(txn, ONCE),
            notifications: Slot::new(txn, NOTIFICATIONS),
            unread: Slot::new(txn, UNREAD),
        }
    }
}

/// `with_table!` for the writer's transaction: a kept table from its slot, any other opened
/// for this use.
macro_rules! kept_table {
    (@slot $slot:expr, |$t:ident| $body:expr) => {{
        let guard = $slot.read()?;
        let $t = &*guard;
        $body
    }};
    ($kept:expr, RESERVATIONS, $($rest:tt)*) => { $crate::store::kept::kept_table!(@slot $kept.reservations, $($rest)*) };
    ($kept:expr, ROOMS, $($rest:tt)*) => { $crate::store::kept::kept_table!(@slot $kept.rooms, $($rest)*) };
    ($kept:expr, LIVE_BY_ROOM, $($rest:tt)*) => { $crate::store::kept::kept_table!(@slot $kept.live_by_room, $($rest)*) };
    ($kept:expr, CLOSED_BY_ROOM, $($rest:tt)*) => { $crate::store::kept::kept_table!(@slot $kept.closed_by_room, $($rest)*) };
    ($kept:expr, BY_USER, $($rest:tt)*) => { $crate::store::kept::kept_table!(@slot $kept.by_user, $($rest)*) };
    ($kept:expr, BY_SERIES, $($rest:tt)*) => { $crate::store::kept::kept_table!(@slot $kept.by_series, $($rest)*) };
    ($kept:expr, BY_START, $($rest:tt)*) => { $crate::store::kept::kept_table!(@slot $kept.by_start, $($rest)*) };
    ($kept:expr, PENDING, $($rest:tt)*) => { $crate::store::kept::kept_table!(@slot $kept.pending, $($rest)*) };
    ($kept:expr, EVENTS, $($rest:tt)*) => { $crate::store::kept::kept_table!(@slot $kept.events, $($rest)*) };
    ($kept:expr, CURSORS, $($rest:tt)*) => { $crate::store::kept::kept_table!(@slot $kept.cursors, $($rest)*) };
    ($kept:expr, ONCE, $($rest:tt)*) => { $crate::store::kept::kept_table!(@slot $kept.once, $($rest)*) };
    ($kept:expr, NOTIFICATIONS, $($rest:tt)*) => { $crate::store::kept::kept_table!(@slot $kept.notifications, $($rest)*) };
    ($kept:expr, UNREAD, $($rest:tt)*) => { $crate::store::kept::kept_table!(@slot $kept.unread, $($rest)*) };
    ($kept:expr, $def:ident, |$t:ident| $body:expr) => {{
        let $t = &$kept.txn.open_table($def)?;
        $body
    }};
}
pub(super) use kept_table;
