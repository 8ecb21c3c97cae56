//! The notification consumers of the event log, and reminder planning: who is told about a
//! reservation, on which channel, in which language. Everything here only stages deliveries and
//! inbox entries, each under a "once" key, so a replayed event or a second reminder run adds none.

use super::email::MailData;
use super::series;
use crate::clock::Clock;
use crate::events::bus::{Consumer, Staging};
use crate::events::{Event, EventKind};
use crate::i18n::{Lang, Tr};
use crate::model::notify::{Channel, Delivery, Notification, Preferences};
use crate::model::reservation::{Reservation, Status};
use crate::store::{StoreError, Tx, View};
use crate::types::{NotificationId, UserId, micros};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::Notify;

/// The furthest ahead a reminder can be (the largest lead time a user can choose).
pub const MAX_LEAD_MINUTES: u32 = 24 * 60;

/// The key naming one piece of work, for [`Tx::mark_done`].
pub fn once_key(parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize().into()
}

/// The key of work done for `event`: the event's instant first (big-endian), then 24 bytes of
/// [`once_key`]. Work for neighbouring events gets neighbouring keys, so a batch of bookings
/// dirties a page or two of the table instead of one per booking (random keys did: each page
/// is a write the commit must flush).
pub fn event_once_key(event: &Event, parts: &[&str]) -> [u8; 32] {
    let mut key = once_key(parts);
    key.copy_within(..24, 8);
    key[..8].copy_from_slice(&micros(event.at).to_be_bytes());
    key
}

/// Stages `work` unless the work named `key` was staged before.
fn once(key: [u8; 32], work: impl FnOnce(&mut Tx) + Send + 'static) -> Staging {
    Box::new(move |tx: &mut Tx| {
        if !tx.is_done(key)? {
            tx.mark_done(key);
            work(tx);
        }
        Ok(())
    })
}

struct Recipient {
    email: String,
    /// The user's phone (E.164), or empty.
    phone: String,
    name: String,
    language: String,
    user: Option<UserId>,
    prefs: Preferences,
}

/// The owner and the attendees, once each; inactive users are left out.
fn recipients(view: &View, r: &Reservation) -> Result<Vec<Recipient>, StoreError> {
    let mut out: Vec<Recipient> = Vec::new();
    let owner = view.user(r.user_id)?.into_iter();
    let attendees = r.attendees.iter().map(|a| Ok((a.clone(), view.user_by_email(a)?)));
    let people =
        owner.map(|u| Ok((u.email.clone(), Some(u)))).chain(attendees).collect::<Result<Vec<_>, StoreError>>()?;
    for (email, user) in people {
        if out.iter().any(|o| o.email == email) || user.as_ref().is_some_and(|u| !u.active) {
            continue;
        }
        let prefs = match &user {
            Some(u) => view.preferences(u.id)?.unwrap_or_default(),
            None => Preferences::default(),
        };
        out.push(Recipient {
            email,
            phone: user.as_ref().map(|u| u.phone.clone()).unwrap_or_default(),
            name: user.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
            language: user.as_ref().map_or("en", |u| u.mail_language()).to_string(),
            user: user.map(|u| u.id),
            prefs,
        });
    }
    Ok(out)
}

fn mail_data(view: &View, r: &Reservation, minutes_before: Option<u32>) -> Result<MailData, StoreError> {
    let room = view.room(r.room_id)?;
    let owner = view.user(r.user_id)?;
    let fields =
        view.booking_fields()?.into_iter().filter_map(|f| r.fields.get(&f.key).map(|a| (f.label, a.clone()))).collect();
    Ok(MailData {
        reservation: r.clone(),
        room_name: room.as_ref().map(|x| x.name.clone()).unwrap_or_default(),
        room_location: room.as_ref().map(|x| x.location.clone()).unwrap_or_default(),
        room_timezone: room.map(|x| x.timezone).unwrap_or_else(|| "UTC".into()),
        owner_name: owner.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
        owner_email: owner.map(|o| o.email).unwrap_or_default(),
        recipient_name: String::new(),
        minutes_before,
        occurrences: Vec::new(),
        fields,
    })
}

fn email(kind: &str, to: &Recipient, data: &MailData, event: Option<&Event>, now: DateTime<Utc>) -> Delivery {
    delivery(Channel::Email, &to.email, kind, to, data, event, now)
}

/// A text message to the recipient's phone, if they have one and want texts of `kind`.
fn text(kind: &str, to: &Recipient, data: &MailData, event: Option<&Event>, now: DateTime<Utc>) -> Option<Delivery> {
    let wanted = !to.phone.is_empty() && to.prefs.sms && to.prefs.wants(kind) && super::sms::KINDS.contains(&kind);
    wanted.then(|| delivery(Channel::Sms, &to.phone, kind, to, data, event, now))
}

fn delivery(
    channel: Channel,
    recipient: &str,
    kind: &str,
    to: &Recipient,
    data: &MailData,
    event: Option<&Event>,
    now: DateTime<Utc>,
) -> Delivery {
    let data = MailData { recipient_name: to.name.clone(), ..data.clone() };
    let payload = serde_json::to_value(data).unwrap_or_default();
    Delivery {
        language: to.language.clone(),
        event_id: event.map(|e| e.id),
        ..Delivery::pending(channel, recipient, kind, payload, now)
    }
}

/// The inbox line for `kind`, in `lang`, from the catalogs (`inbox_<kind>`; reminders and any
/// kind without a line of its own read as a reminder).
pub(super) fn title(kind: &str, lang: &str, data: &MailData) -> String {
    let tr = Tr::new(Lang::from_code(lang).unwrap_or(Lang::En));
    let tz: Tz = data.room_timezone.parse().unwrap_or(Tz::UTC);
    let when = data.reservation.start.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let key = format!("inbox_{}", kind.replace('.', "_"));
    let key = if tr.t(&key) == key { "inbox_reminder" } else { key.as_str() };
    let (minutes, n) = (data.minutes_before.unwrap_or(0).to_string(), data.occurrences.len().to_string());
    // The title last: what its owner typed is not read for placeholders.
    let args = [("room", data.room_name.as_str()), ("when", &when), ("minutes", &minutes), ("n", &n)];
    tr.f(key, &[&args[..], &[("title", data.reservation.title.as_str())]].concat())
}

fn inbox(kind: &str, user: UserId, lang: &str, data: &MailData, now: DateTime<Utc>) -> Notification {
    Notification {
        id: NotificationId::new(),
        user_id: user,
        kind: kind.to_string(),
        title: title(kind, lang, data),
        reservation_id: Some(data.reservation.id),
        starts_at: Some(data.reservation.start),
        created_at: now,
        read_at: None,
    }
}

pub(crate) fn reservation_event(event: &Event) -> Option<(&'static str, Result<Reservation, String>)> {
    let kind = match event.kind {
        EventKind::ReservationCreated => "reservation.created",
        EventKind::ReservationUpdated => "reservation.updated",
        EventKind::ReservationCancelled => "reservation.cancelled",
        EventKind::ReservationApproved => "reservation.approved",
        EventKind::ReservationDeclined => "reservation.declined",
        EventKind::ReservationNoShow => "reservation.no_show",
        _ => return None,
    };
    let r: Result<Reservation, String> = event.snapshot().map_err(|e| format!("reservation snapshot: {e}"));
    // A booking that waits for approval is a request, not yet a booking.
    let kind = match &r {
        Ok(r) if kind == "reservation.created" && r.status == Status::Pending => "reservation.requested",
        _ => kind,
    };
    Some((kind, r))
}

/// Requests, refusals and releases concern the owner alone; attendees hear of a meeting once it
/// is confirmed (creation without approval, or approval).
fn owner_only(kind: &str) -> bool {
    matches!(kind, "reservation.requested" | "reservation.declined" | "reservation.no_show")
}

/// What one message is about, for its once key. Approval messages are one per decision: the
/// occurrences of a series decided together (same series, same instant) make one message.
fn about(kind: &str, event: &Event, r: &Reservation) -> String {
    match (kind, r.series_id) {
        (
            "reservation.requested"
            | "reservation.approved"
            | "reservation.declined"
            | series::CREATED
            | series::CANCELLED,
            Some(series),
        ) => {
            format!("{kind}/{series}/{}", micros(event.at))
        }
        _ => event.id.to_string(),
    }
}

/// Who may approve `r`: active users who manage its room.
fn approvers(view: &View, r: &Reservation) -> Result<Vec<Recipient>, StoreError> {
    let Some(room) = view.room(r.room_id)? else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for u in view.users()?.into_iter().filter(|u| u.active && u.id != r.user_id) {
        let actor = crate::access::Actor::user(u.id, u.role);
        if crate::reservations::rights(view, &actor, &room)?.manage {
            let prefs = view.preferences(u.id)?.unwrap_or_default();
            let language = u.mail_language().to_string();
            out.push(Recipient { email: u.email, phone: u.phone, name: u.name, language, user: Some(u.id), prefs });
        }
    }
    Ok(out)
}

/// Everyone told of `kind` about `r`, with the kind of message each gets: for a request, the
/// owner and (as `approval.requested`) the approvers.
fn audience(view: &View, kind: &'static str, r: &Reservation) -> Result<Vec<(&'static str, Recipient)>, StoreError> {
    let mut out: Vec<(&'static str, Recipient)> = recipients(view, r)?
        .into_iter()
        .filter(|to| !owner_only(kind) || to.user == Some(r.user_id))
        .map(|to| (kind, to))
        .collect();
    if kind == "reservation.requested" {
        out.extend(approvers(view, r)?.into_iter().map(|to| ("approval.requested", to)));
    }
    Ok(out)
}

/// What a reservation event is told as: its kind, the reservation the message describes and the
/// message's data; a series booked or cancelled together is one message (see [`series`]), told
/// with the group's first event, so the others give None.
type Told = Option<(&'static str, Reservation, MailData)>;

fn told(view: &View, kind: &'static str, r: Reservation, event: &Event) -> Result<Told, String> {
    let (kind, r, group) = match series::regroup(view, kind, &r, event).map_err(|e| e.to_string())? {
        series::Told::Alone => (kind, r, Vec::new()),
        series::Told::WithGroup => return Ok(None),
        series::Told::Group(kind, group) => (kind, series::first(&group).cloned().unwrap_or(r), group),
    };
    let mut data = mail_data(view, &r, None).map_err(|e| e.to_string())?;
    data.occurrences = series::occurrences(&group);
    Ok(Some((kind, r, data)))
}

/// The deliveries of one channel (`tag`) for a reservation event: what `make` gives for each
/// person told, each staged once under the event, what it is about and its recipient. With
/// `skip_actor`, the person who made the change is left out.
fn deliveries(
    view: &View,
    event: &Event,
    now: DateTime<Utc>,
    tag: &str,
    skip_actor: bool,
    make: impl Fn(&'static str, &Recipient, &MailData, DateTime<Utc>) -> Result<Vec<Delivery>, StoreError>,
) -> Result<Vec<Staging>, String> {
    let Some((kind, r)) = reservation_event(event) else { return Ok(Vec::new()) };
    let Some((kind, r, data)) = told(view, kind, r?, event)? else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (kind, to) in audience(view, kind, &r).map_err(|e| e.to_string())? {
        if skip_actor && to.user == event.actor {
            continue;
        }
        for d in make(kind, &to, &data, now).map_err(|e| e.to_string())? {
            let key = event_once_key(event, &[tag, &about(kind, event, &r), &d.recipient]);
            out.push(once(key, move |tx| tx.put_delivery(d)));
        }
    }
    Ok(out)
}

/// Turns reservation events into e-mails to the owner and attendees.
pub struct EmailConsumer {
    pub enabled: bool,
    pub clock: Clock,
    pub wake: Arc<Notify>,
}

impl Consumer for EmailConsumer {
    fn name(&self) -> &'static str {
        "notify.email"
    }

    fn plan(&self, view: &View, event: &Event) -> Result<Vec<Staging>, String> {
        if !self.enabled {
            return Ok(Vec::new());
        }
        // The one who made the change gets their confirmation too, with its invitation.
        deliveries(view, event, self.clock.now(), "email", false, |kind, to, data, now| {
            Ok((to.prefs.email && to.prefs.wants(kind))
                .then(|| email(kind, to, data, Some(event), now))
                .into_iter()
                .collect())
        })
    }

    fn committed(&self) {
        self.wake.notify_one();
    }
}

/// Turns reservation events into entries of the in-app notification centre, for everyone but
/// the person who made the change: they saw it happen (and their e-mail confirmation, with its
/// invitation, still goes out). The bell counts what others did to your bookings, and reminders.
pub struct InboxConsumer {
    pub clock: Clock,
}

impl Consumer for InboxConsumer {
    fn name(&self) -> &'static str {
        "notify.inbox"
    }

    fn plan(&self, view: &View, event: &Event) -> Result<Vec<Staging>, String> {
        let Some((kind, r)) = reservation_event(event) else { return Ok(Vec::new()) };
        let Some((kind, r, data)) = told(view, kind, r?, event)? else { return Ok(Vec::new()) };
        let now = self.clock.now();
        let mut out = Vec::new();
        for (kind, to) in audience(view, kind, &r).map_err(|e| e.to_string())? {
            let wanted = |user: &UserId| Some(*user) != event.actor && to.prefs.in_app && to.prefs.wants(kind);
            if let Some(user) = to.user.filter(wanted) {
                let n = inbox(kind, user, &to.language, &data, now);
                let key = event_once_key(event, &["inbox", &about(kind, event, &r), &user.to_string()]);
                out.push(once(key, move |tx| tx.put_notification(n)));
            }
        }
        Ok(out)
    }
}

/// Turns reservation events into text messages to the people who chose SMS and gave a phone,
/// except the person who made the change (a text about what you just did is noise, and may
/// cost).
pub struct SmsConsumer {
    pub enabled: bool,
    pub clock: Clock,
    pub wake: Arc<Notify>,
}

impl Consumer for SmsConsumer {
    fn name(&self) -> &'static str {
        "notify.sms"
    }

    fn plan(&self, view: &View, event: &Event) -> Result<Vec<Staging>, String> {
        if !self.enabled {
            return Ok(Vec::new());
        }
        deliveries(view, event, self.clock.now(), "sms", true, |kind, to, data, now| {
            Ok(text(kind, to, data, Some(event), now).into_iter().collect())
        })
    }

    fn committed(&self) {
        self.wake.notify_one();
    }
}

/// Turns reservation events into Web Push messages, one per browser of each person who wants
/// them, except the person who made the change (as for SMS: they saw it happen).
pub struct PushConsumer {
    pub enabled: bool,
    pub clock: Clock,
    pub wake: Arc<Notify>,
}

impl Consumer for PushConsumer {
    fn name(&self) -> &'static str {
        "notify.push"
    }

    fn plan(&self, view: &View, event: &Event) -> Result<Vec<Staging>, String> {
        if !self.enabled {
            return Ok(Vec::new());
        }
        deliveries(view, event, self.clock.now(), "push", true, |kind, to, data, now| {
            pushes(view, kind, to, data, Some(event), now)
        })
    }

    fn committed(&self) {
        self.wake.notify_one();
    }
}

/// One push per browser the recipient subscribed, if they want pushes of `kind`.
fn pushes(
    view: &View,
    kind: &str,
    to: &Recipient,
    data: &MailData,
    event: Option<&Event>,
    now: DateTime<Utc>,
) -> Result<Vec<Delivery>, StoreError> {
    let Some(user) = to.user.filter(|_| to.prefs.push && to.prefs.wants(kind) && super::sms::KINDS.contains(&kind))
    else {
        return Ok(Vec::new());
    };
    let subscriptions = view.push_subscriptions(user)?;
    Ok(subscriptions.iter().map(|s| delivery(Channel::Push, &s.id.to_string(), kind, to, data, event, now)).collect())
}

/// The channels that are on, for reminders.
#[derive(Clone, Copy)]
pub struct Channels {
    pub email: bool,
    pub sms: bool,
    pub push: bool,
}

/// Reminders due at `now`: for each live reservation that has not begun and whose reminder time
/// (its start minus the recipient's lead time) has come. Missed runs are caught up by the next
/// one; the once key (reservation, start, recipient) makes each reminder go out once, and a
/// rescheduled meeting gets a new one.
pub fn plan_reminders(
    view: &View,
    now: DateTime<Utc>,
    default_lead: u32,
    channels: Channels,
) -> Result<Vec<Staging>, StoreError> {
    let mut out = Vec::new();
    let horizon = now + Duration::minutes(MAX_LEAD_MINUTES.into());
    for r in view.reservations_starting(now, horizon)?.into_iter().filter(|r| r.start > now) {
        for to in recipients(view, &r)? {
            let lead = to.prefs.reminder_minutes.unwrap_or(default_lead);
            let remind_at = r.start - Duration::minutes(lead.into());
            // Booked after its reminder time: the confirmation was the reminder.
            if !to.prefs.reminders || remind_at > now || r.created_at >= remind_at {
                continue;
            }
            let data = mail_data(view, &r, Some(lead))?;
            let (id, start) = (r.id.to_string(), micros(r.start).to_string());
            if channels.email && to.prefs.email {
                let d = email("reminder", &to, &data, None, now);
                out.push(once(once_key(&["reminder", &id, &start, &to.email]), move |tx| tx.put_delivery(d)));
            }
            if let Some(d) = text("reminder", &to, &data, None, now).filter(|_| channels.sms && to.user.is_some()) {
                out.push(once(once_key(&["reminder-sms", &id, &start, &to.phone]), move |tx| tx.put_delivery(d)));
            }
            for d in pushes(view, "reminder", &to, &data, None, now)?.into_iter().filter(|_| channels.push) {
                let key = once_key(&["reminder-push", &id, &start, &d.recipient]);
                out.push(once(key, move |tx| tx.put_delivery(d)));
            }
            if let Some(user) = to.user.filter(|_| to.prefs.in_app) {
                let n = inbox("reminder", user, &to.language, &data, now);
                out.push(once(once_key(&["reminder-inbox", &id, &start, &to.email]), move |tx| tx.put_notification(n)));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(title: &str) -> MailData {
        let start = chrono::DateTime::parse_from_rfc3339("2027-03-01T09:00:00Z").unwrap().to_utc();
        let reservation: Reservation = serde_json::from_value(serde_json::json!({
            "id": crate::types::ReservationId::new(), "room_id": crate::types::RoomId::new(),
            "user_id": UserId::new(), "title": title, "description": "", "start": start,
            "end": start + chrono::Duration::hours(1), "attendees": [], "status": "confirmed", "version": 1,
            "created_by": UserId::new(), "created_at": start, "updated_at": start, "cancelled_at": null
        }))
        .unwrap();
        MailData {
            reservation,
            room_name: "Sala Norte".into(),
            room_location: String::new(),
            room_timezone: "Europe/Madrid".into(),
            owner_name: String::new(),
            owner_email: String::new(),
            recipient_name: String::new(),
            minutes_before: Some(15),
            occurrences: Vec::new(),
            fields: Vec::new(),
        }
    }

    /// Inbox lines come from the catalogs, in the recipient's language and the room's zone; a
    /// title's braces are kept as typed.
    #[test]
    fn inbox_titles_speak_the_recipients_language() {
        let d = data("Planning {room}");
        assert_eq!(title("reservation.created", "en", &d), "Booked: Planning {room} — Sala Norte, 2027-03-01 10:00");
        assert_eq!(
            title("reservation.declined", "es", &d),
            "Rechazada: Planning {room} — Sala Norte, 2027-03-01 10:00"
        );
        assert_eq!(title("reminder", "es", &d), "Empieza en 15 min: Planning {room} — Sala Norte");
        assert_eq!(title("reminder", "", &d), "Starting in 15 min: Planning {room} — Sala Norte");
    }
}
