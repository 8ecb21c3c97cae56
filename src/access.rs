//! Who may do what: the one role/permission table. Handlers ask [`Role::may`]; ownership rules
//! ("members manage their own reservations") are in [`may_manage_reservation`].

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Member,
    Manager,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Member, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim().to_ascii_lowercase())
    }

    /// The permission table. Every route names the [`Action`] it needs.
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        match action {
            // Everyone signed in may look: rooms, resources, availability, reservations.
            ReadRooms | ReadReservations | ManageOwnAccount => true,
            BookRooms => self >= Role::Member,
            ManageRooms | ManageAnyReservation | BookForOthers | ReadUsers | ReadReports => self >= Role::Manager,
            ManageUsers
            | ReadEventLog
            | ManageNotifications
            | ReadAuditLog
            | ManageDisplays
            | ManageLocationPolicies
            | ManageBookingFields => self == Role::Admin,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    ReadRooms,
    ReadReservations,
    /// Profile, password, own API keys.
    ManageOwnAccount,
    BookRooms,
    ManageRooms,
    ManageAnyReservation,
    BookForOthers,
    ReadUsers,
    ManageUsers,
    ReadEventLog,
    /// The audit log and its exports.
    ReadAuditLog,
    /// E-mail settings, templates and delivery log, webhooks, event consumers, scheduled jobs.
    ManageNotifications,
    /// Utilization and behaviour reports and their exports.
    ReadReports,
    /// Create and revoke room door displays' device tokens.
    ManageDisplays,
    /// Each location's room policy defaults (opening hours, blackouts, limits for all its rooms).
    ManageLocationPolicies,
    /// The extra questions of every booking form (`model::field`).
    ManageBookingFields,
}

/// A room door display's device token is no user: it opens its own room's display page and the
/// display's actions there (book now, check in, end early), and nothing else — no user API, no
/// other room. `display_room` is the room the token was created for.
pub fn display_may(display_room: crate::types::RoomId, room: crate::types::RoomId) -> bool {
    display_room == room
}

/// Room policies bind everyone to opening hours, blackouts, durations and buffers (they describe
/// the room), but those who manage a room (managers, admins, its `manage` groups) are not held
/// to the booking horizon or the weekly quota: they book ahead for others and run events.
pub fn exempt_from_booking_limits(rights: RoomRights) -> bool {
    rights.manage
}

/// Members manage their own reservations; managers and admins manage all of them.
pub fn may_manage_reservation(role: Role, is_owner: bool) -> bool {
    role.may(Action::ManageAnyReservation) || (is_owner && role.may(Action::BookRooms))
}

// ---------------------------------------------------------------------------------------------
// Per-room and per-location access rules (Indico's model). docs/access.md explains them.

/// Who may do what in one room, or in every room of one location. Each list names user groups;
/// an empty list leaves that right to the role table (today's behaviour), a non-empty one
/// restricts it to the members of the listed groups. Rights imply the weaker ones: `manage`
/// implies `book_without_approval`, which implies `book`, which implies `see`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRule {
    /// Groups whose members may see the room. Empty: everyone signed in.
    #[serde(default)]
    pub see: Vec<crate::types::GroupId>,
    /// Groups whose members may book it. Empty: every role from `min_role_to_book` up.
    #[serde(default)]
    pub book: Vec<crate::types::GroupId>,
    /// Groups whose members' bookings skip approval in rooms that require it. Empty: only
    /// those who manage the room.
    #[serde(default)]
    pub book_without_approval: Vec<crate::types::GroupId>,
    /// Groups whose members approve and manage the room's reservations, like a manager.
    #[serde(default)]
    pub manage: Vec<crate::types::GroupId>,
    /// The lowest role that may book (absent: member). Group grants to book do not lift a role
    /// below it; `manage` does.
    #[serde(default)]
    pub min_role_to_book: Option<Role>,
}

impl AccessRule {
    /// True when the rule changes nothing: storing it is the same as having none.
    pub fn is_empty(&self) -> bool {
        *self == AccessRule::default()
    }
}

/// What one actor may do in one room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRights {
    pub see: bool,
    pub book: bool,
    /// Bookings skip approval where the room requires it.
    pub book_without_approval: bool,
    /// Approve, decline, edit and cancel anyone's reservations of the room.
    pub manage: bool,
}

impl RoomRights {
    pub const ALL: RoomRights = RoomRights { see: true, book: true, book_without_approval: true, manage: true };
}

/// The rule that governs a room: its own if it has one, else its location's (a room rule
/// replaces the location rule as a whole; the two are never merged).
pub fn effective_rule<'a>(room: Option<&'a AccessRule>, location: Option<&'a AccessRule>) -> Option<&'a AccessRule> {
    room.or(location)
}

/// The one decision of room access. `groups` are the actor's group memberships; `rule` is the
/// [`effective_rule`] of the room (None: the role table alone decides). Admins and managers
/// (the site's managers) pass every check whatever the rules say.
pub fn room_rights(role: Role, groups: &[crate::types::GroupId], rule: Option<&AccessRule>) -> RoomRights {
    if role.may(Action::ManageAnyReservation) {
        return RoomRights::ALL;
    }
    let Some(rule) = rule else {
        let book = role.may(Action::BookRooms);
        return RoomRights { see: true, book, book_without_approval: false, manage: false };
    };
    let in_any = |lists: &[&Vec<crate::types::GroupId>]| lists.iter().any(|l| l.iter().any(|g| groups.contains(g)));
    let manage = in_any(&[&rule.manage]);
    let without_approval_grant = in_any(&[&rule.book_without_approval]);
    let book_grant = rule.book.is_empty() || in_any(&[&rule.book, &rule.book_without_approval]);
    let role_books = role >= rule.min_role_to_book.unwrap_or(Role::Member);
    // Booking needs seeing: a room hidden from someone is not bookable by them either.
    let seen = rule.see.is_empty() || in_any(&[&rule.see, &rule.book, &rule.book_without_approval]);
    let book = manage || (seen && role_books && book_grant);
    let book_without_approval = manage || (book && without_approval_grant);
    let see = manage || seen;
    RoomRights { see, book, book_without_approval, manage }
}

#[cfg(test)]
mod room_rights_tests {
    use super::*;
    use crate::types::GroupId;

    fn rule(f: impl FnOnce(&mut AccessRule)) -> AccessRule {
        let mut r = AccessRule::default();
        f(&mut r);
        r
    }

    /// (see, book, book_without_approval, manage)
    fn rights(r: RoomRights) -> (bool, bool, bool, bool) {
        (r.see, r.book, r.book_without_approval, r.manage)
    }

    #[test]
    fn the_table() {
        let (a, b, c) = (GroupId::new(), GroupId::new(), GroupId::new());
        let see_a = rule(|r| r.see = vec![a]);
        let book_b = rule(|r| r.book = vec![b]);
        let see_a_book_b = rule(|r| {
            r.see = vec![a];
            r.book = vec![b];
        });
        let bwa_b = rule(|r| r.book_without_approval = vec![b]);
        let manage_c = rule(|r| {
            r.see = vec![a];
            r.manage = vec![c];
        });
        let viewers_book = rule(|r| r.min_role_to_book = Some(Role::Viewer));
        let managers_only = rule(|r| r.min_role_to_book = Some(Role::Manager));
        let empty = AccessRule::default();
        use Role::*;
        #[rustfmt::skip]
        type Row<'a> = (Role, Vec<GroupId>, Option<&'a AccessRule>, (bool, bool, bool, bool));
        let table: Vec<Row> = vec![
            // No rule: the role table.
            (Viewer, vec![], None, (true, false, false, false)),
            (Member, vec![], None, (true, true, false, false)),
            (Manager, vec![], None, (true, true, true, true)),
            (Admin, vec![], None, (true, true, true, true)),
            // An empty rule is no rule.
            (Member, vec![], Some(&empty), (true, true, false, false)),
            (Viewer, vec![a], Some(&empty), (true, false, false, false)),
            // Seeing restricted to group a.
            (Member, vec![], Some(&see_a), (false, false, false, false)),
            (Member, vec![b], Some(&see_a), (false, false, false, false)),
            (Member, vec![a], Some(&see_a), (true, true, false, false)),
            (Viewer, vec![a], Some(&see_a), (true, false, false, false)),
            (Manager, vec![], Some(&see_a), (true, true, true, true)),
            (Admin, vec![], Some(&see_a), (true, true, true, true)),
            // Booking restricted to group b; everyone still sees.
            (Member, vec![], Some(&book_b), (true, false, false, false)),
            (Member, vec![b], Some(&book_b), (true, true, false, false)),
            (Viewer, vec![b], Some(&book_b), (true, false, false, false)),
            // A book grant implies seeing even where seeing is restricted.
            (Member, vec![b], Some(&see_a_book_b), (true, true, false, false)),
            (Member, vec![a], Some(&see_a_book_b), (true, false, false, false)),
            (Member, vec![c], Some(&see_a_book_b), (false, false, false, false)),
            // Booking without approval granted to b; booking itself stays open to members.
            (Member, vec![], Some(&bwa_b), (true, true, false, false)),
            (Member, vec![b], Some(&bwa_b), (true, true, true, false)),
            (Viewer, vec![b], Some(&bwa_b), (true, false, false, false)),
            // Managing group c: everything in that room, whatever the role.
            (Viewer, vec![c], Some(&manage_c), (true, true, true, true)),
            (Member, vec![c], Some(&manage_c), (true, true, true, true)),
            (Member, vec![], Some(&manage_c), (false, false, false, false)),
            // The minimum role to book.
            (Viewer, vec![], Some(&viewers_book), (true, true, false, false)),
            (Member, vec![], Some(&managers_only), (true, false, false, false)),
            (Manager, vec![], Some(&managers_only), (true, true, true, true)),
        ];
        for (i, (role, groups, rule, want)) in table.into_iter().enumerate() {
            assert_eq!(rights(room_rights(role, &groups, rule)), want, "row {i}: {role} in {groups:?}");
        }
    }

    #[test]
    fn a_room_rule_replaces_its_locations() {
        let g = GroupId::new();
        let location = rule(|r| r.see = vec![g]);
        let room = rule(|r| r.book = vec![g]);
        assert_eq!(effective_rule(Some(&room), Some(&location)), Some(&room));
        assert_eq!(effective_rule(None, Some(&location)), Some(&location));
        assert_eq!(effective_rule(None, None), None);
        // The room's own rule lets everyone see, although the location's would not.
        assert!(room_rights(Role::Member, &[], effective_rule(Some(&room), Some(&location))).see);
        assert!(!room_rights(Role::Member, &[], effective_rule(None, Some(&location))).see);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_the_contract() {
        assert!(Role::Viewer.may(Action::ReadReservations));
        assert!(!Role::Viewer.may(Action::BookRooms));
        assert!(Role::Member.may(Action::BookRooms));
        assert!(!Role::Member.may(Action::ManageRooms));
        assert!(Role::Manager.may(Action::ManageRooms));
        assert!(!Role::Manager.may(Action::ManageUsers));
        assert!(Role::Admin.may(Action::ManageUsers));
        assert!(!Role::Member.may(Action::ReadReports));
        assert!(Role::Manager.may(Action::ReadReports));
    }

    #[test]
    fn ownership() {
        assert!(may_manage_reservation(Role::Member, true));
        assert!(!may_manage_reservation(Role::Member, false));
        assert!(!may_manage_reservation(Role::Viewer, true));
        assert!(may_manage_reservation(Role::Manager, false));
    }

    #[test]
    fn parse_roles() {
        assert_eq!(Role::parse(" Admin"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }
}

/// The signed-in user a request acts for, as the authentication layer established it.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: crate::types::UserId,
    /// The role this request acts with: the user's, lowered to the API key's [`Scope`] when the
    /// request came with a scoped key (so every role check below also honours the scope).
    pub role: Role,
    /// What the credential may be used for; sessions and access tokens are [`Scope::Admin`].
    pub scope: Scope,
}

/// What an API key may be used for. A key's rights are its owner's role ∩ its scope: the scope
/// is a ceiling, never a grant. Keys stored before scopes existed read as `admin` (their owner's
/// full rights, as before).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Look only: rooms, availability, reservations (a viewer's rights).
    Read,
    /// Also book, and change and cancel one's own reservations (a member's rights).
    Book,
    /// Everything the owner's role allows, including their account and API keys.
    #[default]
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Book, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Book => "book",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s.trim().to_ascii_lowercase())
    }

    /// The highest role a key of this scope acts with.
    fn ceiling(self) -> Role {
        match self {
            Scope::Read => Role::Viewer,
            Scope::Book => Role::Member,
            Scope::Admin => Role::Admin,
        }
    }

    /// Whether this scope lets a key ask for `action` at all (the role decides the rest). The
    /// owner's account (password, profile, API keys) is only for `admin` keys: a read key that
    /// could mint itself a wider key would be no limit at all.
    pub fn allows(self, action: Action) -> bool {
        self == Scope::Admin || (action != Action::ManageOwnAccount && self.ceiling().may(action))
    }

    /// Room rights (from groups and room rules) lowered to the scope: group grants cannot lift a
    /// read key to booking, nor a book key to managing a room.
    pub fn limit(self, r: RoomRights) -> RoomRights {
        let book = r.book && self >= Scope::Book;
        RoomRights {
            see: r.see,
            book,
            book_without_approval: r.book_without_approval && book,
            manage: r.manage && self == Scope::Admin,
        }
    }
}

/// A request wanted something its role does not allow.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("your role does not allow this")]
pub struct Denied;

impl Actor {
    /// A user signed in with a password, a session or an access token: their full role.
    pub fn user(id: crate::types::UserId, role: Role) -> Actor {
        Actor { id, role, scope: Scope::Admin }
    }

    /// A user acting through an API key: their role ∩ the key's scope.
    pub fn with_key(id: crate::types::UserId, role: Role, scope: Scope) -> Actor {
        Actor { id, role: role.min(scope.ceiling()), scope }
    }

    pub fn may(&self, action: Action) -> bool {
        self.role.may(action) && self.scope.allows(action)
    }

    pub fn require(&self, action: Action) -> Result<(), Denied> {
        if self.may(action) { Ok(()) } else { Err(Denied) }
    }

    /// [`room_rights`] for this actor, lowered to its scope.
    pub fn room_rights(&self, groups: &[crate::types::GroupId], rule: Option<&AccessRule>) -> RoomRights {
        self.scope.limit(room_rights(self.role, groups, rule))
    }
}

#[cfg(test)]
mod scope_tests {
    use super::*;
    use crate::types::{GroupId, UserId};

    #[test]
    fn a_keys_rights_are_its_owners_role_within_its_scope() {
        let id = UserId::new();
        let read = Actor::with_key(id, Role::Admin, Scope::Read);
        assert!(read.may(Action::ReadRooms) && read.may(Action::ReadReservations));
        assert!(!read.may(Action::BookRooms) && !read.may(Action::ManageRooms) && !read.may(Action::ManageUsers));
        assert!(!read.may(Action::ManageOwnAccount), "no minting a wider key");

        let book = Actor::with_key(id, Role::Manager, Scope::Book);
        assert!(book.may(Action::BookRooms));
        assert!(!book.may(Action::ManageRooms) && !book.may(Action::ManageAnyReservation));
        assert!(!book.may(Action::ManageOwnAccount));

        // The scope is a ceiling, never a grant.
        let viewer = Actor::with_key(id, Role::Viewer, Scope::Admin);
        assert!(!viewer.may(Action::BookRooms) && viewer.may(Action::ManageOwnAccount));
        let manager = Actor::with_key(id, Role::Manager, Scope::Admin);
        assert!(manager.may(Action::ManageRooms) && !manager.may(Action::ManageUsers));
        assert_eq!(Actor::user(id, Role::Admin).scope, Scope::Admin);
    }

    #[test]
    fn group_grants_stay_within_the_scope() {
        let g = GroupId::new();
        let rule = AccessRule { manage: vec![g], ..Default::default() };
        let id = UserId::new();
        assert_eq!(Actor::user(id, Role::Member).room_rights(&[g], Some(&rule)), RoomRights::ALL);
        let book = Actor::with_key(id, Role::Member, Scope::Book).room_rights(&[g], Some(&rule));
        assert!(book.book && book.book_without_approval && !book.manage);
        let read = Actor::with_key(id, Role::Member, Scope::Read).room_rights(&[g], Some(&rule));
        assert!(read.see && !read.book && !read.manage);
    }

    #[test]
    fn scopes_parse_and_default_to_the_owners_rights() {
        assert_eq!(Scope::parse(" Book"), Some(Scope::Book));
        assert_eq!(Scope::parse("write"), None);
        assert_eq!(Scope::default(), Scope::Admin);
    }
}
