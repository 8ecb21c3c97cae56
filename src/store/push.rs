//! Web Push: the browsers' subscriptions, by user and by id, and the server's VAPID key (sealed
//! by the caller; the store keeps it as given, in the feed secret's table, so every process of
//! one database signs with the same key).

use super::StoreError;
use super::codec::{decode, encode};
use super::queries::{Txn, View, with_table};
use super::tables::{FEED_SECRET, PUSH_OWNERS, PUSH_SUBSCRIPTIONS, VAPID_KEY};
use super::tx::{Op, Tx};
use crate::model::notify::PushSubscription;
use crate::types::{PushSubscriptionId, UserId};
use redb::{ReadableTable, WriteTransaction};

type Result<T> = std::result::Result<T, StoreError>;

#[derive(serde::Serialize, serde::Deserialize)]
pub(super) enum PushOp {
    Subscription(Box<PushSubscription>),
    Delete(PushSubscriptionId),
    VapidKey(String),
}

impl Tx<'_> {
    pub fn put_push_subscription(&mut self, s: PushSubscription) {
        self.stage(Op::Push(PushOp::Subscription(Box::new(s))));
    }
    pub fn delete_push_subscription(&mut self, id: PushSubscriptionId) {
        self.stage(Op::Push(PushOp::Delete(id)));
    }
    /// Stores the VAPID key pair (already sealed).
    pub fn put_vapid_key(&mut self, sealed: &str) {
        self.stage(Op::Push(PushOp::VapidKey(sealed.to_string())));
    }
}

pub(super) fn apply(txn: &WriteTransaction, op: PushOp) -> Result<()> {
    match op {
        PushOp::Subscription(s) => {
            txn.open_table(PUSH_OWNERS)?.insert(s.id.bytes(), s.user_id.bytes())?;
            txn.open_table(PUSH_SUBSCRIPTIONS)?.insert((s.user_id.bytes(), s.id.bytes()), encode(&*s)?.as_slice())?;
        }
        PushOp::Delete(id) => {
            let owner = txn.open_table(PUSH_OWNERS)?.remove(id.bytes())?.map(|v| v.value());
            if let Some(user) = owner {
                txn.open_table(PUSH_SUBSCRIPTIONS)?.remove((user, id.bytes()))?;
            }
        }
        PushOp::VapidKey(sealed) => {
            txn.open_table(FEED_SECRET)?.insert(VAPID_KEY, sealed.as_bytes())?;
        }
    }
    Ok(())
}

impl View<'_> {
    /// A user's push subscriptions, oldest first.
    pub fn push_subscriptions(&self, user: UserId) -> Result<Vec<PushSubscription>> {
        let u = user.bytes();
        with_table!(self, PUSH_SUBSCRIPTIONS, |t| t
            .range((u, [0u8; 16])..=(u, [0xffu8; 16]))?
            .map(|row| decode(row?.1.value()))
            .collect())
    }

    pub fn push_subscription(&self, id: PushSubscriptionId) -> Result<Option<PushSubscription>> {
        let Some(user) =
            with_table!(self, PUSH_OWNERS, |t| Ok::<_, StoreError>(t.get(id.bytes())?.map(|v| v.value())))?
        else {
            return Ok(None);
        };
        with_table!(self, PUSH_SUBSCRIPTIONS, |t| t.get((user, id.bytes()))?.map(|v| decode(v.value())).transpose())
    }

    /// The VAPID key pair as stored (sealed), if one was made.
    pub fn vapid_key(&self) -> Result<Option<String>> {
        let stored =
            with_table!(self, FEED_SECRET, |t| Ok::<_, StoreError>(t.get(VAPID_KEY)?.map(|v| v.value().to_vec())))?;
        stored
            .map(|b| String::from_utf8(b).map_err(|_| StoreError::Corrupt("the VAPID key is not text".into())))
            .transpose()
    }
}
