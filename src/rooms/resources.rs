//! Resources: equipment and amenities (projector, video conference, whiteboard…) rooms have.

use super::{Result, RoomError, Rooms, rules};
use crate::access::{Action, Actor};
use crate::audit::{self, AuditAction, Entry};
use crate::clock;
use crate::events::{EventKind, NewEvent};
use crate::model::room::Resource;
use crate::store::Tx;
use crate::types::{ResourceId, UserId};
use crate::validation::FieldErrors;
use chrono::{DateTime, Utc};

pub struct ResourceInput {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Default)]
pub struct ResourcePatch {
    pub name: Option<String>,
    pub description: Option<String>,
}

impl Rooms {
    pub fn resource(&self, id: ResourceId) -> Result<Resource> {
        self.store.view()?.resource(id)?.ok_or(RoomError::ResourceNotFound)
    }

    pub fn resources(&self) -> Result<Vec<Resource>> {
        Ok(self.store.view()?.resources()?)
    }

    pub async fn create_resource(&self, actor: &Actor, input: ResourceInput) -> Result<Resource> {
        actor.require(Action::ManageRooms)?;
        let mut errors = FieldErrors::new();
        rules::check_name(&mut errors, &input.name);
        rules::check_details(&mut errors, None, input.description.as_deref());
        errors.into_result()?;
        let now = clock::now();
        let actor_id = actor.id;
        let audit = Entry::new(AuditAction::ResourceCreated, Some(actor_id));
        self.store
            .write(move |tx: &mut Tx| {
                if tx.resource_id_by_name(&input.name)?.is_some() {
                    return Err(RoomError::NameTaken("resource"));
                }
                let resource = Resource {
                    id: ResourceId::new(),
                    name: input.name.trim().to_string(),
                    description: input.description.unwrap_or_default().trim().to_string(),
                    created_at: now,
                    updated_at: now,
                };
                tx.put_resource(resource.clone());
                tx.append_event(resource_event(EventKind::ResourceCreated, actor_id, &resource, now));
                audit.target("resource", resource.id, &resource.name).stage(tx)?;
                Ok(resource)
            })
            .await
    }

    pub async fn update_resource(&self, actor: &Actor, id: ResourceId, patch: ResourcePatch) -> Result<Resource> {
        actor.require(Action::ManageRooms)?;
        let mut errors = FieldErrors::new();
        if let Some(name) = &patch.name {
            rules::check_name(&mut errors, name);
        }
        rules::check_details(&mut errors, None, patch.description.as_deref());
        errors.into_result()?;
        let now = clock::now();
        let actor_id = actor.id;
        let audit = Entry::new(AuditAction::ResourceUpdated, Some(actor_id));
        self.store
            .write(move |tx: &mut Tx| {
                let mut resource = tx.resource(id)?.ok_or(RoomError::ResourceNotFound)?;
                let before = serde_json::to_value(&resource).unwrap_or_default();
                if let Some(name) = patch.name {
                    if tx.resource_id_by_name(&name)?.is_some_and(|other| other != id) {
                        return Err(RoomError::NameTaken("resource"));
                    }
                    resource.name = name.trim().to_string();
                }
                if let Some(d) = patch.description {
                    resource.description = d.trim().to_string();
                }
                resource.updated_at = now;
                tx.put_resource(resource.clone());
                tx.append_event(resource_event(EventKind::ResourceUpdated, actor_id, &resource, now));
                let detail = serde_json::json!({"fields": audit::changed_fields(&before, &resource)});
                audit.target("resource", resource.id, &resource.name).detail(detail).stage(tx)?;
                Ok(resource)
            })
            .await
    }

    /// Deletes a resource and takes it off every room that had it.
    pub async fn delete_resource(&self, actor: &Actor, id: ResourceId) -> Result<()> {
        actor.require(Action::ManageRooms)?;
        let now = clock::now();
        let actor_id = actor.id;
        let audit = Entry::new(AuditAction::ResourceDeleted, Some(actor_id));
        self.store
            .write(move |tx: &mut Tx| {
                let resource = tx.resource(id)?.ok_or(RoomError::ResourceNotFound)?;
                for mut room in tx.rooms()?.into_iter().filter(|r| r.resources.contains(&id)) {
                    room.resources.retain(|r| *r != id);
                    room.version += 1;
                    room.updated_at = now;
                    tx.put_room(room.clone());
                    tx.append_event(super::room_event(EventKind::RoomUpdated, actor_id, &room, now));
                }
                tx.delete_resource(id);
                tx.append_event(resource_event(EventKind::ResourceDeleted, actor_id, &resource, now));
                audit.target("resource", resource.id, &resource.name).stage(tx)?;
                Ok(())
            })
            .await
    }
}

fn resource_event(kind: EventKind, actor: UserId, r: &Resource, at: DateTime<Utc>) -> NewEvent {
    NewEvent::new(kind, Some(actor), r.id.0, at, r)
}
