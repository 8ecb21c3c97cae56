//! Storage of user groups, memberships and room/location access rules, and the in-memory
//! [`AccessMap`] every request's room check reads (refreshed by the writer after each commit
//! that changed any of them, or a room's location).

use super::StoreError;
use super::codec::{decode, encode};
use super::queries::{Txn, View, all, get, name_key, with_table};
use super::tables::*;
use super::tx::{Op, Tx};
use crate::access::{AccessRule, Role, RoomRights};
use crate::model::group::{Group, LocationRule};
use crate::model::room::Room;
use crate::types::{GroupId, RoomId, UserId};
use redb::{ReadableTable, WriteTransaction};
use std::collections::HashMap;
use std::sync::Arc;

type Result<T> = std::result::Result<T, StoreError>;

#[derive(serde::Serialize, serde::Deserialize)]
pub(super) enum GroupOp {
    Put(Box<Group>),
    /// Removes the group, its name and every membership in it (rules naming it keep the id,
    /// which then matches nobody; the domain removes it from rules in the same command).
    Delete(GroupId),
    Member {
        group: GroupId,
        user: UserId,
        member: bool,
    },
    RoomRule(RoomId, Option<Box<AccessRule>>),
    LocationRule(String, Option<Box<LocationRule>>),
}

impl Tx<'_> {
    fn groups_op(&mut self, op: GroupOp) {
        self.stage(Op::Groups(op));
    }
    pub fn put_group(&mut self, group: Group) {
        self.groups_op(GroupOp::Put(Box::new(group)));
    }
    pub fn delete_group(&mut self, id: GroupId) {
        self.groups_op(GroupOp::Delete(id));
    }
    pub fn set_member(&mut self, group: GroupId, user: UserId, member: bool) {
        self.groups_op(GroupOp::Member { group, user, member });
    }
    /// Stores a room's rule; None (or an empty rule) removes it.
    pub fn put_room_rule(&mut self, room: RoomId, rule: Option<AccessRule>) {
        let rule = rule.filter(|r| !r.is_empty()).map(Box::new);
        self.groups_op(GroupOp::RoomRule(room, rule));
    }
    /// Stores a location's rule; None (or an empty rule) removes it.
    pub fn put_location_rule(&mut self, location: &str, rule: Option<AccessRule>) {
        let key = name_key(location);
        let rule = rule
            .filter(|r| !r.is_empty())
            .map(|rule| Box::new(LocationRule { location: location.trim().to_string(), rule }));
        self.groups_op(GroupOp::LocationRule(key, rule));
    }
}

pub(super) fn apply(txn: &WriteTransaction, view: &View, op: GroupOp) -> Result<()> {
    match op {
        GroupOp::Put(group) => {
            let mut names = txn.open_table(GROUP_NAMES)?;
            if let Some(old) = view.group(group.id)? {
                names.remove(name_key(&old.name).as_str())?;
            }
            names.insert(name_key(&group.name).as_str(), group.id.bytes())?;
            txn.open_table(GROUPS)?.insert(group.id.bytes(), encode(&*group)?.as_slice())?;
        }
        GroupOp::Delete(id) => {
            if let Some(old) = view.group(id)? {
                txn.open_table(GROUP_NAMES)?.remove(name_key(&old.name).as_str())?;
                txn.open_table(GROUPS)?.remove(id.bytes())?;
            }
            let g = id.bytes();
            let mut members = txn.open_table(GROUP_MEMBERS)?;
            let users: Vec<[u8; 16]> = members
                .range((g, [0u8; 16])..=(g, [0xffu8; 16]))?
                .map(|row| row.map(|(k, _)| k.value().1))
                .collect::<std::result::Result<_, _>>()?;
            let mut by_user = txn.open_table(USER_GROUPS)?;
            for u in users {
                members.remove((g, u))?;
                by_user.remove((u, g))?;
            }
        }
        GroupOp::Member { group, user, member } => {
            let (g, u) = (group.bytes(), user.bytes());
            if member {
                txn.open_table(GROUP_MEMBERS)?.insert((g, u), ())?;
                txn.open_table(USER_GROUPS)?.insert((u, g), ())?;
            } else {
                txn.open_table(GROUP_MEMBERS)?.remove((g, u))?;
                txn.open_table(USER_GROUPS)?.remove((u, g))?;
            }
        }
        GroupOp::RoomRule(room, rule) => {
            let mut table = txn.open_table(ROOM_ACCESS)?;
            match rule {
                Some(rule) => table.insert(room.bytes(), encode(&*rule)?.as_slice())?,
                None => table.remove(room.bytes())?,
            };
        }
        GroupOp::LocationRule(key, rule) => {
            let mut table = txn.open_table(LOCATION_ACCESS)?;
            match rule {
                Some(rule) => table.insert(key.as_str(), encode(&*rule)?.as_slice())?,
                None => table.remove(key.as_str())?,
            };
        }
    }
    Ok(())
}

impl View<'_> {
    pub fn group(&self, id: GroupId) -> Result<Option<Group>> {
        with_table!(self, GROUPS, |t| get(t, id.bytes()))
    }

    pub fn group_by_name(&self, name: &str) -> Result<Option<Group>> {
        let id = with_table!(self, GROUP_NAMES, |t| t.get(name_key(name).as_str())?.map(|v| v.value()));
        match id {
            Some(id) => self.group(GroupId::from_bytes(id)),
            None => Ok(None),
        }
    }

    /// All groups, by name.
    pub fn groups(&self) -> Result<Vec<Group>> {
        let mut groups: Vec<Group> = with_table!(self, GROUPS, |t| all(t))?;
        groups.sort_by_key(|g| name_key(&g.name));
        Ok(groups)
    }

    /// The members of `group`, in id order.
    pub fn group_members(&self, group: GroupId) -> Result<Vec<UserId>> {
        let g = group.bytes();
        with_table!(self, GROUP_MEMBERS, |t| {
            t.range((g, [0u8; 16])..=(g, [0xffu8; 16]))?
                .map(|row| Ok(UserId::from_bytes(row?.0.value().1)))
                .collect::<Result<Vec<_>>>()
        })
    }

    /// The groups `user` belongs to, in id order.
    pub fn groups_of(&self, user: UserId) -> Result<Vec<GroupId>> {
        if let Some(memory) = self.memory() {
            return Ok(memory.access.groups_of(user).to_vec());
        }
        let u = user.bytes();
        with_table!(self, USER_GROUPS, |t| {
            t.range((u, [0u8; 16])..=(u, [0xffu8; 16]))?
                .map(|row| Ok(GroupId::from_bytes(row?.0.value().1)))
                .collect::<Result<Vec<_>>>()
        })
    }

    /// Every (group, user) membership, in key order.
    pub fn memberships(&self) -> Result<Vec<(GroupId, UserId)>> {
        with_table!(self, GROUP_MEMBERS, |t| {
            t.iter()?
                .map(|row| {
                    let (g, u) = row?.0.value();
                    Ok((GroupId::from_bytes(g), UserId::from_bytes(u)))
                })
                .collect::<Result<Vec<_>>>()
        })
    }

    pub fn room_rule(&self, room: RoomId) -> Result<Option<AccessRule>> {
        with_table!(self, ROOM_ACCESS, |t| get(t, room.bytes()))
    }

    /// Every room rule, in room id order.
    pub fn room_rules(&self) -> Result<Vec<(RoomId, AccessRule)>> {
        with_table!(self, ROOM_ACCESS, |t| {
            t.iter()?
                .map(|row| {
                    let (k, v) = row?;
                    Ok((RoomId::from_bytes(k.value()), decode(v.value())?))
                })
                .collect::<Result<Vec<_>>>()
        })
    }

    pub fn location_rule(&self, location: &str) -> Result<Option<LocationRule>> {
        let key = name_key(location);
        if key.is_empty() {
            return Ok(None);
        }
        with_table!(self, LOCATION_ACCESS, |t| match t.get(key.as_str())? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        })
    }

    /// The rule governing `room`: its own, else its location's (see [`crate::access::effective_rule`]).
    pub fn rule_for_room(&self, room: &Room) -> Result<Option<AccessRule>> {
        if let Some(memory) = self.memory() {
            return Ok(memory.access.rule_of(room.id).cloned());
        }
        match self.room_rule(room.id)? {
            Some(rule) => Ok(Some(rule)),
            None => Ok(self.location_rule(&room.location)?.map(|l| l.rule)),
        }
    }

    /// Every location rule, by location key.
    pub fn location_rules(&self) -> Result<Vec<LocationRule>> {
        with_table!(self, LOCATION_ACCESS, |t| {
            t.iter()?.map(|row| decode(row?.1.value())).collect::<Result<Vec<_>>>()
        })
    }
}

/// Everything a room check needs, in memory: which rule governs each room and each user's
/// groups. Built from one snapshot; the store swaps in a new one after every commit that
/// changed groups, memberships, rules or rooms, before the writing command is answered.
#[derive(Debug, Default)]
pub struct AccessMap {
    /// Rooms governed by a rule (their own, or their location's). Rooms absent: no rule.
    rules: HashMap<RoomId, Arc<AccessRule>>,
    groups: HashMap<UserId, Vec<GroupId>>,
}

impl AccessMap {
    pub(super) fn build(view: &View) -> Result<AccessMap> {
        let own: HashMap<RoomId, Arc<AccessRule>> =
            view.room_rules()?.into_iter().map(|(id, rule)| (id, Arc::new(rule))).collect();
        let by_location: HashMap<String, Arc<AccessRule>> =
            view.location_rules()?.into_iter().map(|l| (name_key(&l.location), Arc::new(l.rule))).collect();
        let mut rules = HashMap::new();
        if !own.is_empty() || !by_location.is_empty() {
            let rooms: Vec<Room> = with_table!(view, ROOMS, |t| all(t))?;
            for room in rooms {
                let location = by_location.get(&name_key(&room.location));
                if let Some(rule) = own.get(&room.id).or(location) {
                    rules.insert(room.id, rule.clone());
                }
            }
        }
        let mut groups: HashMap<UserId, Vec<GroupId>> = HashMap::new();
        for (group, user) in view.memberships()? {
            groups.entry(user).or_default().push(group);
        }
        Ok(AccessMap { rules, groups })
    }

    /// The rule governing `room` (its own, else its location's), if any.
    pub fn rule_of(&self, room: RoomId) -> Option<&AccessRule> {
        self.rules.get(&room).map(|r| &**r)
    }

    /// The groups `user` belongs to.
    pub fn groups_of(&self, user: UserId) -> &[GroupId] {
        self.groups.get(&user).map(Vec::as_slice).unwrap_or(&[])
    }

    /// What `user` with `role` may do in `room`; decided by [`crate::access::room_rights`].
    pub fn rights(&self, role: Role, user: UserId, room: RoomId) -> RoomRights {
        crate::access::room_rights(role, self.groups_of(user), self.rule_of(room))
    }

    pub fn may_see(&self, role: Role, user: UserId, room: RoomId) -> bool {
        self.rights(role, user, room).see
    }
}
