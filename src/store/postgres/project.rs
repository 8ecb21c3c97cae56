//! What each op writes into the tables: the relational side of a batch. The statements run in
//! the batch's transaction, pipelined, before its replication log entry (`primary.rs`).

use super::super::StoreError;
use super::super::account_links::LinkOp;
use super::super::displays::DisplayOp;
use super::super::fields::FieldOp;
use super::super::groups::GroupOp;
use super::super::outbox::NotifyOp;
use super::super::policies::location_key;
use super::super::push::PushOp;
use super::super::queries::name_key;
use super::super::tx::Op;
use crate::model::notify::DeliveryStatus;
use crate::model::reservation::Reservation;
use serde::Serialize;
use tokio_postgres::types::{Json, ToSql};

type Param = Box<dyn ToSql + Sync + Send>;

/// One statement of a batch, with its parameters.
pub struct Row {
    pub sql: &'static str,
    pub params: Vec<Param>,
}

fn row(sql: &'static str, params: Vec<Param>) -> Row {
    Row { sql, params }
}

fn doc<T: Serialize>(record: &T) -> Result<Param, StoreError> {
    Ok(Box::new(Json(serde_json::to_value(record).map_err(|e| StoreError::Corrupt(e.to_string()))?)))
}

fn seq(n: u64) -> Result<Param, StoreError> {
    i64::try_from(n).map(|n| Box::new(n) as Param).map_err(|_| StoreError::Corrupt(format!("{n} is too large")))
}

/// A reservation's row: id, room_id, user_id, series_id, starts_at, ends_at, status, live,
/// created_at, doc (also what `salas store copy` writes).
pub fn reservation_columns(r: &Reservation) -> Result<Vec<Param>, StoreError> {
    Ok(vec![
        Box::new(r.id.0),
        Box::new(r.room_id.0),
        Box::new(r.user_id.0),
        Box::new(r.series_id.map(|s| s.0)),
        Box::new(r.start),
        Box::new(r.end),
        Box::new(r.status.as_str().to_string()),
        Box::new(r.status.is_live()),
        Box::new(r.created_at),
        doc(r)?,
    ])
}

/// The statements that write `op`.
pub fn project(op: &Op) -> Result<Vec<Row>, StoreError> {
    Ok(match op {
        Op::User(u) => vec![row(
            "INSERT INTO users (id, email, doc) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET email = excluded.email, doc = excluded.doc",
            vec![Box::new(u.id.0), Box::new(u.email.clone()), doc(u)?],
        )],
        Op::ApiKey(k) => vec![row(
            "INSERT INTO api_keys (id, user_id, secret_hash, doc) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, secret_hash = excluded.secret_hash, doc = excluded.doc",
            vec![Box::new(k.id.0), Box::new(k.user_id.0), Box::new(k.secret_hash.to_vec()), doc(k)?],
        )],
        Op::DeleteApiKey(id) => vec![row("DELETE FROM api_keys WHERE id = $1", vec![Box::new(id.0)])],
        Op::Room(r) => vec![row(
            "INSERT INTO rooms (id, name_key, doc) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET name_key = excluded.name_key, doc = excluded.doc",
            vec![Box::new(r.id.0), Box::new(name_key(&r.name)), doc(r)?],
        )],
        Op::Resource(r) => vec![row(
            "INSERT INTO resources (id, name_key, doc) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET name_key = excluded.name_key, doc = excluded.doc",
            vec![Box::new(r.id.0), Box::new(name_key(&r.name)), doc(r)?],
        )],
        Op::DeleteResource(id) => vec![row("DELETE FROM resources WHERE id = $1", vec![Box::new(id.0)])],
        Op::Reservation(r) => vec![row(
            "INSERT INTO reservations (id, room_id, user_id, series_id, starts_at, ends_at, status, live, created_at, doc)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (id) DO UPDATE SET room_id = excluded.room_id, user_id = excluded.user_id,
               series_id = excluded.series_id, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
               status = excluded.status, live = excluded.live, created_at = excluded.created_at, doc = excluded.doc",
            reservation_columns(r)?,
        )],
        Op::Event(_) => return Err(StoreError::Storage("an event was written before it was numbered".into())),
        Op::Appended(e) => {
            let kind = serde_json::to_value(e.kind).map_err(|err| StoreError::Corrupt(err.to_string()))?;
            vec![row(
                "INSERT INTO events (seq, id, kind, at, doc) VALUES ($1, $2, $3, $4, $5)",
                vec![seq(e.seq)?, Box::new(e.id.0), Box::new(kind.as_str().unwrap_or("").to_string()), Box::new(e.at), doc(e)?],
            )]
        }
        Op::Session(hash, s) => vec![row(
            "INSERT INTO sessions (secret_hash, user_id, expires_at, doc) VALUES ($1, $2, $3, $4)
             ON CONFLICT (secret_hash) DO UPDATE SET user_id = excluded.user_id, expires_at = excluded.expires_at, doc = excluded.doc",
            vec![Box::new(hash.to_vec()), Box::new(s.user_id.0), Box::new(s.expires_at), doc(s)?],
        )],
        Op::DeleteSession(hash) => vec![row("DELETE FROM sessions WHERE secret_hash = $1", vec![Box::new(hash.to_vec())])],
        Op::PurgeSessions(now) => vec![row("DELETE FROM sessions WHERE expires_at <= $1", vec![Box::new(*now)])],
        Op::Notify(op) => notify(op)?,
        Op::Waitlist(w) => vec![row(
            "INSERT INTO waitlist (id, room_id, doc) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET room_id = excluded.room_id, doc = excluded.doc",
            vec![Box::new(w.id.0), Box::new(w.room_id.0), doc(w)?],
        )],
        Op::FeedGeneration(owner, generation) => vec![row(
            "INSERT INTO feed_generations (owner_id, generation) VALUES ($1, $2)
             ON CONFLICT (owner_id) DO UPDATE SET generation = excluded.generation",
            vec![Box::new(uuid::Uuid::from_bytes(*owner)), seq(*generation)?],
        )],
        Op::LocationPolicy(p) if p.policy.is_empty() => vec![row(
            "DELETE FROM location_policies WHERE location_key = $1",
            vec![Box::new(location_key(&p.location))],
        )],
        Op::LocationPolicy(p) => vec![row(
            "INSERT INTO location_policies (location_key, doc) VALUES ($1, $2)
             ON CONFLICT (location_key) DO UPDATE SET doc = excluded.doc",
            vec![Box::new(location_key(&p.location)), doc(p)?],
        )],
        Op::Display(DisplayOp::Put(d)) => vec![row(
            "INSERT INTO displays (id, room_id, secret_hash, doc) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET room_id = excluded.room_id, secret_hash = excluded.secret_hash, doc = excluded.doc",
            vec![Box::new(d.id.0), Box::new(d.room_id.0), Box::new(d.secret_hash.to_vec()), doc(d)?],
        )],
        Op::Display(DisplayOp::Delete(id)) => vec![row("DELETE FROM displays WHERE id = $1", vec![Box::new(id.0)])],
        Op::Audit(a) => vec![row(
            "INSERT INTO audit_log (at, id, doc) VALUES ($1, $2, $3)",
            vec![Box::new(a.at), Box::new(a.id), doc(a)?],
        )],
        Op::Groups(op) => groups(op)?,
        Op::Push(PushOp::Subscription(s)) => vec![row(
            "INSERT INTO push_subscriptions (id, user_id, doc) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, doc = excluded.doc",
            vec![Box::new(s.id.0), Box::new(s.user_id.0), doc(s)?],
        )],
        Op::BookingField(FieldOp::Put(f)) => vec![row(
            "INSERT INTO booking_fields (id, key, doc) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET key = excluded.key, doc = excluded.doc",
            vec![Box::new(f.id.0), Box::new(f.key.clone()), doc(f)?],
        )],
        Op::BookingField(FieldOp::Delete(id)) => {
            vec![row("DELETE FROM booking_fields WHERE id = $1", vec![Box::new(id.0)])]
        }
        Op::Push(PushOp::Delete(id)) => vec![row("DELETE FROM push_subscriptions WHERE id = $1", vec![Box::new(id.0)])],
        Op::Push(PushOp::VapidKey(sealed)) => vec![row(
            "INSERT INTO feed_secret (key, secret) VALUES ('vapid', $1) ON CONFLICT (key) DO UPDATE SET secret = excluded.secret",
            vec![Box::new(sealed.as_bytes().to_vec())],
        )],
        Op::AccountLink(LinkOp::Put(hash, link)) => vec![row(
            "INSERT INTO account_links (hash, expires_at, doc) VALUES ($1, $2, $3)
             ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at, doc = excluded.doc",
            vec![Box::new(hash.to_vec()), Box::new(link.expires_at), doc(link.as_ref())?],
        )],
        Op::AccountLink(LinkOp::Purge(now)) => {
            vec![row("DELETE FROM account_links WHERE expires_at <= $1", vec![Box::new(*now)])]
        }
        Op::LoginLock(key, Some(lock)) => vec![row(
            "INSERT INTO login_locks (key, forget_at, doc) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET forget_at = excluded.forget_at, doc = excluded.doc",
            vec![Box::new(key.clone()), Box::new(lock.forget_at), doc(lock)?],
        )],
        Op::LoginLock(key, None) => vec![row("DELETE FROM login_locks WHERE key = $1", vec![Box::new(key.clone())])],
        Op::PurgeLoginLocks(now) => vec![row("DELETE FROM login_locks WHERE forget_at <= $1", vec![Box::new(*now)])],
    })
}

fn notify(op: &NotifyOp) -> Result<Vec<Row>, StoreError> {
    Ok(match op {
        NotifyOp::Cursor(name, n) => vec![row(
            "INSERT INTO consumer_cursors (consumer, seq) VALUES ($1, $2)
             ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq",
            vec![Box::new(name.clone()), seq(*n)?],
        )],
        NotifyOp::Once(key) => {
            vec![row("INSERT INTO once_keys (key) VALUES ($1) ON CONFLICT DO NOTHING", vec![Box::new(key.to_vec())])]
        }
        NotifyOp::Delivery(d) => {
            let due = (d.status == DeliveryStatus::Pending).then_some(d.next_attempt_at);
            vec![row(
                "INSERT INTO deliveries (id, due_at, doc) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET due_at = excluded.due_at, doc = excluded.doc",
                vec![Box::new(d.id.0), Box::new(due), doc(d)?],
            )]
        }
        NotifyOp::Template(key, Some(t)) => vec![row(
            "INSERT INTO email_templates (key, doc) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET doc = excluded.doc",
            vec![Box::new(key.clone()), doc(t)?],
        )],
        NotifyOp::Template(key, None) => {
            vec![row("DELETE FROM email_templates WHERE key = $1", vec![Box::new(key.clone())])]
        }
        NotifyOp::Webhook(w) => vec![row(
            "INSERT INTO webhooks (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
            vec![Box::new(w.id.0), doc(w)?],
        )],
        NotifyOp::DeleteWebhook(id) => vec![row("DELETE FROM webhooks WHERE id = $1", vec![Box::new(id.0)])],
        NotifyOp::Notification(n) => vec![row(
            "INSERT INTO notifications (user_id, id, unread, doc) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, id) DO UPDATE SET unread = excluded.unread, doc = excluded.doc",
            vec![Box::new(n.user_id.0), Box::new(n.id.0), Box::new(n.read_at.is_none()), doc(n)?],
        )],
        NotifyOp::Preferences(user, p) => vec![row(
            "INSERT INTO notify_prefs (user_id, doc) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET doc = excluded.doc",
            vec![Box::new(user.0), doc(p)?],
        )],
        NotifyOp::Subscription(s) => vec![row(
            "INSERT INTO report_subscriptions (id, user_id, doc) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, doc = excluded.doc",
            vec![Box::new(s.id.0), Box::new(s.user_id.0), doc(s)?],
        )],
        NotifyOp::DeleteSubscription(id) => {
            vec![row("DELETE FROM report_subscriptions WHERE id = $1", vec![Box::new(id.0)])]
        }
    })
}

fn groups(op: &GroupOp) -> Result<Vec<Row>, StoreError> {
    Ok(match op {
        GroupOp::Put(g) => vec![row(
            "INSERT INTO user_groups (id, name_key, doc) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET name_key = excluded.name_key, doc = excluded.doc",
            vec![Box::new(g.id.0), Box::new(name_key(&g.name)), doc(g)?],
        )],
        GroupOp::Delete(id) => vec![
            row("DELETE FROM group_members WHERE group_id = $1", vec![Box::new(id.0)]),
            row("DELETE FROM user_groups WHERE id = $1", vec![Box::new(id.0)]),
        ],
        GroupOp::Member { group, user, member: true } => vec![row(
            "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            vec![Box::new(group.0), Box::new(user.0)],
        )],
        GroupOp::Member { group, user, member: false } => vec![row(
            "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2",
            vec![Box::new(group.0), Box::new(user.0)],
        )],
        GroupOp::RoomRule(room, Some(rule)) => vec![row(
            "INSERT INTO room_access (room_id, doc) VALUES ($1, $2) ON CONFLICT (room_id) DO UPDATE SET doc = excluded.doc",
            vec![Box::new(room.0), doc(rule)?],
        )],
        GroupOp::RoomRule(room, None) => {
            vec![row("DELETE FROM room_access WHERE room_id = $1", vec![Box::new(room.0)])]
        }
        GroupOp::LocationRule(key, Some(rule)) => vec![row(
            "INSERT INTO location_access (location_key, doc) VALUES ($1, $2)
             ON CONFLICT (location_key) DO UPDATE SET doc = excluded.doc",
            vec![Box::new(key.clone()), doc(rule)?],
        )],
        GroupOp::LocationRule(key, None) => {
            vec![row("DELETE FROM location_access WHERE location_key = $1", vec![Box::new(key.clone())])]
        }
    })
}
