//! iCalendar in and out (RFC 5545), on the `icalendar` crate: the one event a CalDAV PUT
//! carries, the events a collection serves and a room's VFREEBUSY. Times go out in UTC; times
//! coming in are read in their TZID's zone, or in the room's zone when floating (a floating
//! time means "wall-clock time where the meeting is").

use super::error::CalendarError;
use super::privacy::Detail;
use crate::model::reservation::{Reservation, Status};
use crate::types::TimeRange;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, CalendarDateTime, Component, DatePerhapsTime, Event, EventLike, EventStatus};

/// The booking a PUT body asks for.
#[derive(Debug, PartialEq)]
pub struct Incoming {
    pub uid: String,
    pub title: String,
    pub description: Option<String>,
    pub range: TimeRange,
}

/// Reads the single VEVENT of a PUT body; `zone` is the room's, for floating and all-day times.
pub fn parse_event(body: &str, zone: Tz) -> Result<Incoming, CalendarError> {
    let calendar: Calendar = body.parse().map_err(|e: String| CalendarError::BadData(first_line(&e)))?;
    let mut events = calendar.events();
    let event = events.next().ok_or(CalendarError::Unsupported("the calendar object holds no VEVENT"))?;
    if events.next().is_some() || event.property_value("RRULE").is_some() {
        return Err(CalendarError::Unsupported(
            "recurring events are not booked over CalDAV; book the series through the API or the web pages",
        ));
    }
    let uid = event.get_uid().filter(|u| !u.trim().is_empty()).ok_or_else(|| bad("the VEVENT has no UID"))?;
    let start = event.get_start().ok_or_else(|| bad("the VEVENT has no DTSTART"))?;
    let end = match (event.get_end(), event.property_value("DURATION")) {
        (Some(end), _) => instant(&end, zone)?,
        (None, Some(d)) => instant(&start, zone)? + duration(d).ok_or_else(|| bad("DURATION is malformed"))?,
        // RFC 5545: a date alone lasts the day; a date-time alone is an instant (refused below).
        (None, None) => match start {
            DatePerhapsTime::Date(day) => midnight(day + Duration::days(1), zone)?,
            DatePerhapsTime::DateTime(_) => instant(&start, zone)?,
        },
    };
    let start = instant(&start, zone)?;
    if end <= start {
        return Err(bad("the event must end after it starts"));
    }
    Ok(Incoming {
        uid: uid.trim().to_string(),
        title: event.get_summary().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("Meeting").to_string(),
        description: event.get_description().map(str::to_string),
        range: TimeRange::new(start, end),
    })
}

fn bad(why: &str) -> CalendarError {
    CalendarError::BadData(why.to_string())
}

fn first_line(e: &str) -> String {
    e.lines().next().unwrap_or("unreadable").chars().take(200).collect()
}

/// The instant a DTSTART/DTEND names; a date is its midnight in `zone`.
fn instant(value: &DatePerhapsTime, zone: Tz) -> Result<DateTime<Utc>, CalendarError> {
    match value {
        DatePerhapsTime::Date(date) => midnight(*date, zone),
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(t)) => Ok(*t),
        DatePerhapsTime::DateTime(CalendarDateTime::Floating(local)) => local_in(*local, zone),
        DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid }) => {
            let tz: Tz = tzid
                .trim_matches('"')
                .parse()
                .map_err(|_| CalendarError::BadData(format!("unknown time zone TZID={tzid}; use an IANA name")))?;
            local_in(*date_time, tz)
        }
    }
}

fn midnight(date: NaiveDate, zone: Tz) -> Result<DateTime<Utc>, CalendarError> {
    local_in(date.and_hms_opt(0, 0, 0).unwrap_or_default(), zone)
}

/// A wall-clock time in `zone`; in a DST gap, the time after it (as the booking form does).
fn local_in(local: NaiveDateTime, zone: Tz) -> Result<DateTime<Utc>, CalendarError> {
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(local + Duration::hours(1))).earliest())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| bad("the time does not exist in its zone"))
}

/// An RFC 5545 duration with a positive sign: `P1W`, `P1D`, `PT1H30M`, `P1DT2H`.
pub(super) fn duration(text: &str) -> Option<Duration> {
    let rest = text.trim().strip_prefix('+').unwrap_or(text.trim()).strip_prefix('P')?;
    let (mut total, mut number, mut in_time) = (Duration::zero(), String::new(), false);
    for c in rest.chars() {
        match c {
            '0'..='9' => number.push(c),
            'T' if number.is_empty() => in_time = true,
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                total += match (unit, in_time) {
                    ('W', false) => Duration::weeks(n),
                    ('D', false) => Duration::days(n),
                    ('H', true) => Duration::hours(n),
                    ('M', true) => Duration::minutes(n),
                    ('S', true) => Duration::seconds(n),
                    _ => return None,
                };
            }
        }
    }
    (number.is_empty() && total > Duration::zero()).then_some(total)
}

/// A booking as the VEVENT a calendar shows, with as much as `detail` allows.
pub struct Shown<'a> {
    pub reservation: &'a Reservation,
    pub room: &'a str,
    pub detail: Detail,
}

/// The UID of a booking: the client's when a client made it, else derived from its id.
pub fn uid(r: &Reservation) -> String {
    r.calendar_name.as_ref().map(|n| n.uid.clone()).unwrap_or_else(|| format!("{}@salas", r.id))
}

fn vevent(s: &Shown) -> Event {
    let r = s.reservation;
    let mut e = Event::new();
    e.uid(&uid(r))
        .timestamp(r.updated_at)
        .last_modified(r.updated_at)
        .sequence(u32::try_from(r.version).unwrap_or(u32::MAX))
        .starts(r.start)
        .ends(r.end)
        .summary(&r.title)
        .location(s.room)
        .add_property("TRANSP", "OPAQUE");
    e.status(match r.status {
        Status::Pending => EventStatus::Tentative,
        Status::Confirmed => EventStatus::Confirmed,
        _ => EventStatus::Cancelled,
    });
    if s.detail == Detail::Full && !r.description.is_empty() {
        e.description(&r.description);
    }
    if s.detail == Detail::Busy {
        // The booking is someone else's: shown, never an invitation to them.
        e.add_property("CLASS", "PUBLIC");
    }
    e.done()
}

/// A calendar object holding these events.
pub fn calendar(events: &[Shown]) -> String {
    let mut c = Calendar::new();
    for s in events {
        c.push(vevent(s));
    }
    c.done().to_string()
}

/// A VFREEBUSY of `window`: live bookings as BUSY, those waiting for approval as BUSY-TENTATIVE.
pub fn freebusy(window: TimeRange, busy: &[(TimeRange, Status)], now: DateTime<Utc>) -> String {
    let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Salas//Room booking//EN".into(),
        "METHOD:PUBLISH".into(),
        "BEGIN:VFREEBUSY".into(),
        format!("DTSTAMP:{}", stamp(now)),
        format!("DTSTART:{}", stamp(window.start)),
        format!("DTEND:{}", stamp(window.end)),
    ];
    for (range, status) in busy {
        let kind = if *status == Status::Pending { "BUSY-TENTATIVE" } else { "BUSY" };
        lines.push(format!("FREEBUSY;FBTYPE={kind}:{}/{}", stamp(range.start), stamp(range.end)));
    }
    lines.extend(["END:VFREEBUSY".to_string(), "END:VCALENDAR".into()]);
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MADRID: Tz = chrono_tz::Europe::Madrid;

    fn body(dtstart: &str, end: &str) -> String {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:abc-1\r\nDTSTAMP:20300101T000000Z\r\n{dtstart}\r\n{end}\r\nSUMMARY:Team\\, weekly\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn madrid_utc_and_floating_times_land_on_the_same_instant() {
        let expected = TimeRange::new(utc("2030-07-01T08:00:00Z"), utc("2030-07-01T09:00:00Z"));
        for (start, end) in [
            ("DTSTART;TZID=Europe/Madrid:20300701T100000", "DTEND;TZID=Europe/Madrid:20300701T110000"),
            ("DTSTART:20300701T080000Z", "DTEND:20300701T090000Z"),
            ("DTSTART:20300701T100000", "DURATION:PT1H"),
        ] {
            let e = parse_event(&body(start, end), MADRID).unwrap();
            assert_eq!(e.range, expected, "{start}");
            assert_eq!((e.uid.as_str(), e.title.as_str()), ("abc-1", "Team, weekly"));
        }
        // In winter Madrid is UTC+1.
        let winter = parse_event(&body("DTSTART;TZID=Europe/Madrid:20300107T100000", "DURATION:PT30M"), MADRID);
        assert_eq!(winter.unwrap().range.start, utc("2030-01-07T09:00:00Z"));
    }

    #[test]
    fn an_all_day_event_is_the_rooms_whole_day() {
        let e = parse_event(&body("DTSTART;VALUE=DATE:20300701", "DTEND;VALUE=DATE:20300702"), MADRID).unwrap();
        assert_eq!(e.range, TimeRange::new(utc("2030-06-30T22:00:00Z"), utc("2030-07-01T22:00:00Z")));
    }

    #[test]
    fn unreadable_recurring_and_backwards_events_are_refused() {
        assert!(matches!(parse_event("hello", MADRID), Err(CalendarError::BadData(_))));
        let backwards = body("DTSTART:20300701T090000Z", "DTEND:20300701T080000Z");
        assert!(matches!(parse_event(&backwards, MADRID), Err(CalendarError::BadData(_))));
        let unknown = body("DTSTART;TZID=Mars/Olympus:20300701T090000", "DURATION:PT1H");
        assert!(matches!(parse_event(&unknown, MADRID), Err(CalendarError::BadData(_))));
        let weekly = body("DTSTART:20300701T080000Z", "DTEND:20300701T090000Z\r\nRRULE:FREQ=WEEKLY");
        assert!(matches!(parse_event(&weekly, MADRID), Err(CalendarError::Unsupported(_))));
    }

    #[test]
    fn durations() {
        assert_eq!(duration("PT1H30M"), Some(Duration::minutes(90)));
        assert_eq!(duration("P1DT2H"), Some(Duration::hours(26)));
        assert_eq!(duration("P1W"), Some(Duration::weeks(1)));
        assert_eq!(duration("-PT1H"), None);
        assert_eq!(duration("PT"), None);
        assert_eq!(duration("P1H"), None);
    }
}
