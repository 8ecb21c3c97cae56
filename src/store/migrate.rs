//! Schema versions. `MIGRATIONS` is append-only: step N upgrades a store at version N to N+1,
//! each in its own durable transaction that also records the new version. A store written by a
//! newer Salas is refused rather than misread.

use super::StoreError;
use super::tables::*;
use redb::{Database, ReadableDatabase, ReadableTable, WriteTransaction};

type Step = fn(&WriteTransaction) -> Result<(), StoreError>;

const MIGRATIONS: &[Step] = &[
    create_v1,
    create_v2_sessions,
    create_v3_notifications,
    create_v4_series,
    create_v5,
    v6_closed_by_room,
    v7_unread_index,
    v8_login_locks,
    v9_push,
    v10_booking_fields,
    v11_account_links,
];

pub const SCHEMA_VERSION: u64 = MIGRATIONS.len() as u64;

/// Brings the store to [`SCHEMA_VERSION`]; returns the version it found.
pub fn run(db: &Database) -> Result<u64, StoreError> {
    let found = version(db)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew { found, supported: SCHEMA_VERSION });
    }
    for (from, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let txn = db.begin_write()?;
        step(&txn)?;
        {
            let mut meta = txn.open_table(META)?;
            meta.insert("schema_version", from as u64 + 1)?;
        }
        txn.commit()?;
        tracing::info!(from, to = from + 1, "store schema upgraded");
    }
    Ok(found)
}

pub fn version(db: &Database) -> Result<u64, StoreError> {
    let txn = db.begin_read()?;
    let meta = match txn.open_table(META) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    Ok(meta.get("schema_version")?.map(|v| v.value()).unwrap_or(0))
}

/// Version 1: every table of the first release.
fn create_v1(txn: &WriteTransaction) -> Result<(), StoreError> {
    let mut meta = txn.open_table(META)?;
    let (major, minor) = (
        env!("CARGO_PKG_VERSION_MAJOR").parse::<u64>().unwrap_or(0),
        env!("CARGO_PKG_VERSION_MINOR").parse::<u64>().unwrap_or(0),
    );
    meta.insert("created_by_version", major * 1000 + minor)?;
    txn.open_table(USERS)?;
    txn.open_table(USER_EMAILS)?;
    txn.open_table(API_KEYS)?;
    txn.open_table(API_KEY_HASHES)?;
    txn.open_table(ROOMS)?;
    txn.open_table(ROOM_NAMES)?;
    txn.open_table(RESOURCES)?;
    txn.open_table(RESOURCE_NAMES)?;
    txn.open_table(RESERVATIONS)?;
    txn.open_table(LIVE_BY_ROOM)?;
    txn.open_table(BY_ROOM)?;
    txn.open_table(BY_USER)?;
    txn.open_table(BY_START)?;
    txn.open_table(EVENTS)?;
    Ok(())
}

/// Version 2: browser sessions for the web UI.
fn create_v2_sessions(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(SESSIONS)?;
    Ok(())
}

/// Version 3: consumer cursors, deliveries, the inbox, preferences, webhooks, e-mail templates.
fn create_v3_notifications(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(CURSORS)?;
    txn.open_table(DELIVERIES)?;
    txn.open_table(DELIVERIES_DUE)?;
    txn.open_table(ONCE)?;
    txn.open_table(EMAIL_TEMPLATES)?;
    txn.open_table(WEBHOOKS)?;
    txn.open_table(NOTIFICATIONS)?;
    txn.open_table(NOTIFY_PREFS)?;
    Ok(())
}

/// Version 4: the index of recurring series' occurrences (no series existed before it), and
/// the secret calendar feed tokens are derived from.
fn create_v4_series(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(BY_SERIES)?;
    txn.open_table(FEED_GENERATIONS)?;
    let key: [u8; 32] = rand::random();
    txn.open_table(FEED_SECRET)?.insert("key", key.as_slice())?;
    Ok(())
}

/// Version 5: policies, approvals, groups, audit and live-display tables. Nothing in earlier
/// versions needs rewriting; the new tables start empty.
fn create_v5(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(REPORT_SUBSCRIPTIONS)?;
    txn.open_table(WAITLIST)?;
    txn.open_table(LOCATION_POLICIES)?;
    txn.open_table(PENDING)?;
    txn.open_table(AUDIT)?;
    txn.open_table(DISPLAYS)?;
    txn.open_table(DISPLAY_HASHES)?;
    txn.open_table(GROUPS)?;
    txn.open_table(GROUP_NAMES)?;
    txn.open_table(GROUP_MEMBERS)?;
    txn.open_table(USER_GROUPS)?;
    txn.open_table(ROOM_ACCESS)?;
    txn.open_table(LOCATION_ACCESS)?;
    Ok(())
}

/// Version 6: a room's reservations are indexed once: the live ones in `live_by_room` as before,
/// the others in the new `closed_by_room`. `res_by_room` held them all a second time, so each
/// booking wrote two entries of a room's index (in a batch of bookings over many rooms, a page
/// each that the commit must flush).
fn v6_closed_by_room(txn: &WriteTransaction) -> Result<(), StoreError> {
    {
        let live = txn.open_table(LIVE_BY_ROOM)?;
        let all = txn.open_table(BY_ROOM)?;
        let mut closed = txn.open_table(CLOSED_BY_ROOM)?;
        for row in all.iter()? {
            let key = row?.0.value();
            if live.get(key)?.is_none() {
                closed.insert(key, ())?;
            }
        }
    }
    txn.delete_table(BY_ROOM)?;
    Ok(())
}

/// Version 7: the inbox's unread entries get an index of their own ([`UNREAD`]), filled here from
/// the notifications stored.
fn v7_unread_index(txn: &WriteTransaction) -> Result<(), StoreError> {
    let all = txn.open_table(NOTIFICATIONS)?;
    let mut unread = txn.open_table(UNREAD)?;
    for row in all.iter()? {
        let (key, value) = row?;
        if super::outbox::unread(value.value())? {
            unread.insert(key.value(), ())?;
        }
    }
    Ok(())
}

/// Version 8: failed sign-ins, kept in the store so that several processes on one database
/// lock out together (they were in each process's memory). Counts made before are not carried.
fn v8_login_locks(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(LOGIN_LOCKS)?;
    Ok(())
}

/// Version 9: Web Push subscriptions (the VAPID key is a row of the feed secret's table).
fn v9_push(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(PUSH_SUBSCRIPTIONS)?;
    txn.open_table(PUSH_OWNERS)?;
    Ok(())
}

/// Version 10: booking fields (the answers are in each reservation's record).
fn v10_booking_fields(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(BOOKING_FIELDS)?;
    Ok(())
}

/// Version 11: single-use links for password resets, invitations and sign-ups.
fn v11_account_links(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(ACCOUNT_LINKS)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::ReadableTableMetadata;

    /// A store left at schema `version`: its migrations run, the later ones not.
    fn at_version(dir: &tempfile::TempDir, version: usize) -> Database {
        let db = Database::create(dir.path().join("s.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        for step in &MIGRATIONS[..version] {
            step(&txn).unwrap();
        }
        txn.open_table(META).unwrap().insert("schema_version", version as u64).unwrap();
        txn.commit().unwrap();
        db
    }

    #[test]
    fn v6_keeps_the_closed_reservations_of_each_room_and_drops_the_old_index() {
        let dir = tempfile::tempdir().unwrap();
        let db = at_version(&dir, 5);
        let txn = db.begin_write().unwrap();
        let (room, live, cancelled) = ([1u8; 16], (10i64, [2u8; 16]), (20i64, [3u8; 16]));
        {
            let mut all = txn.open_table(BY_ROOM).unwrap();
            all.insert((room, live.0, live.1), ()).unwrap();
            all.insert((room, cancelled.0, cancelled.1), ()).unwrap();
            txn.open_table(LIVE_BY_ROOM).unwrap().insert((room, live.0, live.1), 15).unwrap();
        }
        txn.commit().unwrap();
        assert_eq!(run(&db).unwrap(), 5);
        let read = db.begin_read().unwrap();
        let closed = read.open_table(CLOSED_BY_ROOM).unwrap();
        let keys: Vec<_> = closed.iter().unwrap().map(|row| row.unwrap().0.value()).collect();
        assert_eq!(keys, [(room, cancelled.0, cancelled.1)]);
        assert_eq!(read.open_table(LIVE_BY_ROOM).unwrap().len().unwrap(), 1);
        assert!(read.open_table(BY_ROOM).is_err(), "the old index is gone");
        assert_eq!(version(&db).unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn v7_indexes_the_unread_notifications() {
        let dir = tempfile::tempdir().unwrap();
        let db = at_version(&dir, 6);
        let txn = db.begin_write().unwrap();
        let (user, read, unread) = ([1u8; 16], [2u8; 16], [3u8; 16]);
        {
            let mut inbox = txn.open_table(NOTIFICATIONS).unwrap();
            let stored =
                |read_at: &str| [&[1u8][..], format!(r#"{{"title":"x","read_at":{read_at}}}"#).as_bytes()].concat();
            inbox.insert((user, read), stored(r#""2030-01-01T00:00:00Z""#).as_slice()).unwrap();
            inbox.insert((user, unread), stored("null").as_slice()).unwrap();
        }
        txn.commit().unwrap();
        assert_eq!(run(&db).unwrap(), 6);
        let read_txn = db.begin_read().unwrap();
        let keys: Vec<_> =
            read_txn.open_table(UNREAD).unwrap().iter().unwrap().map(|row| row.unwrap().0.value()).collect();
        assert_eq!(keys, [(user, unread)]);
        assert_eq!(version(&db).unwrap(), SCHEMA_VERSION);
    }
}
