#!/usr/bin/env python3
"""The week, month and small-calendar views and the keyboard shortcuts in headless Chromium.

Run by tests/it/browser_views.rs against a server it seeded through the API:
  - "Sala Norte" (--room-north): "Weekly planning" by the admin, 09:00-10:00 UTC on --date
  - "Sala Sur": "One to one" by the member, 11:00-11:30 UTC on --date
Checks: the week and the month show the seeded bookings in the right places and their links
open them; a free cell opens the booking form for its room and day; the small calendar jumps to
a date (by mouse and by keyboard); t, ←, → and n work and do nothing while typing; the help page
lists them; each new page passes e2e.audit and fits a 390 px phone in English and Spanish.
Screenshots (views-*-{desktop,phone}.png, fit-*-phone.png) go to --shots.
"""

import datetime
import re
import sys

from playwright.sync_api import expect

import e2e

MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
WEEKDAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def long_en(d):
    """The accessible name of a date, as the pages write it in English."""
    return f"{WEEKDAYS_EN[d.weekday()]} {d.day} {MONTHS_EN[d.month - 1]} {d.year}"


def monday(d):
    return d - datetime.timedelta(days=d.weekday())


def wait_path(page, pattern):
    page.wait_for_url(re.compile(pattern))
    page.wait_for_load_state("load")


def press_on_body(page, key):
    """Presses `key` with nothing focused (as after a page load), so the shortcuts apply."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press(key)


def week_and_month(run, browser):
    a = run.args
    day = datetime.date.fromisoformat(a.date)
    ctx = browser.new_context(viewport=e2e.DESKTOP, locale="en-GB", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "views desktop")
    e2e.sign_in(run, page, a.member_email, a.member_password)

    # The week: the seeded booking in Sala Norte's cell of its day, a link to it.
    page.goto(f"{run.url}/week?date={a.date}")
    e2e.audit(run, page, "week")
    row = page.locator(".week-grid tbody tr").filter(has=page.locator("a.wk-room", has_text="Sala Norte"))
    cells = row.locator("td.wk-cell")
    run.check(cells.count() == 7, f"week: Sala Norte has {cells.count()} day cells, not 7")
    cell = cells.nth(day.weekday())
    expect(cell.locator("a.wk-entry", has_text="Weekly planning")).to_be_visible()
    run.check(cell.locator("svg.wk-bars rect.wk-busy").count() == 1, "week: one busy bar in the booked cell")
    run.check(page.locator(".week-grid").get_by_text("One to one").count() == 1, "week: the member's booking shows")
    run.shot(page, "views-week-member-en", "desktop")
    cell.locator("a.wk-entry", has_text="Weekly planning").click()
    wait_path(page, r"/reservations/[0-9a-f-]+$")
    expect(page.locator("h1")).to_contain_text("Weekly planning")

    # A free cell opens the booking form for its room and day.
    page.goto(f"{run.url}/week?date={a.date}")
    # Another day of the week, never before today (past days offer no booking).
    other = day.weekday() + 1 if day.weekday() < 6 else day.weekday() - 1
    free_day = monday(day) + datetime.timedelta(days=other)
    row = page.locator(".week-grid tbody tr").filter(has=page.locator("a.wk-room", has_text="Sala Norte"))
    # A click on the cell's empty space, not on its text: the free-time link covers the cell.
    row.locator("td.wk-cell").nth(other).click(position={"x": 8, "y": 70})
    wait_path(page, rf"/book\?room={a.room_north}&date={free_day.isoformat()}$")
    expect(page.locator("h1")).to_be_visible()

    # Shortcuts on the week: → next week, ← back, t this week, n a new booking; none while typing.
    page.goto(f"{run.url}/week?date={a.date}")
    press_on_body(page, "ArrowRight")
    wait_path(page, rf"/week\?date={(day + datetime.timedelta(days=7)).isoformat()}$")
    press_on_body(page, "ArrowLeft")
    wait_path(page, rf"/week\?date={day.isoformat()}$")
    page.locator("input[name=date]").focus()
    page.keyboard.press("t")
    page.keyboard.press("n")
    run.check(page.url.endswith(f"/week?date={a.date}"), f"shortcuts act while typing in a field: {page.url}")
    press_on_body(page, "t")
    today = datetime.datetime.now(datetime.timezone.utc).date()
    wait_path(page, rf"/week\?date={today.isoformat()}$")
    press_on_body(page, "n")
    wait_path(page, r"/book\?date=")

    # The room's month, linked from the week: the booking on its day.
    page.goto(f"{run.url}/week?date={a.date}")
    page.locator(".week-grid tbody tr").filter(has=page.locator("a.wk-room", has_text="Sala Norte")) \
        .locator("a.wk-month").click()
    wait_path(page, rf"/rooms/{a.room_north}/month\?month={day.strftime('%Y-%m')}$")
    e2e.audit(run, page, "month")
    booked = page.locator("td.mday").filter(has=page.locator(f"a.mday-num[aria-label='{long_en(day)}']"))
    expect(booked.locator("a.wk-entry", has_text="Weekly planning")).to_be_visible()
    run.check(page.locator("td.mday a.wk-entry", has_text="Weekly planning").count() == 1,
              "month: the booking shows on one day only")
    run.shot(page, "views-month-member-en", "desktop")
    press_on_body(page, "ArrowRight")
    following = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    wait_path(page, rf"/month\?month={following.strftime('%Y-%m')}$")
    press_on_body(page, "n")
    wait_path(page, rf"/book\?room={a.room_north}$")

    # The small calendar on the day view: a click jumps to the date; the day view's ← → move.
    page.goto(f"{run.url}/?date={a.date}")
    e2e.audit(run, page, "day with the small calendar")
    page.locator("details.minical summary").click()
    current = page.locator(".minical-grid a[aria-current=date]")
    run.check(current.get_attribute("aria-label") == long_en(day), "small calendar: the shown date is current")
    target = day + datetime.timedelta(days=3) if day.day <= 20 else day - datetime.timedelta(days=3)
    run.shot(page, "views-day-calendar-en", "desktop")
    page.locator(f".minical-grid a[aria-label='{long_en(target)}']").click()
    wait_path(page, rf"/\?date={target.isoformat()}$")
    press_on_body(page, "ArrowLeft")
    wait_path(page, rf"/\?date={(target - datetime.timedelta(days=1)).isoformat()}$")

    # By keyboard: open the calendar, page to the next month, pick its 1st.
    page.goto(f"{run.url}/week?date={a.date}")
    page.locator("details.minical summary").focus()
    page.keyboard.press("Enter")
    next_month_link = page.locator(".minical-head a").nth(1)
    next_month_link.focus()
    page.keyboard.press("Enter")
    wait_path(page, r"/week\?date=.*&cal=\d{4}-\d{2}$")
    expect(page.locator("details.minical")).to_have_attribute("open", "")
    first = following.replace(day=1)
    link = page.locator(f".minical-grid a[aria-label='{long_en(first)}']")
    link.focus()
    page.keyboard.press("Enter")
    wait_path(page, rf"/week\?date={first.isoformat()}$")

    # The help page lists the shortcuts; the footer links to it.
    page.locator("footer a[href='/help']").click()
    wait_path(page, r"/help$")
    e2e.audit(run, page, "help")
    table = page.locator("table.shortcuts")
    for key, action in (("t", "Go to today"), ("←", "Previous"), ("→", "Next"), ("n", "New booking")):
        run.check(table.locator("tr").filter(has=page.locator("kbd", has_text=key)).filter(has_text=action).count() == 1,
                  f"help: the shortcut {key} ({action}) is listed")
    run.shot(page, "views-help-member-en", "desktop")
    ctx.close()


def pages_in(run, browser, lang):
    """Every new page at desktop and phone width in `lang`: audited, no sideways scroll, shot."""
    a = run.args
    for label, viewport in (("desktop", e2e.DESKTOP), ("phone", e2e.PHONE)):
        ctx = browser.new_context(viewport=viewport, locale="en-GB", timezone_id="UTC", has_touch=label == "phone")
        page = ctx.new_page()
        run.watch(page, f"views {lang} {label}")
        e2e.sign_in(run, page, a.admin_email, a.admin_password)
        page.goto(run.url + "/profile")
        page.locator("#language").select_option(lang)
        page.locator("form[action='/profile'] button[type=submit]").click()
        page.wait_for_load_state("load")
        pages = [(f"/week?date={a.date}", "week"), (f"/rooms/{a.room_north}/month?month={a.date[:7]}", "month"),
                 ("/help", "help"), (f"/?date={a.date}", "day")]
        for path, name in pages:
            if label == "phone":
                e2e.fits_phone(run, page, path, f"views-{name}-{lang}")
            else:
                page.goto(run.url + path)
                page.wait_for_load_state("load")
                e2e.audit(run, page, f"{name} ({lang})")
            if name in ("week", "day"):
                page.locator("details.minical summary").click()
                m = page.evaluate(e2e.OVERFLOW_JS)
                run.check(m["scrollWidth"] <= m["viewport"],
                          f"{name} ({lang}, {label}) with the small calendar open scrolls sideways: {m['culprits']}")
            if lang == "es":
                text = page.locator("main").inner_text()
                run.check(("lun" in text) or name == "help", f"{name} (es): Spanish weekday names")
                run.check(("Ayuda" in page.locator("footer").inner_text()), f"{name} (es): Spanish footer")
            run.shot(page, f"views-{name}-{lang}", label)
        ctx.close()


def main():
    p = e2e.parser(__doc__.splitlines()[0], "--room-north", "--date")
    parts = (week_and_month, lambda r, b: pages_in(r, b, "en"), lambda r, b: pages_in(r, b, "es"))
    return e2e.run_parts(p.parse_args(), parts, "salas-views-")

if __name__ == "__main__":
    sys.exit(main())
