"""Reads an iCalendar feed from stdin with the `icalendar` library and prints its events as JSON:
what a calendar client would take from it. Used by tests/it/feeds.rs."""
import json
import sys

import icalendar

cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
events = []
for ev in cal.walk("VEVENT"):
    start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
    assert start.utcoffset().total_seconds() == 0 and end.utcoffset().total_seconds() == 0, "times are in UTC"
    events.append({
        "uid": str(ev["UID"]),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "status": str(ev["STATUS"]),
        "summary": str(ev["SUMMARY"]),
        "sequence": int(ev["SEQUENCE"]),
    })
print(json.dumps({"name": str(cal.get("X-WR-CALNAME")), "events": events}))
