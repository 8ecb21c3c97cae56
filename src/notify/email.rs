//! E-mail over SMTP with lettre: the transport from `[smtp]`, and messages made of a plain-text
//! and an HTML part plus an iCalendar invitation.

use super::templates::Rendered;
use crate::calendars::ics::{Entry, Method, People, Recurring, Writer};
use crate::calendars::recurring::{series_uid, slots};
use crate::config::SmtpConfig;
use crate::model::field::{FieldValue, Label};
use crate::model::notify::Delivery;
use crate::model::reservation::{Reservation, Status};
use crate::types::{ReservationId, TimeRange};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MessageBuilder, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What an e-mail delivery carries from the event to the moment it is sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MailData {
    pub reservation: Reservation,
    pub room_name: String,
    pub room_location: String,
    pub room_timezone: String,
    pub owner_name: String,
    pub owner_email: String,
    pub recipient_name: String,
    /// Reminders only.
    pub minutes_before: Option<u32>,
    /// A series told in one message (`series.*` kinds): every occurrence it is about, in start
    /// order; `reservation` is the first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub occurrences: Vec<Occurrence>,
    /// The answers to the booking fields, labelled in both languages (as defined when the
    /// message was planned), in form order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<(Label, FieldValue)>,
}

/// One occurrence of a series in a message.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Occurrence {
    pub id: ReservationId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub version: u64,
    /// Where the series' rule put it (its RECURRENCE-ID); absent for series booked before
    /// rules were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
}

impl MailData {
    /// The variables templates see (documented by [`super::templates::sample`]).
    pub fn context(&self, d: &Delivery) -> serde_json::Value {
        let r = &self.reservation;
        let tz: Tz = self.room_timezone.parse().unwrap_or(Tz::UTC);
        let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
        let utc = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        serde_json::json!({
            "kind": d.kind,
            "language": d.language,
            "recipient": {"name": self.recipient_name, "email": d.recipient},
            "owner": {"name": self.owner_name, "email": self.owner_email},
            "attendees": r.attendees,
            "room": {"name": self.room_name, "location": self.room_location},
            "reservation": {
                "id": r.id.to_string(),
                "title": r.title,
                "description": r.description,
                "start": utc(r.start),
                "end": utc(r.end),
                "start_local": local(r.start),
                "end_local": local(r.end),
                "timezone": self.room_timezone,
                "version": r.version,
                "status": r.status.as_str(),
                "reason": r.decline_reason.clone().unwrap_or_default(),
                "fields": self.fields.iter().map(|(label, value)| {
                    let (yes, no) = if d.language == "es" { ("Sí", "No") } else { ("Yes", "No") };
                    serde_json::json!({"label": label.in_language(&d.language), "value": value.display(yes, no)})
                }).collect::<Vec<_>>(),
            },
            "minutes_before": self.minutes_before.unwrap_or(0),
            "occurrences": self.occurrences.iter().map(|o| serde_json::json!({
                "start_local": local(o.start),
                "end_local": local(o.end),
                "date": o.start.with_timezone(&tz).format("%Y-%m-%d").to_string(),
                "time": format!("{}–{}", o.start.with_timezone(&tz).format("%H:%M"), o.end.with_timezone(&tz).format("%H:%M")),
            })).collect::<Vec<_>>(),
        })
    }
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    pub from: Mailbox,
}

impl Mailer {
    /// None when no SMTP host is configured (e-mail is off).
    pub fn new(c: &SmtpConfig) -> Result<Option<Mailer>, String> {
        if c.host.trim().is_empty() {
            return Ok(None);
        }
        let from: Mailbox = c.from.parse().map_err(|e| format!("smtp.from: {e}"))?;
        let host = c.host.trim();
        let builder = match c.security.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            _ => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)),
        }
        .map_err(|e| format!("smtp: {e}"))?;
        let mut builder = builder.port(c.port).timeout(Some(Duration::from_secs(c.timeout_seconds.into())));
        if !c.username.is_empty() {
            builder = builder.credentials(Credentials::new(c.username.clone(), c.password.clone()));
        }
        Ok(Some(Mailer { transport: builder.build(), from }))
    }

    /// Sends; Ok is the server's final answer ("250 …").
    pub async fn send(&self, message: Message) -> Result<String, String> {
        match self.transport.send(message).await {
            Ok(res) => Ok(format!("{} {}", res.code(), res.message().collect::<Vec<_>>().join(" "))),
            Err(e) => Err(describe(&e)),
        }
    }
}

/// An error with its chain of causes: lettre's and reqwest's errors say "network error"; the
/// causes say which (refused, TLS, timeout…).
pub(crate) fn describe(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The envelope every delivered e-mail shares: from Salas, to the delivery's recipient under
/// `name`, with a Message-ID derived from the delivery's id.
pub(crate) fn envelope(from: &Mailbox, d: &Delivery, name: &str, subject: &str) -> Result<MessageBuilder, String> {
    let to: Mailbox = d.recipient.parse().map_err(|e| format!("recipient {}: {e}", d.recipient))?;
    let to = Mailbox::new(Some(name.to_string()).filter(|n| !n.is_empty()), to.email);
    Ok(Message::builder().from(from.clone()).to(to).subject(subject).message_id(Some(format!(
        "<{}@{}>",
        d.id,
        from.email.domain()
    ))))
}

/// The message of an e-mail delivery. Its Message-ID is derived from the delivery id, so even a
/// duplicate (the process dying between the server's "250" and the store's "sent") is
/// recognisably the same message.
pub fn compose(
    from: &Mailbox,
    d: &Delivery,
    data: &MailData,
    rendered: &Rendered,
    now: DateTime<Utc>,
) -> Result<Message, String> {
    let r = &data.reservation;
    // A declined or released reservation leaves the calendar like a cancelled one.
    let method = match d.kind.as_str() {
        "reservation.cancelled" | "reservation.declined" | "reservation.no_show" | "series.cancelled" => Method::Cancel,
        _ => Method::Request,
    };
    let mut attendees = vec![data.owner_email.clone()];
    attendees.extend(r.attendees.iter().filter(|a| **a != data.owner_email).cloned());
    let location = match data.room_location.as_str() {
        "" => data.room_name.clone(),
        l => format!("{}, {l}", data.room_name),
    };
    let people = People { organizer: from.email.as_ref(), attendees: &attendees };
    let (ics, method) = invitation(data, method, &location, people, now);
    let calendar = ContentType::parse(&format!("text/calendar; charset=utf-8; method={}", method.as_str()))
        .map_err(|e| e.to_string())?;
    envelope(from, d, &data.recipient_name, &rendered.subject)?
        .multipart(
            MultiPart::mixed()
                .multipart(MultiPart::alternative_plain_html(rendered.text.clone(), rendered.html.clone()))
                .singlepart(Attachment::new("invite.ics".to_string()).body(ics, calendar)),
        )
        .map_err(|e| e.to_string())
}

/// The calendar object of a message. An occurrence of a series is addressed as that occurrence
/// of the series' one recurring event (its UID and RECURRENCE-ID), so clients change or remove
/// the occurrence they already have; a new series is that recurring event, with EXDATE for the
/// occurrences not booked; several occurrences cancelled together are one CANCEL with an event
/// per occurrence. Series booked before their rule was kept are told one event per occurrence.
/// Returns the object and its method.
fn invitation(data: &MailData, method: Method, location: &str, people: People, now: DateTime<Utc>) -> (String, Method) {
    let r = &data.reservation;
    let own_uid = format!("{}@salas", r.id);
    let series = r.series_id.map(series_uid);
    let rule = r.slot.as_ref().and_then(|s| Some((s, slots(s)?)));
    let entry = Entry {
        uid: &own_uid,
        sequence: r.version,
        stamp: now,
        modified: None,
        range: r.range(),
        title: &r.title,
        description: &r.description,
        location,
        status: r.status,
        people: Some(people),
        recurrence_id: None,
    };
    let mut w = Writer::new(Some(method));
    match (&series, rule) {
        (Some(uid), Some((slot, (zone, starts)))) if !data.occurrences.is_empty() && method == Method::Request => {
            let booked: Vec<DateTime<Utc>> = data.occurrences.iter().filter_map(|o| o.at).collect();
            let sequence = data.occurrences.iter().map(|o| o.version).max().unwrap_or(r.version);
            w.series(&Recurring {
                master: Entry { uid, sequence, range: slot.first, ..entry },
                zone,
                rrule: &slot.rrule,
                last: starts.last().copied().unwrap_or(slot.first.start),
                exdates: starts.into_iter().filter(|s| !booked.contains(s)).collect(),
                overrides: Vec::new(),
            });
        }
        (Some(uid), Some((slot, (zone, _)))) => {
            let one = [Occurrence { id: r.id, start: r.start, end: r.end, version: r.version, at: Some(slot.at) }];
            let told = if data.occurrences.is_empty() { &one[..] } else { &data.occurrences };
            for o in told {
                let Some(at) = o.at else { continue };
                let range = TimeRange::new(o.start, o.end);
                w.event(&Entry { uid, sequence: o.version, range, recurrence_id: Some((at, zone)), ..entry });
            }
        }
        _ if !data.occurrences.is_empty() => {
            // Events with different UIDs share a message only when published (RFC 5546); each
            // says by its STATUS whether it is booked or cancelled.
            w = Writer::new(Some(Method::Publish));
            let status = if method == Method::Cancel { Status::Cancelled } else { r.status };
            let uids: Vec<String> = data.occurrences.iter().map(|o| format!("{}@salas", o.id)).collect();
            for (o, uid) in data.occurrences.iter().zip(&uids) {
                let range = TimeRange::new(o.start, o.end);
                w.event(&Entry { uid, sequence: o.version, range, status, ..entry });
            }
            return (w.finish(), Method::Publish);
        }
        _ => {
            w.event(&entry);
        }
    }
    (w.finish(), method)
}

/// A short message for the "send test e-mail" button.
pub fn test_message(from: &Mailbox, to: &str) -> Result<Message, String> {
    let to: Mailbox = to.parse().map_err(|e| format!("{e}"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject("Salas test e-mail")
        .multipart(MultiPart::alternative_plain_html(
            "This is a test e-mail from Salas: the SMTP settings work.\n".to_string(),
            "<p>This is a test e-mail from Salas: the SMTP settings work.</p>".to_string(),
        ))
        .map_err(|e| e.to_string())
}
