//! Storage of room door displays: the display rows and the token-hash index that finds one
//! from the token a device presents.

use super::StoreError;
use super::codec::encode;
use super::queries::{Txn, View, all, get, with_table};
use super::tables::*;
use super::tx::{Op, Tx};
use crate::model::display::Display;
use crate::types::DisplayId;
use redb::{ReadableTable, WriteTransaction};

type Result<T> = std::result::Result<T, StoreError>;

#[derive(serde::Serialize, serde::Deserialize)]
pub(super) enum DisplayOp {
    Put(Box<Display>),
    Delete(DisplayId),
}

impl Tx<'_> {
    pub fn put_display(&mut self, display: Display) {
        self.stage(Op::Display(DisplayOp::Put(Box::new(display))));
    }
    /// Removes the display and its token: the device is refused from then on.
    pub fn delete_display(&mut self, id: DisplayId) {
        self.stage(Op::Display(DisplayOp::Delete(id)));
    }
}

pub(super) fn apply(txn: &WriteTransaction, view: &View, op: DisplayOp) -> Result<()> {
    match op {
        DisplayOp::Put(d) => {
            txn.open_table(DISPLAY_HASHES)?.insert(d.secret_hash, d.id.bytes())?;
            txn.open_table(DISPLAYS)?.insert(d.id.bytes(), encode(&*d)?.as_slice())?;
        }
        DisplayOp::Delete(id) => {
            if let Some(d) = view.display(id)? {
                txn.open_table(DISPLAY_HASHES)?.remove(d.secret_hash)?;
                txn.open_table(DISPLAYS)?.remove(id.bytes())?;
            }
        }
    }
    Ok(())
}

impl View<'_> {
    pub fn display(&self, id: DisplayId) -> Result<Option<Display>> {
        with_table!(self, DISPLAYS, |t| get(t, id.bytes()))
    }

    pub fn display_by_hash(&self, hash: [u8; 32]) -> Result<Option<Display>> {
        let id = with_table!(self, DISPLAY_HASHES, |t| t.get(hash)?.map(|v| v.value()));
        match id {
            Some(id) => self.display(DisplayId::from_bytes(id)),
            None => Ok(None),
        }
    }

    /// Every display, oldest first (ids are time-ordered).
    pub fn displays(&self) -> Result<Vec<Display>> {
        with_table!(self, DISPLAYS, |t| all(t))
    }
}
