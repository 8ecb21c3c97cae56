//! A room's `.ics` import: the meetings a calendar file describes ([`super::incoming::read`])
//! booked in one room, by whoever may book it, owned by them.
//!
//! Idempotent by UID: the bookings an import makes carry the event's UID (a series' occurrences
//! `{uid}/{start}`), so importing the same file again finds them. A meeting whose future
//! occurrences, title and description match what is booked is unchanged; one that differs
//! (moved, retitled, an occurrence added or removed) is updated: a single booking is changed in
//! place, a series is booked anew in the transaction that cancels its old occurrences. Past
//! events and past occurrences are left out with a reason, not refused.
//!
//! Everything is planned first against the room as it is now (the same judging a real booking
//! does, including clashes between events of the file): a dry run answers with the plan, and
//! with [`OnConflict::Fail`] a plan with any clash books nothing. Each event is then booked in a
//! transaction of its own; a booking made in the room between the plan and the write can still
//! stop an event (with `Fail`, it is then reported as skipped, and the events before it stay).

use super::incoming::{self, Meeting};
use super::{CalendarError, Calendars, CollectionId};
use crate::access::Actor;
use crate::clock;
use crate::model::reservation::{CalendarName, Reservation};
use crate::reservations::series::{Clash, OnConflict, SeriesRequest};
use crate::reservations::{NewReservation, ReservationError, ReservationPatch, recurrence};
use crate::store::ListFilter;
use crate::types::{RoomId, TimeRange};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// Occurrences counted only to compare or to find where a series resumes (the booking itself
/// holds the series to the configured cap): enough for a daily meeting over decades.
const UNCAPPED: usize = 100_000;

#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    pub on_conflict: OnConflict,
    /// Plan and report, book nothing.
    pub dry_run: bool,
}

/// What an import did (or, dry, would do): meetings counted by UID.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Events, or occurrences of a series, not booked.
    pub skipped: Vec<Skip>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Skip {
    pub uid: String,
    /// The occurrence's start, when the reason is about one occurrence.
    pub start: Option<DateTime<Utc>>,
    pub reason: String,
}

/// One meeting of the file against what is booked.
struct Planned {
    meeting: Meeting,
    /// The rule rebased on its first future occurrence; None for a single event.
    series: Option<SeriesRequest>,
    first: TimeRange,
    /// The live bookings an earlier import made for this UID (future ones).
    existing: Vec<Reservation>,
}

impl Calendars {
    /// Imports the events of `body` into room `room_id`; see the module comment.
    pub async fn import(
        &self,
        actor: &Actor,
        room_id: RoomId,
        body: &str,
        options: ImportOptions,
    ) -> Result<ImportReport, CalendarError> {
        let c = self.collection(actor, CollectionId::Room(room_id))?;
        if !c.writable {
            return Err(CalendarError::ReadOnly);
        }
        let read = incoming::read(body, c.zone)?;
        let now = clock::now();
        let mut report = ImportReport::default();
        report.skipped.extend(read.skipped.into_iter().map(|s| Skip { uid: s.uid, start: s.start, reason: s.reason }));
        let existing = self.imported(room_id, now)?;
        let limits = self.reservations.series_limits();
        let mut plans = Vec::new();
        for meeting in read.meetings {
            match plan(meeting, now, now + limits.horizon, &existing) {
                Ok(p) if p.is_unchanged(c.zone, now + limits.horizon) => report.unchanged += 1,
                Ok(p) => plans.push(p),
                Err(skip) => report.skipped.push(skip),
            }
        }
        // Judge every change against the room now, and against the events of the file before it.
        let mut taken: Vec<(TimeRange, String)> = Vec::new();
        let mut clashes = Vec::new();
        let mut bookable = Vec::new();
        for p in plans {
            let request = p.series.clone().unwrap_or_else(|| single(&p));
            let plan = match self.reservations.plan_series(actor, room_id, p.first, &request) {
                Ok(plan) => plan,
                Err(e) => {
                    report.skipped.push(skip_of(&p.meeting.uid, Some(p.first.start), &e)?);
                    continue;
                }
            };
            let mut free = 0;
            for o in &plan.occurrences {
                let by_file = taken.iter().find(|(t, _)| t.start < o.range.end && o.range.start < t.end);
                let reason = match by_file {
                    Some((_, uid)) => Some(format!("overlaps the event {uid} of the same file")),
                    None if !o.is_free() => Some(clash_reason(o)),
                    None => None,
                };
                match reason {
                    Some(reason) => {
                        clashes.push(Skip { uid: p.meeting.uid.clone(), start: Some(o.range.start), reason })
                    }
                    None => free += 1,
                }
            }
            if free == 0 {
                continue;
            }
            taken.extend(plan.occurrences.iter().filter(|o| o.is_free()).map(|o| (o.range, p.meeting.uid.clone())));
            bookable.push(p);
        }
        if options.on_conflict == OnConflict::Fail && !clashes.is_empty() {
            return Err(CalendarError::ImportClashes(clashes));
        }
        report.skipped.extend(clashes);
        for p in bookable {
            let updated = !p.existing.is_empty();
            if !options.dry_run {
                match self.book(actor, room_id, &p).await {
                    Ok(skipped) => report.skipped.extend(skipped),
                    Err(e) => {
                        report.skipped.push(skip_of(&p.meeting.uid, Some(p.first.start), &e)?);
                        continue;
                    }
                }
            }
            if updated { report.updated += 1 } else { report.created += 1 }
        }
        Ok(report)
    }

    /// The future live bookings of the room an import named, by the UID of their event.
    fn imported(&self, room: RoomId, now: DateTime<Utc>) -> Result<HashMap<String, Vec<Reservation>>, CalendarError> {
        let filter = ListFilter { room: Some(room), limit: usize::MAX, ..ListFilter::default() };
        let mut out: HashMap<String, Vec<Reservation>> = HashMap::new();
        for r in self.store.list(&filter)? {
            if r.start < now || !r.status.is_live() {
                continue;
            }
            let Some(name) = &r.calendar_name else { continue };
            // Occurrences of an imported series are named `{uid}/{start}`.
            let uid = match (r.series_id, name.uid.rsplit_once('/')) {
                (Some(_), Some((uid, _))) => uid.to_string(),
                _ => name.uid.clone(),
            };
            out.entry(uid).or_default().push(r);
        }
        Ok(out)
    }

    /// Books a planned meeting; returns the occurrences left out.
    async fn book(&self, actor: &Actor, room_id: RoomId, p: &Planned) -> Result<Vec<Skip>, ReservationError> {
        let m = &p.meeting;
        let input = NewReservation {
            room_id,
            title: m.title.clone(),
            description: m.description.clone(),
            start: p.first.start,
            end: p.first.end,
            attendees: Vec::new(),
            user_id: None,
            // A file cannot answer the booking fields.
            fields: None,
        };
        match (&p.series, p.existing.as_slice()) {
            (None, []) => {
                let name = CalendarName { uid: m.uid.clone(), href: href_of(&m.uid) };
                self.reservations.create_named(actor, input, Some(name)).await?;
                Ok(Vec::new())
            }
            (None, [old]) if old.series_id.is_none() => {
                let patch = ReservationPatch {
                    title: Some(m.title.clone()),
                    description: Some(m.description.clone().unwrap_or_default()),
                    start: Some(p.first.start),
                    end: Some(p.first.end),
                    ..ReservationPatch::default()
                };
                self.reservations.update(actor, old.id, patch, None).await?;
                Ok(Vec::new())
            }
            (series, _) => {
                let request = series.clone().unwrap_or_else(|| single(p));
                let booked = self.reservations.create_series(actor, input, request, OnConflict::Skip).await?;
                Ok(booked
                    .skipped
                    .iter()
                    .map(|c| Skip { uid: m.uid.clone(), start: Some(c.range.start), reason: clash_reason(c) })
                    .collect())
            }
        }
    }
}

/// What booking `meeting` takes from now on; a meeting with nothing ahead is skipped as past.
fn plan(
    meeting: Meeting,
    now: DateTime<Utc>,
    horizon: DateTime<Utc>,
    existing: &HashMap<String, Vec<Reservation>>,
) -> Result<Planned, Skip> {
    let existing = existing.get(&meeting.uid).cloned().unwrap_or_default();
    let past = |m: &Meeting| Skip {
        uid: m.uid.clone(),
        start: Some(m.first.start),
        reason: "the event is in the past".into(),
    };
    let (first, series) = match &meeting.repeat {
        None if meeting.first.start < now => return Err(past(&meeting)),
        None => (meeting.first, None),
        Some(repeat) => {
            let request = SeriesRequest {
                rrule: repeat.rrule.clone(),
                zone: Some(meeting.zone),
                exdates: repeat.exdates.clone(),
                overrides: repeat.overrides.iter().map(|o| (o.recurrence_id, o.range)).collect(),
                replaces: existing.iter().map(|r| r.id).collect(),
                uid: Some(meeting.uid.clone()),
            };
            match rebase(request, &meeting, now, horizon)? {
                Some((first, request)) => (first, Some(request)),
                None => return Err(past(&meeting)),
            }
        }
    };
    Ok(Planned { meeting, series, first, existing })
}

impl Planned {
    /// What is booked is what the file says, from now on.
    fn is_unchanged(&self, room_zone: chrono_tz::Tz, horizon: DateTime<Utc>) -> bool {
        let m = &self.meeting;
        let caps = recurrence::Caps { max_occurrences: UNCAPPED, horizon };
        let wanted: Vec<TimeRange> = match &self.series {
            None => vec![self.first],
            Some(s) => match s.ranges(room_zone, self.first, caps) {
                Ok(ranges) => ranges,
                Err(_) => return false,
            },
        };
        let mut booked: Vec<&Reservation> = self.existing.iter().collect();
        booked.sort_by_key(|r| r.start);
        !booked.is_empty()
            && booked.len() == wanted.len()
            && booked.iter().zip(&wanted).all(|(r, w)| r.range() == *w)
            && booked
                .iter()
                .all(|r| r.title == m.title && r.description == m.description.as_deref().unwrap_or_default().trim())
            && (self.series.is_some() == booked.iter().all(|r| r.series_id.is_some()))
    }
}

/// A single event as a one-occurrence series, to be judged (and, replacing a series, booked)
/// through the same path.
fn single(p: &Planned) -> SeriesRequest {
    SeriesRequest {
        rrule: "FREQ=DAILY;COUNT=1".into(),
        replaces: p.existing.iter().map(|r| r.id).collect(),
        uid: Some(p.meeting.uid.clone()),
        ..SeriesRequest::default()
    }
}

/// The series from its first occurrence not yet begun: a series begun in the past is booked
/// from there on (its COUNT lowered by the occurrences gone), and one without an end up to the
/// series horizon. None when every occurrence has begun.
fn rebase(
    mut request: SeriesRequest,
    m: &Meeting,
    now: DateTime<Utc>,
    horizon: DateTime<Utc>,
) -> Result<Option<(TimeRange, SeriesRequest)>, Skip> {
    let refuse = |reason: String| Skip { uid: m.uid.clone(), start: Some(m.first.start), reason };
    let mut rule = recurrence::parse(&request.rrule).map_err(|e| refuse(e.message))?;
    if rule.end.is_none() {
        let until = (horizon - Duration::days(1)).with_timezone(&m.zone).date_naive();
        request.rrule = format!("{};UNTIL={}", request.rrule, until.format("%Y%m%d"));
        rule = recurrence::parse(&request.rrule).map_err(|e| refuse(e.message))?;
    }
    if m.first.start >= now {
        return Ok(Some((m.first, request)));
    }
    // Every occurrence from the first, with no cap but the horizon: only to find where to begin.
    let caps = recurrence::Caps { max_occurrences: UNCAPPED, horizon };
    let all = recurrence::expand(&rule, m.zone, m.first, caps).map_err(|e| refuse(e.message))?;
    let Some(index) = all.iter().position(|o| o.start >= now) else { return Ok(None) };
    if let Some(recurrence::End::Count(n)) = rule.end {
        let left = n as usize - index;
        request.rrule = request
            .rrule
            .split(';')
            .map(|p| if p.to_ascii_uppercase().starts_with("COUNT=") { format!("COUNT={left}") } else { p.to_string() })
            .collect::<Vec<_>>()
            .join(";");
    }
    Ok(Some((all[index], request)))
}

/// A resource name for a booking from a file: its UID, kept to characters safe in a path.
fn href_of(uid: &str) -> String {
    let safe: String =
        uid.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.@".contains(c) { c } else { '_' }).take(200).collect();
    format!("{safe}.ics")
}

/// Why an occurrence cannot be booked, in words (without others' titles: the importer may not
/// see them).
fn clash_reason(c: &Clash) -> String {
    if c.reasons.is_empty() {
        "the room is already booked then".into()
    } else {
        c.reasons.iter().map(|r| r.message.as_str()).collect::<Vec<_>>().join("; ")
    }
}

/// A meeting the booking refused, as a skipped line; a store failure stays an error.
fn skip_of(uid: &str, start: Option<DateTime<Utc>>, e: &ReservationError) -> Result<Skip, CalendarError> {
    let reason = match e {
        ReservationError::Store(s) => return Err(CalendarError::Store(s.clone())),
        ReservationError::Invalid(errors) => {
            errors.0.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        }
        ReservationError::SeriesConflict(clashes) => {
            clashes.first().map(clash_reason).unwrap_or_else(|| "the room is already booked then".into())
        }
        other => other.to_string(),
    };
    Ok(Skip { uid: uid.to_string(), start, reason })
}
