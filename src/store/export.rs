//! `salas export` / `salas import`: all the data as one JSON document (format in
//! docs/export-format.md), for moving to another machine or another storage. Rows come in key
//! order, so exporting an imported export gives the same bytes.

use super::backup::{BackupError, give_to_owner_of, open_read_only};
use super::codec::{decode, encode};
use super::tables::*;
use super::{DB_FILE, SCHEMA_VERSION, Store, StoreError, migrate};
use crate::access::AccessRule;
use crate::model::audit::AuditRecord;
use crate::model::display::Display;
use crate::model::event::Event;
use crate::model::field::BookingField;
use crate::model::group::{Group, LocationRule};
use crate::model::notify::{Delivery, EmailTemplate, Notification, Preferences, PushSubscription, Webhook};
use crate::model::policy::LocationPolicy;
use crate::model::report::Subscription;
use crate::model::reservation::Reservation;
use crate::model::room::{Resource, Room};
use crate::model::user::{ApiKey, Session, User};
use crate::model::wait::WaitEntry;
use crate::types::{GroupId, RoomId, UserId};
use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

pub const EXPORT_FORMAT: &str = "salas-export";
pub const EXPORT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    /// Always `salas-export`.
    pub format: String,
    /// The version of this document's layout.
    pub version: u32,
    /// The schema version of the store it came from.
    pub schema_version: u64,
    pub users: Vec<User>,
    pub api_keys: Vec<ApiKey>,
    pub sessions: Vec<SessionRow>,
    pub rooms: Vec<Room>,
    pub resources: Vec<Resource>,
    pub reservations: Vec<Reservation>,
    pub events: Vec<Event>,
    /// Each location's room policy defaults (absent in exports from before schema v5).
    #[serde(default)]
    pub location_policies: Vec<LocationPolicy>,
    /// User groups, their members and the room and location access rules (absent in exports
    /// from before schema v5).
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub group_members: Vec<MembershipRow>,
    #[serde(default)]
    pub room_access: Vec<RoomAccessRow>,
    #[serde(default)]
    pub location_access: Vec<LocationRule>,
    /// The audit log, oldest first (absent in exports from before schema v5).
    #[serde(default)]
    pub audit: Vec<AuditRecord>,
    /// Room door displays, with their device tokens' SHA-256 (the tokens keep working after an
    /// import; absent in exports from before schema v5).
    #[serde(default)]
    pub displays: Vec<Display>,
    /// What the notification modules keep (absent in exports from before Salas 0.2, which
    /// carried none of it; such an import starts with none): webhooks (secrets sealed under the
    /// data directory's key), edited e-mail templates, preferences, the in-app inbox, the
    /// delivery log and queue, and report subscriptions.
    #[serde(default)]
    pub webhooks: Vec<Webhook>,
    #[serde(default)]
    pub email_templates: Vec<TemplateRow>,
    #[serde(default)]
    pub notify_prefs: Vec<PreferencesRow>,
    #[serde(default)]
    pub notifications: Vec<Notification>,
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
    #[serde(default)]
    pub report_subscriptions: Vec<Subscription>,
    #[serde(default)]
    pub waitlist: Vec<WaitEntry>,
    /// The secret feed tokens are derived from (hex), and how often each feed's token was
    /// replaced: with them, calendar subscriptions keep working after a move.
    #[serde(default)]
    pub feed_secret: Option<String>,
    #[serde(default)]
    pub feed_generations: Vec<FeedGenerationRow>,
    /// Browsers' Web Push subscriptions, and the VAPID key pair they were made for (sealed under
    /// the data directory's key): without the same key, the push services refuse the server.
    #[serde(default)]
    pub push_subscriptions: Vec<PushSubscription>,
    /// Password-reset, invitation and sign-up links not yet expired (only their hashes).
    #[serde(default)]
    pub account_links: Vec<crate::model::user::AccountLink>,
    #[serde(default)]
    pub vapid_key: Option<String>,
    /// The booking fields administrators defined (answers are in each reservation).
    #[serde(default)]
    pub booking_fields: Vec<BookingField>,
    /// Where each event consumer stands in the log, and the keys of work already staged (hex):
    /// with them, a moved store sends no e-mail or webhook a second time.
    #[serde(default)]
    pub consumer_cursors: Vec<CursorRow>,
    #[serde(default)]
    pub once_keys: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateRow {
    /// `kind/language`.
    pub key: String,
    pub template: EmailTemplate,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreferencesRow {
    pub user: UserId,
    pub preferences: Preferences,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedGenerationRow {
    /// A room's or a user's id.
    pub owner: uuid::Uuid,
    pub generation: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CursorRow {
    pub consumer: String,
    pub seq: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipRow {
    pub group: GroupId,
    pub user: UserId,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomAccessRow {
    pub room: RoomId,
    pub rule: AccessRule,
}

/// A browser session and the SHA-256 (hex) of its cookie secret, which keys it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRow {
    pub secret_hash: String,
    pub session: Session,
}

fn rows<K: redb::Key + 'static, T: DeserializeOwned>(
    txn: &ReadTransaction,
    def: TableDefinition<K, &'static [u8]>,
) -> Result<Vec<T>, StoreError> {
    txn.open_table(def)?.iter()?.map(|row| decode(row?.1.value())).collect()
}

fn export_from(txn: &ReadTransaction) -> Result<Export, StoreError> {
    let sessions = txn
        .open_table(SESSIONS)?
        .iter()?
        .map(|row| {
            let (k, v) = row?;
            Ok(SessionRow { secret_hash: hex::encode(k.value()), session: decode(v.value())? })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Export {
        format: EXPORT_FORMAT.into(),
        version: EXPORT_VERSION,
        schema_version: SCHEMA_VERSION,
        users: rows(txn, USERS)?,
        api_keys: rows(txn, API_KEYS)?,
        sessions,
        rooms: rows(txn, ROOMS)?,
        resources: rows(txn, RESOURCES)?,
        reservations: rows(txn, RESERVATIONS)?,
        events: rows(txn, EVENTS)?,
        location_policies: rows(txn, LOCATION_POLICIES)?,
        groups: rows(txn, GROUPS)?,
        group_members: txn
            .open_table(GROUP_MEMBERS)?
            .iter()?
            .map(|row| {
                let (g, u) = row?.0.value();
                Ok(MembershipRow { group: GroupId::from_bytes(g), user: UserId::from_bytes(u) })
            })
            .collect::<Result<_, StoreError>>()?,
        room_access: txn
            .open_table(ROOM_ACCESS)?
            .iter()?
            .map(|row| {
                let (k, v) = row?;
                Ok(RoomAccessRow { room: RoomId::from_bytes(k.value()), rule: decode(v.value())? })
            })
            .collect::<Result<_, StoreError>>()?,
        location_access: rows(txn, LOCATION_ACCESS)?,
        audit: txn.open_table(AUDIT)?.iter()?.map(|row| decode(row?.1.value())).collect::<Result<_, StoreError>>()?,
        displays: rows(txn, DISPLAYS)?,
        webhooks: rows(txn, WEBHOOKS)?,
        email_templates: txn
            .open_table(EMAIL_TEMPLATES)?
            .iter()?
            .map(|row| {
                let (k, v) = row?;
                Ok(TemplateRow { key: k.value().to_string(), template: decode(v.value())? })
            })
            .collect::<Result<_, StoreError>>()?,
        notify_prefs: txn
            .open_table(NOTIFY_PREFS)?
            .iter()?
            .map(|row| {
                let (k, v) = row?;
                Ok(PreferencesRow { user: UserId::from_bytes(k.value()), preferences: decode(v.value())? })
            })
            .collect::<Result<_, StoreError>>()?,
        notifications: txn
            .open_table(NOTIFICATIONS)?
            .iter()?
            .map(|row| decode(row?.1.value()))
            .collect::<Result<_, StoreError>>()?,
        deliveries: rows(txn, DELIVERIES)?,
        report_subscriptions: rows(txn, REPORT_SUBSCRIPTIONS)?,
        waitlist: rows(txn, WAITLIST)?,
        booking_fields: rows(txn, BOOKING_FIELDS)?,
        account_links: rows(txn, ACCOUNT_LINKS)?,
        push_subscriptions: txn
            .open_table(PUSH_SUBSCRIPTIONS)?
            .iter()?
            .map(|row| decode(row?.1.value()))
            .collect::<Result<_, StoreError>>()?,
        vapid_key: txn
            .open_table(FEED_SECRET)?
            .get(VAPID_KEY)?
            .map(|v| String::from_utf8_lossy(v.value()).into_owned()),
        feed_secret: txn.open_table(FEED_SECRET)?.get("key")?.map(|v| hex::encode(v.value())),
        feed_generations: txn
            .open_table(FEED_GENERATIONS)?
            .iter()?
            .map(|row| {
                let (k, v) = row?;
                Ok(FeedGenerationRow { owner: uuid::Uuid::from_bytes(k.value()), generation: v.value() })
            })
            .collect::<Result<_, StoreError>>()?,
        consumer_cursors: txn
            .open_table(CURSORS)?
            .iter()?
            .map(|row| {
                let (k, v) = row?;
                Ok(CursorRow { consumer: k.value().to_string(), seq: v.value() })
            })
            .collect::<Result<_, StoreError>>()?,
        once_keys: txn
            .open_table(ONCE)?
            .iter()?
            .map(|row| Ok(hex::encode(row?.0.value())))
            .collect::<Result<_, StoreError>>()?,
    })
}

pub(super) fn to_json(export: &Export) -> Result<Vec<u8>, StoreError> {
    let mut out = serde_json::to_vec_pretty(export).map_err(|e| StoreError::Storage(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

impl Store {
    /// The export of the running store, from one consistent snapshot.
    pub fn export_json(&self) -> Result<Vec<u8>, StoreError> {
        to_json(&export_from(&self.db.get()?.begin_read()?)?)
    }
}

/// The export of a stopped data directory (opened read-only; it must be at the current schema).
pub fn export_offline(data_dir: &Path) -> Result<Vec<u8>, BackupError> {
    Ok(to_json(&read_offline(data_dir)?)?)
}

/// All the data of a stopped data directory, as [`export_offline`] writes it.
pub(super) fn read_offline(data_dir: &Path) -> Result<Export, BackupError> {
    let db = open_read_only(data_dir)?;
    let txn = db.begin_read()?;
    let meta = txn.open_table(META).map_err(StoreError::from)?;
    let found = meta.get("schema_version").map_err(StoreError::from)?.map(|v| v.value()).unwrap_or(0);
    if found != SCHEMA_VERSION {
        return Err(BackupError::Refused(format!(
            "the store has schema version {found}, this Salas exports version {SCHEMA_VERSION}; start the matching Salas once first"
        )));
    }
    Ok(export_from(&txn)?)
}

/// What an import wrote.
pub struct Imported {
    pub users: usize,
    pub rooms: usize,
    pub reservations: usize,
    pub events: usize,
}

/// `salas import`: creates the store of `data_dir`, which must not have one yet, from an export.
/// Nothing is left behind if the document is refused.
pub fn import(data_dir: &Path, json: &[u8]) -> Result<Imported, BackupError> {
    import_data(data_dir, parse(json)?)
}

/// An export document, refused unless this Salas can import it.
pub(super) fn parse(json: &[u8]) -> Result<Export, BackupError> {
    let refuse = |why: String| BackupError::Refused(format!("cannot import: {why}"));
    let data: Export = serde_json::from_slice(json).map_err(|e| refuse(e.to_string()))?;
    if data.format != EXPORT_FORMAT || data.version != EXPORT_VERSION {
        return Err(refuse(format!("this is not a `{EXPORT_FORMAT}` document of version {EXPORT_VERSION}")));
    }
    if data.schema_version > SCHEMA_VERSION {
        return Err(refuse(format!(
            "it comes from a newer Salas (schema {}; this one knows up to {SCHEMA_VERSION})",
            data.schema_version
        )));
    }
    unique("user e-mail", data.users.iter().map(|u| u.email.to_lowercase())).map_err(refuse)?;
    unique("room name", data.rooms.iter().map(|r| super::queries::name_key(&r.name))).map_err(refuse)?;
    unique("resource name", data.resources.iter().map(|r| super::queries::name_key(&r.name))).map_err(refuse)?;
    unique("group name", data.groups.iter().map(|g| super::queries::name_key(&g.name))).map_err(refuse)?;
    Ok(data)
}

/// [`import`] of a document already read and accepted.
pub(super) fn import_data(data_dir: &Path, data: Export) -> Result<Imported, BackupError> {
    let refuse = |why: String| BackupError::Refused(format!("cannot import: {why}"));
    let path = data_dir.join(DB_FILE);
    if path.exists() {
        return Err(refuse(format!("{} already has a store; import into a new data directory", data_dir.display())));
    }
    super::create_private_dir(data_dir)?;
    let result = write_all(data_dir, data);
    match result {
        Ok(imported) => {
            give_to_owner_of(&path, data_dir)?;
            Ok(imported)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(e)
        }
    }
}

/// `N` bytes written as hex in the document.
fn hex_bytes<const N: usize>(what: &str, text: &str) -> Result<[u8; N], BackupError> {
    let bytes = hex::decode(text).ok().and_then(|b| <[u8; N]>::try_from(b).ok());
    bytes.ok_or_else(|| BackupError::Refused(format!("cannot import: bad {what} `{text}`")))
}

fn unique(what: &str, keys: impl Iterator<Item = String>) -> Result<(), String> {
    let mut seen = HashSet::new();
    for key in keys {
        if !seen.insert(key.clone()) {
            return Err(format!("the {what} `{key}` appears twice"));
        }
    }
    Ok(())
}

fn write_all(data_dir: &Path, data: Export) -> Result<Imported, BackupError> {
    let Export {
        users,
        api_keys,
        sessions,
        rooms,
        resources,
        reservations,
        events,
        location_policies,
        groups,
        group_members,
        room_access,
        location_access,
        audit,
        displays,
        webhooks,
        email_templates,
        notify_prefs,
        notifications,
        deliveries,
        report_subscriptions,
        waitlist,
        feed_secret,
        feed_generations,
        push_subscriptions,
        account_links,
        vapid_key,
        booking_fields,
        consumer_cursors,
        once_keys,
        ..
    } = data;
    let feed_secret = feed_secret.map(|hex| hex_bytes::<32>("feed secret", &hex)).transpose()?;
    let once_keys = once_keys.iter().map(|k| hex_bytes::<32>("once key", k)).collect::<Result<Vec<_>, _>>()?;
    let counts =
        Imported { users: users.len(), rooms: rooms.len(), reservations: reservations.len(), events: events.len() };
    // The log is copied as it is (seq, id and all); the writer would number appended events anew.
    {
        let db = Database::create(data_dir.join(DB_FILE))?;
        migrate::run(&db)?;
        let txn = db.begin_write()?;
        {
            let mut log = txn.open_table(EVENTS).map_err(StoreError::from)?;
            for event in &events {
                log.insert(event.seq, encode(event)?.as_slice()).map_err(StoreError::from)?;
            }
        }
        // So is the audit log: it records what happened, it is not something to redo.
        for record in &audit {
            super::audit::append(&txn, record)?;
        }
        // And the feed secret, which the new store made up: the old feed links keep working.
        if let Some(secret) = feed_secret {
            txn.open_table(FEED_SECRET)
                .map_err(StoreError::from)?
                .insert("key", secret.as_slice())
                .map_err(StoreError::from)?;
        }
        txn.commit().map_err(StoreError::from)?;
    }
    // Everything else goes through the writer, which keeps every index as the server would.
    let mut hashes = Vec::with_capacity(sessions.len());
    for row in sessions {
        hashes.push((hex_bytes::<32>("session hash", &row.secret_hash)?, row.session));
    }
    let mut links = Vec::with_capacity(account_links.len());
    for link in account_links {
        links.push((hex_bytes::<32>("account link hash", &link.hash)?, link));
    }
    let store = Store::open(data_dir)?;
    let written = store.write_blocking(move |tx| {
        users.into_iter().for_each(|u| tx.put_user(u));
        api_keys.into_iter().for_each(|k| tx.put_api_key(k));
        hashes.into_iter().for_each(|(h, s)| tx.put_session(h, s));
        rooms.into_iter().for_each(|r| tx.put_room(r));
        resources.into_iter().for_each(|r| tx.put_resource(r));
        reservations.into_iter().for_each(|r| tx.put_reservation(r));
        location_policies.into_iter().for_each(|p| tx.put_location_policy(p));
        groups.into_iter().for_each(|g| tx.put_group(g));
        group_members.into_iter().for_each(|m| tx.set_member(m.group, m.user, true));
        room_access.into_iter().for_each(|r| tx.put_room_rule(r.room, Some(r.rule)));
        location_access.into_iter().for_each(|l| tx.put_location_rule(&l.location, Some(l.rule)));
        displays.into_iter().for_each(|d| tx.put_display(d));
        webhooks.into_iter().for_each(|w| tx.put_webhook(w));
        email_templates.into_iter().for_each(|t| tx.put_email_template(&t.key, t.template));
        notify_prefs.into_iter().for_each(|p| tx.put_preferences(p.user, p.preferences));
        notifications.into_iter().for_each(|n| tx.put_notification(n));
        deliveries.into_iter().for_each(|d| tx.put_delivery(d));
        report_subscriptions.into_iter().for_each(|s| tx.put_report_subscription(s));
        waitlist.into_iter().for_each(|w| tx.put_wait_entry(w));
        feed_generations.into_iter().for_each(|g| tx.put_feed_generation(g.owner.into_bytes(), g.generation));
        push_subscriptions.into_iter().for_each(|s| tx.put_push_subscription(s));
        booking_fields.into_iter().for_each(|f| tx.put_booking_field(f));
        links.into_iter().for_each(|(h, l)| tx.put_account_link(h, l));
        if let Some(key) = &vapid_key {
            tx.put_vapid_key(key);
        }
        consumer_cursors.into_iter().for_each(|c| tx.set_cursor(&c.consumer, c.seq));
        once_keys.into_iter().for_each(|k| tx.mark_done(k));
        Ok::<(), StoreError>(())
    });
    store.close();
    written?;
    let problems = super::check(data_dir)?;
    if let Some(first) = problems.first() {
        return Err(BackupError::Refused(format!("cannot import: {first} ({} problem(s))", problems.len())));
    }
    Ok(counts)
}
