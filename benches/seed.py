#!/usr/bin/env python3
"""Seeds a running Salas server for the wrk load test: ROOMS rooms and RESERVATIONS reservations
(ten one-hour meetings a day per room, 08:00-18:00 UTC, from tomorrow on), through the public API.
Prints the shell variables wrk.sh needs: a bearer token, a session cookie, the room ids (ROOMS),
the first room (ROOM) and the first seeded day (DAY)."""
import http.client, json, re, sys, threading, urllib.parse
from datetime import datetime, timedelta, timezone

host, port = sys.argv[1].split(":")
rooms_n, reservations_n = int(sys.argv[2]), int(sys.argv[3])
email, password = "admin@example.test", "admin password 1"

def call(method, path, body=None, token=None, headers=None, conn=None):
    c = conn or http.client.HTTPConnection(host, int(port), timeout=30)
    h = dict(headers or {})
    if body is not None:
        h["content-type"] = "application/json"
    if token:
        h["authorization"] = "Bearer " + token
    c.request(method, path, json.dumps(body) if body is not None else None, h)
    r = c.getresponse()
    data = r.read()
    return r.status, r.getheaders(), data

status, _, data = call("POST", "/api/v1/auth/token", {"email": email, "password": password})
assert status == 200, data
token = json.loads(data)["access_token"]
rooms = []
for i in range(rooms_n):
    status, _, data = call("POST", "/api/v1/rooms", {"name": f"Room {i:03}", "capacity": 4 + i % 12}, token)
    assert status == 201, data
    rooms.append(json.loads(data)["id"])

start = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
def slot(n):
    k = n // rooms_n  # the room's k-th meeting: day k // 10, hour 8 + k % 10
    return rooms[n % rooms_n], start + timedelta(days=k // 10, hours=8 + k % 10)
slots = [slot(n) for n in range(reservations_n)]
def worker(part):
    conn = http.client.HTTPConnection(host, int(port), timeout=30)  # kept alive
    for room, at in part:
        body = {"room_id": room, "title": "Load", "start": at.isoformat(), "end": (at + timedelta(hours=1)).isoformat()}
        status, _, data = call("POST", "/api/v1/reservations", body, token, conn=conn)
        assert status == 201, data
threads = [threading.Thread(target=worker, args=(slots[i::16],)) for i in range(16)]
[t.start() for t in threads]
[t.join() for t in threads]

# A browser session for the page: sign in through the form like a person.
status, headers, page = call("GET", "/login")
csrf = re.search(rb'name="csrf" value="([0-9a-f]+)"', page).group(1).decode()
login_cookie = [v.split(";")[0] for k, v in headers if k.lower() == "set-cookie"][0]
form = urllib.parse.urlencode({"email": email, "password": password, "csrf": csrf})
c = http.client.HTTPConnection(host, int(port), timeout=30)
c.request("POST", "/login", form, {"cookie": login_cookie, "content-type": "application/x-www-form-urlencoded"})
r = c.getresponse(); r.read()
session = [v.split(";")[0] for k, v in r.getheaders() if k.lower() == "set-cookie" and v.startswith("salas_session=")][0]
print(f"TOKEN={token}\nSESSION='{session}'\nROOMS='{' '.join(rooms)}'\nROOM={rooms[0]}\nDAY={start.date().isoformat()}")
