//! User groups and the access rules of rooms and locations that grant rights to them
//! (docs/access.md). What a rule means is decided in [`crate::access::room_rights`]; this module
//! keeps groups, memberships and rules, and answers "what may this actor do in this room".

mod error;

pub use error::GroupError;

use crate::access::{AccessRule, Action, Actor, RoomRights};
use crate::clock;
use crate::model::group::{Group, LocationRule};
use crate::model::room::Room;
use crate::store::{Store, Tx, View};
use crate::types::{GroupId, RoomId, UserId};
use crate::validation::FieldErrors;

type Result<T> = std::result::Result<T, GroupError>;

const MAX_NAME: usize = 100;
const MAX_DESCRIPTION: usize = 500;

#[derive(Clone)]
pub struct Groups {
    store: Store,
}

#[derive(Default)]
pub struct GroupPatch {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// A rule as given by a client: each list names groups by id or by name.
#[derive(Default)]
pub struct RuleInput {
    pub see: Vec<String>,
    pub book: Vec<String>,
    pub book_without_approval: Vec<String>,
    pub manage: Vec<String>,
    pub min_role_to_book: Option<crate::access::Role>,
}

/// What [`Groups::set_memberships_from_directory`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DirectorySync {
    pub joined: Vec<String>,
    pub left: Vec<String>,
    /// Names the directory gave that match no group here (groups are not created from them).
    pub unknown: Vec<String>,
}

impl Groups {
    pub fn new(store: Store) -> Groups {
        Groups { store }
    }

    /// What `actor` may do in `room` (a lookup in memory, cheap enough for every row of a
    /// listing).
    pub fn rights(&self, actor: &Actor, room: RoomId) -> RoomRights {
        actor.scope.limit(self.store.access().rights(actor.role, actor.id, room))
    }

    pub fn may_see(&self, actor: &Actor, room: RoomId) -> bool {
        self.rights(actor, room).see
    }

    /// Keeps the rooms `actor` may see, in their order.
    pub fn visible(&self, actor: &Actor, rooms: Vec<Room>) -> Vec<Room> {
        let map = self.store.access();
        rooms.into_iter().filter(|r| map.may_see(actor.role, actor.id, r.id)).collect()
    }

    /// Keeps the rooms `actor` may book, in their order (the booking form's choices).
    pub fn bookable(&self, actor: &Actor, rooms: Vec<Room>) -> Vec<Room> {
        let map = self.store.access();
        rooms.into_iter().filter(|r| actor.scope.limit(map.rights(actor.role, actor.id, r.id)).book).collect()
    }

    pub fn list(&self, actor: &Actor) -> Result<Vec<(Group, usize)>> {
        actor.require(Action::ManageUsers)?;
        let view = self.store.view()?;
        view.groups()?
            .into_iter()
            .map(|g| {
                let n = view.group_members(g.id)?.len();
                Ok((g, n))
            })
            .collect()
    }

    /// A group and its members (by e-mail).
    pub fn get(&self, actor: &Actor, id: GroupId) -> Result<(Group, Vec<crate::model::user::User>)> {
        actor.require(Action::ManageUsers)?;
        let view = self.store.view()?;
        let group = view.group(id)?.ok_or(GroupError::NotFound)?;
        let mut members = Vec::new();
        for user in view.group_members(id)? {
            members.extend(view.user(user)?);
        }
        members.sort_by(|a, b| a.email.cmp(&b.email));
        Ok((group, members))
    }

    pub async fn create(&self, actor: &Actor, name: String, description: Option<String>) -> Result<Group> {
        actor.require(Action::ManageUsers)?;
        let description = description.unwrap_or_default();
        check(Some(&name), Some(&description))?;
        let now = clock::now();
        self.store
            .write(move |tx: &mut Tx| {
                if tx.group_by_name(&name)?.is_some() {
                    return Err(GroupError::NameTaken);
                }
                let group = Group {
                    id: GroupId::new(),
                    name: name.trim().to_string(),
                    description: description.trim().to_string(),
                    version: 1,
                    created_at: now,
                    updated_at: now,
                };
                tx.put_group(group.clone());
                Ok(group)
            })
            .await
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: GroupId,
        patch: GroupPatch,
        expected_version: Option<u64>,
    ) -> Result<Group> {
        actor.require(Action::ManageUsers)?;
        check(patch.name.as_deref(), patch.description.as_deref())?;
        let now = clock::now();
        self.store
            .write(move |tx: &mut Tx| {
                let mut group = tx.group(id)?.ok_or(GroupError::NotFound)?;
                if expected_version.is_some_and(|v| v != group.version) {
                    return Err(GroupError::StaleVersion { current: group.version });
                }
                if let Some(name) = patch.name {
                    if tx.group_by_name(&name)?.is_some_and(|other| other.id != id) {
                        return Err(GroupError::NameTaken);
                    }
                    group.name = name.trim().to_string();
                }
                if let Some(description) = patch.description {
                    group.description = description.trim().to_string();
                }
                group.version += 1;
                group.updated_at = now;
                tx.put_group(group.clone());
                Ok(group)
            })
            .await
    }

    /// Deletes a group, its memberships, and its mentions in every rule (a rule left with no
    /// group in a list no longer restricts that right).
    pub async fn delete(&self, actor: &Actor, id: GroupId) -> Result<()> {
        actor.require(Action::ManageUsers)?;
        self.store
            .write(move |tx: &mut Tx| {
                tx.group(id)?.ok_or(GroupError::NotFound)?;
                for (room, mut rule) in tx.room_rules()? {
                    if forget(&mut rule, id) {
                        tx.put_room_rule(room, Some(rule));
                    }
                }
                for mut l in tx.location_rules()? {
                    if forget(&mut l.rule, id) {
                        tx.put_location_rule(&l.location, Some(l.rule));
                    }
                }
                tx.delete_group(id);
                Ok(())
            })
            .await
    }

    pub async fn set_member(&self, actor: &Actor, id: GroupId, user: UserId, member: bool) -> Result<()> {
        actor.require(Action::ManageUsers)?;
        self.store
            .write(move |tx: &mut Tx| {
                tx.group(id)?.ok_or(GroupError::NotFound)?;
                if member && tx.user(user)?.is_none() {
                    return Err(GroupError::UserNotFound);
                }
                tx.set_member(id, user, member);
                Ok(())
            })
            .await
    }

    /// For sign-in through a directory (LDAP, OpenID Connect): makes `user`'s memberships
    /// exactly the groups named in `names` (matched ignoring case). Groups are never created
    /// here: an admin creates a group with the directory's name to let it count. Memberships an
    /// admin gave by hand in groups the directory does not name are removed, so the directory
    /// stays the source of truth for its users.
    pub async fn set_memberships_from_directory(&self, user: UserId, names: Vec<String>) -> Result<DirectorySync> {
        self.store
            .write(move |tx: &mut Tx| {
                tx.user(user)?.ok_or(GroupError::UserNotFound)?;
                let mut sync = DirectorySync::default();
                let mut wanted = Vec::new();
                for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
                    match tx.group_by_name(name)? {
                        Some(g) if !wanted.contains(&g.id) => wanted.push(g.id),
                        Some(_) => {}
                        None => sync.unknown.push(name.to_string()),
                    }
                }
                let current = tx.groups_of(user)?;
                for &g in wanted.iter().filter(|g| !current.contains(g)) {
                    tx.set_member(g, user, true);
                    sync.joined.extend(tx.group(g)?.map(|g| g.name));
                }
                for &g in current.iter().filter(|g| !wanted.contains(g)) {
                    tx.set_member(g, user, false);
                    sync.left.extend(tx.group(g)?.map(|g| g.name));
                }
                Ok(sync)
            })
            .await
    }

    /// The groups `user` belongs to (for their profile and the admin's user page).
    pub fn groups_of(&self, user: UserId) -> Result<Vec<Group>> {
        let view = self.store.view()?;
        let mut groups = Vec::new();
        for id in view.groups_of(user)? {
            groups.extend(view.group(id)?);
        }
        groups.sort_by_key(|g| g.name.to_lowercase());
        Ok(groups)
    }

    /// A room's own rule and its location's (the first governs when present).
    pub fn room_rule(&self, actor: &Actor, room: RoomId) -> Result<(Option<AccessRule>, Option<LocationRule>)> {
        actor.require(Action::ManageRooms)?;
        let view = self.store.view()?;
        let room = view.room(room)?.ok_or(GroupError::RoomNotFound)?;
        Ok((view.room_rule(room.id)?, view.location_rule(&room.location)?))
    }

    /// Replaces a room's rule; an empty rule removes it (the location's applies again).
    pub async fn set_room_rule(&self, actor: &Actor, room: RoomId, input: RuleInput) -> Result<Option<AccessRule>> {
        actor.require(Action::ManageRooms)?;
        self.store
            .write(move |tx: &mut Tx| {
                tx.room(room)?.ok_or(GroupError::RoomNotFound)?;
                let rule = resolve(tx, input)?;
                let rule = (!rule.is_empty()).then_some(rule);
                tx.put_room_rule(room, rule.clone());
                Ok(rule)
            })
            .await
    }

    pub fn location_rules(&self, actor: &Actor) -> Result<Vec<LocationRule>> {
        actor.require(Action::ManageRooms)?;
        Ok(self.store.view()?.location_rules()?)
    }

    /// Replaces a location's rule; an empty rule removes it.
    pub async fn set_location_rule(
        &self,
        actor: &Actor,
        location: String,
        input: RuleInput,
    ) -> Result<Option<LocationRule>> {
        actor.require(Action::ManageRooms)?;
        let mut errors = FieldErrors::new();
        errors.text("location", &location, 1, MAX_NAME);
        errors.into_result()?;
        self.store
            .write(move |tx: &mut Tx| {
                let rule = resolve(tx, input)?;
                let rule = (!rule.is_empty()).then_some(rule);
                tx.put_location_rule(&location, rule.clone());
                Ok(rule.map(|rule| LocationRule { location: location.trim().to_string(), rule }))
            })
            .await
    }

    /// Group names by id, for showing rules.
    pub fn names(&self) -> Result<std::collections::HashMap<GroupId, String>> {
        Ok(self.store.view()?.groups()?.into_iter().map(|g| (g.id, g.name)).collect())
    }
}

fn check(name: Option<&str>, description: Option<&str>) -> Result<()> {
    let mut errors = FieldErrors::new();
    if let Some(name) = name {
        errors.text("name", name, 1, MAX_NAME);
    }
    if let Some(description) = description {
        errors.text("description", description, 0, MAX_DESCRIPTION);
    }
    Ok(errors.into_result()?)
}

/// Removes `group` from every list of `rule`; true if it was named.
fn forget(rule: &mut AccessRule, group: GroupId) -> bool {
    let mut named = false;
    for list in [&mut rule.see, &mut rule.book, &mut rule.book_without_approval, &mut rule.manage] {
        let before = list.len();
        list.retain(|g| *g != group);
        named |= list.len() != before;
    }
    named
}

/// Turns group ids or names into ids; every unknown one is a field error naming its place.
fn resolve(view: &View, input: RuleInput) -> Result<AccessRule> {
    let mut errors = FieldErrors::new();
    let mut list = |field: &str, wanted: Vec<String>| -> Result<Vec<GroupId>> {
        let mut ids = Vec::new();
        for (i, w) in wanted.iter().enumerate() {
            let found = match w.trim().parse::<GroupId>() {
                Ok(id) => view.group(id)?.map(|g| g.id),
                Err(_) => view.group_by_name(w)?.map(|g| g.id),
            };
            match found {
                Some(id) if !ids.contains(&id) => ids.push(id),
                Some(_) => {}
                None => errors.add(format!("{field}[{i}]"), "no_group", format!("no group `{w}`")),
            }
        }
        Ok(ids)
    };
    let rule = AccessRule {
        see: list("see", input.see)?,
        book: list("book", input.book)?,
        book_without_approval: list("book_without_approval", input.book_without_approval)?,
        manage: list("manage", input.manage)?,
        min_role_to_book: input.min_role_to_book,
    };
    errors.into_result()?;
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::model::user::User;

    fn admin() -> Actor {
        Actor::user(UserId::new(), Role::Admin)
    }

    async fn user(store: &Store) -> UserId {
        let now = clock::now();
        let user = User {
            id: UserId::new(),
            email: format!("{}@example.test", UserId::new()),
            name: "Someone".into(),
            role: Role::Member,
            password_hash: String::new(),
            active: true,
            language: "en".into(),
            timezone: String::new(),
            phone: String::new(),
            delegates: Vec::new(),
            created_at: now,
            updated_at: now,
            tokens_valid_after: now,
        };
        let id = user.id;
        store
            .write(move |tx: &mut Tx| {
                tx.put_user(user);
                Ok::<_, GroupError>(())
            })
            .await
            .unwrap();
        id
    }

    #[tokio::test]
    async fn directory_memberships_become_exactly_the_named_groups() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let groups = Groups::new(store.clone());
        let a = admin();
        let research = groups.create(&a, "Research".into(), None).await.unwrap();
        let board = groups.create(&a, "Board".into(), None).await.unwrap();
        let staff = groups.create(&a, "Staff".into(), None).await.unwrap();
        let u = user(&store).await;
        groups.set_member(&a, board.id, u, true).await.unwrap();

        let sync = groups
            .set_memberships_from_directory(u, vec!["research".into(), " STAFF ".into(), "Ghosts".into()])
            .await
            .unwrap();
        assert_eq!(sync.joined, vec!["Research", "Staff"]);
        assert_eq!(sync.left, vec!["Board"]);
        assert_eq!(sync.unknown, vec!["Ghosts"]);
        let names: Vec<String> = groups.groups_of(u).unwrap().into_iter().map(|g| g.name).collect();
        assert_eq!(names, vec!["Research", "Staff"]);
        assert!(groups.list(&a).unwrap().iter().all(|(g, _)| g.name != "Ghosts"), "no group is created");
        // The access map follows at once.
        let mut ids = store.access().groups_of(u).to_vec();
        ids.sort();
        let mut want = vec![research.id, staff.id];
        want.sort();
        assert_eq!(ids, want);

        let again = groups.set_memberships_from_directory(u, vec!["Research".into(), "Staff".into()]).await.unwrap();
        assert_eq!(again, DirectorySync::default(), "nothing changes the second time");
        groups.set_memberships_from_directory(u, vec![]).await.unwrap();
        assert!(groups.groups_of(u).unwrap().is_empty());
        assert!(matches!(
            groups.set_memberships_from_directory(UserId::new(), vec![]).await,
            Err(GroupError::UserNotFound)
        ));
        store.close();
    }
}
