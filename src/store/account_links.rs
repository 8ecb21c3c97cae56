//! Single-use account links (password reset, invitation, sign-up), keyed by the SHA-256 of the
//! secret in the link: the store never sees the secret.

use super::StoreError;
use super::codec::{decode, encode};
use super::queries::{Txn, View, with_table};
use super::tables::ACCOUNT_LINKS;
use super::tx::{Op, Tx};
use crate::model::user::AccountLink;
use chrono::{DateTime, Utc};
use redb::{ReadableTable, WriteTransaction};

type Result<T> = std::result::Result<T, StoreError>;

#[derive(serde::Serialize, serde::Deserialize)]
pub(super) enum LinkOp {
    Put([u8; 32], Box<AccountLink>),
    /// Forgets every link that expired by then.
    Purge(DateTime<Utc>),
}

impl Tx<'_> {
    /// Stores a link under the hash of its secret (`link.hash` is the same hash in hex).
    pub fn put_account_link(&mut self, hash: [u8; 32], link: AccountLink) {
        self.stage(Op::AccountLink(LinkOp::Put(hash, Box::new(link))));
    }
    pub fn purge_account_links(&mut self, now: DateTime<Utc>) {
        self.stage(Op::AccountLink(LinkOp::Purge(now)));
    }
}

impl View<'_> {
    pub fn account_link(&self, hash: [u8; 32]) -> Result<Option<AccountLink>> {
        with_table!(self, ACCOUNT_LINKS, |t| t.get(hash)?.map(|v| decode(v.value())).transpose())
    }

    pub fn account_links(&self) -> Result<Vec<AccountLink>> {
        with_table!(self, ACCOUNT_LINKS, |t| t.iter()?.map(|row| decode(row?.1.value())).collect())
    }
}

pub(super) fn apply(txn: &WriteTransaction, op: LinkOp) -> Result<()> {
    let mut table = txn.open_table(ACCOUNT_LINKS)?;
    match op {
        LinkOp::Put(hash, link) => {
            table.insert(hash, encode(&*link)?.as_slice())?;
        }
        LinkOp::Purge(now) => {
            table.retain(|_, v| decode::<AccountLink>(v).is_ok_and(|l| l.expires_at > now))?;
        }
    }
    Ok(())
}
