#!/usr/bin/env python3
"""Salas in a real browser: Debian's headless Chromium driven by Playwright (sync API).

Run by tests/it/browser_e2e.rs against a server it seeded through the API:
  - "Sala Norte": a booking by the admin, 09:00-10:00 on --date, titled "Weekly planning"
  - "Sala Sur": a booking by the member, 11:00-11:30 on --date, titled "One to one"
Flows: sign in, the day timeline, drag-to-book, the live availability check, a refused
conflicting booking, keyboard-only booking, cancel with confirmation, Spanish, plus
accessibility checks (accessible names, one h1, keyboard reach) and no console errors or CSP
violations on any page. At phone width (390 px) no page may scroll sideways: every page the
route table renders is visited signed out, as the admin and as the member (no_sideways_scroll_phone).
Screenshots of the main pages at desktop and phone width go to --shots (fit-*-phone.png: every page
at phone width).
Exits non-zero with a list of what failed.
"""

import argparse
import datetime
import json
import os
import re
import sys
import tempfile
import traceback

from playwright.sync_api import expect, sync_playwright

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class Run:
    """Shared state: arguments, the collected failures and console errors."""

    def __init__(self, args):
        self.args = args
        self.url = args.url.rstrip("/")
        self.failures = []
        self.console = []
        # Pages the server answered with a deliberate 4xx (a refused form comes back as 409 or
        # 422 with the form and its messages); Chromium logs those loads as console errors.
        self.refused_pages = set()

    def check(self, ok, what):
        if not ok:
            self.failures.append(what)
            print("FAIL:", what, flush=True)

    def watch(self, page, label):
        """Every console error (CSP violations are reported there) and uncaught exception fails the run."""
        def on_console(msg):
            source = (msg.location or {}).get("url", "")
            if msg.text.startswith("Failed to load resource") and source in self.refused_pages:
                return
            if msg.type == "error":
                self.console.append(f"[{label}] console error on {page.url}: {msg.text} ({source})")

        def on_response(res):
            if res.request.resource_type == "document" and res.status in (401, 409, 422):
                self.refused_pages.add(res.url)

        page.on("response", on_response)
        page.on("console", on_console)
        page.on("pageerror", lambda e: self.console.append(f"[{label}] page error on {page.url}: {e}"))

    def shot(self, page, name, width_label):
        path = os.path.join(self.args.shots, f"{name}-{width_label}.png")
        page.screenshot(path=path, full_page=True)
        print("screenshot", path, flush=True)


# ---------- accessibility ----------

def audit(run, page, where):
    """One h1; every visible form control has an accessible name, as Chromium computes it."""
    h1 = page.locator("h1").count()
    run.check(h1 == 1, f"{where}: expected one h1, found {h1}")
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("Accessibility.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        ids = cdp.send("DOM.querySelectorAll", {
            "nodeId": root, "selector": "input:not([type=hidden]), select, textarea, button",
        })["nodeIds"]
        for nid in ids:
            nodes = cdp.send("Accessibility.getPartialAXTree", {"nodeId": nid, "fetchRelatives": False})["nodes"]
            if nodes and nodes[0].get("ignored"):
                continue  # not rendered (display: none, such as the repeat details not chosen)
            name = (nodes[0].get("name") or {}).get("value", "") if nodes else ""
            if not str(name).strip():
                html = cdp.send("DOM.getOuterHTML", {"nodeId": nid})["outerHTML"]
                run.check(False, f"{where}: form control without an accessible name: {html[:160]}")
    finally:
        cdp.detach()


def tab_until(page, selector, limit=120):
    """Presses Tab until the focused element matches `selector`; True when it got there."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector):
            return True
    return False


def keyboard_reach(run, page, where):
    """Every booking block and every "book" link of the timeline can be reached with Tab, and
    shows a focus ring when it is."""
    page.evaluate("""() => document.querySelectorAll('.timeline .block, .timeline .row-book')
        .forEach((el, i) => el.dataset.e2e = String(i))""")
    wanted = set(page.evaluate("() => [...document.querySelectorAll('[data-e2e]')].map(e => e.dataset.e2e)"))
    run.check(len(wanted) > 0, f"{where}: no blocks or book links to reach")
    page.locator("body").focus()
    seen, ringless = set(), []
    for _ in range(200):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => { const a = document.activeElement;
            if (!a || !a.dataset || a.dataset.e2e === undefined) return null;
            const s = getComputedStyle(a);
            return [a.dataset.e2e, s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2]; }""")
        if info:
            seen.add(info[0])
            if not info[1]:
                ringless.append(info[0])
        if page.evaluate("() => document.activeElement && document.activeElement.closest('footer') !== null"):
            break
        if seen >= wanted:
            break
    run.check(seen >= wanted, f"{where}: not reachable by Tab: {sorted(wanted - seen)}")
    run.check(not ringless, f"{where}: no visible focus ring on {ringless}")


# ---------- flows ----------

def sign_in(run, page, email, password, shot_as=None):
    page.goto(run.url + "/login")
    if shot_as:
        audit(run, page, "sign-in")
        run.shot(page, "sign-in", shot_as)
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/(\?.*)?$"))
    expect(page.locator("header .account")).to_be_visible()


def day_url(run, date=None):
    return f"{run.url}/?date={date or run.args.date}"


def track_of(page, room_name):
    row = page.locator(".timeline .row").filter(has=page.locator(".row-title", has_text=room_name))
    return row.locator(".track[data-room]")


def drag_to_book(run, page, room_name, start_hour, end_hour):
    """Drags over free time in the room's row; app.js opens /book prefilled."""
    track = track_of(page, room_name)
    track.scroll_into_view_if_needed()
    first = int(track.get_attribute("data-first-hour"))
    slots = int(track.get_attribute("data-slots"))
    box = track.bounding_box()
    width = box["width"] / slots
    # The day grid is wider than the screen: bring the hours to drag over into view.
    track.evaluate("(t, x) => { t.closest('.timeline').scrollLeft = x; }", max(0, (start_hour - first) * 4 * width - 100))
    box = track.bounding_box()
    y = box["y"] + box["height"] / 2
    x0 = box["x"] + ((start_hour - first) * 4 + 0.5) * width
    x1 = box["x"] + ((end_hour - first) * 4 - 0.5) * width
    page.mouse.move(x0, y)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, y, steps=4)
    page.mouse.move(x1, y, steps=4)
    page.mouse.up()
    page.wait_for_url(re.compile(r"/book\?"))


def live_state(page):
    return page.locator("#availability .check")


def flows_desktop(run, browser):
    a = run.args
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "desktop")

    # Sign in through the form; the timeline of the seeded day shows both bookings.
    sign_in(run, page, a.member_email, a.member_password, shot_as="desktop")
    audit(run, page, "timeline (today)")
    page.goto(day_url(run))
    expect(page.locator(".timeline")).to_be_visible()
    expect(page.locator(".block", has_text="Weekly planning")).to_be_visible()
    expect(page.locator(".block.mine", has_text="One to one")).to_be_visible()
    audit(run, page, "timeline")
    keyboard_reach(run, page, "timeline")

    # Drag over 14:00-15:00 in Sala Norte: the form opens prefilled and the live check says free.
    drag_to_book(run, page, "Sala Norte", 14, 15)
    run.check("start=14%3A00" in page.url and "end=15%3A00" in page.url, f"drag opened {page.url}")
    expect(page.locator("#start")).to_have_value("14:00")
    expect(page.locator("#end")).to_have_value("15:00")
    expect(page.locator("#date")).to_have_value(a.date)
    expect(live_state(page)).to_have_class(re.compile("check-free"))
    audit(run, page, "booking form")
    page.locator("#title").fill("Design review")
    page.locator("#book-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/\?date="))
    expect(page.locator(".flash")).to_contain_text("Booked")
    block = track_of(page, "Sala Norte").locator(".block", has_text="Design review")
    expect(block).to_be_visible()
    expect(page.locator(".block:target")).to_contain_text("Design review")
    run.check("mine" in (block.get_attribute("class") or ""), "the new block is marked as mine")
    run.shot(page, "timeline", "desktop")

    # The live check follows the times as they change (htmx), then the server refuses the overlap.
    page.goto(f"{run.url}/book?room={a.room_north}&date={a.date}&start=09:30&end=10:30")
    expect(live_state(page)).to_have_class(re.compile("check-conflict"))
    expect(page.locator("#availability")).to_contain_text("Weekly planning")
    page.locator("#start").fill("11:00")
    page.locator("#end").fill("12:00")
    expect(live_state(page)).to_have_class(re.compile("check-free"))
    page.locator("#start").fill("09:00")
    expect(live_state(page)).to_have_class(re.compile("check-conflict"))
    page.locator("#title").fill("Clashing meeting")
    page.locator("#book-form button[type=submit]").click()
    alert = page.locator(".error-box[role=alert]")
    expect(alert).to_contain_text("already booked")
    expect(alert).to_contain_text("Weekly planning")
    audit(run, page, "booking form with a conflict")
    run.shot(page, "booking-conflict", "desktop")

    keyboard_booking(run, page)

    # My reservations: cancel the dragged booking through the confirmation page.
    page.goto(run.url + "/my")
    audit(run, page, "my reservations")
    run.shot(page, "my-reservations", "desktop")
    item = page.locator(".item", has_text="Design review")
    item.locator("a.danger").click()
    page.wait_for_url(re.compile(r"/cancel$"))
    audit(run, page, "cancel confirmation")
    expect(page.locator("main")).to_contain_text("Design review")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text("Cancelled")
    page.goto(run.url + "/my")
    expect(page.locator(".item:not(.cancelled)", has_text="Design review")).to_have_count(0)
    page.goto(day_url(run))
    expect(page.locator(".block", has_text="Design review")).to_have_count(0)

    # The room page with its week view: the week of the seeded day shows its booking.
    page.locator(".row-title", has_text="Sala Norte").click()
    page.wait_for_url(re.compile(r"/rooms/"))
    page.goto(page.url.split("?")[0] + f"?week={a.date}")
    expect(page.locator(".timeline.week .row")).to_have_count(8)  # the hours and seven days
    expect(page.locator(".timeline.week .block", has_text="Weekly planning")).to_be_visible()
    audit(run, page, "room page")
    run.shot(page, "room-week", "desktop")
    page.goto(run.url + "/rooms")
    audit(run, page, "room directory")

    # Profile: switch to Spanish; the pages speak Spanish from then on.
    page.goto(run.url + "/profile")
    audit(run, page, "profile")
    run.shot(page, "profile", "desktop")
    page.locator("#language").select_option("es")
    page.locator("form[action='/profile'] button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator(".flash")).to_contain_text("Tu perfil está guardado")
    for path, text in (("/", "Mis reservas"), ("/my", "Próximas"), (f"/book?room={a.room_north}", "Guardar la reserva")):
        page.goto(run.url + path)
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.locator("body")).to_contain_text(text)
        audit(run, page, f"{path} in Spanish")
    page.goto(day_url(run))
    run.shot(page, "timeline-es", "desktop")
    ctx.close()


def keyboard_booking(run, page):
    """Keyboard only: Tab to a row's "Book" link on an empty day, Enter; Tab through the form,
    type the times and a title, Enter submits."""
    a = run.args
    page.goto(day_url(run, a.free_date))
    page.locator("body").focus()
    track_of(page, "Sala Sur").locator("xpath=..").locator(".row-book").evaluate("(a) => a.dataset.e2eTarget = '1'")
    run.check(tab_until(page, "[data-e2e-target]"), "keyboard: the Book link of Sala Sur is reachable")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/book\?"))
    page.locator("body").focus()
    run.check(tab_until(page, "#title"), "keyboard: the title field is reachable")
    page.keyboard.type("Keyboard booking")
    # The date field has a stop per part (day, month, year), so a few Tabs lead to the start.
    run.check(tab_until(page, "#start", 6), "keyboard: start follows title and date")
    # Chromium lays the time field out in its own locale; where that is 12-hour, the trailing
    # "A" picks AM (a prefilled afternoon time would otherwise make 10 into 22:00); in a 24-hour
    # field it is ignored.
    page.keyboard.type("1000A")
    run.check(tab_until(page, "#end", 3), "keyboard: end follows start")
    page.keyboard.type("1100A")
    expect(page.locator("#start")).to_have_value("10:00")
    expect(page.locator("#end")).to_have_value("11:00")
    expect(live_state(page)).to_have_class(re.compile("check-free"))
    page.locator("#title").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/\?date="))
    expect(track_of(page, "Sala Sur").locator(".block", has_text="Keyboard booking")).to_be_visible()


def pages_phone(run, browser):
    """The main pages at phone width; the day is an agenda per room."""
    a = run.args
    ctx = browser.new_context(viewport=PHONE, locale="en-GB", timezone_id="UTC", has_touch=True)
    page = ctx.new_page()
    run.watch(page, "phone")
    sign_in(run, page, a.admin_email, a.admin_password, shot_as="phone")
    page.goto(day_url(run))
    run.check(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"),
              "phone: the page itself does not scroll sideways")
    # At phone width the day is an agenda per room (tests/browser/dayview.py books from it).
    expect(page.locator(".timeline.day .row.hours")).to_be_hidden()
    expect(page.locator(".timeline.day .gap").first).to_be_visible()
    run.shot(page, "timeline", "phone")
    page.goto(f"{run.url}/book?room={a.room_north}&date={a.date}&start=09:00&end=10:00")
    expect(live_state(page)).to_have_class(re.compile("check-conflict"))
    page.locator("#title").fill("Clashing meeting")
    page.locator("#book-form button[type=submit]").click()
    expect(page.locator(".error-box[role=alert]")).to_be_visible()
    run.shot(page, "booking-conflict", "phone")
    for path, name in (("/my", "my-reservations"), ("/profile", "profile"), ("/admin/rooms", "admin-rooms")):
        page.goto(run.url + path)
        audit(run, page, f"{path} (phone)")
        run.check(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"),
                  f"phone: {path} does not scroll sideways")
        run.shot(page, name, "phone")
    page.goto(run.url + "/rooms")
    page.locator(".room-card h2 a", has_text="Sala Norte").click()
    page.wait_for_url(re.compile(r"/rooms/"))
    page.goto(page.url.split("?")[0] + f"?week={a.date}")
    run.shot(page, "room-week", "phone")
    ctx.close()


def admin_desktop(run, browser):
    a = run.args
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "admin")
    sign_in(run, page, a.admin_email, a.admin_password)
    for path in ("/admin/rooms", "/admin/resources", "/admin/users"):
        page.goto(run.url + path)
        audit(run, page, path)
    page.goto(run.url + "/admin/rooms")
    run.shot(page, "admin-rooms", "desktop")
    ctx.close()


# ---------- browser notifications ----------

def push_subscription(run, browser):
    """Browser notifications up to the subscription: the service worker registers with the whole
    site as its scope, the page subscribes with the server's VAPID key, and the subscription
    reaches the server (the Rust side lists it through the API). Chromium here has no push
    service to subscribe with (it would ask Google's), so PushManager.subscribe answers with a
    subscription made by the test, and records the key it was given."""
    import base64
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    keys = {"p256dh": b64(point), "auth": b64(os.urandom(16))}
    a = run.args
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    ctx.grant_permissions(["notifications"], origin=run.url)
    ctx.add_init_script("""
      PushManager.prototype.subscribe = async function (options) {
        const key = new Uint8Array(options.applicationServerKey);
        window.__pushKey = btoa(String.fromCharCode(...key)).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
        const json = { endpoint: "https://push.example.test/e2e", expirationTime: null, keys: %s };
        return { endpoint: json.endpoint, toJSON: () => json };
      };
    """ % json.dumps(keys))
    page = ctx.new_page()
    run.watch(page, "push")
    sign_in(run, page, a.member_email, a.member_password)
    page.goto(run.url + "/profile#push")
    page.locator("[data-push-enable]").click()
    expect(page.locator("[data-push-status]")).to_have_text(re.compile("notifications are on|notificaciones están activadas"), timeout=10000)
    scope = page.evaluate("navigator.serviceWorker.getRegistration('/').then(r => r && r.active && r.scope)")
    run.check(scope == run.url + "/", f"the service worker is active for the whole site: {scope!r}")
    server_key = page.evaluate("fetch('/api/v1/push/key').then(r => r.json()).then(j => j.public_key)")
    run.check(page.evaluate("window.__pushKey") == server_key, "subscribed with the server's VAPID key")
    ctx.close()


# ---------- live pages and the door display ----------

def live_and_display(run, browser):
    """Two people on the same day: a booking made by one appears on the other's timeline without
    a reload (SSE), and the filter form being typed in there is kept. Then a door display: a
    walk-up booking on one display turns another display of the room busy; with the network
    gone it keeps the last state and says since when."""
    a = run.args
    booker_ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    watcher_ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    booker, watcher = booker_ctx.new_page(), watcher_ctx.new_page()
    run.watch(booker, "live booker")
    run.watch(watcher, "live watcher")
    sign_in(run, booker, a.admin_email, a.admin_password)
    sign_in(run, watcher, a.member_email, a.member_password)
    watcher.goto(day_url(run, a.free_date))
    expect(watcher.locator(".timeline")).to_be_visible()
    watcher.wait_for_function("() => document.querySelector('[sse-connect]') && window.htmx")
    # Marks that a reload would wipe: a script variable and a half-typed filter.
    watcher.evaluate("window.__e2eNoReload = 'still here'")
    watcher.locator("input[name=capacity]").fill("3")

    booker.goto(f"{run.url}/book?room={a.room_north}&date={a.free_date}&start=16:00&end=17:00")
    booker.locator("#title").fill("Live sync")
    booker.locator("#book-form button[type=submit]").click()
    booker.wait_for_url(re.compile(r"/\?date="))
    expect(track_of(watcher, "Sala Norte").locator(".block", has_text="Live sync")).to_be_visible(timeout=5000)
    run.check(watcher.evaluate("window.__e2eNoReload") == "still here", "the watcher's page was not reloaded")
    run.check(watcher.locator("input[name=capacity]").input_value() == "3", "the filter being typed in is kept")

    # A door display for Sala Norte, created in the admin pages (the address is shown once).
    booker.goto(run.url + "/admin/displays")
    audit(run, booker, "admin displays")
    booker.locator("#d-room").select_option(a.room_north)
    booker.locator("#d-name").fill("Door, floor 1")
    booker.locator("form[action='/admin/displays'] button[type=submit]").click()
    url = booker.locator("#display-url").inner_text().strip()
    run.check("/display/sd_" in url, f"the display address is shown: {url}")
    shown, other = booker_ctx.new_page(), watcher_ctx.new_page()
    run.watch(shown, "display")
    run.watch(other, "display 2")
    shown.goto(url)
    other.goto(url)
    expect(shown.locator(".door-state.is-free")).to_be_visible()
    expect(shown.locator(".door-word")).to_have_text("Free")
    audit(run, shown, "door display")
    run.shot(shown, "display-free", "desktop")
    shown.wait_for_function("() => window.htmx && document.querySelector('[sse-connect]')")
    shown.wait_for_timeout(500)  # the stream is open before the change is made
    other.locator(".door-actions button", has_text="15 min").click()
    expect(other.locator(".door-state.is-busy")).to_be_visible()
    expect(shown.locator(".door-state.is-busy")).to_be_visible(timeout=5000)
    expect(shown.locator(".door-word")).to_have_text("Busy")
    run.shot(shown, "display-busy", "desktop")
    booker_ctx.close()
    watcher_ctx.close()

    # Offline: the last state stays, with a notice; back online, the notice goes. (Not
    # watched: the failed requests while offline are logged as console errors on purpose.)
    ctx = browser.new_context(viewport={"width": 1024, "height": 768}, locale="es-ES", timezone_id="UTC")
    tablet = ctx.new_page()
    tablet.goto(url)
    expect(tablet.locator(".door-word")).to_have_text("Ocupada")
    tablet.wait_for_function("() => window.htmx")
    ctx.set_offline(True)
    tablet.evaluate("htmx.trigger('#panel', 'refresh')")
    expect(tablet.locator("#offline")).to_be_visible(timeout=5000)
    expect(tablet.locator("#offline")).to_contain_text(re.compile(r"Sin conexión desde las \d\d:\d\d"))
    expect(tablet.locator(".door-word")).to_have_text("Ocupada")
    run.shot(tablet, "display-offline", "tablet")
    ctx.set_offline(False)
    tablet.evaluate("htmx.trigger('#panel', 'refresh')")
    expect(tablet.locator("#offline")).to_be_hidden(timeout=10000)
    ctx.close()


def repeat_series(run, browser):
    """A weekly series through the booking form: the repeat details appear when chosen, the live
    summary says it in words, the preview marks the taken date in words, and "skip" books the rest."""
    a = run.args
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "repeat")
    sign_in(run, page, a.admin_email, a.admin_password)  # the member reads Spanish by now
    # 09:00-10:00 in Sala Norte: the seeded "Weekly planning" holds the first date.
    page.goto(f"{run.url}/book?room={a.room_north}&date={a.date}&start=09:00&end=10:00")
    page.locator("#title").fill("Team sync")
    expect(page.locator("#interval")).to_be_hidden()
    page.locator("#repeat").select_option("weekly")
    expect(page.locator("#interval")).to_be_visible()
    page.locator("#count").fill("3")
    weekday = datetime.date.fromisoformat(a.date).strftime("%A")
    expect(page.locator("#repeat-summary")).to_contain_text(f"Every {weekday}, 3 times")
    expect(page.locator("#repeat-summary")).to_contain_text("3 dates, 1 of them taken")
    expect(page.locator("#repeat-preview li")).to_have_count(3)
    taken = page.locator("#repeat-preview li.occ-taken")
    expect(taken).to_have_count(1)
    expect(taken).to_contain_text("Taken:")
    expect(taken).to_contain_text("Weekly planning")
    audit(run, page, "booking form with a repeat")
    run.shot(page, "booking-repeat", "desktop")
    page.locator("input[name=on_conflict][value=skip]").check()
    page.locator("#book-form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Repeating booking saved")
    expect(page.locator("#booked-dates li")).to_have_count(2)
    expect(page.locator("#skipped-dates li")).to_contain_text("Weekly planning")
    audit(run, page, "series booked")
    ctx.close()


# ---------- no sideways scrolling on a phone ----------

# How far the page scrolls sideways at the viewport's width, and the elements that stick out: the
# outermost ones not inside a container that scrolls or clips them, so the message names a cause.
OVERFLOW_JS = """() => {
  const viewport = window.innerWidth, doc = document.documentElement;
  // Clipped by a scrolling or clipping ancestor on its chain of containing blocks (an absolutely
  // positioned element escapes every ancestor up to the first positioned one).
  const clipped = (el) => {
    let pos = getComputedStyle(el).position;
    for (let p = el.parentElement; p && p !== document.body && p !== doc; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (pos === 'fixed' || (pos === 'absolute' && s.position === 'static')) continue;
      if (s.overflowX !== 'visible') return true;
      pos = s.position;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map(c => '.' + c).join('');
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= viewport + 0.5 || clipped(el)) continue;
    const up = el.parentElement, parent = up.getBoundingClientRect();
    if (up !== document.body && parent.right > viewport + 0.5 && r.right <= parent.right + 0.5 && !clipped(up)) continue;
    out.push(`${name(el)} (+${Math.round(r.right - viewport)} px)`);
  }
  return { scrollWidth: doc.scrollWidth, viewport, culprits: out.slice(0, 5) };
}"""


def fits_phone(run, page, path, name):
    """Opens `path`; the page must not be wider than the phone's viewport. Also audits it and
    keeps a screenshot."""
    page.goto(run.url + path)
    page.wait_for_load_state("load")
    m = page.evaluate(OVERFLOW_JS)
    wide = m["scrollWidth"] - m["viewport"]
    run.check(wide <= 0, f"phone: {name} ({path}) scrolls sideways by {wide} px "
                         f"(scrollWidth {m['scrollWidth']} > viewport {m['viewport']}): {', '.join(m['culprits'])}")
    audit(run, page, f"{name} (phone)")
    run.shot(page, "fit-" + name, "phone")


def first_href(page, selector):
    """The address of the first link matching `selector` on the current page, or None."""
    links = page.locator(selector)
    return links.first.get_attribute("href") if links.count() else None


def submit(page, form_selector):
    """Submits the form and waits for the page that answers."""
    page.locator(form_selector).locator("button[type=submit]").first.click()
    page.wait_for_load_state("load")


# A long word that fits no phone: a link pasted as a title or a description.
LONG_URL = "https://intranet.example.test/facilities/workplace-experience/meeting-rooms/north-wing"


def seed_wide_content(run, page):
    """As the admin: a group (with a member), a piece of equipment, an API key and a webhook, each
    with long names or addresses, so the tables and pages that list them have something wide in
    them. Returns the one-time address of a new door display for Sala Norte."""
    a = run.args
    page.goto(run.url + "/admin/groups")
    page.locator("#g-name").fill("Facilities and workplace experience")
    page.locator("#g-description").fill("Everyone who looks after the buildings: " + LONG_URL)
    submit(page, "form[action='/admin/groups']")
    page.goto(run.url + "/admin/groups")
    page.goto(run.url + first_href(page, "a[href^='/admin/groups/']"))
    page.locator("#g-user").select_option(index=1)
    submit(page, "form[action$='/members']")
    page.goto(run.url + "/admin/resources")
    page.locator("#new-name").fill("Video conferencing kit")
    page.locator("#new-description").fill("Camera, microphone and a 65-inch screen; guide: " + LONG_URL)
    submit(page, "form[action='/admin/resources']")
    page.goto(run.url + "/profile")
    page.locator("#key_name").fill("Calendar synchronisation for the facilities team")
    submit(page, "form[action='/profile/api-keys']")
    page.goto(run.url + "/admin/webhooks")
    page.locator("#w-url").fill("https://hooks.example.test/services/T0123456789/B0123456789/reservations-and-rooms")
    page.locator("form[method=post][action='/admin/webhooks'] input[value='*']").check()
    submit(page, "form[method=post][action='/admin/webhooks']")
    page.goto(run.url + "/admin/displays")
    page.locator("#d-room").select_option(a.room_north)
    page.locator("#d-name").fill("Door, phone check")
    submit(page, "form[action='/admin/displays']")
    return page.locator("#display-url").inner_text().strip()


def no_sideways_scroll_phone(run, browser):
    """At 390 px no page scrolls sideways (document.documentElement.scrollWidth no wider than the
    viewport), on every page the route table renders with GET: signed out, as the admin (who sees
    every page) and as a member (whose pages differ). Wide tables scroll in their own region;
    long words wrap; the header fits. Each failure names the page, by how much, and what sticks out."""
    a = run.args
    ctx = browser.new_context(viewport=PHONE, locale="en-GB", timezone_id="UTC", has_touch=True)
    page = ctx.new_page()
    run.watch(page, "phone fit signed out")
    fits_phone(run, page, "/login", "sign-in")
    fits_phone(run, page, "/login?lang=es", "sign-in-es")
    fits_phone(run, page, "/help", "help-signed-out")
    ctx.close()

    # The member books with a long link as the title, which shows on many pages.
    ctx = browser.new_context(viewport=PHONE, locale="en-GB", timezone_id="UTC", has_touch=True)
    page = ctx.new_page()
    run.watch(page, "phone fit member")
    sign_in(run, page, a.member_email, a.member_password)
    page.goto(f"{run.url}/book?room={a.room_north}&date={a.free_date}&start=12:00&end=13:00")
    page.locator("#title").fill(LONG_URL)
    submit(page, "#book-form")
    page.goto(run.url + "/my")
    reservation = first_href(page, f".item a.item-title:has-text('{LONG_URL}')")
    run.check(bool(reservation), "phone fit: the member's booking with a long title is in /my")
    member_pages = [
        (f"/?date={a.free_date}", "member-timeline"), ("/rooms", "member-rooms"),
        (f"/rooms/{a.room_north}?week={a.free_date}", "member-room"), ("/book", "member-book"), ("/my", "member-my"),
        ("/find?q=Sala", "member-find"), ("/notifications", "member-notifications"),
        ("/notifications/preferences", "member-notification-preferences"), ("/profile", "member-profile"),
    ]
    if reservation:
        member_pages += [(reservation, "member-reservation"), (reservation + "/edit", "member-reservation-edit"),
                         (reservation + "/cancel", "member-reservation-cancel")]
    for path, name in member_pages:
        fits_phone(run, page, path, name)
    ctx.close()

    ctx = browser.new_context(viewport=PHONE, locale="en-GB", timezone_id="UTC", has_touch=True)
    page = ctx.new_page()
    run.watch(page, "phone fit admin")
    sign_in(run, page, a.admin_email, a.admin_password)
    display = seed_wide_content(run, page)
    # Pages with an id in their address: the first link to one on the page that lists them.
    linked = {}
    for listing, selector, name in (
        ("/my", ".item a[href^='/reservations/']", "reservation"),
        ("/admin/groups", "a[href^='/admin/groups/']", "admin-group"),
        ("/admin/templates", "a[href^='/admin/templates/']", "admin-template"),
        ("/admin/locations", "a[href^='/admin/locations/']", "admin-location"),
        ("/admin/access", "a[href^='/admin/access/location']", "admin-access-location"),
    ):
        page.goto(run.url + listing)
        linked[name] = first_href(page, selector)
        run.check(bool(linked[name]), f"phone fit: no link to a {name} on {listing}")
    reservation = linked.pop("reservation")
    if reservation:
        linked.update({"reservation": reservation, "reservation-edit": reservation + "/edit",
                       "reservation-cancel": reservation + "/cancel"})

    admin_pages = [
        ("/", "timeline"), (f"/?date={a.free_date}", "timeline-day"), ("/rooms", "rooms"),
        (f"/rooms/{a.room_north}", "room"), (f"/rooms/{a.room_north}?week={a.free_date}", "room-week"),
        ("/book", "book"), (f"/book?room={a.room_north}&date={a.date}&start=09:30&end=10:30", "book-conflict"),
        ("/my", "my"), ("/find", "find"), ("/find?q=Sala", "find-results"), ("/reports", "reports"),
        ("/notifications", "notifications"), ("/notifications/preferences", "notification-preferences"),
        ("/profile", "profile"), ("/approvals", "approvals"),
        ("/admin/rooms", "admin-rooms"), (f"/admin/rooms/{a.room_north}", "admin-room"),
        (f"/admin/rooms/{a.room_north}/policy", "admin-room-policy"),
        ("/admin/resources", "admin-resources"), ("/admin/users", "admin-users"),
        ("/admin/groups", "admin-groups"), ("/admin/access", "admin-access"),
        (f"/admin/access/rooms/{a.room_north}", "admin-access-room"),
        ("/admin/locations", "admin-locations"), ("/admin/operations", "admin-operations"),
        ("/admin/audit", "admin-audit"), ("/admin/email", "admin-email"), ("/admin/templates", "admin-templates"),
        ("/admin/webhooks", "admin-webhooks"), ("/admin/displays", "admin-displays"),
        ("/admin/sms", "admin-sms"), ("/admin/push", "admin-push"), ("/admin/booking-fields", "admin-booking-fields"),
        ("/week", "week"), (f"/week?date={a.date}", "week-day"), (f"/rooms/{a.room_north}/month", "room-month"),
        ("/help", "help"),
    ] + [(path, name) for name, path in linked.items() if path]
    for path, name in admin_pages:
        fits_phone(run, page, path, name)
    # The page for an address nobody routes (a deliberate 404, which Chromium logs as an error).
    run.refused_pages.add(run.url + "/no-such-page")
    fits_phone(run, page, "/no-such-page", "not-found")
    # The door display: made for a tablet by the door, and it must still fit a phone.
    run.check("/display/" in display, f"phone fit: the display address is shown: {display}")
    if "/display/" in display:
        fits_phone(run, page, display[len(run.url):] if display.startswith(run.url) else display, "display")
    ctx.close()


# ---------- booking fields ----------

def booking_field(run, browser):
    """An admin adds a required booking field on its page; the member's booking form asks for it
    (Chromium holds the form back while it is empty), the booking made with it shows the answer
    on its page. The field is deleted again, so the other flows' forms are as before."""
    a = run.args
    admin_ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    admin = admin_ctx.new_page()
    run.watch(admin, "booking field admin")
    sign_in(run, admin, a.admin_email, a.admin_password)
    admin.goto(run.url + "/admin/booking-fields")
    audit(run, admin, "admin booking fields")
    admin.locator("#key").fill("cost_centre")
    admin.locator("#label_en").fill("Cost centre")
    admin.locator("#label_es").fill("Centro de coste")
    admin.get_by_label("Required").check()
    submit(admin, "#field-form")
    expect(admin.locator("table code", has_text="cost_centre")).to_be_visible()
    run.shot(admin, "admin-booking-fields", "desktop")

    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "booking field member")
    sign_in(run, page, a.member_email, a.member_password)
    # 14:00: the other flows book the free day at 12:00 and at 16:00.
    page.goto(f"{run.url}/book?room={a.room_north}&date={a.free_date}&start=14:00&end=15:00")
    # The member may be reading Spanish by now (an earlier flow switches): the label follows.
    field = page.locator("#field-cost_centre")
    expect(field).to_be_visible()
    expect(page.locator("label[for='field-cost_centre']")).to_have_text(re.compile("Cost centre|Centro de coste"))
    page.locator("#title").fill("Field flow")
    page.locator("#book-form button[type=submit]").first.click()
    run.check("/book" in page.url, f"booking field: an empty required field keeps the form: {page.url}")
    run.check(field.evaluate("e => !e.validity.valid"), "booking field: Chromium marks the empty field invalid")
    field.fill("CC-42")
    submit(page, "#book-form")
    page.goto(run.url + "/my")
    link = first_href(page, ".item a.item-title:has-text('Field flow')")
    run.check(bool(link), "booking field: the booking made with the field is in /my")
    if link:
        page.goto(run.url + link)
        expect(page.locator("dt", has_text=re.compile("Cost centre|Centro de coste"))).to_be_visible()
        expect(page.locator("dd", has_text="CC-42")).to_be_visible()
    ctx.close()

    admin.goto(run.url + "/admin/booking-fields")
    admin.locator("form[action$='/delete'] button", has_text="Delete").first.click()
    admin.wait_for_load_state("load")
    expect(admin.locator("table code", has_text="cost_centre")).to_have_count(0)
    admin_ctx.close()


def run_parts(args, parts, prefix):
    """Runs each part (a function of the run and the browser) in one headless Chromium, with a
    fresh profile directory (Playwright passes it as --user-data-dir) and each part in contexts
    of its own. Returns the exit status: 1 with a list of what failed."""
    run = Run(args)
    os.makedirs(run.args.shots, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=prefix) as profile, sync_playwright() as pw:
        persistent = pw.chromium.launch_persistent_context(
            profile, executable_path=run.args.chromium, args=CHROMIUM_ARGS,
        )
        for part in parts:
            try:
                part(run, persistent.browser)
            except Exception:  # one broken flow must not hide the others' results
                run.check(False, f"{getattr(part, '__name__', 'a part')} stopped:\n{traceback.format_exc()}")
        persistent.close()
    for c in run.console:
        run.check(False, c)
    if run.failures:
        print(f"\n{len(run.failures)} browser check(s) failed", flush=True)
        return 1
    print("all browser checks passed", flush=True)
    return 0


def parser(description, *required):
    """The command line of a browser script as tests/it/chromium.rs passes it: the server, the
    administrator, the member, the screenshot folder and Chromium, and the script's own
    `required` arguments."""
    p = argparse.ArgumentParser(description=description)
    for name in ("--url", "--admin-email", "--admin-password", "--member-email", "--member-password", "--shots",
                 *required):
        p.add_argument(name, required=True)
    p.add_argument("--chromium", default="/usr/bin/chromium")
    return p


def main():
    # --room-north: Sala Norte's id; --date: the seeded day (tomorrow); --free-date: a day with
    # no bookings (YYYY-MM-DD).
    p = parser(__doc__.splitlines()[0], "--room-north", "--date", "--free-date")
    p.add_argument("--only", help="run only these parts, comma-separated (default: all)")
    args = p.parse_args()
    parts = (flows_desktop, pages_phone, admin_desktop, live_and_display, repeat_series, no_sideways_scroll_phone,
             push_subscription, booking_field)
    only = set(args.only.split(",")) if args.only else None
    return run_parts(args, [part for part in parts if not only or part.__name__ in only], "salas-e2e-")

if __name__ == "__main__":
    sys.exit(main())
