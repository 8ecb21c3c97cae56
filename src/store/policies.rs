//! Storage of location policies: each location's defaults for the rooms in it, keyed by the
//! location's name in lower case (rooms name their location as free text, matched ignoring case).

use super::StoreError;
use super::codec::{decode, encode};
use super::queries::{Txn, View, with_table};
use super::tables::*;
use super::tx::{Op, Tx};
use crate::model::policy::{self, LocationPolicy, Policy};
use crate::model::room::Room;
use redb::{ReadableTable, WriteTransaction};

type Result<T> = std::result::Result<T, StoreError>;

/// The key a location's policy is stored under.
pub fn location_key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl Tx<'_> {
    /// Stores a location's policy; an empty one is removed (the location inherits everything).
    pub fn put_location_policy(&mut self, policy: LocationPolicy) {
        self.stage(Op::LocationPolicy(Box::new(policy)));
    }
}

pub(super) fn apply(txn: &WriteTransaction, p: &LocationPolicy) -> Result<()> {
    let mut table = txn.open_table(LOCATION_POLICIES)?;
    let key = location_key(&p.location);
    if p.policy.is_empty() {
        table.remove(key.as_str())?;
    } else {
        table.insert(key.as_str(), encode(p)?.as_slice())?;
    }
    Ok(())
}

impl View<'_> {
    /// The policy of `room` as stored now: `global`, then its location's settings, then its own.
    pub fn room_policy(&self, global: &Policy, room: &Room) -> Result<Policy> {
        let location = self.location_policy(&room.location)?;
        Ok(policy::effective(global, location.as_ref().map(|l| &l.policy), &room.policy))
    }

    pub fn location_policy(&self, location: &str) -> Result<Option<LocationPolicy>> {
        let key = location_key(location);
        if key.is_empty() {
            return Ok(None);
        }
        with_table!(self, LOCATION_POLICIES, |t| match t.get(key.as_str())? {
            Some(v) => decode(v.value()).map(Some),
            None => Ok(None),
        })
    }

    /// Every location policy, by name.
    pub fn location_policies(&self) -> Result<Vec<LocationPolicy>> {
        with_table!(self, LOCATION_POLICIES, |t| {
            let mut out = Vec::new();
            for row in t.iter()? {
                out.push(decode(row?.1.value())?);
            }
            Ok(out)
        })
    }
}
