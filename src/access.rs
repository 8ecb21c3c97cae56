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
            ManageUsers | ReadEventLog | ManageNotifications => self == Role::Admin,
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
    /// E-mail settings, templates and delivery log, webhooks, event consumers, scheduled jobs.
    ManageNotifications,
    /// Utilization and behaviour reports and their exports.
    ReadReports,
}

/// Members manage their own reservations; managers and admins manage all of them.
pub fn may_manage_reservation(role: Role, is_owner: bool) -> bool {
    role.may(Action::ManageAnyReservation) || (is_owner && role.may(Action::BookRooms))
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
    pub role: Role,
}

/// A request wanted something its role does not allow.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("your role does not allow this")]
pub struct Denied;

impl Actor {
    pub fn require(&self, action: Action) -> Result<(), Denied> {
        if self.role.may(action) { Ok(()) } else { Err(Denied) }
    }
}
