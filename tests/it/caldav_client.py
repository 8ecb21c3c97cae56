"""Drives Salas's CalDAV server with the Python `caldav` library, as a real client would.

Reads a JSON object from argv[1]: base (server URL), email, key (an API key), room (its name),
room_id, token (a bearer token for the API), day (YYYY-MM-DD, a day with one booking 09-10 UTC),
free and taken ("HH" UTC hours on that day). Prints what it saw as JSON; any failure is an
exception, so the exit status is not 0.
"""

import json
import sys
import uuid
from datetime import datetime, timedelta, timezone

import caldav
# niquests (which caldav brings) speaks the requests API.
import niquests as requests
from caldav.lib import error


def vevent(uid, summary, start, end):
    fmt = "%Y%m%dT%H%M%SZ"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//caldav test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:{start.strftime(fmt)}\r\nDTSTART:{start.strftime(fmt)}\r\n"
        f"DTEND:{end.strftime(fmt)}\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def main():
    c = json.loads(sys.argv[1])
    day = datetime.strptime(c["day"], "%Y-%m-%d").replace(tzinfo=timezone.utc)
    at = lambda hour: day + timedelta(hours=hour)
    out = {}

    client = caldav.DAVClient(url=c["base"] + "/dav/", username=c["email"], password=c["key"])
    principal = client.principal()
    calendars = principal.calendars()
    out["calendars"] = sorted(cal.get_display_name() for cal in calendars)
    room = next(cal for cal in calendars if cal.get_display_name() == c["room"])

    found = room.search(start=at(0), end=at(24), event=True)
    out["found"] = sorted(str(e.icalendar_component.get("summary")) for e in found)

    uid = f"caldav-{uuid.uuid4()}"
    saved = room.save_event(vevent(uid, "From caldav", at(c["free"]), at(c["free"] + 1)))
    out["saved_uid"] = uid
    out["saved_url"] = str(saved.url)

    try:
        room.save_event(vevent(f"caldav-{uuid.uuid4()}", "Over a taken slot", at(c["taken"]), at(c["taken"] + 1)))
        out["refused"] = None
    except error.DAVError as e:
        out["refused"] = type(e).__name__

    synced = room.objects_by_sync_token(load_objects=False)
    token = synced.sync_token
    res = requests.post(
        c["base"] + "/api/v1/reservations",
        headers={"Authorization": "Bearer " + c["token"]},
        json={"room_id": c["room_id"], "title": "Booked in the API", "start": at(20).isoformat(), "end": at(21).isoformat()},
        timeout=30,
    )
    res.raise_for_status()
    out["api_booking"] = res.json()["id"]
    later = room.objects_by_sync_token(sync_token=token, load_objects=True)
    out["synced"] = sorted(str(o.icalendar_component.get("summary")) for o in later)

    saved.delete()
    out["after_delete"] = sorted(
        str(e.icalendar_component.get("summary")) for e in room.search(start=at(0), end=at(24), event=True)
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
