//! Reads, written once for both read transactions and the writer's transaction.

use super::StoreError;
use super::codec::decode;
use super::tables::*;
use crate::model::event::Event;
use crate::model::reservation::Reservation;
use crate::model::room::{Resource, Room};
use crate::model::user::{ApiKey, Session, User};
use crate::types::{ApiKeyId, ReservationId, ResourceId, RoomId, SeriesId, TimeRange, UserId, from_micros, micros};
use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata};
use serde::de::DeserializeOwned;
use std::ops::Bound;

type Result<T> = std::result::Result<T, StoreError>;
type Id = [u8; 16];

/// The longest any reservation can last (the configuration cannot allow more). Window listings
/// look back this far for reservations that began before the window and reach into it.
pub const MAX_RESERVATION_MICROS: i64 = 31 * 24 * 3600 * 1_000_000;

pub(super) enum Txn<'a> {
    Read(ReadTransaction),
    /// The writer's transaction, with the tables it keeps open for the batch.
    Write(Box<super::kept::Kept<'a>>),
}

/// A consistent view of the store: a read transaction, or the writer's transaction (which also
/// sees what earlier commands of its batch wrote).
pub struct View<'a> {
    pub(super) txn: Txn<'a>,
    /// The copies in memory, while they are current for this view (see [`super::kept::Memory`]).
    pub(super) memory: Option<super::kept::Memory>,
}

/// Opens `$def` in whichever transaction the view holds (the writer's keeps some open, see
/// [`super::kept`]) and evaluates `$body` with a reference to it bound to `$t`. Both arms are the
/// same code, monomorphised for the two table types.
macro_rules! with_table {
    ($view:expr, $def:ident, |$t:ident| $body:expr) => {
        match &$view.txn {
            Txn::Read(txn) => {
                let $t = &txn.open_table($def)?;
                $body
            }
            Txn::Write(kept) => $crate::store::kept::kept_table!(kept, $def, |$t| $body),
        }
    };
}
pub(super) use with_table;

/// Which reservations a listing wants. Results come in (start, id) order.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub room: Option<RoomId>,
    pub user: Option<UserId>,
    /// Reservations overlapping this window.
    pub window: Option<TimeRange>,
    pub include_cancelled: bool,
    /// Continue after this (start, id), from a previous page.
    pub after: Option<(chrono::DateTime<chrono::Utc>, ReservationId)>,
    pub limit: usize,
}

pub(super) fn get<T: DeserializeOwned>(t: &impl ReadableTable<Id, &'static [u8]>, key: Id) -> Result<Option<T>> {
    match t.get(key)? {
        Some(v) => Ok(Some(decode(v.value())?)),
        None => Ok(None),
    }
}

pub(super) fn all<T: DeserializeOwned>(t: &impl ReadableTable<Id, &'static [u8]>) -> Result<Vec<T>> {
    t.iter()?.map(|row| decode(row?.1.value())).collect()
}

/// Two ascending streams of keys as one, in order (an error comes out as soon as it is met).
fn merged<K: Ord>(
    a: impl Iterator<Item = Result<K>>,
    b: impl Iterator<Item = Result<K>>,
) -> impl Iterator<Item = Result<K>> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(Ok(x)), Some(Ok(y))) if y < x => b.next(),
        (Some(Ok(_)), Some(Err(_))) => b.next(),
        (Some(_), _) => a.next(),
        (None, _) => b.next(),
    })
}

/// The normal form of a unique name: "Sala Norte " and "sala norte" are the same room.
pub(super) fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl View<'static> {
    pub(super) fn read(db: &Database) -> Result<View<'static>> {
        Ok(View { txn: Txn::Read(db.begin_read()?), memory: None })
    }
}

impl View<'_> {
    pub(super) fn memory(&self) -> Option<&super::kept::Memory> {
        self.memory.as_ref()
    }

    pub fn user(&self, id: UserId) -> Result<Option<User>> {
        if let Some(memory) = self.memory() {
            return Ok(memory.people.get(id).cloned());
        }
        with_table!(self, USERS, |t| get(t, id.bytes()))
    }

    pub fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        if let Some(memory) = self.memory() {
            return Ok(memory.people.by_email(email).cloned());
        }
        let id = with_table!(self, USER_EMAILS, |t| t.get(email.trim().to_lowercase().as_str())?.map(|v| v.value()));
        match id {
            Some(id) => self.user(UserId::from_bytes(id)),
            None => Ok(None),
        }
    }

    /// All users, by e-mail.
    pub fn users(&self) -> Result<Vec<User>> {
        let mut users: Vec<User> = with_table!(self, USERS, |t| all(t))?;
        users.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(users)
    }

    pub fn user_count(&self) -> Result<u64> {
        with_table!(self, USERS, |t| Ok(t.len()?))
    }

    pub fn api_key(&self, id: ApiKeyId) -> Result<Option<ApiKey>> {
        with_table!(self, API_KEYS, |t| get(t, id.bytes()))
    }

    pub fn api_key_by_hash(&self, hash: [u8; 32]) -> Result<Option<ApiKey>> {
        let id = with_table!(self, API_KEY_HASHES, |t| t.get(hash)?.map(|v| v.value()));
        match id {
            Some(id) => self.api_key(ApiKeyId::from_bytes(id)),
            None => Ok(None),
        }
    }

    pub fn api_keys_of(&self, user: UserId) -> Result<Vec<ApiKey>> {
        let keys: Vec<ApiKey> = with_table!(self, API_KEYS, |t| all(t))?;
        Ok(keys.into_iter().filter(|k| k.user_id == user).collect())
    }

    pub fn session(&self, secret_hash: [u8; 32]) -> Result<Option<Session>> {
        with_table!(self, SESSIONS, |t| match t.get(secret_hash)? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        })
    }

    pub fn room(&self, id: RoomId) -> Result<Option<Room>> {
        if let Some(memory) = self.memory() {
            return Ok(memory.rooms.iter().find(|r| r.id == id).cloned());
        }
        with_table!(self, ROOMS, |t| get(t, id.bytes()))
    }

    pub fn room_id_by_name(&self, name: &str) -> Result<Option<RoomId>> {
        with_table!(self, ROOM_NAMES, |t| Ok(t.get(name_key(name).as_str())?.map(|v| RoomId::from_bytes(v.value()))))
    }

    /// All rooms, by name.
    pub fn rooms(&self) -> Result<Vec<Room>> {
        let mut rooms: Vec<Room> = with_table!(self, ROOMS, |t| all(t))?;
        rooms.sort_by_key(|r| name_key(&r.name));
        Ok(rooms)
    }

    pub fn resource(&self, id: ResourceId) -> Result<Option<Resource>> {
        with_table!(self, RESOURCES, |t| get(t, id.bytes()))
    }

    pub fn resource_id_by_name(&self, name: &str) -> Result<Option<ResourceId>> {
        with_table!(self, RESOURCE_NAMES, |t| Ok(t
            .get(name_key(name).as_str())?
            .map(|v| ResourceId::from_bytes(v.value()))))
    }

    /// All resources, by name.
    pub fn resources(&self) -> Result<Vec<Resource>> {
        let mut resources: Vec<Resource> = with_table!(self, RESOURCES, |t| all(t))?;
        resources.sort_by_key(|r| name_key(&r.name));
        Ok(resources)
    }

    pub fn reservation(&self, id: ReservationId) -> Result<Option<Reservation>> {
        with_table!(self, RESERVATIONS, |t| get(t, id.bytes()))
    }

    /// The live reservations of `room` overlapping `range`, in start order, from the index: the
    /// one entry starting before `range.start` (live entries never overlap, so no earlier one
    /// can reach it) and those starting before `range.end`. O(log n + k).
    pub fn busy(&self, room: RoomId, range: TimeRange) -> Result<Vec<(ReservationId, TimeRange)>> {
        let (r, s, e) = (room.bytes(), micros(range.start), micros(range.end));
        with_table!(self, LIVE_BY_ROOM, |t| {
            let mut out = Vec::new();
            if let Some(row) = t.range((r, i64::MIN, [0u8; 16])..(r, s, [0u8; 16]))?.next_back() {
                let (key, end) = row?;
                let (_, start, id) = key.value();
                if end.value() > s {
                    out.push((
                        ReservationId::from_bytes(id),
                        TimeRange::new(from_micros(start), from_micros(end.value())),
                    ));
                }
            }
            for row in t.range((r, s, [0u8; 16])..(r, e, [0u8; 16]))? {
                let (key, end) = row?;
                let (_, start, id) = key.value();
                out.push((ReservationId::from_bytes(id), TimeRange::new(from_micros(start), from_micros(end.value()))));
            }
            Ok(out)
        })
    }

    /// Calls `f` with every live reservation, in no particular order (to build the calendar).
    pub(super) fn for_each_live(&self, mut f: impl FnMut(Reservation)) -> Result<()> {
        with_table!(self, RESERVATIONS, |t| {
            for row in t.iter()? {
                let r: Reservation = decode(row?.1.value())?;
                if r.status.is_live() {
                    f(r);
                }
            }
            Ok(())
        })
    }

    /// Reservations waiting for approval, oldest request first, after `(requested at, id)` of a
    /// previous page; those `keep` rejects are skipped without counting towards `limit`.
    pub fn pending(
        &self,
        after: Option<(chrono::DateTime<chrono::Utc>, ReservationId)>,
        limit: usize,
        keep: impl Fn(&Reservation) -> bool,
    ) -> Result<Vec<Reservation>> {
        let lo = after.map(|(t, id)| Bound::Excluded((micros(t), id.bytes()))).unwrap_or(Bound::Unbounded);
        let ids: Vec<Id> = with_table!(self, PENDING, |t| {
            t.range::<(i64, Id)>((lo, Bound::Unbounded))?.map(|row| Ok(row?.0.value().1)).collect::<Result<Vec<_>>>()
        })?;
        let mut out = Vec::new();
        for id in ids {
            if out.len() >= limit {
                break;
            }
            if let Some(r) = self.reservation(ReservationId::from_bytes(id))?.filter(|r| keep(r)) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Every occurrence of a series (cancelled ones too), in start order.
    pub fn series(&self, series: SeriesId) -> Result<Vec<Reservation>> {
        let s = series.bytes();
        let ids: Vec<Id> = with_table!(self, BY_SERIES, |t| {
            t.range((s, i64::MIN, [0u8; 16])..=(s, i64::MAX, [0xffu8; 16]))?
                .map(|row| Ok(row?.0.value().2))
                .collect::<Result<Vec<Id>>>()
        })?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.reservation(ReservationId::from_bytes(id))?);
        }
        Ok(out)
    }

    /// The secret calendar feed tokens are derived from.
    pub fn feed_key(&self) -> Result<Vec<u8>> {
        let key = with_table!(self, FEED_SECRET, |t| Ok::<_, StoreError>(t.get("key")?.map(|v| v.value().to_vec())))?;
        key.ok_or_else(|| StoreError::Corrupt("the calendar feed key is missing".into()))
    }

    /// How many times the feed token of room or user `owner` was replaced.
    pub fn feed_generation(&self, owner: [u8; 16]) -> Result<u64> {
        with_table!(self, FEED_GENERATIONS, |t| Ok(t.get(owner)?.map(|v| v.value()).unwrap_or(0)))
    }

    /// Live reservations of `room` overlapping `range`, other than `except`.
    pub fn conflicts(&self, room: RoomId, range: TimeRange, except: Option<ReservationId>) -> Result<Vec<Reservation>> {
        let mut out = Vec::new();
        for (id, _) in self.busy(room, range)? {
            if Some(id) != except
                && let Some(r) = self.reservation(id)?
            {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// A page of reservations; see [`ListFilter`].
    pub fn list(&self, f: &ListFilter) -> Result<Vec<Reservation>> {
        let lo = f.window.map(|w| micros(w.start).saturating_sub(MAX_RESERVATION_MICROS)).unwrap_or(i64::MIN);
        let hi = f.window.map(|w| micros(w.end)).unwrap_or(i64::MAX);
        let after = f.after.map(|(t, id)| (micros(t), id.bytes())).filter(|a| *a >= (lo, [0u8; 16]));
        let keep = |r: &Reservation| {
            (f.include_cancelled || r.status.is_live())
                && f.window.is_none_or(|w| r.range().overlaps(&w))
                && f.user.is_none_or(|u| r.user_id == u)
                && f.room.is_none_or(|room| r.room_id == room)
        };
        if let (Some(room), Some(window), false) = (f.room, f.window, f.include_cancelled) {
            return self.list_live_in_window(room, window, f, keep);
        }
        let mut out = Vec::new();
        with_table!(self, RESERVATIONS, |rows| {
            let mut take = |id: Id| -> Result<bool> {
                if let Some(r) = get::<Reservation>(rows, id)?
                    && keep(&r)
                {
                    out.push(r);
                }
                Ok(out.len() < f.limit)
            };
            if let Some(room) = f.room {
                let p = room.bytes();
                let from = match after {
                    Some((s, id)) => Bound::Excluded((p, s, id)),
                    None => Bound::Included((p, lo, [0u8; 16])),
                };
                let range = (from, Bound::Excluded((p, hi, [0u8; 16])));
                // The room's live and closed entries in key order (the closed ones only when
                // asked for).
                with_table!(self, LIVE_BY_ROOM, |live| with_table!(self, CLOSED_BY_ROOM, |closed| {
                    let closed_wanted = if f.include_cancelled { usize::MAX } else { 0 };
                    let live = live.range::<(Id, i64, Id)>(range)?.map(|row| Ok(row?.0.value()));
                    let closed =
                        closed.range::<(Id, i64, Id)>(range)?.take(closed_wanted).map(|row| Ok(row?.0.value()));
                    for key in merged(live, closed) {
                        if !take(key?.2)? {
                            break;
                        }
                    }
                }))
            } else if let Some(user) = f.user {
                let p = user.bytes();
                let from = match after {
                    Some((s, id)) => Bound::Excluded((p, s, id)),
                    None => Bound::Included((p, lo, [0u8; 16])),
                };
                with_table!(self, BY_USER, |t| {
                    for row in t.range::<(Id, i64, Id)>((from, Bound::Excluded((p, hi, [0u8; 16]))))? {
                        if !take(row?.0.value().2)? {
                            break;
                        }
                    }
                })
            } else {
                let from = match after {
                    Some((s, id)) => Bound::Excluded((s, id)),
                    None => Bound::Included((lo, [0u8; 16])),
                };
                with_table!(self, BY_START, |t| {
                    for row in t.range::<(i64, Id)>((from, Bound::Excluded((hi, [0u8; 16]))))? {
                        if !take(row?.0.value().1)? {
                            break;
                        }
                    }
                })
            }
            Ok::<(), StoreError>(())
        })?;
        Ok(out)
    }

    /// A room's live reservations in a window, from the live index: live reservations never
    /// overlap, so no look-back over older bookings is needed (the timeline's hot path).
    fn list_live_in_window(
        &self,
        room: RoomId,
        window: TimeRange,
        f: &ListFilter,
        keep: impl Fn(&Reservation) -> bool,
    ) -> Result<Vec<Reservation>> {
        let after = f.after.map(|(t, id)| (micros(t), id.bytes()));
        let mut out = Vec::new();
        for (id, range) in self.busy(room, window)? {
            if after.is_some_and(|a| (micros(range.start), id.bytes()) <= a) {
                continue;
            }
            if let Some(r) = self.reservation(id)?.filter(|r| keep(r)) {
                out.push(r);
                if out.len() >= f.limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Events after `seq`, oldest first.
    pub fn events_after(&self, seq: u64, limit: usize) -> Result<Vec<Event>> {
        with_table!(self, EVENTS, |t| {
            t.range(seq.saturating_add(1)..)?.take(limit).map(|row| decode(row?.1.value())).collect()
        })
    }

    pub fn last_event_seq(&self) -> Result<u64> {
        with_table!(self, EVENTS, |t| Ok(t.last()?.map(|(k, _)| k.value()).unwrap_or(0)))
    }

    /// Checks the invariants the write path keeps; returns what is wrong, if anything.
    pub fn verify(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let reservations: Vec<Reservation> = with_table!(self, RESERVATIONS, |t| all(t))?;
        let live = reservations.iter().filter(|r| r.status.is_live()).count();
        let entries: Vec<(Id, i64, Id, i64)> = with_table!(self, LIVE_BY_ROOM, |t| {
            t.iter()?
                .map(|row| {
                    let (k, v) = row?;
                    let (room, start, id) = k.value();
                    Ok((room, start, id, v.value()))
                })
                .collect::<Result<Vec<_>>>()
        })?;
        if entries.len() != live {
            problems.push(format!("{} live reservations but {} index entries", live, entries.len()));
        }
        for pair in entries.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if a.0 == b.0 && a.3 > b.1 {
                problems.push(format!(
                    "reservations {} and {} of room {} overlap",
                    ReservationId::from_bytes(a.2),
                    ReservationId::from_bytes(b.2),
                    RoomId::from_bytes(a.0)
                ));
            }
        }
        let by_id: std::collections::HashMap<Id, &Reservation> =
            reservations.iter().map(|r| (r.id.bytes(), r)).collect();
        for (_, start, id, end) in &entries {
            match by_id.get(id) {
                Some(r) if r.status.is_live() && micros(r.start) == *start && micros(r.end) == *end => {}
                _ => problems
                    .push(format!("index entry for {} does not match its reservation", ReservationId::from_bytes(*id))),
            }
        }
        let closed = with_table!(self, CLOSED_BY_ROOM, |t| {
            t.iter()?.map(|row| Ok(row?.0.value())).collect::<Result<Vec<(Id, i64, Id)>>>()
        })?;
        if closed.len() != reservations.len() - live {
            problems.push(format!(
                "{} reservations are not live but {} closed index entries",
                reservations.len() - live,
                closed.len()
            ));
        }
        for (room, start, id) in closed {
            let matches =
                |r: &&Reservation| !r.status.is_live() && r.room_id.bytes() == room && micros(r.start) == start;
            if !by_id.get(&id).is_some_and(matches) {
                problems.push(format!(
                    "closed index entry for {} does not match its reservation",
                    ReservationId::from_bytes(id)
                ));
            }
        }
        let events = with_table!(self, EVENTS, |t| Ok::<_, StoreError>((
            t.len()?,
            t.last()?.map(|(k, _)| k.value()).unwrap_or(0)
        )))?;
        if events.0 != events.1 {
            problems.push(format!("the event log has gaps: {} events, last seq {}", events.0, events.1));
        }
        if self.unread_index_differs()? {
            problems.push("the inbox's unread index does not match the notifications".to_string());
        }
        Ok(problems)
    }

    /// Whether the unread index lists other notifications than those without a read mark.
    fn unread_index_differs(&self) -> Result<bool> {
        let unread: Vec<(Id, Id)> = with_table!(self, NOTIFICATIONS, |t| {
            let mut keys = Vec::new();
            for row in t.iter()? {
                let (key, value) = row?;
                if super::outbox::unread(value.value())? {
                    keys.push(key.value());
                }
            }
            Ok::<_, StoreError>(keys)
        })?;
        let indexed: Vec<(Id, Id)> =
            with_table!(self, UNREAD, |t| t.iter()?.map(|row| Ok(row?.0.value())).collect::<Result<Vec<_>>>())?;
        Ok(unread != indexed)
    }
}
