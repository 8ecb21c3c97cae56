//! Failed sign-ins (users/limiter.rs decides what they mean): in the store, so that every
//! process of one database counts and locks out together.

use super::StoreError;
use super::codec::{decode, encode};
use super::queries::{Txn, View, with_table};
use super::tables::LOGIN_LOCKS;
use super::tx::{Op, Tx};
use crate::model::user::LoginLock;
use chrono::{DateTime, Utc};
use redb::{ReadableTable, WriteTransaction};

type Result<T> = std::result::Result<T, StoreError>;

impl Tx<'_> {
    /// Stores the count under `key`; None forgets it.
    pub fn put_login_lock(&mut self, key: &str, lock: Option<LoginLock>) {
        self.stage(Op::LoginLock(key.to_string(), lock.map(Box::new)));
    }
    /// Forgets every count whose `forget_at` has passed by `now`.
    pub fn purge_login_locks(&mut self, now: DateTime<Utc>) {
        self.stage(Op::PurgeLoginLocks(now));
    }
}

impl View<'_> {
    pub fn login_lock(&self, key: &str) -> Result<Option<LoginLock>> {
        with_table!(self, LOGIN_LOCKS, |t| t.get(key)?.map(|v| decode(v.value())).transpose())
    }
}

pub(super) fn apply(txn: &WriteTransaction, op: Op) -> Result<()> {
    let mut table = txn.open_table(LOGIN_LOCKS)?;
    match op {
        Op::LoginLock(key, Some(lock)) => {
            table.insert(key.as_str(), encode(&*lock)?.as_slice())?;
        }
        Op::LoginLock(key, None) => {
            table.remove(key.as_str())?;
        }
        Op::PurgeLoginLocks(now) => {
            table.retain(|_, v| decode::<LoginLock>(v).is_ok_and(|l| l.forget_at > now))?;
        }
        _ => {}
    }
    Ok(())
}
