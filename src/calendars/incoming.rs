//! Reading a whole VCALENDAR (RFC 5545) into the meetings it describes: the reader behind a
//! room's `.ics` import, and meant for anything else that receives calendars (room mailboxes'
//! iMIP invitations). Pure: no store, no clock.
//!
//! [`read`] groups the VEVENTs of a file by UID into [`Meeting`]s: the main event's title,
//! description, SEQUENCE and first occurrence, and for a recurring one its RRULE (checked by
//! Salas's own recurrence parser), EXDATEs and RECURRENCE-ID overrides. A meeting this server
//! cannot book (an unknown time zone, an RRULE outside the supported subset, no DTSTART) is not
//! an error of the file: it comes back in [`Read::skipped`] with the reason, and the rest is read.
//! Only a file that is not an iCalendar object at all is an error.
//!
//! Time zones: a TZID is an IANA name; else the X-LIC-LOCATION of the file's VTIMEZONE with that
//! TZID (Thunderbird, Google and others name their own zones); else a Windows zone name as
//! Outlook writes them ("W. Europe Standard Time"), through CLDR's windowsZones table. Floating
//! times and dates are read in the room's zone: "10:00" means ten where the room is.

use super::CalendarError;
use super::ical::duration;
use crate::reservations::recurrence::{self, resolve};
use crate::types::TimeRange;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use std::collections::HashMap;

/// The most VEVENTs one file may hold; a room's calendar for years is far fewer.
pub const MAX_EVENTS: usize = 5000;

/// What a calendar file describes.
#[derive(Debug, Default)]
pub struct Read {
    /// In the order their UIDs first appear in the file.
    pub meetings: Vec<Meeting>,
    pub skipped: Vec<Skipped>,
}

/// One event of the file with every VEVENT sharing its UID folded in.
#[derive(Clone, Debug, PartialEq)]
pub struct Meeting {
    pub uid: String,
    pub title: String,
    pub description: Option<String>,
    /// The organiser's revision (SEQUENCE, 0 when absent).
    pub sequence: u32,
    /// DTSTART to DTEND (or DURATION) of the main event: the first occurrence of a series.
    pub first: TimeRange,
    /// The zone the event's times are written in (the room's for floating times and dates): a
    /// series repeats at the same wall-clock time there.
    pub zone: Tz,
    pub repeat: Option<Repeat>,
}

/// How a meeting repeats.
#[derive(Clone, Debug, PartialEq)]
pub struct Repeat {
    /// The RRULE value (without `RRULE:`), accepted by [`recurrence::parse`]. A WKST other than
    /// MO is dropped where it cannot change the dates (a weekly rule with INTERVAL=1, or any
    /// other frequency), since Outlook and Google write `WKST=SU` on every rule.
    pub rrule: String,
    /// Starts of occurrences the rule gives that do not happen (EXDATE, and RECURRENCE-IDs
    /// marked STATUS:CANCELLED).
    pub exdates: Vec<DateTime<Utc>>,
    /// Occurrences moved elsewhere in time, by the start the rule gives them (RECURRENCE-ID).
    pub overrides: Vec<Override>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub recurrence_id: DateTime<Utc>,
    pub range: TimeRange,
}

/// A VEVENT, or all of a UID's, that this reader leaves out, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    pub uid: String,
    pub start: Option<DateTime<Utc>>,
    pub reason: String,
}

/// Reads `body`; `room_zone` is where floating times and dates are.
pub fn read(body: &str, room_zone: Tz) -> Result<Read, CalendarError> {
    let root = parse_tree(body)?;
    if root.name != "VCALENDAR" {
        return Err(bad(format!("the file begins with BEGIN:{}, not BEGIN:VCALENDAR", root.name)));
    }
    let zones = Zones::of(&root);
    let events: Vec<&Component> = root.children.iter().filter(|c| c.name == "VEVENT").collect();
    if events.len() > MAX_EVENTS {
        return Err(bad(format!("the file holds {} events; import at most {MAX_EVENTS} at a time", events.len())));
    }
    let mut order: Vec<String> = Vec::new();
    let mut by_uid: HashMap<String, Vec<&Component>> = HashMap::new();
    let mut out = Read::default();
    for e in events {
        match e.value("UID").map(str::trim).filter(|u| !u.is_empty()) {
            Some(uid) => {
                if !by_uid.contains_key(uid) {
                    order.push(uid.to_string());
                }
                by_uid.entry(uid.to_string()).or_default().push(e);
            }
            None => {
                out.skipped.push(Skipped { uid: String::new(), start: None, reason: "the event has no UID".into() })
            }
        }
    }
    let ctx = Ctx { zones: &zones, room_zone };
    for uid in order {
        match meeting(&ctx, &uid, &by_uid[&uid]) {
            Ok(m) => out.meetings.push(m),
            Err((start, reason)) => out.skipped.push(Skipped { uid, start, reason }),
        }
    }
    Ok(out)
}

/// Why a meeting is left out: where it starts, if that much was read, and the reason.
type Refusal = (Option<DateTime<Utc>>, String);

struct Ctx<'a> {
    zones: &'a Zones,
    room_zone: Tz,
}

fn meeting(ctx: &Ctx, uid: &str, events: &[&Component]) -> Result<Meeting, Refusal> {
    let (mains, instances): (Vec<&&Component>, Vec<&&Component>) =
        events.iter().partition(|e| e.line("RECURRENCE-ID").is_none());
    let main = match mains.as_slice() {
        [main] => main,
        [] => {
            return Err((None, "only changed occurrences of a recurring event are in the file, not the event".into()));
        }
        _ => return Err((None, "two events share this UID".into())),
    };
    let (first, zone) = times(ctx, main).map_err(|why| (None, why))?;
    let refuse = |why: String| (Some(first.start), why);
    if main.value("STATUS").is_some_and(|s| s.trim().eq_ignore_ascii_case("CANCELLED")) {
        return Err(refuse("the event is cancelled".into()));
    }
    let repeat = match main.value("RRULE") {
        None if !instances.is_empty() => {
            return Err(refuse("a RECURRENCE-ID names an occurrence of an event that does not repeat".into()));
        }
        None => None,
        Some(rule) => {
            let rrule = normalise_rule(rule);
            recurrence::parse(&rrule).map_err(|e| refuse(format!("RRULE {}: {}", rule.trim(), e.message)))?;
            let time0 = recurrence::local(zone, first.start).time();
            let mut exdates = Vec::new();
            for line in main.lines("EXDATE") {
                for value in line.value.split(',').filter(|v| !v.trim().is_empty()) {
                    exdates.push(instant_on(ctx, line, value, zone, time0).map_err(refuse)?);
                }
            }
            let mut overrides = Vec::new();
            for o in instances {
                let line = o.line("RECURRENCE-ID").expect("partitioned on it");
                let id = instant_on(ctx, line, &line.value, zone, time0).map_err(refuse)?;
                if o.value("STATUS").is_some_and(|s| s.trim().eq_ignore_ascii_case("CANCELLED")) {
                    exdates.push(id);
                } else {
                    let (range, _) = times(ctx, o).map_err(refuse)?;
                    overrides.push(Override { recurrence_id: id, range });
                }
            }
            exdates.sort();
            exdates.dedup();
            Some(Repeat { rrule, exdates, overrides })
        }
    };
    Ok(Meeting {
        uid: uid.to_string(),
        title: main.text("SUMMARY").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).unwrap_or("Meeting".into()),
        description: main.text("DESCRIPTION").filter(|d| !d.trim().is_empty()),
        sequence: main.value("SEQUENCE").and_then(|s| s.trim().parse().ok()).unwrap_or(0),
        first,
        zone,
        repeat,
    })
}

/// A VEVENT's DTSTART to DTEND (or DURATION, or the day of a date), and the zone of its start.
fn times(ctx: &Ctx, e: &Component) -> Result<(TimeRange, Tz), String> {
    let start_line = e.line("DTSTART").ok_or("the event has no DTSTART")?;
    let start = value_of(ctx, start_line, &start_line.value)?;
    let end = match (e.line("DTEND"), e.value("DURATION")) {
        (Some(line), _) => value_of(ctx, line, &line.value)?.instant,
        (None, Some(d)) => start.instant + duration(d).ok_or_else(|| format!("DURATION {d} is malformed"))?,
        // RFC 5545: a date alone lasts the day; a date-time alone is an instant (refused below).
        (None, None) if start.is_date => resolve(start.zone, start.local + Duration::days(1)),
        (None, None) => start.instant,
    };
    if end <= start.instant {
        return Err("the event must end after it starts".into());
    }
    Ok((TimeRange::new(start.instant, end), start.zone))
}

struct Value {
    instant: DateTime<Utc>,
    local: NaiveDateTime,
    zone: Tz,
    is_date: bool,
}

/// A DATE or DATE-TIME value of `line` (one of a list), with the line's TZID.
fn value_of(ctx: &Ctx, line: &Line, value: &str) -> Result<Value, String> {
    let value = value.trim();
    let is_date = line.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE")) || value.len() == 8;
    if is_date {
        let date =
            NaiveDate::parse_from_str(value, "%Y%m%d").map_err(|_| format!("{} {value} is not a date", line.name))?;
        let local = date.and_time(NaiveTime::MIN);
        return Ok(Value { instant: resolve(ctx.room_zone, local), local, zone: ctx.room_zone, is_date });
    }
    let (text, utc) = match value.strip_suffix('Z').or_else(|| value.strip_suffix('z')) {
        Some(t) => (t, true),
        None => (value, false),
    };
    let local = NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%S")
        .map_err(|_| format!("{} {value} is not a date-time", line.name))?;
    let zone = match (utc, line.param("TZID")) {
        (true, _) => Tz::UTC,
        (false, Some(tzid)) => ctx.zones.zone(tzid).ok_or_else(|| {
            format!("unknown time zone TZID={tzid}: neither an IANA name, nor a Windows zone, nor a VTIMEZONE with X-LIC-LOCATION")
        })?,
        (false, None) => ctx.room_zone,
    };
    Ok(Value { instant: resolve(zone, local), local, zone, is_date })
}

/// An EXDATE or RECURRENCE-ID value as the start of an occurrence: a date alone names the
/// occurrence of that day, at the series' wall-clock time in its zone.
fn instant_on(ctx: &Ctx, line: &Line, value: &str, zone: Tz, time0: NaiveTime) -> Result<DateTime<Utc>, String> {
    let v = value_of(ctx, line, value)?;
    Ok(if v.is_date { resolve(zone, v.local.date().and_time(time0)) } else { v.instant })
}

/// The rule as the recurrence parser takes it: Outlook's and Google's `WKST=SU` dropped where
/// the week start changes nothing (RFC 5545: it matters only to weekly rules with an INTERVAL
/// above 1, and to BYWEEKNO, which is not supported anyway).
fn normalise_rule(rule: &str) -> String {
    let parts: Vec<&str> = rule.trim().split(';').map(str::trim).filter(|p| !p.is_empty()).collect();
    let upper = |p: &str| p.to_ascii_uppercase();
    let weekly_interval = parts.iter().any(|p| upper(p) == "FREQ=WEEKLY")
        && parts.iter().any(|p| upper(p).starts_with("INTERVAL=") && upper(p) != "INTERVAL=1");
    parts.into_iter().filter(|p| weekly_interval || !upper(p).starts_with("WKST=")).collect::<Vec<_>>().join(";")
}

/// The zones the file's TZIDs name.
struct Zones {
    /// TZID → X-LIC-LOCATION of the file's VTIMEZONEs.
    locations: HashMap<String, String>,
}

impl Zones {
    fn of(root: &Component) -> Zones {
        let locations = root
            .children
            .iter()
            .filter(|c| c.name == "VTIMEZONE")
            .filter_map(|c| {
                Some((unquote(c.value("TZID")?).to_string(), c.value("X-LIC-LOCATION")?.trim().to_string()))
            })
            .collect();
        Zones { locations }
    }

    fn zone(&self, tzid: &str) -> Option<Tz> {
        let tzid = unquote(tzid);
        tzid.parse()
            .ok()
            .or_else(|| self.locations.get(tzid).and_then(|l| l.parse().ok()))
            .or_else(|| windows_zone(tzid))
    }
}

/// A Windows zone name ("Romance Standard Time") as the IANA zone CLDR's windowsZones.xml
/// (unicode-org/cldr, common/supplemental/windowsZones.xml, through the `localzone` crate's
/// generated table) gives for the whole world (territory 001).
fn windows_zone(name: &str) -> Option<Tz> {
    localzone::win_zone_to_iana(name, Some("001")).and_then(|iana| iana.parse().ok())
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"')
}

fn bad(why: String) -> CalendarError {
    CalendarError::BadData(why)
}

/// One content line: `NAME;PARAM=value:VALUE`.
#[derive(Debug)]
struct Line {
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Line {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| unquote(v))
    }
}

#[derive(Debug)]
struct Component {
    name: String,
    lines: Vec<Line>,
    children: Vec<Component>,
}

impl Component {
    fn line(&self, name: &str) -> Option<&Line> {
        self.lines.iter().find(|l| l.name == name)
    }

    fn lines<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Line> {
        self.lines.iter().filter(move |l| l.name == name)
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.line(name).map(|l| l.value.as_str())
    }

    /// A TEXT value with its escapes (`\n`, `\,`, `\;`, `\\`) read.
    fn text(&self, name: &str) -> Option<String> {
        let raw = self.value(name)?;
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            match (c, c == '\\') {
                (_, true) => match chars.next() {
                    Some('n' | 'N') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => {}
                },
                (c, false) => out.push(c),
            }
        }
        Some(out)
    }
}

/// The file's components, lines unfolded (RFC 5545 §3.1); errors name the line.
fn parse_tree(body: &str) -> Result<Component, CalendarError> {
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    let mut unfolded: Vec<(usize, String)> = Vec::new();
    for (i, raw) in body.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), unfolded.last_mut()) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ if raw.trim().is_empty() => {}
            _ => unfolded.push((i + 1, raw.to_string())),
        }
    }
    let mut stack: Vec<Component> = Vec::new();
    let mut root = None;
    for (n, text) in unfolded {
        let line = content_line(&text).ok_or_else(|| bad(format!("line {n} is not NAME:VALUE: {}", cut(&text))))?;
        match line.name.as_str() {
            "BEGIN" => {
                if root.is_some() {
                    return Err(bad(format!("line {n}: more follows END:VCALENDAR")));
                }
                let name = line.value.trim().to_ascii_uppercase();
                stack.push(Component { name, lines: Vec::new(), children: Vec::new() });
            }
            "END" => {
                let name = line.value.trim().to_ascii_uppercase();
                let done = stack
                    .pop()
                    .filter(|c| c.name == name)
                    .ok_or_else(|| bad(format!("line {n}: END:{name} does not close the component that is open")))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            _ => match stack.last_mut() {
                Some(c) => c.lines.push(line),
                None => return Err(bad(format!("line {n} is outside BEGIN:VCALENDAR … END:VCALENDAR"))),
            },
        }
    }
    if let Some(open) = stack.last() {
        return Err(bad(format!("BEGIN:{} is never closed with END:{}", open.name, open.name)));
    }
    root.ok_or_else(|| bad("the file is empty, not a calendar".into()))
}

fn cut(text: &str) -> String {
    text.chars().take(60).collect()
}

/// `NAME;P=v;Q="a:b":value`; colons and semicolons inside quoted parameter values are theirs.
fn content_line(text: &str) -> Option<Line> {
    let (mut parts, mut current, mut quoted, mut value) = (Vec::new(), String::new(), false, None);
    for (i, c) in text.char_indices() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ';' if !quoted => parts.push(std::mem::take(&mut current)),
            ':' if !quoted => {
                parts.push(std::mem::take(&mut current));
                value = Some(text[i + 1..].to_string());
                break;
            }
            c => current.push(c),
        }
    }
    let value = value?;
    let mut parts = parts.into_iter();
    let name = parts.next()?.trim().to_ascii_uppercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    let params =
        parts.filter_map(|p| p.split_once('=').map(|(k, v)| (k.trim().to_ascii_uppercase(), v.to_string()))).collect();
    Some(Line { name, params, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MADRID: Tz = chrono_tz::Europe::Madrid;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn cal(body: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
    }

    fn event(lines: &str) -> String {
        format!("BEGIN:VEVENT\r\nDTSTAMP:20300101T000000Z\r\n{lines}END:VEVENT\r\n")
    }

    fn one(body: &str) -> Meeting {
        let r = read(&cal(body), MADRID).unwrap();
        assert_eq!(r.skipped, vec![], "nothing skipped");
        assert_eq!(r.meetings.len(), 1);
        r.meetings[0].clone()
    }

    #[test]
    fn a_single_event_with_folded_escaped_text() {
        let m = one(&event(
            "UID:a-1\r\nSEQUENCE:3\r\nDTSTART;TZID=Europe/Madrid:20300701T100000\r\nDTEND;TZID=Europe/Madrid:20300701T110000\r\nSUMMARY:Team\\, week\r\n ly\r\nDESCRIPTION:one\\ntwo\r\n",
        ));
        assert_eq!((m.uid.as_str(), m.title.as_str(), m.sequence), ("a-1", "Team, weekly", 3));
        assert_eq!(m.description.as_deref(), Some("one\ntwo"));
        assert_eq!(m.first, TimeRange::new(utc("2030-07-01T08:00:00Z"), utc("2030-07-01T09:00:00Z")));
        assert_eq!((m.zone, m.repeat), (MADRID, None));
    }

    #[test]
    fn floating_all_day_and_duration_use_the_room_zone() {
        let m = one(&event("UID:a\r\nDTSTART:20300701T100000\r\nDURATION:PT30M\r\n"));
        assert_eq!(m.first, TimeRange::new(utc("2030-07-01T08:00:00Z"), utc("2030-07-01T08:30:00Z")));
        let d = one(&event("UID:b\r\nDTSTART;VALUE=DATE:20300701\r\n"));
        assert_eq!(d.first, TimeRange::new(utc("2030-06-30T22:00:00Z"), utc("2030-07-01T22:00:00Z")));
    }

    #[test]
    fn windows_and_custom_zone_names() {
        for (tzid, hour) in [
            ("W. Europe Standard Time", "08"),
            ("Romance Standard Time", "08"),
            ("GMT Standard Time", "09"),
            ("Eastern Standard Time", "14"),
            ("Pacific Standard Time", "17"),
            ("\"Europe/Madrid\"", "08"),
        ] {
            let m = one(&event(&format!("UID:w\r\nDTSTART;TZID={tzid}:20300701T100000\r\nDURATION:PT1H\r\n")));
            assert_eq!(m.first.start, utc(&format!("2030-07-01T{hour}:00:00Z")), "{tzid}");
        }
        // Thunderbird's and Google's own names, through the VTIMEZONE's X-LIC-LOCATION.
        let tz = "BEGIN:VTIMEZONE\r\nTZID:/mozilla.org/20050126_1/Europe/Madrid\r\nX-LIC-LOCATION:Europe/Madrid\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
        let body = format!(
            "{tz}{}",
            event("UID:t\r\nDTSTART;TZID=/mozilla.org/20050126_1/Europe/Madrid:20300701T100000\r\nDURATION:PT1H\r\n")
        );
        assert_eq!(one(&body).first.start, utc("2030-07-01T08:00:00Z"));
        // A name nothing explains: that meeting is skipped with the reason, the rest is read.
        let body = format!(
            "{}{}",
            event("UID:x\r\nDTSTART;TZID=Custom Zone 7:20300701T100000\r\nDURATION:PT1H\r\n"),
            event("UID:y\r\nDTSTART:20300701T100000Z\r\nDURATION:PT1H\r\n")
        );
        let r = read(&cal(&body), MADRID).unwrap();
        assert_eq!(r.meetings.iter().map(|m| m.uid.as_str()).collect::<Vec<_>>(), ["y"]);
        assert_eq!(r.skipped[0].uid, "x");
        assert!(r.skipped[0].reason.contains("Custom Zone 7"), "{}", r.skipped[0].reason);
    }

    #[test]
    fn a_series_with_exdates_and_overrides() {
        let body = format!(
            "{}{}{}",
            event(
                "UID:s\r\nDTSTART;TZID=Europe/Madrid:20300107T100000\r\nDTEND;TZID=Europe/Madrid:20300107T110000\r\nRRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO;WKST=SU\r\nEXDATE;TZID=Europe/Madrid:20300114T100000,20300121T100000\r\nEXDATE:20300128T090000Z\r\nEXDATE;VALUE=DATE:20300204\r\n"
            ),
            event(
                "UID:s\r\nRECURRENCE-ID;TZID=Europe/Madrid:20300211T100000\r\nDTSTART;TZID=Europe/Madrid:20300212T150000\r\nDTEND;TZID=Europe/Madrid:20300212T160000\r\n"
            ),
            event(
                "UID:s\r\nRECURRENCE-ID:20300218T090000Z\r\nSTATUS:CANCELLED\r\nDTSTART:20300218T090000Z\r\nDURATION:PT1H\r\n"
            ),
        );
        let m = one(&body);
        let repeat = m.repeat.unwrap();
        assert_eq!(repeat.rrule, "FREQ=WEEKLY;COUNT=10;BYDAY=MO", "WKST=SU changes nothing here");
        let ex: Vec<String> = repeat.exdates.iter().map(|t| t.to_rfc3339()).collect();
        assert_eq!(
            ex,
            [
                "2030-01-14T09:00:00+00:00",
                "2030-01-21T09:00:00+00:00",
                "2030-01-28T09:00:00+00:00",
                "2030-02-04T09:00:00+00:00",
                "2030-02-18T09:00:00+00:00"
            ]
        );
        assert_eq!(
            repeat.overrides,
            vec![Override {
                recurrence_id: utc("2030-02-11T09:00:00Z"),
                range: TimeRange::new(utc("2030-02-12T14:00:00Z"), utc("2030-02-12T15:00:00Z"))
            }]
        );
    }

    #[test]
    fn unsupported_rules_and_orphans_are_skipped_with_reasons() {
        let body = format!(
            "{}{}{}",
            event("UID:r\r\nDTSTART:20300107T090000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=HOURLY;COUNT=3\r\n"),
            event("UID:o\r\nRECURRENCE-ID:20300107T090000Z\r\nDTSTART:20300107T100000Z\r\nDURATION:PT1H\r\n"),
            event("UID:c\r\nSTATUS:CANCELLED\r\nDTSTART:20300107T100000Z\r\nDURATION:PT1H\r\n"),
        );
        let r = read(&cal(&body), MADRID).unwrap();
        assert!(r.meetings.is_empty());
        let reasons: Vec<(&str, &str)> = r.skipped.iter().map(|s| (s.uid.as_str(), s.reason.as_str())).collect();
        assert_eq!(reasons[0].0, "r");
        assert!(reasons[0].1.starts_with("RRULE FREQ=HOURLY;COUNT=3: "), "{}", reasons[0].1);
        assert_eq!(reasons[1].0, "o");
        assert_eq!(reasons[2], ("c", "the event is cancelled"));
    }

    #[test]
    fn week_start_stays_where_it_matters() {
        assert_eq!(
            normalise_rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=SU"),
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=SU"
        );
        assert_eq!(normalise_rule("FREQ=MONTHLY;BYDAY=2TU;WKST=SU"), "FREQ=MONTHLY;BYDAY=2TU");
    }

    #[test]
    fn malformed_files_name_what_is_wrong() {
        let err = |body: &str| match read(body, MADRID) {
            Err(CalendarError::BadData(why)) => why,
            other => panic!("{other:?}"),
        };
        assert!(err("hello").contains("line 1"));
        assert!(err("").contains("empty"));
        assert!(err("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n").contains("line 3: END:VCALENDAR"));
        assert!(err("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n").contains("never closed"));
        assert!(err("BEGIN:VEVENT\r\nEND:VEVENT\r\n").contains("not BEGIN:VCALENDAR"));
    }
}
