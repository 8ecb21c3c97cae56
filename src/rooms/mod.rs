//! Rooms and resources: the catalogue people book from.

pub mod error;
pub mod model;
mod resources;
pub mod rules;

pub use error::RoomError;
pub use resources::{ResourceInput, ResourcePatch};

use crate::access::{Action, Actor};
use crate::clock;
use crate::events::{EventKind, NewEvent};
use crate::reservations;
use crate::store::{Store, Tx, View};
use crate::types::{ResourceId, RoomId, TimeRange};
use crate::validation::FieldErrors;
use chrono::{DateTime, Utc};
use model::Room;

type Result<T> = std::result::Result<T, RoomError>;

#[derive(Clone)]
pub struct Rooms {
    store: Store,
    default_timezone: String,
}

pub struct RoomInput {
    pub name: String,
    pub capacity: u32,
    pub location: Option<String>,
    pub description: Option<String>,
    pub timezone: Option<String>,
    /// Resource ids or names.
    pub resources: Vec<String>,
    pub requires_approval: bool,
}

#[derive(Default)]
pub struct RoomPatch {
    pub name: Option<String>,
    pub capacity: Option<u32>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub timezone: Option<String>,
    pub resources: Option<Vec<String>>,
    pub requires_approval: Option<bool>,
    pub active: Option<bool>,
}

/// What to do with a room's current and future reservations when it is archived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FutureReservations {
    Cancel,
    Keep,
}

impl Rooms {
    pub fn new(store: Store, default_timezone: String) -> Rooms {
        Rooms { store, default_timezone }
    }

    pub fn get(&self, id: RoomId) -> Result<Room> {
        self.store.view()?.room(id)?.ok_or(RoomError::NotFound)
    }

    pub fn list(&self, include_archived: bool) -> Result<Vec<Room>> {
        Ok(self.store.view()?.rooms()?.into_iter().filter(|r| include_archived || r.active).collect())
    }

    pub async fn create(&self, actor: &Actor, input: RoomInput) -> Result<Room> {
        actor.require(Action::ManageRooms)?;
        let timezone = input.timezone.unwrap_or_else(|| self.default_timezone.clone());
        let mut errors = FieldErrors::new();
        rules::check_name(&mut errors, &input.name);
        rules::check_capacity(&mut errors, input.capacity);
        rules::check_timezone(&mut errors, &timezone);
        rules::check_details(&mut errors, input.location.as_deref(), input.description.as_deref());
        errors.into_result()?;
        let now = clock::now();
        let actor_id = actor.id;
        self.store
            .write(move |tx: &mut Tx| {
                let resources = resolve_resources(tx, &input.resources)?;
                if tx.room_id_by_name(&input.name)?.is_some() {
                    return Err(RoomError::NameTaken("room"));
                }
                let room = Room {
                    id: RoomId::new(),
                    name: input.name.trim().to_string(),
                    capacity: input.capacity,
                    location: input.location.unwrap_or_default().trim().to_string(),
                    description: input.description.unwrap_or_default().trim().to_string(),
                    timezone,
                    resources,
                    requires_approval: input.requires_approval,
                    active: true,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                };
                tx.put_room(room.clone());
                tx.append_event(room_event(EventKind::RoomCreated, actor_id, &room, now));
                Ok(room)
            })
            .await
    }

    /// Changes a room; `expected_version` (from `If-Match`) guards against lost updates.
    pub async fn update(
        &self,
        actor: &Actor,
        id: RoomId,
        patch: RoomPatch,
        expected_version: Option<u64>,
    ) -> Result<Room> {
        actor.require(Action::ManageRooms)?;
        let mut errors = FieldErrors::new();
        if let Some(name) = &patch.name {
            rules::check_name(&mut errors, name);
        }
        if let Some(capacity) = patch.capacity {
            rules::check_capacity(&mut errors, capacity);
        }
        if let Some(zone) = &patch.timezone {
            rules::check_timezone(&mut errors, zone);
        }
        rules::check_details(&mut errors, patch.location.as_deref(), patch.description.as_deref());
        errors.into_result()?;
        let now = clock::now();
        let actor_id = actor.id;
        self.store
            .write(move |tx: &mut Tx| {
                let mut room = tx.room(id)?.ok_or(RoomError::NotFound)?;
                if expected_version.is_some_and(|v| v != room.version) {
                    return Err(RoomError::StaleVersion { current: room.version });
                }
                if let Some(name) = patch.name {
                    if tx.room_id_by_name(&name)?.is_some_and(|other| other != id) {
                        return Err(RoomError::NameTaken("room"));
                    }
                    room.name = name.trim().to_string();
                }
                if let Some(resources) = &patch.resources {
                    room.resources = resolve_resources(tx, resources)?;
                }
                room.capacity = patch.capacity.unwrap_or(room.capacity);
                room.location = patch.location.map(|s| s.trim().to_string()).unwrap_or(room.location);
                room.description = patch.description.map(|s| s.trim().to_string()).unwrap_or(room.description);
                room.timezone = patch.timezone.unwrap_or(room.timezone);
                room.requires_approval = patch.requires_approval.unwrap_or(room.requires_approval);
                room.active = patch.active.unwrap_or(room.active);
                room.version += 1;
                room.updated_at = now;
                tx.put_room(room.clone());
                tx.append_event(room_event(EventKind::RoomUpdated, actor_id, &room, now));
                Ok(room)
            })
            .await
    }

    /// Archives a room: it takes no new bookings and leaves the default listings. If it still
    /// has current or future reservations the caller must say whether to cancel or keep them.
    pub async fn archive(&self, actor: &Actor, id: RoomId, future: Option<FutureReservations>) -> Result<Room> {
        actor.require(Action::ManageRooms)?;
        let now = clock::now();
        let actor_id = actor.id;
        self.store
            .write(move |tx: &mut Tx| {
                let mut room = tx.room(id)?.ok_or(RoomError::NotFound)?;
                let upcoming = TimeRange::new(now, DateTime::<Utc>::MAX_UTC);
                let pending = tx.conflicts(id, upcoming, None)?;
                match (future, pending.is_empty()) {
                    (None, false) => return Err(RoomError::HasFutureReservations(pending)),
                    (Some(FutureReservations::Cancel), false) => {
                        for r in pending {
                            reservations::stage_cancel(tx, r, Some(actor_id), now);
                        }
                    }
                    _ => {}
                }
                room.active = false;
                room.version += 1;
                room.updated_at = now;
                tx.put_room(room.clone());
                tx.append_event(room_event(EventKind::RoomArchived, actor_id, &room, now));
                Ok(room)
            })
            .await
    }
}

/// Turns resource ids or names into ids; names are matched case-insensitively.
fn resolve_resources(view: &View, wanted: &[String]) -> Result<Vec<ResourceId>> {
    let mut ids = Vec::new();
    let mut errors = FieldErrors::new();
    for (i, w) in wanted.iter().enumerate() {
        let found = match w.parse::<ResourceId>() {
            Ok(id) => view.resource(id)?.map(|r| r.id),
            Err(_) => view.resource_id_by_name(w)?,
        };
        match found {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => errors.add(format!("resources[{i}]"), "no_resource", format!("no resource `{w}`")),
        }
    }
    errors.into_result()?;
    Ok(ids)
}

fn room_event(kind: EventKind, actor: crate::types::UserId, room: &Room, at: DateTime<Utc>) -> NewEvent {
    NewEvent::new(kind, Some(actor), room.id.0, at, serde_json::to_value(room).unwrap_or_default())
}
