"""Reads an iCalendar object from stdin as calendar clients do and prints what they would take
from it as JSON: each VEVENT as written (with its RRULE, EXDATEs and RECURRENCE-ID), and the
occurrences `recurring_ical_events` expands the calendar to between argv[1] and argv[2] (ISO
8601 instants). Used by tests/it/feeds.rs and tests/it/notifications.rs."""
import datetime
import json
import sys

import icalendar
import recurring_ical_events


def instant(value):
    """A DTSTART/DTEND as an aware UTC instant; a time with a TZID must name a real zone."""
    assert isinstance(value, datetime.datetime) and value.tzinfo is not None, f"not a zoned time: {value!r}"
    return value.astimezone(datetime.timezone.utc).isoformat()


def basics(ev):
    """What every event is compared on, written or expanded."""
    return {
        "uid": str(ev["UID"]),
        "start": instant(ev.decoded("DTSTART")),
        "end": instant(ev.decoded("DTEND")),
        "status": str(ev["STATUS"]),
        "summary": str(ev["SUMMARY"]),
    }


cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
zones = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
events = []
for ev in cal.walk("VEVENT"):
    for key in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        tzid = ev[key].params.get("TZID") if key in ev else None
        assert tzid is None or tzid in zones, f"{key};TZID={tzid} has no VTIMEZONE"
    exdates = []
    for ex in ev.get("EXDATE", []) if isinstance(ev.get("EXDATE"), list) else [ev["EXDATE"]] if "EXDATE" in ev else []:
        exdates.extend(instant(d.dt) for d in ex.dts)
    events.append({
        **basics(ev),
        "sequence": int(ev["SEQUENCE"]),
        "rrule": ev["RRULE"].to_ical().decode() if "RRULE" in ev else None,
        "exdates": sorted(exdates),
        "recurrence_id": instant(ev.decoded("RECURRENCE-ID")) if "RECURRENCE-ID" in ev else None,
    })
expanded = []
if len(sys.argv) == 3:
    window = [datetime.datetime.fromisoformat(a) for a in sys.argv[1:3]]
    for ev in recurring_ical_events.of(cal).between(*window):
        expanded.append(basics(ev))
print(json.dumps({
    "name": str(cal.get("X-WR-CALNAME")),
    "method": str(cal.get("METHOD")),
    "events": events,
    "expanded": expanded,
}))
