//! Storage of booking fields: the extra questions every booking form asks, by id. (The answers
//! live in each reservation's record.)

use super::StoreError;
use super::codec::{decode, encode};
use super::queries::{Txn, View, with_table};
use super::tables::BOOKING_FIELDS;
use super::tx::{Op, Tx};
use crate::model::field::{self, BookingField};
use crate::types::BookingFieldId;
use redb::{ReadableTable, WriteTransaction};

type Result<T> = std::result::Result<T, StoreError>;

#[derive(serde::Serialize, serde::Deserialize)]
pub(super) enum FieldOp {
    Put(Box<BookingField>),
    Delete(BookingFieldId),
}

impl Tx<'_> {
    pub fn put_booking_field(&mut self, f: BookingField) {
        self.stage(Op::BookingField(FieldOp::Put(Box::new(f))));
    }
    pub fn delete_booking_field(&mut self, id: BookingFieldId) {
        self.stage(Op::BookingField(FieldOp::Delete(id)));
    }
}

pub(super) fn apply(txn: &WriteTransaction, op: FieldOp) -> Result<()> {
    let mut table = txn.open_table(BOOKING_FIELDS)?;
    match op {
        FieldOp::Put(f) => {
            table.insert(f.id.bytes(), encode(&*f)?.as_slice())?;
        }
        FieldOp::Delete(id) => {
            table.remove(id.bytes())?;
        }
    }
    Ok(())
}

impl View<'_> {
    /// Every booking field, in form order.
    pub fn booking_fields(&self) -> Result<Vec<BookingField>> {
        let all: Vec<BookingField> =
            with_table!(self, BOOKING_FIELDS, |t| t.iter()?.map(|row| decode(row?.1.value())).collect::<Result<_>>())?;
        Ok(field::sorted(all))
    }

    pub fn booking_field(&self, id: BookingFieldId) -> Result<Option<BookingField>> {
        with_table!(self, BOOKING_FIELDS, |t| t.get(id.bytes())?.map(|v| decode(v.value())).transpose())
    }
}
