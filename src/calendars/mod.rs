//! Calendars: the rooms a user may see, and the user's own bookings, as CalDAV collections
//! (RFC 4791). What each collection holds, what others' bookings show, sync tokens from the event
//! log, and iCalendar in and out. Bookings made from a calendar client go through
//! `reservations`, so they meet every rule a booking from the API meets.

pub mod error;
pub mod ical;
pub mod ics;
pub mod import;
pub mod incoming;
pub mod privacy;
pub mod recurring;
pub mod sync;
mod vtimezone;

pub use error::CalendarError;

use crate::access::Actor;
use crate::clock;
use crate::events::EventKind;
use crate::model::reservation::{CalendarName, Reservation, Status};
use crate::model::room::Room;
use crate::reservations::{NewReservation, ReservationPatch, Reservations};
use crate::store::{AccessMap, ListFilter, Store};
use crate::types::{ReservationId, RoomId, TimeRange};
use chrono::Duration;
use chrono_tz::Tz;
use privacy::Detail;
use std::collections::HashSet;

type Result<T> = std::result::Result<T, CalendarError>;

/// What a collection lists when the client asks for no time range: a quarter back, a year ahead.
const PAST_DAYS: i64 = 90;
const AHEAD_DAYS: i64 = 400;
/// The most events one listing returns.
const MAX_ITEMS: usize = 5000;
/// A client this far behind the log syncs again from the start (RFC 6578 allows it).
const MAX_SYNC_EVENTS: usize = 20_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CollectionId {
    Room(RoomId),
    /// The signed-in user's own bookings, in every room.
    Mine,
}

impl CollectionId {
    /// The collection's path segment: `mine`, or the room's id.
    pub fn parse(segment: &str) -> Option<CollectionId> {
        match segment {
            "mine" => Some(CollectionId::Mine),
            s => s.parse().ok().map(|id| CollectionId::Room(RoomId(id))),
        }
    }

    pub fn segment(self) -> String {
        match self {
            CollectionId::Mine => "mine".into(),
            CollectionId::Room(id) => id.to_string(),
        }
    }
}

pub struct Collection {
    pub id: CollectionId,
    pub name: String,
    /// Floating and all-day times of events put here are read in this zone.
    pub zone: Tz,
    /// Whether the actor may book here (a room they may book, with a key that allows it).
    pub writable: bool,
}

/// One event of a collection, with what the viewer may see of it.
pub struct Item {
    pub reservation: Reservation,
    pub room: String,
    pub detail: Detail,
}

impl Item {
    pub fn href(&self) -> String {
        href(&self.reservation)
    }

    /// ETags are versions: a PUT or DELETE with `If-Match` sends it back.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.reservation.version)
    }

    pub fn ics(&self) -> String {
        ical::calendar(&[self.shown()])
    }

    pub fn shown(&self) -> ical::Shown<'_> {
        ical::Shown { reservation: &self.reservation, room: &self.room, detail: self.detail }
    }
}

/// A booking's resource name in its collections: the calendar client's, or `{id}.ics`.
pub fn href(r: &Reservation) -> String {
    r.calendar_name.as_ref().map(|n| n.href.clone()).unwrap_or_else(|| format!("{}.ics", r.id))
}

/// What a PUT asks of the resource already at its address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    None,
    /// `If-None-Match: *`: only create.
    Absent,
    /// `If-Match`: only replace this version.
    Version(u64),
}

/// What changed in a collection since a sync token.
pub struct Changes {
    pub changed: Vec<Item>,
    /// Resource names of bookings gone from the collection (cancelled, declined, moved away).
    pub removed: Vec<String>,
    pub token: String,
}

#[derive(Clone)]
pub struct Calendars {
    store: Store,
    reservations: Reservations,
}

impl Calendars {
    pub fn new(store: Store, reservations: Reservations) -> Calendars {
        Calendars { store, reservations }
    }

    /// The rooms `actor` may see (archived ones left out), by name, then their own bookings.
    pub fn collections(&self, actor: &Actor) -> Result<Vec<Collection>> {
        let access = self.store.access();
        let mut out: Vec<Collection> = self
            .store
            .rooms()
            .iter()
            .filter(|r| r.active && access.may_see(actor.role, actor.id, r.id))
            .map(|r| room_collection(actor, r, &access))
            .collect();
        out.push(self.mine(actor)?);
        Ok(out)
    }

    /// One collection, if `actor` may see it (else NotFound: a room's existence is not told).
    pub fn collection(&self, actor: &Actor, id: CollectionId) -> Result<Collection> {
        match id {
            CollectionId::Mine => self.mine(actor),
            CollectionId::Room(room) => {
                let access = self.store.access();
                self.store
                    .rooms()
                    .iter()
                    .find(|r| r.id == room && r.active && access.may_see(actor.role, actor.id, r.id))
                    .map(|r| room_collection(actor, r, &access))
                    .ok_or(CalendarError::NotFound)
            }
        }
    }

    fn mine(&self, actor: &Actor) -> Result<Collection> {
        let user = self.store.view()?.user(actor.id)?.ok_or(CalendarError::NotFound)?;
        let name = format!("{} — bookings", user.name);
        Ok(Collection { id: CollectionId::Mine, name, zone: Tz::UTC, writable: false })
    }

    /// The live bookings of a collection overlapping `window` (by default a quarter back and a
    /// year ahead).
    pub fn items(&self, actor: &Actor, c: &Collection, window: Option<TimeRange>) -> Result<Vec<Item>> {
        let now = clock::now();
        let window =
            window.unwrap_or_else(|| TimeRange::new(now - Duration::days(PAST_DAYS), now + Duration::days(AHEAD_DAYS)));
        let mut filter = filter_of(actor, c);
        filter.window = Some(window);
        filter.limit = MAX_ITEMS;
        self.shown(actor, self.store.list(&filter)?)
    }

    /// The live booking at `href` in a collection.
    pub fn item(&self, actor: &Actor, c: &Collection, href: &str) -> Result<Item> {
        self.find(actor, c, href)?.ok_or(CalendarError::NotFound)
    }

    fn find(&self, actor: &Actor, c: &Collection, name: &str) -> Result<Option<Item>> {
        let by_id = name.strip_suffix(".ics").and_then(|s| s.parse().ok()).map(ReservationId);
        let found = match by_id {
            Some(id) => self.store.view()?.reservation(id)?.filter(|r| href(r) == name),
            // A client's own name: among the collection's live bookings (its room's live index).
            None => self.store.list(&filter_of(actor, c))?.into_iter().find(|r| href(r) == name),
        };
        let found = found.filter(|r| r.status.is_live() && belongs(c, actor, r));
        Ok(self.shown(actor, found.into_iter().collect())?.pop())
    }

    /// Books (a new name) or reschedules (a name already there) from a VEVENT; true when created.
    pub async fn put(
        &self,
        actor: &Actor,
        c: &Collection,
        name: &str,
        body: &str,
        pre: Precondition,
    ) -> Result<(Item, bool)> {
        let CollectionId::Room(room_id) = c.id else { return Err(CalendarError::NotARoom) };
        let event = ical::parse_event(body, c.zone)?;
        let (reservation, created) = match (self.find(actor, c, name)?, pre) {
            (Some(_), Precondition::Absent) | (None, Precondition::Version(_)) => {
                return Err(CalendarError::PreconditionFailed);
            }
            (None, _) => {
                let input = NewReservation {
                    room_id,
                    title: event.title,
                    description: event.description,
                    start: event.range.start,
                    end: event.range.end,
                    attendees: Vec::new(),
                    user_id: None,
                    // A calendar client cannot answer the booking fields.
                    fields: None,
                };
                let named = CalendarName { uid: event.uid, href: name.to_string() };
                (self.reservations.create_named(actor, input, Some(named)).await?, true)
            }
            (Some(old), pre) => {
                let patch = ReservationPatch {
                    title: Some(event.title),
                    description: Some(event.description.unwrap_or_default()),
                    start: Some(event.range.start),
                    end: Some(event.range.end),
                    ..ReservationPatch::default()
                };
                let expected = match pre {
                    Precondition::Version(v) => Some(v),
                    _ => None,
                };
                (self.reservations.update(actor, old.reservation.id, patch, expected).await?, false)
            }
        };
        let item = self.shown(actor, vec![reservation])?.pop().ok_or(CalendarError::NotFound)?;
        Ok((item, created))
    }

    /// Cancels the booking at `name`.
    pub async fn delete(&self, actor: &Actor, c: &Collection, name: &str, version: Option<u64>) -> Result<()> {
        let item = self.item(actor, c, name)?;
        self.reservations.cancel(actor, item.reservation.id, version).await?;
        Ok(())
    }

    /// The token of the log's present position.
    pub fn sync_token(&self) -> String {
        sync::token(*self.store.event_signal().borrow())
    }

    /// What changed in a collection after `token`; everything, for an empty token.
    pub fn changes(&self, actor: &Actor, c: &Collection, token: &str) -> Result<Changes> {
        let head = *self.store.event_signal().borrow();
        if token.trim().is_empty() {
            return Ok(Changes { changed: self.items(actor, c, None)?, removed: Vec::new(), token: sync::token(head) });
        }
        let since = sync::parse(token).filter(|s| *s <= head).ok_or(CalendarError::BadSyncToken)?;
        let events = self.store.events_after(since, MAX_SYNC_EVENTS + 1)?;
        if events.len() > MAX_SYNC_EVENTS {
            return Err(CalendarError::BadSyncToken);
        }
        let last = events.last().map_or(since, |e| e.seq);
        let view = self.store.view()?;
        let mut seen = HashSet::new();
        let (mut changed, mut removed) = (Vec::new(), Vec::new());
        // Newest first, so each booking is judged once, by its present state.
        for e in events.iter().rev().filter(|e| is_reservation_event(e.kind)) {
            let id = ReservationId(e.subject);
            if !seen.insert(id) {
                continue;
            }
            let Some(r) = view.reservation(id)? else { continue };
            if !belongs(c, actor, &r) {
                continue;
            }
            if r.status.is_live() {
                changed.push(r);
            } else {
                removed.push(href(&r));
            }
        }
        Ok(Changes { changed: self.shown(actor, changed)?, removed, token: sync::token(last) })
    }

    /// A room's live bookings in `window`, for free/busy, if `actor` (None: the room's feed token
    /// was checked) may see the room.
    pub fn busy(&self, actor: Option<&Actor>, room: RoomId, window: TimeRange) -> Result<Vec<(TimeRange, Status)>> {
        self.reservations.check_window(window)?;
        match actor {
            Some(actor) => drop(self.collection(actor, CollectionId::Room(room))?),
            None if !self.store.rooms().iter().any(|r| r.id == room) => return Err(CalendarError::NotFound),
            None => {}
        }
        let filter = ListFilter { room: Some(room), window: Some(window), limit: usize::MAX, ..ListFilter::default() };
        Ok(self.store.list(&filter)?.iter().map(|r| (r.range(), r.status)).collect())
    }

    /// The bookings `actor` may see, with their room's name and how much of each they see.
    fn shown(&self, actor: &Actor, list: Vec<Reservation>) -> Result<Vec<Item>> {
        let (rooms, access) = (self.store.rooms(), self.store.access());
        let mut out = Vec::with_capacity(list.len());
        for r in list {
            let rights = access.rights(actor.role, actor.id, r.room_id);
            if r.user_id != actor.id && !rights.see {
                continue;
            }
            let room = rooms.iter().find(|room| room.id == r.room_id).map(|room| room.name.clone()).unwrap_or_default();
            out.push(Item { detail: privacy::detail(&r, actor.id, rights), room, reservation: r });
        }
        Ok(out)
    }
}

fn room_collection(actor: &Actor, room: &Room, access: &AccessMap) -> Collection {
    Collection {
        id: CollectionId::Room(room.id),
        name: room.name.clone(),
        zone: room.timezone.parse().unwrap_or(Tz::UTC),
        writable: actor.scope.limit(access.rights(actor.role, actor.id, room.id)).book,
    }
}

/// The live bookings of a collection: a room's, or the actor's own.
fn filter_of(actor: &Actor, c: &Collection) -> ListFilter {
    let (room, user) = match c.id {
        CollectionId::Room(id) => (Some(id), None),
        CollectionId::Mine => (None, Some(actor.id)),
    };
    ListFilter { room, user, limit: usize::MAX, ..ListFilter::default() }
}

fn belongs(c: &Collection, actor: &Actor, r: &Reservation) -> bool {
    match c.id {
        CollectionId::Room(id) => r.room_id == id,
        CollectionId::Mine => r.user_id == actor.id,
    }
}

fn is_reservation_event(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::ReservationCreated
            | EventKind::ReservationUpdated
            | EventKind::ReservationCancelled
            | EventKind::ReservationApproved
            | EventKind::ReservationDeclined
            | EventKind::ReservationCheckedIn
            | EventKind::ReservationNoShow
    )
}
