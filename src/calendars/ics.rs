//! The one iCalendar writer: invitations, feeds and anything else Salas hands a calendar client
//! is written here on the `icalendar` crate, which folds lines, escapes TEXT and ends lines with
//! CRLF. Single bookings are written in UTC. A series is one recurring VEVENT whose DTSTART
//! names the room's zone (TZID, with its VTIMEZONE), since a rule read in UTC would keep the UTC
//! hour and move the meeting's wall-clock hour at every DST change.

use super::vtimezone::{vtimezone, years};
use crate::model::reservation::Status;
use crate::types::TimeRange;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus, Property};

/// The iTIP method of a calendar object (RFC 5546).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Publish,
    Request,
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// Who an invitation is from and to.
#[derive(Clone, Copy)]
pub struct People<'a> {
    pub organizer: &'a str,
    pub attendees: &'a [String],
}

/// What one VEVENT says about one booking (or, with [`Writer::series`], about a whole series).
#[derive(Clone, Copy)]
pub struct Entry<'a> {
    pub uid: &'a str,
    pub sequence: u64,
    pub stamp: DateTime<Utc>,
    /// LAST-MODIFIED, for feeds.
    pub modified: Option<DateTime<Utc>>,
    pub range: TimeRange,
    pub title: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    pub status: Status,
    pub people: Option<People<'a>>,
    /// The occurrence of a series this entry replaces or cancels: the series' UID, the start its
    /// rule gave the occurrence and the zone the rule is read in.
    pub recurrence_id: Option<(DateTime<Utc>, Tz)>,
}

/// A recurring VEVENT: `master` says what every occurrence is (its range is the rule's first
/// occurrence), `rrule` when they are, `exdates` the occurrences that are not booked, and
/// `overrides` the ones that differ (each with its `recurrence_id`).
pub struct Recurring<'a> {
    pub master: Entry<'a>,
    pub zone: Tz,
    pub rrule: &'a str,
    /// The start of the rule's last occurrence: the VTIMEZONE covers the years up to it.
    pub last: DateTime<Utc>,
    pub exdates: Vec<DateTime<Utc>>,
    pub overrides: Vec<Entry<'a>>,
}

/// A calendar being written.
pub struct Writer {
    calendar: Calendar,
    /// The zones TZIDs name, with the instants their VTIMEZONE must cover.
    zones: Vec<(Tz, Vec<DateTime<Utc>>)>,
    cancel: bool,
}

impl Writer {
    /// A calendar with `method`, or none (a CalDAV object carries no method).
    pub fn new(method: Option<Method>) -> Writer {
        let mut calendar = Calendar::empty();
        calendar.append_property(Property::new("VERSION", "2.0"));
        calendar.append_property(Property::new("PRODID", "-//Salas//Room booking//EN"));
        calendar.append_property(Property::new("CALSCALE", "GREGORIAN"));
        if let Some(m) = method {
            calendar.append_property(Property::new("METHOD", m.as_str()));
        }
        Writer { calendar, zones: Vec::new(), cancel: method == Some(Method::Cancel) }
    }

    /// A calendar-level property (a feed's name, its refresh interval…).
    pub fn property(&mut self, property: Property) -> &mut Self {
        self.calendar.append_property(property);
        self
    }

    pub fn event(&mut self, e: &Entry) -> &mut Self {
        let event = self.vevent(e, None);
        self.calendar.push(event);
        self
    }

    pub fn series(&mut self, s: &Recurring) -> &mut Self {
        let mut master = self.vevent(&s.master, Some(s.zone));
        master.add_property("RRULE", s.rrule);
        for t in &s.exdates {
            master.exdate(local(*t, s.zone));
        }
        let mut covered: Vec<DateTime<Utc>> = vec![s.master.range.start, s.master.range.end, s.last];
        covered.extend(s.exdates.iter().copied());
        self.calendar.push(master);
        for o in &s.overrides {
            // In UTC: a moved occurrence may sit in the hour repeated when clocks go back.
            let event = self.vevent(o, None);
            self.calendar.push(event);
        }
        self.cover(s.zone, covered);
        self
    }

    /// The calendar as text, with the VTIMEZONE of every zone a TZID names before the events.
    pub fn finish(self) -> String {
        let text = self.calendar.to_string();
        let zones: String = self
            .zones
            .iter()
            .filter_map(|(tz, instants)| years(instants.iter().copied()).map(|(a, b)| vtimezone(*tz, a, b)))
            .collect();
        if zones.is_empty() {
            return text;
        }
        let at = text.find("BEGIN:VEVENT\r\n").unwrap_or_else(|| text.len() - "END:VCALENDAR\r\n".len());
        format!("{}{zones}{}", &text[..at], &text[at..])
    }

    fn cover(&mut self, tz: Tz, instants: Vec<DateTime<Utc>>) {
        match self.zones.iter_mut().find(|(z, _)| *z == tz) {
            Some((_, seen)) => seen.extend(instants),
            None => self.zones.push((tz, instants)),
        }
    }

    /// One VEVENT; its times in `zone` when it belongs to a series, else in UTC.
    fn vevent(&mut self, e: &Entry, zone: Option<Tz>) -> Event {
        let time = |t: DateTime<Utc>| match zone {
            Some(tz) => local(t, tz),
            None => CalendarDateTime::Utc(t),
        };
        let mut v = Event::new();
        v.uid(e.uid)
            .sequence(u32::try_from(e.sequence).unwrap_or(u32::MAX))
            .timestamp(e.stamp)
            .starts(time(e.range.start))
            .ends(time(e.range.end))
            .summary(&text(e.title));
        if let Some(t) = e.modified {
            v.last_modified(t);
        }
        v.status(match e.status {
            _ if self.cancel => EventStatus::Cancelled,
            Status::Pending => EventStatus::Tentative,
            Status::Confirmed => EventStatus::Confirmed,
            Status::Cancelled | Status::Declined | Status::NoShow => EventStatus::Cancelled,
        });
        if !e.location.is_empty() {
            v.location(&text(e.location));
        }
        if !e.description.is_empty() {
            v.description(&text(e.description));
        }
        if let Some(p) = e.people {
            v.append_property(Property::new("ORGANIZER", format!("mailto:{}", p.organizer)));
            for a in p.attendees {
                v.append_multi_property(
                    Property::new("ATTENDEE", format!("mailto:{a}"))
                        .add_parameter("ROLE", "REQ-PARTICIPANT")
                        .add_parameter("RSVP", "FALSE")
                        .done(),
                );
            }
        }
        if let Some((at, tz)) = e.recurrence_id {
            v.recurrence_id(local(at, tz));
            self.cover(tz, vec![at]);
        }
        v.done()
    }
}

/// A TEXT value without carriage returns: the crate escapes line feeds (`\n`) but leaves a CR
/// as it is, and forms send line breaks as CRLF.
fn text(s: &str) -> String {
    s.replace('\r', "")
}

/// An instant as the wall-clock time of `tz`, with its TZID.
fn local(t: DateTime<Utc>, tz: Tz) -> CalendarDateTime {
    CalendarDateTime::WithTimezone { date_time: t.with_timezone(&tz).naive_local(), tzid: tz.name().to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_single_booking_is_escaped_folded_and_in_utc() {
        let t = Utc.with_ymd_and_hms(2026, 5, 4, 8, 0, 0).unwrap();
        let long = "Planificación trimestral; números, y más ".repeat(4);
        let attendees = ["ana@example.org".to_string()];
        let mut w = Writer::new(Some(Method::Cancel));
        w.event(&Entry {
            uid: "abc@salas",
            sequence: 3,
            stamp: t,
            modified: None,
            range: TimeRange::new(t, t + chrono::Duration::hours(1)),
            title: &long,
            description: "a\r\nb",
            location: "",
            status: Status::Confirmed,
            people: Some(People { organizer: "salas@example.org", attendees: &attendees }),
            recurrence_id: None,
        });
        let ics = w.finish();
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.contains("METHOD:CANCEL\r\n") && ics.contains("STATUS:CANCELLED\r\n"));
        assert!(ics.contains("DTSTART:20260504T080000Z\r\n") && ics.contains("SEQUENCE:3\r\n"));
        assert!(ics.contains("DESCRIPTION:a\\nb\r\n") && ics.contains("trimestral\\; números\\,"));
        assert!(ics.contains("ORGANIZER:mailto:salas@example.org\r\n"));
        assert!(ics.contains("ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:ana@example.org\r\n"), "{ics}");
        assert!(ics.split("\r\n").all(|l| l.len() <= 75), "{ics}");
        assert!(!ics.contains("LOCATION") && !ics.contains("VTIMEZONE"));
    }

    #[test]
    fn a_pending_booking_is_tentative() {
        let t = Utc.with_ymd_and_hms(2026, 5, 4, 8, 0, 0).unwrap();
        let mut w = Writer::new(None);
        w.event(&Entry {
            uid: "p@salas",
            sequence: 1,
            stamp: t,
            modified: Some(t),
            range: TimeRange::new(t, t + chrono::Duration::hours(1)),
            title: "Waiting",
            description: "",
            location: "Sala",
            status: Status::Pending,
            people: None,
            recurrence_id: None,
        });
        let ics = w.finish();
        assert!(ics.contains("STATUS:TENTATIVE\r\n") && !ics.contains("METHOD"), "{ics}");
    }
}
