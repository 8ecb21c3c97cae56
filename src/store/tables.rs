//! The whole schema on one screen. Ids are 16-byte UUIDs; instants in keys are microseconds
//! since the epoch (i64), so keys sort in time order. Values are version-tagged JSON (codec.rs).

use redb::TableDefinition;

type Id = [u8; 16];

/// `schema_version`, `created_by_version`…
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

pub const USERS: TableDefinition<Id, &[u8]> = TableDefinition::new("users");
/// Lower-cased e-mail → user id; keeps e-mail addresses unique.
pub const USER_EMAILS: TableDefinition<&str, Id> = TableDefinition::new("user_emails");
pub const API_KEYS: TableDefinition<Id, &[u8]> = TableDefinition::new("api_keys");
/// SHA-256 of a key's secret → key id.
pub const API_KEY_HASHES: TableDefinition<[u8; 32], Id> = TableDefinition::new("api_key_hashes");

pub const ROOMS: TableDefinition<Id, &[u8]> = TableDefinition::new("rooms");
/// Lower-cased name → room id; keeps names unique.
pub const ROOM_NAMES: TableDefinition<&str, Id> = TableDefinition::new("room_names");
pub const RESOURCES: TableDefinition<Id, &[u8]> = TableDefinition::new("resources");
pub const RESOURCE_NAMES: TableDefinition<&str, Id> = TableDefinition::new("resource_names");

pub const RESERVATIONS: TableDefinition<Id, &[u8]> = TableDefinition::new("reservations");
/// Live reservations only: (room, start, id) → end. Live reservations of a room never overlap,
/// so the conflict check reads the one entry before a new start and those up to its end.
pub const LIVE_BY_ROOM: TableDefinition<(Id, i64, Id), i64> = TableDefinition::new("live_by_room");
/// The reservations that are not live (cancelled, declined, released), by room: (room, start,
/// id). With [`LIVE_BY_ROOM`] it indexes every reservation of a room once; a new booking, always
/// live, writes one entry of a room's index, not two (schema v6).
pub const CLOSED_BY_ROOM: TableDefinition<(Id, i64, Id), ()> = TableDefinition::new("closed_by_room");
/// Schema v1–v5: every reservation by room again; v6 moved the closed ones and dropped it.
pub const BY_ROOM: TableDefinition<(Id, i64, Id), ()> = TableDefinition::new("res_by_room");
/// Every reservation, for listings: (user, start, id) and (start, id).
pub const BY_USER: TableDefinition<(Id, i64, Id), ()> = TableDefinition::new("res_by_user");
pub const BY_START: TableDefinition<(i64, Id), ()> = TableDefinition::new("res_by_start");

/// Browser sessions: SHA-256 of the cookie secret → session.
pub const SESSIONS: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("sessions");

/// The event log: seq → event.
pub const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");

// Schema v3: the event bus and notifications.

/// Event consumers' durable cursors: consumer name → seq of the last event it has handled.
pub const CURSORS: TableDefinition<&str, u64> = TableDefinition::new("consumer_cursors");
/// Outgoing e-mails and webhook calls; ids are UUIDv7, so key order is creation order.
pub const DELIVERIES: TableDefinition<Id, &[u8]> = TableDefinition::new("deliveries");
/// Pending deliveries only: (next attempt, id). Senders read the due ones from the front.
pub const DELIVERIES_DUE: TableDefinition<(i64, Id), ()> = TableDefinition::new("deliveries_due");
/// Work already staged, by a key naming it (for an event's work: the event's instant, then a
/// SHA-256 of consumer, event and recipient; for a reminder: the SHA-256): a replayed event or a
/// second reminder run finds its key here and stages nothing again.
pub const ONCE: TableDefinition<[u8; 32], ()> = TableDefinition::new("once_keys");
/// Admin-edited e-mail templates: "kind/language" → template. Absent: the shipped default.
pub const EMAIL_TEMPLATES: TableDefinition<&str, &[u8]> = TableDefinition::new("email_templates");
pub const WEBHOOKS: TableDefinition<Id, &[u8]> = TableDefinition::new("webhooks");
/// The in-app inbox: (user, notification) → notification; newest last per user.
pub const NOTIFICATIONS: TableDefinition<(Id, Id), &[u8]> = TableDefinition::new("notifications");
/// user → notification preferences (absent: the defaults).
pub const NOTIFY_PREFS: TableDefinition<Id, &[u8]> = TableDefinition::new("notify_prefs");

// Schema v4: recurring reservations.

/// Occurrences of each series, cancelled ones too: (series, start, reservation) → ().
pub const BY_SERIES: TableDefinition<(Id, i64, Id), ()> = TableDefinition::new("res_by_series");
/// Calendar feeds: `"key"` → the random secret feed tokens are derived from.
pub const FEED_SECRET: TableDefinition<&str, &[u8]> = TableDefinition::new("feed_secret");
/// Room or user id → how many times its feed token was replaced (absent: never).
pub const FEED_GENERATIONS: TableDefinition<Id, u64> = TableDefinition::new("feed_generations");

// Schema v5.

/// Each location's room policy defaults: lower-cased location name → policy.
pub const LOCATION_POLICIES: TableDefinition<&str, &[u8]> = TableDefinition::new("location_policies");
/// Scheduled report e-mails: subscription id → subscription.
pub const REPORT_SUBSCRIPTIONS: TableDefinition<Id, &[u8]> = TableDefinition::new("report_subscriptions");
/// Reservations waiting for approval: (requested at, id) → (). The approval queue reads it
/// oldest first; the writer keeps it in step with each reservation's status.
pub const PENDING: TableDefinition<(i64, Id), ()> = TableDefinition::new("res_pending");
/// The audit log: (at µs, record id) → record. Append-only: nothing deletes or rewrites a row.
pub const AUDIT: TableDefinition<(i64, Id), &[u8]> = TableDefinition::new("audit_log");
/// Room door displays: display id → display (room, name, SHA-256 of its device token).
pub const DISPLAYS: TableDefinition<Id, &[u8]> = TableDefinition::new("displays");
/// SHA-256 of a display's device token → display id.
pub const DISPLAY_HASHES: TableDefinition<[u8; 32], Id> = TableDefinition::new("display_hashes");
/// User groups: group id → group.
pub const GROUPS: TableDefinition<Id, &[u8]> = TableDefinition::new("groups");
/// Lower-cased group name → group id; keeps group names unique.
pub const GROUP_NAMES: TableDefinition<&str, Id> = TableDefinition::new("group_names");
/// Memberships: (group, user) → (), and the same pairs the other way round, (user, group) → ().
pub const GROUP_MEMBERS: TableDefinition<(Id, Id), ()> = TableDefinition::new("group_members");
pub const USER_GROUPS: TableDefinition<(Id, Id), ()> = TableDefinition::new("user_groups");
/// Room access rules: room id → rule (absent: the room follows its location's rule, if any).
pub const ROOM_ACCESS: TableDefinition<Id, &[u8]> = TableDefinition::new("room_access");
/// Location access rules: lower-cased location name → rule.
pub const LOCATION_ACCESS: TableDefinition<&str, &[u8]> = TableDefinition::new("location_access");
/// The waitlist: entry id → entry (who waits for which room and time, and what became of it).
pub const WAITLIST: TableDefinition<Id, &[u8]> = TableDefinition::new("waitlist");

// Schema v7.

/// The unread entries of the in-app inbox: (user, notification) → (). Every page shows the
/// unread count; counting it by decoding the inbox read the whole of it once most was read.
pub const UNREAD: TableDefinition<(Id, Id), ()> = TableDefinition::new("notifications_unread");

// Schema v9.

/// Web Push subscriptions: (user, subscription) → subscription; and subscription → user.
pub const PUSH_SUBSCRIPTIONS: TableDefinition<(Id, Id), &[u8]> = TableDefinition::new("push_subscriptions");
pub const PUSH_OWNERS: TableDefinition<Id, Id> = TableDefinition::new("push_owners");
/// The Web Push (VAPID) key pair's row in [`FEED_SECRET`]: PKCS#8, sealed.
pub const VAPID_KEY: &str = "vapid";

// Schema v10.

/// Booking fields an administrator defined: id → field.
pub const BOOKING_FIELDS: TableDefinition<Id, &[u8]> = TableDefinition::new("booking_fields");

/// On PostgreSQL only, in a process's local copy: `cluster` (the database's id, 16 bytes) and
/// `applied` (the last replication log entry the copy holds, 8 bytes big-endian).
pub const REPLICA: TableDefinition<&str, &[u8]> = TableDefinition::new("replica");

/// Failed sign-ins by key (`e:EMAIL|CLIENT` or `c:CLIENT`) → `LoginLock` (schema v8).
pub const LOGIN_LOCKS: TableDefinition<&str, &[u8]> = TableDefinition::new("login_locks");

// Schema v11.

/// Single-use links e-mailed for password resets, invitations and sign-ups: SHA-256 of the
/// link's secret → `AccountLink`.
pub const ACCOUNT_LINKS: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("account_links");
