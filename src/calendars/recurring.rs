//! A series as one recurring event: its occurrences (each carrying the series' rule, see
//! [`SeriesSlot`]) folded back into DTSTART + RRULE, EXDATE for the occurrences that are not
//! booked (skipped when booked, cancelled, declined, moved to another calendar) and an override
//! (RECURRENCE-ID) for each booked occurrence that differs from the rule: moved, retitled,
//! waiting for approval while the rest is confirmed. Expanded by any client, it gives exactly
//! the booked occurrences.

use super::ics::{Entry, Recurring};
use crate::model::reservation::{Reservation, SeriesSlot};
use crate::reservations::recurrence::{self, Caps};
use crate::types::{SeriesId, TimeRange};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// The UID of a series' recurring event.
pub fn series_uid(id: SeriesId) -> String {
    format!("{id}@salas")
}

/// The zone a series' rule is read in and the start of every occurrence the rule gives, or None
/// if the slot does not expand (it was written by this code, so only a damaged record fails).
pub fn slots(slot: &SeriesSlot) -> Option<(Tz, Vec<DateTime<Utc>>)> {
    let tz: Tz = slot.timezone.parse().ok()?;
    let rule = recurrence::parse(&slot.rrule).ok()?;
    // The rule ends in a COUNT, which is its own cap.
    let caps = Caps { max_occurrences: usize::MAX, horizon: slot.first.start + Duration::days(366 * 1000) };
    let ranges = recurrence::expand(&rule, tz, slot.first, caps).ok()?;
    Some((tz, ranges.into_iter().map(|r| r.start).collect()))
}

/// The recurring event of one series from its occurrences (any status, each with the calendar
/// location to show), or None when they do not share one rule (a series booked before rules
/// were kept): the caller then writes each occurrence as its own event. Stamps are the
/// occurrences' last changes.
pub fn series_event<'a>(uid: &'a str, occurrences: &[(&'a Reservation, &'a str)]) -> Option<Recurring<'a>> {
    let slot = occurrences.first()?.0.slot.as_ref()?;
    if occurrences.iter().any(|(r, _)| r.slot.as_ref().is_none_or(|s| !same_rule(s, slot))) {
        return None;
    }
    let (zone, starts) = slots(slot)?;
    let at = |r: &Reservation| r.slot.as_ref().map(|s| s.at);
    if occurrences.iter().any(|(r, _)| at(r).is_none_or(|a| !starts.contains(&a))) {
        return None;
    }
    let mut live: Vec<(&Reservation, &str)> = occurrences.iter().copied().filter(|(r, _)| r.status.is_live()).collect();
    live.sort_by_key(|(r, _)| at(r));
    // What every occurrence is, unless it says otherwise: the first booked one, or, when none is
    // booked any more, the first of all (the whole series then shows as cancelled).
    let (model, location) = live.first().copied().or_else(|| occurrences.iter().copied().min_by_key(|(r, _)| at(r)))?;
    let length = slot.first.duration();
    let changed = occurrences.iter().map(|(r, _)| r.updated_at).max().unwrap_or(model.updated_at);
    let entry = |r: &'a Reservation, location: &'a str, range: TimeRange| Entry {
        uid,
        sequence: r.version,
        stamp: r.updated_at,
        modified: Some(r.updated_at),
        range,
        title: &r.title,
        description: &r.description,
        location,
        status: r.status,
        people: None,
        recurrence_id: None,
    };
    let mut master = entry(model, location, slot.first);
    master.sequence = occurrences.iter().map(|(r, _)| r.version).max().unwrap_or(model.version);
    (master.stamp, master.modified) = (changed, Some(changed));
    let exdates: Vec<DateTime<Utc>> = if live.is_empty() {
        starts.iter().copied().filter(|s| !occurrences.iter().any(|(r, _)| at(r) == Some(*s))).collect()
    } else {
        starts.iter().copied().filter(|s| !live.iter().any(|(r, _)| at(r) == Some(*s))).collect()
    };
    let overrides = live
        .iter()
        .filter_map(|(r, location)| {
            let slot_at = at(r)?;
            let same = r.start == slot_at
                && r.end == slot_at + length
                && r.title == model.title
                && r.description == model.description
                && *location == master.location
                && r.status == model.status;
            (!same).then(|| Entry { recurrence_id: Some((slot_at, zone)), ..entry(r, location, r.range()) })
        })
        .collect();
    let last = starts.last().copied().unwrap_or(slot.first.start);
    Some(Recurring { master, zone, rrule: &slot.rrule, last, exdates, overrides })
}

fn same_rule(a: &SeriesSlot, b: &SeriesSlot) -> bool {
    a.rrule == b.rrule && a.timezone == b.timezone && a.first == b.first
}

#[cfg(test)]
mod tests {
    use super::super::ics::{Method, Writer};
    use super::*;
    use crate::model::reservation::Status;

    const MADRID: Tz = chrono_tz::Europe::Madrid;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// Occurrence `at` of a weekly series of four from 15 March 2027, 10:00 Madrid (09:00 UTC;
    /// 08:00 UTC from 28 March).
    fn occurrence(at: &str) -> Reservation {
        let at = utc(at);
        let mut r: Reservation = serde_json::from_value(serde_json::json!({
            "id": crate::types::ReservationId::new(), "room_id": crate::types::RoomId::new(),
            "user_id": crate::types::UserId::new(), "title": "Sync", "description": "",
            "start": at, "end": at + Duration::hours(1), "attendees": [], "status": "confirmed",
            "version": 1, "created_by": crate::types::UserId::new(), "created_at": "2027-01-01T00:00:00Z",
            "updated_at": "2027-01-01T00:00:00Z", "cancelled_at": null
        }))
        .unwrap();
        r.slot = Some(SeriesSlot {
            rrule: "FREQ=WEEKLY;COUNT=4".into(),
            timezone: "Europe/Madrid".into(),
            first: TimeRange::new(utc("2027-03-15T09:00:00Z"), utc("2027-03-15T10:00:00Z")),
            at,
        });
        r
    }

    #[test]
    fn the_rule_keeps_the_wall_clock_hour_across_dst() {
        let (zone, starts) = slots(occurrence("2027-03-15T09:00:00Z").slot.as_ref().unwrap()).unwrap();
        assert_eq!(zone, MADRID);
        let expected = ["2027-03-15T09:00:00Z", "2027-03-22T09:00:00Z", "2027-03-29T08:00:00Z", "2027-04-05T08:00:00Z"];
        assert_eq!(starts, expected.map(utc));
    }

    #[test]
    fn a_series_is_one_event_with_exdates_and_overrides() {
        let mut all: Vec<Reservation> =
            ["2027-03-15T09:00:00Z", "2027-03-22T09:00:00Z", "2027-03-29T08:00:00Z"].map(occurrence).into();
        all[1].status = Status::Cancelled;
        all[2].start = utc("2027-03-29T10:00:00Z");
        all[2].end = utc("2027-03-29T11:00:00Z");
        all[2].version = 3;
        // The fourth date was never booked (skipped when the series was).
        let shown: Vec<(&Reservation, &str)> = all.iter().map(|r| (r, "Sala Norte")).collect();
        let series = series_event("s@salas", &shown).unwrap();
        assert_eq!(series.exdates, [utc("2027-03-22T09:00:00Z"), utc("2027-04-05T08:00:00Z")]);
        assert_eq!(series.overrides.len(), 1);
        assert_eq!(series.overrides[0].recurrence_id, Some((utc("2027-03-29T08:00:00Z"), MADRID)));
        assert_eq!(series.master.sequence, 3);

        let mut w = Writer::new(Some(Method::Publish));
        w.series(&series);
        let ics = w.finish();
        assert!(ics.contains("\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n"), "{ics}");
        assert!(ics.contains("\r\nDTSTART;TZID=Europe/Madrid:20270315T100000\r\n"), "{ics}");
        assert!(ics.contains("\r\nEXDATE;TZID=Europe/Madrid:20270322T100000\r\n"), "{ics}");
        assert!(ics.contains("\r\nEXDATE;TZID=Europe/Madrid:20270405T100000\r\n"), "{ics}");
        assert!(ics.contains("\r\nRECURRENCE-ID;TZID=Europe/Madrid:20270329T100000\r\n"), "{ics}");
        assert!(ics.contains("\r\nDTSTART:20270329T100000Z\r\n"), "the moved occurrence: {ics}");
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2);
        assert_eq!(ics.matches("BEGIN:VTIMEZONE").count(), 1);
        assert!(ics.find("BEGIN:VTIMEZONE") < ics.find("BEGIN:VEVENT"));
    }

    #[test]
    fn occurrences_without_a_kept_rule_are_not_a_recurring_event() {
        let mut old = occurrence("2027-03-15T09:00:00Z");
        old.slot = None;
        assert!(series_event("s@salas", &[(&old, "")]).is_none());
        let mut stray = occurrence("2027-03-15T09:00:00Z");
        stray.slot.as_mut().unwrap().at = utc("2027-03-16T09:00:00Z");
        assert!(series_event("s@salas", &[(&stray, "")]).is_none(), "not a date of the rule");
    }
}
