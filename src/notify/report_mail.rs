//! Scheduled report e-mails. The scheduler's job stages one delivery per due subscription (and
//! marks the period sent, in the same transaction); the sender computes the report when it sends,
//! as the subscriber (whose role may have changed since), and attaches the PDF and the workbook.

use super::templates::Rendered;
use crate::access::Actor;
use crate::model::notify::{Channel, Delivery};
use crate::reports::model::Report;
use crate::reports::subscriptions::{self, Period, Subscription, Window};
use crate::reports::{Reports, export, pdf};
use crate::store::{StoreError, Tx};
use crate::types::{RoomId, SubscriptionId, UserId};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use serde::{Deserialize, Serialize};

pub const KIND: &str = "report";

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What a report delivery carries from staging to sending.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReportMail {
    pub subscription_id: SubscriptionId,
    pub user_id: UserId,
    pub recipient_name: String,
    pub period: Period,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub room_id: Option<RoomId>,
    /// The room's name when the report is about one room.
    pub room_name: String,
    pub location: Option<String>,
}

/// Inside the job's write transaction: stages the e-mail of every due subscription and marks its
/// period. Subscribers who are gone, disabled, or no longer read reports are skipped (and their
/// period marked, so a later role change does not send a backlog). Returns how many were staged.
pub fn stage_due(tx: &mut Tx, now: DateTime<Utc>, zone: Tz) -> Result<usize, StoreError> {
    let mut staged = 0;
    for mut s in tx.report_subscriptions()? {
        let Some(w) = subscriptions::due(&s, now, zone) else { continue };
        s.last_period = Some(w.from);
        let user = tx.user(s.user_id)?.filter(|u| u.active && u.role.may(crate::access::Action::ReadReports));
        if let Some(user) = user {
            let room_name = match s.room_id {
                Some(id) => tx.room(id)?.map(|r| r.name).unwrap_or_default(),
                None => String::new(),
            };
            tx.put_delivery(delivery(&s, w, &user.email, &user.name, user.mail_language(), room_name, now));
            staged += 1;
        }
        tx.put_report_subscription(s);
    }
    Ok(staged)
}

fn delivery(
    s: &Subscription,
    w: Window,
    email: &str,
    name: &str,
    language: &str,
    room_name: String,
    now: DateTime<Utc>,
) -> Delivery {
    let mail = ReportMail {
        subscription_id: s.id,
        user_id: s.user_id,
        recipient_name: name.to_string(),
        period: s.period,
        from: w.from,
        to: w.to,
        room_id: s.room_id,
        room_name,
        location: s.location.clone(),
    };
    let payload = serde_json::to_value(&mail).unwrap_or_default();
    Delivery { language: language.to_string(), ..Delivery::pending(Channel::Email, email, KIND, payload, now) }
}

/// The report of a delivery, computed now with the subscriber's current rights.
pub fn compute(reports: &Reports, mail: &ReportMail, role: crate::access::Role) -> Result<Report, String> {
    let actor = Actor::user(mail.user_id, role);
    let scope =
        crate::reports::Scope { from: mail.from, to: mail.to, room_id: mail.room_id, location: mail.location.clone() };
    reports.report(&actor, &scope).map_err(|e| e.to_string())
}

/// The variables report templates see (documented by [`sample`]).
pub fn context(d: &Delivery, mail: &ReportMail, report: &Report, zone: Tz) -> serde_json::Value {
    let day = |t: DateTime<Utc>| t.with_timezone(&zone).format("%Y-%m-%d").to_string();
    let u = &report.utilization.total;
    let b = &report.behaviour;
    serde_json::json!({
        "kind": d.kind,
        "language": d.language,
        "recipient": {"name": mail.recipient_name, "email": d.recipient},
        "period": {
            "kind": match mail.period { Period::Weekly => "weekly", Period::Monthly => "monthly" },
            "first_day": day(mail.from),
            // The window ends at midnight; its last day is the one before.
            "last_day": day(mail.to - Duration::seconds(1)),
        },
        "scope": {"room": mail.room_name, "location": mail.location.clone().unwrap_or_default()},
        "figures": {
            "utilization": format!("{:.1}%", u.utilization * 100.0),
            "booked_hours": format!("{:.1}", u.booked_hours),
            "open_hours": format!("{:.1}", u.open_hours),
            "reservations": b.reservations,
            "cancellations": b.cancellations,
            "late_cancellations": b.late_cancellations,
            "avg_length_minutes": format!("{:.0}", b.avg_length_minutes),
        },
    })
}

/// Sample data shaped like a real report e-mail's, for template previews and validation.
pub fn sample(lang: &str) -> serde_json::Value {
    serde_json::json!({
        "kind": KIND,
        "language": lang,
        "recipient": {"name": "Ana García", "email": "ana@example.org"},
        "period": {"kind": "weekly", "first_day": "2026-11-23", "last_day": "2026-11-29"},
        "scope": {"room": "Sala Norte", "location": "2nd floor"},
        "figures": {
            "utilization": "42.5%",
            "booked_hours": "85.0",
            "open_hours": "200.0",
            "reservations": 61,
            "cancellations": 7,
            "late_cancellations": 2,
            "avg_length_minutes": "55",
        },
    })
}

/// The message: the rendered text and HTML, the PDF and the workbook.
pub fn compose(
    from: &Mailbox,
    d: &Delivery,
    mail: &ReportMail,
    rendered: &Rendered,
    report: &Report,
) -> Result<Message, String> {
    let stem = format!("salas-report-{}", mail.from.format("%Y-%m-%d"));
    let pdf = pdf::render(report, &rendered.subject);
    let xlsx = export::report_xlsx(report).map_err(|e| e.to_string())?;
    let pdf_type = ContentType::parse("application/pdf").map_err(|e| e.to_string())?;
    let xlsx_type = ContentType::parse(XLSX).map_err(|e| e.to_string())?;
    super::email::envelope(from, d, &mail.recipient_name, &rendered.subject)?
        .multipart(
            MultiPart::mixed()
                .multipart(MultiPart::alternative_plain_html(rendered.text.clone(), rendered.html.clone()))
                .singlepart(Attachment::new(format!("{stem}.pdf")).body(pdf, pdf_type))
                .singlepart(Attachment::new(format!("{stem}.xlsx")).body(xlsx, xlsx_type)),
        )
        .map_err(|e| e.to_string())
}
