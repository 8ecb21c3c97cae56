"""A real SMTP server for the tests (aiosmtpd). Every message it accepts is written to OUT_DIR as
JSON: envelope, headers, the text and HTML parts, and the attached invitation parsed with the
`icalendar` package. Usage: smtp_sink.py PORT OUT_DIR"""
import asyncio, email, json, os, sys, uuid
from email import policy
from aiosmtpd.controller import Controller
import icalendar

port, out_dir = int(sys.argv[1]), sys.argv[2]


class Sink:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        record = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                  "subject": str(msg["subject"]), "message_id": str(msg["message-id"]),
                  "to": str(msg["to"]), "content_types": [], "text": None, "html": None, "ics": None,
                  "attachments": []}
        name = os.path.join(out_dir, uuid.uuid4().hex)
        for part in msg.walk():
            ct = part.get_content_type()
            record["content_types"].append(ct)
            filename = part.get_filename()
            if filename and ct != "text/calendar":
                # Saved beside the record (not as .json), for real readers to open.
                path = f"{name}-{len(record['attachments'])}-{os.path.basename(filename)}"
                with open(path, "wb") as f:
                    f.write(part.get_payload(decode=True))
                record["attachments"].append({"filename": filename, "content_type": ct, "path": path})
            if ct == "text/plain" and record["text"] is None:
                record["text"] = part.get_content()
            elif ct == "text/html":
                record["html"] = part.get_content()
            elif ct == "text/calendar":
                raw = part.get_payload(decode=True)
                cal = icalendar.Calendar.from_ical(raw)
                events = [c for c in cal.walk() if c.name == "VEVENT"]
                ev = events[0]
                record["ics"] = {
                    "method": str(cal.get("method")),
                    "content_type_method": part.get_param("method"),
                    "uid": str(ev.get("uid")),
                    "sequence": int(ev.get("sequence")),
                    "status": str(ev.get("status")),
                    "summary": str(ev.get("summary")),
                    "dtstart": ev.decoded("dtstart").isoformat(),
                    "dtend": ev.decoded("dtend").isoformat(),
                    "attendees": sorted(str(a) for a in (ev.get("attendee") if isinstance(ev.get("attendee"), list) else [ev.get("attendee")]) if a),
                    # Every event of the file: a series' recurring event with its RRULE, and each
                    # occurrence addressed alone by its RECURRENCE-ID.
                    "events": [{"uid": str(e.get("uid")), "status": str(e.get("status")),
                                "dtstart": e.decoded("dtstart").isoformat(),
                                "rrule": e["rrule"].to_ical().decode() if "rrule" in e else None,
                                "recurrence_id": e.decoded("recurrence-id").isoformat() if "recurrence-id" in e else None}
                               for e in events],
                    # The file itself, for the tests to expand as a calendar client does.
                    "raw": raw.decode(),
                }
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name + ".json")
        return "250 Message accepted for delivery"


controller = Controller(Sink(), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
try:
    asyncio.get_event_loop().run_forever()
except KeyboardInterrupt:
    pass
