//! Storage for the event bus and the notification modules: consumer cursors, deliveries (with
//! their due index), "once" keys, templates, webhooks, the inbox and preferences.

use super::StoreError;
use super::codec::{decode, encode};
use super::kept::Kept;
use super::queries::{Txn, View, all, get, with_table};
use super::tables::*;
use super::tx::{Op, Tx};
use crate::model::notify::{Channel, Delivery, DeliveryStatus, EmailTemplate, Notification, Preferences, Webhook};
use crate::model::report::Subscription;
use crate::model::reservation::Reservation;
use crate::types::{DeliveryId, NotificationId, SubscriptionId, UserId, WebhookId, micros};
use chrono::{DateTime, Utc};
use redb::ReadableTable;

type Result<T> = std::result::Result<T, StoreError>;

#[derive(serde::Serialize, serde::Deserialize)]
pub(super) enum NotifyOp {
    Cursor(String, u64),
    Once([u8; 32]),
    Delivery(Box<Delivery>),
    Template(String, Option<Box<EmailTemplate>>),
    Webhook(Box<Webhook>),
    DeleteWebhook(WebhookId),
    Notification(Box<Notification>),
    Preferences(UserId, Box<Preferences>),
    Subscription(Box<Subscription>),
    DeleteSubscription(SubscriptionId),
}

impl Tx<'_> {
    fn notify(&mut self, op: NotifyOp) {
        self.stage(Op::Notify(op));
    }
    /// Records that consumer `name` has handled every event up to `seq`.
    pub fn set_cursor(&mut self, name: &str, seq: u64) {
        self.notify(NotifyOp::Cursor(name.to_string(), seq));
    }
    /// Records that the work named by `key` is staged (see [`View::is_done`]).
    pub fn mark_done(&mut self, key: [u8; 32]) {
        self.notify(NotifyOp::Once(key));
    }
    pub fn put_delivery(&mut self, delivery: Delivery) {
        self.notify(NotifyOp::Delivery(Box::new(delivery)));
    }
    pub fn put_email_template(&mut self, key: &str, template: EmailTemplate) {
        self.notify(NotifyOp::Template(key.to_string(), Some(Box::new(template))));
    }
    pub fn delete_email_template(&mut self, key: &str) {
        self.notify(NotifyOp::Template(key.to_string(), None));
    }
    pub fn put_webhook(&mut self, webhook: Webhook) {
        self.notify(NotifyOp::Webhook(Box::new(webhook)));
    }
    pub fn delete_webhook(&mut self, id: WebhookId) {
        self.notify(NotifyOp::DeleteWebhook(id));
    }
    pub fn put_notification(&mut self, notification: Notification) {
        self.notify(NotifyOp::Notification(Box::new(notification)));
    }
    pub fn put_preferences(&mut self, user: UserId, preferences: Preferences) {
        self.notify(NotifyOp::Preferences(user, Box::new(preferences)));
    }
    pub fn put_report_subscription(&mut self, subscription: Subscription) {
        self.notify(NotifyOp::Subscription(Box::new(subscription)));
    }
    pub fn delete_report_subscription(&mut self, id: SubscriptionId) {
        self.notify(NotifyOp::DeleteSubscription(id));
    }
}

pub(super) fn apply(kept: &Kept, view: &View, op: NotifyOp) -> Result<()> {
    let txn = kept.txn;
    match op {
        NotifyOp::Cursor(name, seq) => {
            kept.cursors.write()?.insert(name.as_str(), seq)?;
        }
        NotifyOp::Once(key) => {
            kept.once.write()?.insert(key, ())?;
        }
        NotifyOp::Delivery(d) => {
            let mut due = txn.open_table(DELIVERIES_DUE)?;
            if let Some(old) = view.delivery(d.id)? {
                due.remove((micros(old.next_attempt_at), old.id.bytes()))?;
            }
            if d.status == DeliveryStatus::Pending {
                due.insert((micros(d.next_attempt_at), d.id.bytes()), ())?;
            }
            txn.open_table(DELIVERIES)?.insert(d.id.bytes(), encode(&*d)?.as_slice())?;
        }
        NotifyOp::Template(key, Some(t)) => {
            txn.open_table(EMAIL_TEMPLATES)?.insert(key.as_str(), encode(&*t)?.as_slice())?;
        }
        NotifyOp::Template(key, None) => {
            txn.open_table(EMAIL_TEMPLATES)?.remove(key.as_str())?;
        }
        NotifyOp::Webhook(w) => {
            txn.open_table(WEBHOOKS)?.insert(w.id.bytes(), encode(&*w)?.as_slice())?;
        }
        NotifyOp::DeleteWebhook(id) => {
            txn.open_table(WEBHOOKS)?.remove(id.bytes())?;
        }
        NotifyOp::Notification(n) => {
            let key = (n.user_id.bytes(), n.id.bytes());
            kept.notifications.write()?.insert(key, encode(&*n)?.as_slice())?;
            if n.read_at.is_none() {
                kept.unread.write()?.insert(key, ())?;
            } else {
                kept.unread.write()?.remove(key)?;
            }
        }
        NotifyOp::Preferences(user, p) => {
            txn.open_table(NOTIFY_PREFS)?.insert(user.bytes(), encode(&*p)?.as_slice())?;
        }
        NotifyOp::Subscription(s) => {
            txn.open_table(REPORT_SUBSCRIPTIONS)?.insert(s.id.bytes(), encode(&*s)?.as_slice())?;
        }
        NotifyOp::DeleteSubscription(id) => {
            txn.open_table(REPORT_SUBSCRIPTIONS)?.remove(id.bytes())?;
        }
    }
    Ok(())
}

impl View<'_> {
    pub fn cursor(&self, name: &str) -> Result<Option<u64>> {
        with_table!(self, CURSORS, |t| Ok(t.get(name)?.map(|v| v.value())))
    }

    /// Every consumer's cursor, by name.
    pub fn cursors(&self) -> Result<Vec<(String, u64)>> {
        with_table!(self, CURSORS, |t| t
            .iter()?
            .map(|row| {
                let (k, v) = row?;
                Ok((k.value().to_string(), v.value()))
            })
            .collect())
    }

    /// Whether the work named by `key` was staged already.
    pub fn is_done(&self, key: [u8; 32]) -> Result<bool> {
        with_table!(self, ONCE, |t| Ok(t.get(key)?.is_some()))
    }

    /// The waitlist, oldest entry first.
    pub fn wait_entries(&self) -> Result<Vec<crate::model::wait::WaitEntry>> {
        let mut all: Vec<crate::model::wait::WaitEntry> = with_table!(self, WAITLIST, |t| all(t))?;
        all.sort_by_key(|e| (e.created_at, e.id));
        Ok(all)
    }

    pub fn wait_entry(&self, id: crate::types::WaitId) -> Result<Option<crate::model::wait::WaitEntry>> {
        with_table!(self, WAITLIST, |t| get(t, id.bytes()))
    }

    /// Scheduled report e-mails, oldest first.
    pub fn report_subscriptions(&self) -> Result<Vec<Subscription>> {
        let mut all: Vec<Subscription> = with_table!(self, REPORT_SUBSCRIPTIONS, |t| all(t))?;
        all.sort_by_key(|s| s.created_at);
        Ok(all)
    }

    pub fn report_subscription(&self, id: SubscriptionId) -> Result<Option<Subscription>> {
        with_table!(self, REPORT_SUBSCRIPTIONS, |t| get(t, id.bytes()))
    }

    pub fn delivery(&self, id: DeliveryId) -> Result<Option<Delivery>> {
        with_table!(self, DELIVERIES, |t| get(t, id.bytes()))
    }

    /// Deliveries of `channel`, newest first, optionally only those with `status`.
    pub fn deliveries(&self, channel: Channel, status: Option<DeliveryStatus>, limit: usize) -> Result<Vec<Delivery>> {
        with_table!(self, DELIVERIES, |t| {
            let mut out = Vec::new();
            for row in t.iter()?.rev() {
                let d: Delivery = decode(row?.1.value())?;
                if d.channel == channel && status.is_none_or(|s| d.status == s) {
                    out.push(d);
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            Ok(out)
        })
    }

    /// Pending deliveries of `channel` due at `now`, the longest waiting first.
    pub fn due_deliveries(&self, channel: Channel, now: DateTime<Utc>, limit: usize) -> Result<Vec<Delivery>> {
        let ids: Vec<[u8; 16]> = with_table!(self, DELIVERIES_DUE, |t| t
            .range((i64::MIN, [0u8; 16])..=(micros(now), [0xffu8; 16]))?
            .map(|row| Ok(row?.0.value().1))
            .collect::<Result<Vec<_>>>())?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(d) = self.delivery(DeliveryId::from_bytes(id))?.filter(|d| d.channel == channel) {
                out.push(d);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// When the next pending delivery of `channel` is due, if any.
    pub fn next_due(&self, channel: Channel) -> Result<Option<DateTime<Utc>>> {
        let ids: Vec<[u8; 16]> = with_table!(self, DELIVERIES_DUE, |t| t
            .iter()?
            .map(|row| Ok(row?.0.value().1))
            .collect::<Result<Vec<_>>>())?;
        for id in ids {
            if let Some(d) = self.delivery(DeliveryId::from_bytes(id))?.filter(|d| d.channel == channel) {
                return Ok(Some(d.next_attempt_at));
            }
        }
        Ok(None)
    }

    pub fn email_template(&self, key: &str) -> Result<Option<EmailTemplate>> {
        with_table!(self, EMAIL_TEMPLATES, |t| match t.get(key)? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        })
    }

    pub fn webhook(&self, id: WebhookId) -> Result<Option<Webhook>> {
        with_table!(self, WEBHOOKS, |t| get(t, id.bytes()))
    }

    pub fn webhooks(&self) -> Result<Vec<Webhook>> {
        with_table!(self, WEBHOOKS, |t| all(t))
    }

    /// A user's notifications, newest first; the unread ones found through their index.
    pub fn notifications(&self, user: UserId, unread_only: bool, limit: usize) -> Result<Vec<Notification>> {
        let u = user.bytes();
        let range = (u, [0u8; 16])..=(u, [0xffu8; 16]);
        if unread_only {
            let keys: Vec<([u8; 16], [u8; 16])> = with_table!(self, UNREAD, |t| t
                .range(range)?
                .rev()
                .take(limit)
                .map(|row| Ok(row?.0.value()))
                .collect::<Result<Vec<_>>>())?;
            return with_table!(self, NOTIFICATIONS, |t| {
                let mut out = Vec::new();
                for key in keys {
                    if let Some(row) = t.get(key)? {
                        out.push(decode(row.value())?);
                    }
                }
                Ok(out)
            });
        }
        with_table!(self, NOTIFICATIONS, |t| {
            t.range(range)?.rev().take(limit).map(|row| decode(row?.1.value())).collect()
        })
    }

    /// How many of `user`'s notifications are unread, counting up to `limit` (every page shows
    /// it): the length of a range of the unread index, nothing decoded.
    pub fn unread_notifications(&self, user: UserId, limit: usize) -> Result<usize> {
        let u = user.bytes();
        with_table!(self, UNREAD, |t| {
            let mut unread = 0;
            for row in t.range((u, [0u8; 16])..=(u, [0xffu8; 16]))?.take(limit) {
                row?;
                unread += 1;
            }
            Ok(unread)
        })
    }

    pub fn notification(&self, user: UserId, id: NotificationId) -> Result<Option<Notification>> {
        with_table!(self, NOTIFICATIONS, |t| match t.get((user.bytes(), id.bytes()))? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        })
    }

    pub fn preferences(&self, user: UserId) -> Result<Option<Preferences>> {
        with_table!(self, NOTIFY_PREFS, |t| get(t, user.bytes()))
    }

    /// Live reservations starting in `[from, to)`, in start order.
    pub fn reservations_starting(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Reservation>> {
        let ids: Vec<[u8; 16]> = with_table!(self, BY_START, |t| t
            .range((micros(from), [0u8; 16])..(micros(to), [0u8; 16]))?
            .map(|row| Ok(row?.0.value().1))
            .collect::<Result<Vec<_>>>())?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(r) =
                self.reservation(crate::types::ReservationId::from_bytes(id))?.filter(|r| r.status.is_live())
            {
                out.push(r);
            }
        }
        Ok(out)
    }
}

/// Whether a stored notification has no read mark (only that field is decoded).
pub(super) fn unread(value: &[u8]) -> Result<bool> {
    #[derive(serde::Deserialize)]
    struct ReadMark {
        read_at: Option<chrono::DateTime<chrono::Utc>>,
    }
    Ok(decode::<ReadMark>(value)?.read_at.is_none())
}
