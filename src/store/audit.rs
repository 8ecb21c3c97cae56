//! The audit log's rows: appended by the writer, read newest first. Nothing here deletes or
//! rewrites a row; an export carries them and an import puts them back as they were.

use super::StoreError;
use super::codec::{decode, encode};
use super::queries::{Txn, View, with_table};
use super::tables::AUDIT;
use super::tx::{Op, Tx};
use crate::model::audit::{AuditRecord, Query};
use crate::types::micros;
use redb::{ReadableTable, WriteTransaction};

type Result<T> = std::result::Result<T, StoreError>;

pub(super) fn append(txn: &WriteTransaction, r: &AuditRecord) -> Result<()> {
    txn.open_table(AUDIT)?.insert((micros(r.at), *r.id.as_bytes()), encode(r)?.as_slice())?;
    Ok(())
}

impl Tx<'_> {
    /// Appends a record to the audit log (see `audit::Entry::stage`).
    pub fn append_audit(&mut self, record: AuditRecord) {
        self.stage(Op::Audit(Box::new(record)));
    }
}

impl View<'_> {
    /// Records matching `q`, newest first, at most `limit` of them.
    pub fn audit(&self, q: &Query, limit: usize) -> Result<Vec<AuditRecord>> {
        let lo = (q.from.map(micros).unwrap_or(i64::MIN), [0u8; 16]);
        let mut hi = (q.to.map(micros).unwrap_or(i64::MAX), [0xffu8; 16]);
        if let Some((at, id)) = q.before {
            hi = hi.min((micros(at), *id.as_bytes()));
        }
        let mut out = Vec::new();
        if lo > hi {
            return Ok(out);
        }
        with_table!(self, AUDIT, |t| {
            for row in t.range(lo..=hi)?.rev() {
                let (key, value) = row?;
                // `before` is exclusive: the cursor's own record was on the previous page.
                if q.before.is_some_and(|(at, id)| key.value() == (micros(at), *id.as_bytes())) {
                    continue;
                }
                let r: AuditRecord = decode(value.value())?;
                if q.matches(&r) {
                    out.push(r);
                    if out.len() >= limit {
                        break;
                    }
                }
            }
        });
        Ok(out)
    }
}
