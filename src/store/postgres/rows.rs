//! The tables' rows and the export document's records, both ways; and `salas check`'s checks of
//! what the database does not enforce itself. Rows are read in the embedded store's key order
//! (uuids and "C"-collated text sort by bytes in both), so an export reads the same from either.

use super::super::export::{
    CursorRow, Export, FeedGenerationRow, MembershipRow, PreferencesRow, RoomAccessRow, SessionRow, TemplateRow,
};
use super::super::policies::location_key;
use super::super::queries::name_key;
use super::super::{SCHEMA_VERSION, StoreError};
use super::db_error;
use crate::model::notify::{DeliveryStatus, Webhook};
use crate::types::{GroupId, RoomId, UserId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{Json, ToSql, Type};
use tokio_postgres::{Client, IsolationLevel, Transaction};

/// Every table of Salas data, in the order a copy fills them.
const TABLES: &[&str] = &[
    "users",
    "api_keys",
    "sessions",
    "rooms",
    "resources",
    "reservations",
    "events",
    "location_policies",
    "user_groups",
    "group_members",
    "room_access",
    "location_access",
    "audit_log",
    "displays",
    "webhooks",
    "email_templates",
    "notify_prefs",
    "notifications",
    "deliveries",
    "report_subscriptions",
    "waitlist",
    "push_subscriptions",
    "booking_fields",
    "account_links",
    "feed_secret",
    "feed_generations",
    "consumer_cursors",
    "once_keys",
];

type Value<'a> = Box<dyn ToSql + Sync + 'a>;

/// The first table that holds a row, if any.
pub async fn first_non_empty(tx: &Transaction<'_>) -> Result<Option<&'static str>, StoreError> {
    for table in TABLES {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table})");
        if tx.query_one(&sql, &[]).await.map_err(db_error)?.get::<_, bool>(0) {
            return Ok(Some(table));
        }
    }
    Ok(None)
}

/// Writes every record of `data` (into empty tables).
pub async fn write(tx: &Transaction<'_>, data: &Export) -> Result<(), StoreError> {
    use Type as T;
    copy_in(tx, "users", &[("id", T::UUID), ("email", T::TEXT), ("doc", T::JSONB)], &data.users, |u| {
        Ok(vec![Box::new(u.id.0), Box::new(&u.email), doc(u)])
    })
    .await?;
    copy_in(
        tx,
        "api_keys",
        &[("id", T::UUID), ("user_id", T::UUID), ("secret_hash", T::BYTEA), ("doc", T::JSONB)],
        &data.api_keys,
        |k| Ok(vec![Box::new(k.id.0), Box::new(k.user_id.0), Box::new(&k.secret_hash[..]), doc(k)]),
    )
    .await?;
    copy_in(
        tx,
        "sessions",
        &[("secret_hash", T::BYTEA), ("user_id", T::UUID), ("expires_at", T::TIMESTAMPTZ), ("doc", T::JSONB)],
        &data.sessions,
        |s| {
            let hash = hex::decode(&s.secret_hash).map_err(|_| corrupt("session hash", &s.secret_hash))?;
            Ok(vec![Box::new(hash), Box::new(s.session.user_id.0), Box::new(s.session.expires_at), doc(&s.session)])
        },
    )
    .await?;
    copy_in(tx, "rooms", &[("id", T::UUID), ("name_key", T::TEXT), ("doc", T::JSONB)], &data.rooms, |r| {
        Ok(vec![Box::new(r.id.0), Box::new(name_key(&r.name)), doc(r)])
    })
    .await?;
    copy_in(tx, "resources", &[("id", T::UUID), ("name_key", T::TEXT), ("doc", T::JSONB)], &data.resources, |r| {
        Ok(vec![Box::new(r.id.0), Box::new(name_key(&r.name)), doc(r)])
    })
    .await?;
    copy_in(
        tx,
        "reservations",
        &[
            ("id", T::UUID),
            ("room_id", T::UUID),
            ("user_id", T::UUID),
            ("series_id", T::UUID),
            ("starts_at", T::TIMESTAMPTZ),
            ("ends_at", T::TIMESTAMPTZ),
            ("status", T::TEXT),
            ("live", T::BOOL),
            ("created_at", T::TIMESTAMPTZ),
            ("doc", T::JSONB),
        ],
        &data.reservations,
        |r| Ok(super::project::reservation_columns(r)?.into_iter().map(|c| c as Value).collect()),
    )
    .await?;
    copy_in(
        tx,
        "events",
        &[("seq", T::INT8), ("id", T::UUID), ("kind", T::TEXT), ("at", T::TIMESTAMPTZ), ("doc", T::JSON)],
        &data.events,
        |e| {
            let kind = serde_json::to_value(e.kind).map_err(|err| StoreError::Corrupt(err.to_string()))?;
            Ok(vec![
                Box::new(seq(e.seq)?),
                Box::new(e.id.0),
                Box::new(kind.as_str().unwrap_or("").to_string()),
                Box::new(e.at),
                doc(e),
            ])
        },
    )
    .await?;
    copy_in(tx, "location_policies", &[("location_key", T::TEXT), ("doc", T::JSONB)], &data.location_policies, |p| {
        Ok(vec![Box::new(location_key(&p.location)), doc(p)])
    })
    .await?;
    copy_in(tx, "user_groups", &[("id", T::UUID), ("name_key", T::TEXT), ("doc", T::JSONB)], &data.groups, |g| {
        Ok(vec![Box::new(g.id.0), Box::new(name_key(&g.name)), doc(g)])
    })
    .await?;
    copy_in(tx, "group_members", &[("group_id", T::UUID), ("user_id", T::UUID)], &data.group_members, |m| {
        Ok(vec![Box::new(m.group.0), Box::new(m.user.0)])
    })
    .await?;
    copy_in(tx, "room_access", &[("room_id", T::UUID), ("doc", T::JSONB)], &data.room_access, |r| {
        Ok(vec![Box::new(r.room.0), doc(&r.rule)])
    })
    .await?;
    copy_in(tx, "location_access", &[("location_key", T::TEXT), ("doc", T::JSONB)], &data.location_access, |l| {
        Ok(vec![Box::new(location_key(&l.location)), doc(l)])
    })
    .await?;
    copy_in(tx, "audit_log", &[("at", T::TIMESTAMPTZ), ("id", T::UUID), ("doc", T::JSONB)], &data.audit, |a| {
        Ok(vec![Box::new(a.at), Box::new(a.id), doc(a)])
    })
    .await?;
    copy_in(
        tx,
        "displays",
        &[("id", T::UUID), ("room_id", T::UUID), ("secret_hash", T::BYTEA), ("doc", T::JSONB)],
        &data.displays,
        |d| Ok(vec![Box::new(d.id.0), Box::new(d.room_id.0), Box::new(&d.secret_hash[..]), doc(d)]),
    )
    .await?;
    copy_in(tx, "webhooks", &[("id", T::UUID), ("doc", T::JSONB)], &data.webhooks, |w| {
        Ok(vec![Box::new(w.id.0), doc(w)])
    })
    .await?;
    copy_in(tx, "email_templates", &[("key", T::TEXT), ("doc", T::JSONB)], &data.email_templates, |t| {
        Ok(vec![Box::new(&t.key), doc(&t.template)])
    })
    .await?;
    copy_in(tx, "notify_prefs", &[("user_id", T::UUID), ("doc", T::JSONB)], &data.notify_prefs, |p| {
        Ok(vec![Box::new(p.user.0), doc(&p.preferences)])
    })
    .await?;
    copy_in(
        tx,
        "notifications",
        &[("user_id", T::UUID), ("id", T::UUID), ("unread", T::BOOL), ("doc", T::JSONB)],
        &data.notifications,
        |n| Ok(vec![Box::new(n.user_id.0), Box::new(n.id.0), Box::new(n.read_at.is_none()), doc(n)]),
    )
    .await?;
    copy_in(
        tx,
        "deliveries",
        &[("id", T::UUID), ("due_at", T::TIMESTAMPTZ), ("doc", T::JSONB)],
        &data.deliveries,
        |d| {
            let due = (d.status == DeliveryStatus::Pending).then_some(d.next_attempt_at);
            Ok(vec![Box::new(d.id.0), Box::new(due), doc(d)])
        },
    )
    .await?;
    copy_in(
        tx,
        "report_subscriptions",
        &[("id", T::UUID), ("user_id", T::UUID), ("doc", T::JSONB)],
        &data.report_subscriptions,
        |s| Ok(vec![Box::new(s.id.0), Box::new(s.user_id.0), doc(s)]),
    )
    .await?;
    copy_in(tx, "waitlist", &[("id", T::UUID), ("room_id", T::UUID), ("doc", T::JSONB)], &data.waitlist, |w| {
        Ok(vec![Box::new(w.id.0), Box::new(w.room_id.0), doc(w)])
    })
    .await?;
    copy_in(
        tx,
        "push_subscriptions",
        &[("id", T::UUID), ("user_id", T::UUID), ("doc", T::JSONB)],
        &data.push_subscriptions,
        |s| Ok(vec![Box::new(s.id.0), Box::new(s.user_id.0), doc(s)]),
    )
    .await?;
    copy_in(tx, "booking_fields", &[("id", T::UUID), ("key", T::TEXT), ("doc", T::JSONB)], &data.booking_fields, |f| {
        Ok(vec![Box::new(f.id.0), Box::new(f.key.clone()), doc(f)])
    })
    .await?;
    copy_in(
        tx,
        "account_links",
        &[("hash", T::BYTEA), ("expires_at", T::TIMESTAMPTZ), ("doc", T::JSONB)],
        &data.account_links,
        |l| {
            let hash = hex::decode(&l.hash).map_err(|_| corrupt("account link hash", &l.hash))?;
            Ok(vec![Box::new(hash), Box::new(l.expires_at), doc(l)])
        },
    )
    .await?;
    copy_in(tx, "feed_secret", &[("key", T::TEXT), ("secret", T::BYTEA)], data.feed_secret.as_slice(), |s| {
        Ok(vec![Box::new("key"), Box::new(hex::decode(s).map_err(|_| corrupt("feed secret", s))?)])
    })
    .await?;
    copy_in(tx, "feed_secret", &[("key", T::TEXT), ("secret", T::BYTEA)], data.vapid_key.as_slice(), |s| {
        Ok(vec![Box::new("vapid"), Box::new(s.as_bytes())])
    })
    .await?;
    copy_in(tx, "feed_generations", &[("owner_id", T::UUID), ("generation", T::INT8)], &data.feed_generations, |g| {
        Ok(vec![Box::new(g.owner), Box::new(seq(g.generation)?)])
    })
    .await?;
    copy_in(tx, "consumer_cursors", &[("consumer", T::TEXT), ("seq", T::INT8)], &data.consumer_cursors, |c| {
        Ok(vec![Box::new(&c.consumer), Box::new(seq(c.seq)?)])
    })
    .await?;
    copy_in(tx, "once_keys", &[("key", T::BYTEA)], &data.once_keys, |k| {
        Ok(vec![Box::new(hex::decode(k).map_err(|_| corrupt("once key", k))?)])
    })
    .await
}

/// Every record, from one consistent snapshot of the database.
pub async fn read(client: &mut Client) -> Result<Export, StoreError> {
    let tx = snapshot(client).await?;
    let data = read_in(&tx).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(data)
}

/// Every record, as `t` (a snapshot) sees them.
pub async fn read_in(t: &Transaction<'_>) -> Result<Export, StoreError> {
    let feed_secret: Vec<Vec<u8>> = column(t, "SELECT secret FROM feed_secret WHERE key = 'key'").await?;
    let vapid_key: Vec<Vec<u8>> = column(t, "SELECT secret FROM feed_secret WHERE key = 'vapid'").await?;
    let data = Export {
        format: super::super::export::EXPORT_FORMAT.into(),
        version: super::super::export::EXPORT_VERSION,
        // The records' shapes are the embedded store's, whose schema version names them.
        schema_version: SCHEMA_VERSION,
        users: docs(t, "SELECT doc::text FROM users ORDER BY id").await?,
        api_keys: docs(t, "SELECT doc::text FROM api_keys ORDER BY id").await?,
        sessions: rows(t, "SELECT secret_hash, doc::text FROM sessions ORDER BY secret_hash", |r| {
            Ok(SessionRow { secret_hash: hex::encode(r.get::<_, Vec<u8>>(0)), session: parse(r.get(1))? })
        })
        .await?,
        rooms: docs(t, "SELECT doc::text FROM rooms ORDER BY id").await?,
        resources: docs(t, "SELECT doc::text FROM resources ORDER BY id").await?,
        reservations: docs(t, "SELECT doc::text FROM reservations ORDER BY id").await?,
        events: docs(t, "SELECT doc::text FROM events ORDER BY seq").await?,
        location_policies: docs(t, "SELECT doc::text FROM location_policies ORDER BY location_key").await?,
        groups: docs(t, "SELECT doc::text FROM user_groups ORDER BY id").await?,
        group_members: rows(t, "SELECT group_id, user_id FROM group_members ORDER BY group_id, user_id", |r| {
            Ok(MembershipRow { group: GroupId(r.get(0)), user: UserId(r.get(1)) })
        })
        .await?,
        room_access: rows(t, "SELECT room_id, doc::text FROM room_access ORDER BY room_id", |r| {
            Ok(RoomAccessRow { room: RoomId(r.get(0)), rule: parse(r.get(1))? })
        })
        .await?,
        location_access: docs(t, "SELECT doc::text FROM location_access ORDER BY location_key").await?,
        audit: docs(t, "SELECT doc::text FROM audit_log ORDER BY at, id").await?,
        displays: docs(t, "SELECT doc::text FROM displays ORDER BY id").await?,
        webhooks: docs(t, "SELECT doc::text FROM webhooks ORDER BY id").await?,
        email_templates: rows(t, "SELECT key, doc::text FROM email_templates ORDER BY key", |r| {
            Ok(TemplateRow { key: r.get(0), template: parse(r.get(1))? })
        })
        .await?,
        notify_prefs: rows(t, "SELECT user_id, doc::text FROM notify_prefs ORDER BY user_id", |r| {
            Ok(PreferencesRow { user: UserId(r.get(0)), preferences: parse(r.get(1))? })
        })
        .await?,
        notifications: docs(t, "SELECT doc::text FROM notifications ORDER BY user_id, id").await?,
        deliveries: docs(t, "SELECT doc::text FROM deliveries ORDER BY id").await?,
        report_subscriptions: docs(t, "SELECT doc::text FROM report_subscriptions ORDER BY id").await?,
        waitlist: docs(t, "SELECT doc::text FROM waitlist ORDER BY id").await?,
        push_subscriptions: docs(t, "SELECT doc::text FROM push_subscriptions ORDER BY user_id, id").await?,
        booking_fields: docs(t, "SELECT doc::text FROM booking_fields ORDER BY id").await?,
        account_links: docs(t, "SELECT doc::text FROM account_links ORDER BY hash").await?,
        feed_secret: feed_secret.first().map(hex::encode),
        vapid_key: vapid_key.first().map(|k| String::from_utf8_lossy(k).into_owned()),
        feed_generations: rows(t, "SELECT owner_id, generation FROM feed_generations ORDER BY owner_id", |r| {
            Ok(FeedGenerationRow { owner: r.get(0), generation: unsigned(r.get(1))? })
        })
        .await?,
        consumer_cursors: rows(t, "SELECT consumer, seq FROM consumer_cursors ORDER BY consumer", |r| {
            Ok(CursorRow { consumer: r.get(0), seq: unsigned(r.get(1))? })
        })
        .await?,
        once_keys: column::<Vec<u8>>(t, "SELECT key FROM once_keys ORDER BY key")
            .await?
            .iter()
            .map(hex::encode)
            .collect(),
    };
    Ok(data)
}

pub async fn webhooks(client: &Client) -> Result<Vec<Webhook>, StoreError> {
    let rows = client.query("SELECT doc::text FROM webhooks ORDER BY id", &[]).await.map_err(db_error)?;
    rows.iter().map(|r| parse(r.get(0))).collect()
}

/// What `salas check` finds wrong that the database's own keys and constraints do not prevent.
pub async fn verify(client: &mut Client) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();
    if let Err(e) = read(client).await {
        problems.push(format!("the records cannot all be read: {e}"));
    }
    let tx = snapshot(client).await?;
    let count = |sql: &'static str| {
        let tx = &tx;
        async move { tx.query_one(sql, &[]).await.map_err(db_error).map(|r| r.get::<_, i64>(0)) }
    };
    let constraint = "SELECT count(*) FROM pg_constraint WHERE conname = 'reservations_no_overlap'";
    if count(constraint).await? == 0 {
        problems.push(
            "the constraint reservations_no_overlap is missing: the database no longer refuses double bookings".into(),
        );
    }
    let checks: [(&str, &'static str); 5] = [
        (
            "live reservations of one room overlap",
            "SELECT count(*) FROM reservations a JOIN reservations b ON a.room_id = b.room_id AND a.id < b.id
             AND a.live AND b.live AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)",
        ),
        (
            "reservations whose columns disagree with their record",
            "SELECT count(*) FROM reservations WHERE id <> (doc->>'id')::uuid OR room_id <> (doc->>'room_id')::uuid
             OR user_id <> (doc->>'user_id')::uuid OR starts_at <> (doc->>'start')::timestamptz
             OR ends_at <> (doc->>'end')::timestamptz OR status <> doc->>'status'
             OR live <> (status IN ('confirmed', 'pending'))",
        ),
        (
            "users whose e-mail column disagrees with their record",
            "SELECT count(*) FROM users WHERE id <> (doc->>'id')::uuid OR email <> doc->>'email'",
        ),
        (
            "inbox entries whose unread mark disagrees with their record",
            "SELECT count(*) FROM notifications WHERE unread <> (jsonb_typeof(doc->'read_at') IS DISTINCT FROM 'string')",
        ),
        (
            "deliveries whose due time disagrees with their record",
            "SELECT count(*) FROM deliveries WHERE (due_at IS NOT NULL) <> (doc->>'status' = 'pending')
             OR due_at <> (doc->>'next_attempt_at')::timestamptz",
        ),
    ];
    for (what, sql) in checks {
        let n = count(sql).await?;
        if n > 0 {
            problems.push(format!("{n} {what}"));
        }
    }
    let (n, first, last): (i64, Option<i64>, Option<i64>) = {
        let row = tx.query_one("SELECT count(*), min(seq), max(seq) FROM events", &[]).await.map_err(db_error)?;
        (row.get(0), row.get(1), row.get(2))
    };
    if let (Some(first), Some(last)) = (first, last)
        && (first != 1 || last - first + 1 != n)
    {
        problems.push(format!("the event log has gaps: {n} events numbered {first} to {last}"));
    }
    tx.commit().await.map_err(db_error)?;
    Ok(problems)
}

pub async fn snapshot(client: &mut Client) -> Result<Transaction<'_>, StoreError> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(db_error)
}

/// Writes `items` into `table` with the binary COPY protocol, one row of `columns` each.
async fn copy_in<'a, I: 'a>(
    tx: &Transaction<'_>,
    table: &str,
    columns: &[(&str, Type)],
    items: &'a [I],
    row: impl Fn(&'a I) -> Result<Vec<Value<'a>>, StoreError>,
) -> Result<(), StoreError> {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let types: Vec<Type> = columns.iter().map(|(_, t)| t.clone()).collect();
    let sink = tx.copy_in(&format!("COPY {table} ({}) FROM STDIN BINARY", names.join(", "))).await.map_err(db_error)?;
    let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
    let failed =
        |e: tokio_postgres::Error| StoreError::Storage(format!("cannot copy into {table}: {}", super::reason(&e)));
    for item in items {
        let values = row(item)?;
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| &**v as &(dyn ToSql + Sync)).collect();
        writer.as_mut().write(&refs).await.map_err(failed)?;
    }
    writer.finish().await.map_err(failed)?;
    Ok(())
}

async fn docs<T: DeserializeOwned>(tx: &Transaction<'_>, sql: &str) -> Result<Vec<T>, StoreError> {
    rows(tx, sql, |r| parse(r.get(0))).await
}

async fn column<T: for<'r> tokio_postgres::types::FromSql<'r>>(
    tx: &Transaction<'_>,
    sql: &str,
) -> Result<Vec<T>, StoreError> {
    rows(tx, sql, |r| Ok(r.get(0))).await
}

async fn rows<T>(
    tx: &Transaction<'_>,
    sql: &str,
    each: impl Fn(&tokio_postgres::Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    tx.query(sql, &[]).await.map_err(db_error)?.iter().map(each).collect()
}

/// A record as the JSON the embedded store keeps.
fn doc<'a, T: Serialize + std::fmt::Debug + Sync>(record: &'a T) -> Value<'a> {
    Box::new(Json(record))
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn seq(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Corrupt(format!("{n} is too large for the database")))
}

fn unsigned(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative count {n}")))
}

fn corrupt(what: &str, text: &str) -> StoreError {
    StoreError::Corrupt(format!("bad {what} `{text}`"))
}
