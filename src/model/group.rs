//! User groups and the access rules that name them, as the store keeps them.

use crate::access::AccessRule;
use crate::types::GroupId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A named set of users that access rules grant rights to. Admins manage groups; a directory
/// (LDAP, OpenID Connect) may also set a user's memberships at sign-in.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The access rule of every room of one location (matched ignoring case and surrounding space).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LocationRule {
    /// The location's name as it was first given.
    pub location: String,
    pub rule: AccessRule,
}
