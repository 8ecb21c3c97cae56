//! Rooms and resources: the catalogue people book from.

pub mod error;
pub use crate::model::policy;
mod resources;
pub mod rules;

pub use error::RoomError;
pub use resources::{ResourceInput, ResourcePatch};

use crate::access::{Action, Actor};
use crate::audit::{self, AuditAction, Entry};
use crate::clock;
use crate::events::{EventKind, NewEvent};
use crate::model::room::Room;
use crate::reservations;
use crate::store::{Store, Tx, View};
use crate::types::{ResourceId, RoomId, TimeRange};
use crate::validation::FieldErrors;
use chrono::{DateTime, Utc};
use policy::{LocationPolicy, Policy, PolicyOverrides};

type Result<T> = std::result::Result<T, RoomError>;

#[derive(Clone)]
pub struct Rooms {
    store: Store,
    default_timezone: String,
    /// The `[policies]` defaults every location and room starts from.
    global_policy: Policy,
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
    pub checkin: crate::model::room::CheckIn,
    /// The room's own policy settings (empty: inherit everything).
    pub policy: PolicyOverrides,
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
    pub checkin_required: Option<bool>,
    /// `Some(None)` returns the room to the configured default window.
    pub checkin_window_minutes: Option<Option<u32>>,
    /// Replaces the room's own policy settings as a whole.
    pub policy: Option<PolicyOverrides>,
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
        Rooms { store, default_timezone, global_policy: Policy::default() }
    }

    /// Sets the global policy defaults (from `[policies]`).
    pub fn with_policy(mut self, global: Policy) -> Rooms {
        self.global_policy = global;
        self
    }

    pub fn global_policy(&self) -> &Policy {
        &self.global_policy
    }

    /// The policy that applies to `room`: global defaults, its location's, its own.
    pub fn effective_policy(&self, room: &Room) -> Result<Policy> {
        Ok(self.store.view()?.room_policy(&self.global_policy, room)?)
    }

    /// A location's own settings (empty when it has none) and what they give with the global
    /// defaults (what a room of the location without settings of its own gets).
    pub fn location_policy(&self, actor: &Actor, location: &str) -> Result<(PolicyOverrides, Policy)> {
        actor.require(Action::ReadRooms)?;
        let own = self.store.view()?.location_policy(location)?.map(|l| l.policy).unwrap_or_default();
        let effective = policy::effective(&self.global_policy, Some(&own), &PolicyOverrides::default());
        Ok((own, effective))
    }

    /// Every location that has settings of its own, by name.
    pub fn location_policies(&self) -> Result<Vec<LocationPolicy>> {
        let mut all = self.store.view()?.location_policies()?;
        all.sort_by_key(|l| l.location.to_lowercase());
        Ok(all)
    }

    /// Replaces a location's settings; an empty set removes them. Every room of the location
    /// that inherits must still get a consistent policy (say, a minimum no longer than the
    /// maximum), else nothing changes.
    pub async fn set_location_policy(
        &self,
        actor: &Actor,
        location: &str,
        overrides: PolicyOverrides,
    ) -> Result<(PolicyOverrides, Policy)> {
        actor.require(Action::ManageLocationPolicies)?;
        let mut errors = FieldErrors::new();
        errors.text("location", location, 1, 200);
        policy::check_overrides(&mut errors, "", &overrides);
        errors.into_result()?;
        let (now, global, location) = (clock::now(), self.global_policy.clone(), location.trim().to_string());
        self.store
            .write(move |tx: &mut Tx| {
                let effective = policy::effective(&global, Some(&overrides), &PolicyOverrides::default());
                let mut errors = FieldErrors::new();
                policy::check_effective(&mut errors, "", &effective);
                for room in tx.rooms()?.iter().filter(|r| r.location.eq_ignore_ascii_case(&location)) {
                    let p = policy::effective(&global, Some(&overrides), &room.policy);
                    if errors.is_empty() {
                        policy::check_effective(&mut errors, "", &p);
                    }
                }
                errors.into_result()?;
                tx.put_location_policy(LocationPolicy { location, policy: overrides.clone(), updated_at: now });
                Ok((overrides, effective))
            })
            .await
    }

    /// The room `id`, if `actor` may see it; to anyone else it does not exist (404, not 403).
    pub fn get(&self, actor: &Actor, id: RoomId) -> Result<Room> {
        let room = self.room(id)?;
        if self.store.access().may_see(actor.role, actor.id, room.id) { Ok(room) } else { Err(RoomError::NotFound) }
    }

    /// The room `id` whoever asks: for naming the room of something already shown, and for the
    /// pages and services whose own rule decides (managing rooms, door displays).
    pub fn room(&self, id: RoomId) -> Result<Room> {
        self.store.view()?.room(id)?.ok_or(RoomError::NotFound)
    }

    pub fn list(&self, include_archived: bool) -> Result<Vec<Room>> {
        Ok(self.store.rooms().iter().filter(|r| include_archived || r.active).cloned().collect())
    }

    pub async fn create(&self, actor: &Actor, input: RoomInput) -> Result<Room> {
        actor.require(Action::ManageRooms)?;
        let timezone = input.timezone.unwrap_or_else(|| self.default_timezone.clone());
        let mut errors = FieldErrors::new();
        rules::check_name(&mut errors, &input.name);
        rules::check_capacity(&mut errors, input.capacity);
        rules::check_timezone(&mut errors, &timezone);
        rules::check_details(&mut errors, input.location.as_deref(), input.description.as_deref());
        rules::check_checkin_window(&mut errors, input.checkin.window_minutes);
        policy::check_overrides(&mut errors, "policy.", &input.policy);
        errors.into_result()?;
        let global = self.global_policy.clone();
        let now = clock::now();
        let actor_id = actor.id;
        let audit = Entry::new(AuditAction::RoomCreated, Some(actor_id));
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
                    checkin: input.checkin,
                    policy: input.policy,
                    active: true,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                };
                check_room_policy(tx, &global, &room)?;
                tx.put_room(room.clone());
                tx.append_event(room_event(EventKind::RoomCreated, actor_id, &room, now));
                audit.target("room", room.id, &room.name).stage(tx)?;
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
        rules::check_checkin_window(&mut errors, patch.checkin_window_minutes.flatten());
        if let Some(p) = &patch.policy {
            policy::check_overrides(&mut errors, "policy.", p);
        }
        errors.into_result()?;
        let global = self.global_policy.clone();
        let now = clock::now();
        let actor_id = actor.id;
        let audit = Entry::new(AuditAction::RoomUpdated, Some(actor_id));
        self.store
            .write(move |tx: &mut Tx| {
                let mut room = tx.room(id)?.ok_or(RoomError::NotFound)?;
                let before = serde_json::to_value(&room).unwrap_or_default();
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
                room.checkin.required = patch.checkin_required.unwrap_or(room.checkin.required);
                room.checkin.window_minutes = patch.checkin_window_minutes.unwrap_or(room.checkin.window_minutes);
                room.active = patch.active.unwrap_or(room.active);
                room.policy = patch.policy.unwrap_or(room.policy);
                check_room_policy(tx, &global, &room)?;
                room.version += 1;
                room.updated_at = now;
                tx.put_room(room.clone());
                tx.append_event(room_event(EventKind::RoomUpdated, actor_id, &room, now));
                let detail =
                    serde_json::json!({"fields": audit::changed_fields(&before, &room), "version": room.version});
                audit.target("room", room.id, &room.name).detail(detail).stage(tx)?;
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
        let audit = Entry::new(AuditAction::RoomArchived, Some(actor_id));
        self.store
            .write(move |tx: &mut Tx| {
                let mut room = tx.room(id)?.ok_or(RoomError::NotFound)?;
                let upcoming = TimeRange::new(now, DateTime::<Utc>::MAX_UTC);
                let pending = tx.conflicts(id, upcoming, None)?;
                let upcoming_count = pending.len();
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
                let detail = serde_json::json!({
                    "future_reservations": upcoming_count,
                    "cancelled": future == Some(FutureReservations::Cancel) && upcoming_count > 0,
                });
                audit.target("room", room.id, &room.name).detail(detail).stage(tx)?;
                Ok(room)
            })
            .await
    }
}

/// The room's settings combined with its location's and the global ones must make sense.
fn check_room_policy(view: &View, global: &Policy, room: &Room) -> Result<()> {
    let mut errors = FieldErrors::new();
    policy::check_effective(&mut errors, "policy.", &view.room_policy(global, room)?);
    Ok(errors.into_result()?)
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
    NewEvent::new(kind, Some(actor), room.id.0, at, room)
}
