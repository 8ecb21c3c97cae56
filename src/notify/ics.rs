//! iCalendar (RFC 5545) invitations attached to e-mails. Times are in UTC, so no VTIMEZONE is
//! needed; the UID is stable per reservation and SEQUENCE is its version, so calendar clients
//! update (or, with METHOD:CANCEL, remove) the event they already have.

use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
}

pub struct Invite<'a> {
    pub method: Method,
    /// Stable per reservation.
    pub uid: &'a str,
    pub sequence: u64,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub stamp: DateTime<Utc>,
    pub organizer: &'a str,
    pub attendees: &'a [String],
}

pub fn render(i: &Invite) -> String {
    let method = match i.method {
        Method::Request => "REQUEST",
        Method::Cancel => "CANCEL",
    };
    calendar(method, std::slice::from_ref(i))
}

/// Several reservations in one calendar published to the recipient (`METHOD:PUBLISH`): the
/// occurrences of a series, each its own VEVENT with its own UID, so a later change to one
/// occurrence (an ordinary REQUEST or CANCEL) updates the event the client already has. iTIP
/// allows components with different UIDs in one message only for PUBLISH; each event's STATUS
/// says whether it is booked or cancelled. Occurrences are listed rather than written as an RRULE
/// because times are in UTC (no VTIMEZONE), where a rule would drift an hour at DST changes.
pub fn render_all(events: &[Invite]) -> String {
    calendar("PUBLISH", events)
}

fn calendar(method: &str, events: &[Invite]) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Salas//Room booking//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        format!("METHOD:{method}"),
    ];
    for i in events {
        vevent(&mut lines, i);
    }
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|l| fold(l)).collect::<Vec<_>>().join("")
}

fn vevent(lines: &mut Vec<String>, i: &Invite) {
    let status = match i.method {
        Method::Request => "CONFIRMED",
        Method::Cancel => "CANCELLED",
    };
    lines.extend([
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}", text(i.uid)),
        format!("SEQUENCE:{}", i.sequence),
        format!("DTSTAMP:{}", utc(i.stamp)),
        format!("DTSTART:{}", utc(i.start)),
        format!("DTEND:{}", utc(i.end)),
        format!("SUMMARY:{}", text(i.summary)),
        format!("STATUS:{status}"),
        format!("ORGANIZER:mailto:{}", i.organizer),
    ]);
    if !i.location.is_empty() {
        lines.push(format!("LOCATION:{}", text(i.location)));
    }
    if !i.description.is_empty() {
        lines.push(format!("DESCRIPTION:{}", text(i.description)));
    }
    for a in i.attendees {
        lines.push(format!("ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:{a}"));
    }
    lines.push("END:VEVENT".into());
}

pub(crate) fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (never inside a UTF-8 character) and ends it with CRLF.
pub(crate) fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn lines_are_escaped_folded_and_in_utc() {
        let t = Utc.with_ymd_and_hms(2026, 5, 4, 8, 0, 0).unwrap();
        let long = "Planificación trimestral; números, y más ".repeat(4);
        let ics = render(&Invite {
            method: Method::Cancel,
            uid: "abc@salas",
            sequence: 3,
            summary: &long,
            description: "a\nb",
            location: "",
            start: t,
            end: t + chrono::Duration::hours(1),
            stamp: t,
            organizer: "salas@example.org",
            attendees: &["ana@example.org".to_string()],
        });
        assert!(ics.contains("METHOD:CANCEL\r\n") && ics.contains("STATUS:CANCELLED\r\n"));
        assert!(ics.contains("DTSTART:20260504T080000Z\r\n") && ics.contains("SEQUENCE:3\r\n"));
        assert!(ics.contains("DESCRIPTION:a\\nb\r\n") && ics.contains("trimestral\\; números\\,"));
        assert!(ics.split("\r\n").all(|l| l.len() <= 75), "{ics}");
        assert!(!ics.contains("LOCATION"));
    }

    #[test]
    fn a_series_is_published_as_one_event_per_occurrence() {
        let t = Utc.with_ymd_and_hms(2027, 1, 5, 9, 0, 0).unwrap();
        let invite = |uid, start, method| Invite {
            method,
            uid,
            sequence: 1,
            summary: "Sync",
            description: "",
            location: "Sala Norte",
            start,
            end: start + chrono::Duration::hours(1),
            stamp: t,
            organizer: "salas@example.org",
            attendees: &[],
        };
        let week = chrono::Duration::days(7);
        let ics = render_all(&[invite("a@salas", t, Method::Request), invite("b@salas", t + week, Method::Cancel)]);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
        assert_eq!(ics.matches("METHOD:").count(), 1);
        assert!(ics.contains("METHOD:PUBLISH\r\n"));
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2);
        assert!(ics.contains("UID:a@salas\r\n") && ics.contains("DTSTART:20270112T090000Z\r\n"));
        assert!(ics.contains("STATUS:CONFIRMED\r\n") && ics.contains("STATUS:CANCELLED\r\n"));
    }
}
