#!/usr/bin/env python3
"""Salas's day view and booking form in headless Chromium (Playwright, sync API).

Run by tests/it/browser_dayview.rs against a server it seeded through the API: rooms "Room 01"
to "Room 20" (UTC), 65 bookings on --date, most half an hour long ("Meeting 72"), some by the
member. Flows:
  - day_desktop: at 1366x900 every booking of 30 minutes or more shows its whole title, words
    unbroken, and its time; the block's accessible name carries both; its details open in a
    popover by mouse and by keyboard.
  - agenda_phone: at 390 px each room is an agenda in time order with its free gaps; one tap on a
    gap opens the form prefilled, and the booking appears in the agenda.
  - form_panel: the form's day panel lists the room's day, a click on a free slot fills the
    times, and changing the room reloads the panel.
  - multi_day: "Ends on another day" books across midnight.
  - book_for: the admin books for the member; the reservation page says "booked by X, for Y";
    the member has no picker.
  - spanish: the same pages in Spanish.
Screenshots: day-view-*, booking-form-* at desktop and phone, in English and Spanish.
Exits non-zero with a list of what failed. DAYVIEW_ONLY=part,part runs only those parts.
"""

import os
import re
import sys

from playwright.sync_api import expect

from e2e import DESKTOP, PHONE, audit, parser, run_parts, sign_in

# Every booking of 30 minutes or more (two quarter-hour columns) on the day grid: what would
# make it unreadable, by block. Words are found in the title's text nodes; a word broken across
# two lines has two client rects.
MEASURE = """() => {
  const out = [];
  const blocks = [...document.querySelectorAll('.timeline.day .block')];
  for (const b of blocks) {
    const m = /\\bs(\\d+) e(\\d+)/.exec(b.className);
    if (!m || Number(m[2]) - Number(m[1]) < 2) continue;
    const t = b.querySelector('.block-title'), w = b.querySelector('.block-time');
    const problems = [];
    if (!t || !w) { out.push([b.textContent, ['no title or time element']]); continue; }
    const br = b.getBoundingClientRect();
    const inside = (r) => r.width > 0 && r.left >= br.left - 0.5 && r.right <= br.right + 0.5
      && r.top >= br.top - 0.5 && r.bottom <= br.bottom + 0.5;
    for (const [name, el] of [['title', t], ['time', w]]) {
      if (el.scrollWidth > el.clientWidth) problems.push(name + ' wider than its box');
      if (el.scrollHeight > el.clientHeight + 1) problems.push(name + ' taller than its box');
      if (getComputedStyle(el).textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth) problems.push(name + ' ellipsis');
      if (!inside(el.getBoundingClientRect())) problems.push(name + ' cut by the block');
      if (getComputedStyle(el).visibility !== 'visible' || getComputedStyle(el).display === 'none') problems.push(name + ' hidden');
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        if (n.parentElement.closest('[aria-hidden=true]')) continue;
        for (const word of n.data.matchAll(/[^\\s\\u2013]+/g)) {
          const range = document.createRange();
          range.setStart(n, word.index);
          range.setEnd(n, word.index + word[0].length);
          const rects = [...range.getClientRects()].filter((r) => r.width > 0);
          if (rects.length !== 1) problems.push(name + ' word broken: ' + word[0]);
          else if (!inside(rects[0])) problems.push(name + ' word cut: ' + word[0]);
        }
      }
    }
    if (!/\\d\\d:\\d\\d\\u2013\\d\\d:\\d\\d/.test(w.textContent)) problems.push('time reads ' + w.textContent);
    out.push([t.textContent.trim() + ' ' + w.textContent.trim(), problems]);
  }
  return out;
}"""


def shot(run, page, name, width_label):
    """The whole page, and what the first screen shows (to look at: a full page of a phone
    agenda is too tall to read)."""
    run.shot(page, name, width_label)
    page.screenshot(path=os.path.join(run.args.shots, f"{name}-{width_label}-screen.png"))


def day_url(run, date=None):
    return f"{run.url}/?date={date or run.args.date}"


def row_of(page, room_name):
    return page.locator(".timeline.day .row").filter(has=page.locator(".row-title", has_text=room_name))


def day_desktop(run, browser):
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "day-desktop")
    sign_in(run, page, run.args.member_email, run.args.member_password)
    page.goto(day_url(run))
    expect(page.locator(".timeline.day")).to_be_visible()
    audit(run, page, "day view")
    measured = page.evaluate(MEASURE)
    run.check(len(measured) >= 60, f"day view: {len(measured)} blocks of 30 minutes or more, expected 65")
    bad = [(what, problems) for what, problems in measured if problems]
    for what, problems in bad:
        run.check(False, f"day view at 1366 px: {what}: {', '.join(problems)}")
    print(f"day view: {len(measured)} blocks measured, {len(bad)} unreadable", flush=True)
    # The accessible name: the whole title and the time, as Chromium computes it (a space
    # before the comma: the title and the time are boxes of their own).
    block = page.get_by_role("button", name=re.compile(r"^Meeting 72 ?, \d\d:\d\d–\d\d:\d\d$"))
    expect(block).to_have_count(1)
    run.check(page.locator(".timeline.day .gap:visible").count() == 0, "day view: free gaps are the phone's")
    # Details in a popover: a click opens it, Escape closes it; the keyboard opens it too.
    block.scroll_into_view_if_needed()
    block.click()
    pop = page.locator(".pop:popover-open")
    expect(pop).to_be_visible()
    expect(pop).to_contain_text("Meeting 72")
    expect(pop).to_contain_text("Room")
    expect(pop.get_by_role("link", name="Open the booking")).to_be_visible()
    shot(run, page, "day-view-popover", "desktop")
    page.keyboard.press("Escape")
    expect(page.locator(".pop:popover-open")).to_have_count(0)
    block.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".pop:popover-open")).to_contain_text("Meeting 72")
    page.keyboard.press("Tab")
    run.check(page.evaluate("() => document.activeElement.closest('.pop') !== null"),
              "day view: Tab from an open block goes into its details")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/reservations/"))
    expect(page.locator("h1")).to_contain_text("Meeting 72")
    page.goto(day_url(run))
    shot(run, page, "day-view", "desktop")
    ctx.close()


def agenda_phone(run, browser):
    ctx = browser.new_context(viewport=PHONE, locale="en-GB", timezone_id="UTC", has_touch=True)
    page = ctx.new_page()
    run.watch(page, "agenda-phone")
    sign_in(run, page, run.args.member_email, run.args.member_password)
    page.goto(day_url(run))
    audit(run, page, "agenda")
    run.check(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"),
              "agenda: the page does not scroll sideways")
    run.check(page.locator(".timeline.day .hours").is_hidden(), "agenda: no hour ruler")
    # Each room: its bookings and gaps in time order, bookings with whole titles on one box.
    for room in ("Room 01", "Room 07", "Room 20"):
        starts = row_of(page, room).locator(".block-time, .gap-when").all_inner_texts()
        times = [t[:5] for t in starts]
        run.check(len(times) >= 3 and times == sorted(times), f"agenda {room}: out of order {times}")
        run.check(row_of(page, room).locator(".gap").count() >= 1, f"agenda {room}: no free gap listed")
    measured = page.evaluate(MEASURE.replace("if (!m || Number(m[2]) - Number(m[1]) < 2) continue;", ""))
    bad = [f"{what}: {', '.join(p)}" for what, p in measured if p]
    run.check(not bad, f"agenda: unreadable entries {bad[:5]}")
    shot(run, page, "day-view", "phone")
    # One tap on Room 03's first free gap: the form, prefilled with the room and the gap.
    gap = row_of(page, "Room 03").locator(".gap").first
    when = gap.locator(".gap-when").inner_text()
    gap.tap()
    page.wait_for_url(re.compile(r"/book\?"))
    start, end = re.findall(r"\d\d:\d\d", when)[:2]
    expect(page.locator("#start")).to_have_value(start)
    expect(page.locator("#end")).to_have_value(end)
    run.check("Room 03" in page.locator("#room option:checked").inner_text(), "agenda: the form has the gap's room")
    expect(page.locator("#availability .check")).to_have_class(re.compile("check-free"))
    run.check(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"),
              "booking form: no sideways scroll at 390 px")
    shot(run, page, "booking-form", "phone")
    page.locator("#title").fill("Agenda booking")
    page.locator("#book-form button[type=submit]").tap()
    page.wait_for_url(re.compile(r"/\?date="))
    expect(row_of(page, "Room 03").locator(".block", has_text="Agenda booking")).to_be_visible()
    expect(row_of(page, "Room 03").locator(".block", has_text="Agenda booking")).to_contain_text(start)
    ctx.close()


def form_panel(run, browser):
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "form-panel")
    sign_in(run, page, run.args.member_email, run.args.member_password)
    page.goto(day_url(run))
    room1 = row_of(page, "Room 01").locator(".track").get_attribute("data-room")
    page.goto(f"{run.url}/book?room={room1}&date={run.args.date}&start=12:00&end=12:30")
    panel = page.locator("#day-panel")
    expect(panel).to_contain_text("Room 01")
    run.check(panel.locator(".dp-busy").count() >= 3, "form panel: Room 01's bookings listed")
    box, form_box = panel.bounding_box(), page.locator("#book-form").bounding_box()
    run.check(box["x"] > form_box["x"] + form_box["width"] - 1, "form panel: beside the form at 1366 px")
    audit(run, page, "booking form with its day panel")
    shot(run, page, "booking-form", "desktop")
    free = panel.locator(".dp-free a").nth(1)
    gap_start = free.get_attribute("data-start")
    run.check(f"start={gap_start}" in (free.get_attribute("href") or ""), "form panel: the link works without script")
    free.click()
    expect(page.locator("#start")).to_have_value(gap_start)
    # The form's half hour is kept.
    h, m = map(int, gap_start.split(":"))
    expect(page.locator("#end")).to_have_value(f"{(h * 60 + m + 30) // 60:02d}:{(m + 30) % 60:02d}")
    run.check(page.url.endswith("end=12:30"), "form panel: filled in place, no reload")
    expect(page.locator("#availability .check")).to_have_class(re.compile("check-free"))
    # Another room: the panel follows.
    room2 = page.locator("#room").evaluate("(s) => [...s.options].find((o) => o.text.startsWith('Room 02')).value")
    page.locator("#room").select_option(room2)
    expect(panel.locator(".day-panel-heading")).to_contain_text("Room 02")
    page.locator("#title").fill("From the panel")
    page.locator("#book-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/\?date="))
    expect(row_of(page, "Room 02").locator(".block", has_text="From the panel")).to_contain_text(gap_start)
    run.check(page.locator("#for_user").count() == 0, "member: no 'book for' picker")
    page.goto(f"{run.url}/book")
    expect(page.locator("#for_user")).to_have_count(0)
    ctx.close()


def multi_day(run, browser):
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "multi-day")
    sign_in(run, page, run.args.member_email, run.args.member_password)
    page.goto(day_url(run))
    room = row_of(page, "Room 05").locator(".track").get_attribute("data-room")
    page.goto(f"{run.url}/book?room={room}&date={run.args.free_date}&start=16:00&end=10:00")
    expect(page.locator("#end_date")).to_be_hidden()
    page.locator("#multi_day").check()
    expect(page.locator("#end_date")).to_be_visible()
    next_day = page.evaluate("(d) => { const x = new Date(d + 'T00:00:00Z'); x.setUTCDate(x.getUTCDate() + 1); return x.toISOString().slice(0, 10); }",
                             run.args.free_date)
    page.locator("#end_date").fill(next_day)
    page.locator("#title").fill("Offsite planning")
    expect(page.locator("#availability .check")).to_have_class(re.compile("check-free"))
    page.locator("#book-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/\?date="))
    expect(row_of(page, "Room 05").locator(".block", has_text="Offsite planning")).to_be_visible()
    page.goto(day_url(run, next_day))
    expect(row_of(page, "Room 05").locator(".block", has_text="Offsite planning")).to_be_visible()
    ctx.close()


def book_for(run, browser):
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "book-for")
    sign_in(run, page, run.args.admin_email, run.args.admin_password)
    page.goto(day_url(run))
    room = row_of(page, "Room 06").locator(".track").get_attribute("data-room")
    page.goto(f"{run.url}/book?room={room}&date={run.args.free_date}&start=13:00&end=14:00")
    picker = page.locator("#for_user")
    expect(picker).to_be_visible()
    value = picker.evaluate("(s, email) => [...s.options].find((o) => o.text.includes(email)).value", run.args.member_email)
    picker.select_option(value)
    page.locator("#title").fill("Booked for the member")
    audit(run, page, "booking form with the person picker")
    shot(run, page, "booking-form-for", "desktop")
    page.locator("#book-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/\?date="))
    block = row_of(page, "Room 06").locator(".block", has_text="Booked for the member")
    block.click()
    page.locator(".pop:popover-open").get_by_role("link").click()
    page.wait_for_url(re.compile(r"/reservations/"))
    facts = page.locator(".facts")
    expect(facts).to_contain_text(re.compile(r", for "))
    ctx.close()


def spanish(run, browser):
    """The member switches to Spanish; the day view and the form at both widths."""
    ctx = browser.new_context(viewport=DESKTOP, locale="es-ES", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "spanish")
    sign_in(run, page, run.args.member_email, run.args.member_password)
    page.goto(run.url + "/profile")
    page.locator("#language").select_option("es")
    page.locator("form[action='/profile'] button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.goto(day_url(run))
    audit(run, page, "day view (es)")
    bad = [f"{w}: {', '.join(p)}" for w, p in page.evaluate(MEASURE) if p]
    run.check(not bad, f"day view (es): unreadable {bad[:5]}")
    shot(run, page, "day-view-es", "desktop")
    page.goto(day_url(run))
    room = row_of(page, "Room 01").locator(".track").get_attribute("data-room")
    book = f"{run.url}/book?room={room}&date={run.args.date}&start=12:00&end=12:30"
    page.goto(book)
    expect(page.locator("#day-panel")).to_contain_text("Libre")
    shot(run, page, "booking-form-es", "desktop")
    page.set_viewport_size(PHONE)
    page.goto(day_url(run))
    expect(page.locator(".timeline.day .gap").first).to_contain_text("Libre")
    run.check(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"),
              "agenda (es): no sideways scroll")
    shot(run, page, "day-view-es", "phone")
    page.goto(book)
    shot(run, page, "booking-form-es", "phone")
    ctx.close()


def main():
    p = parser(__doc__.splitlines()[0], "--date", "--free-date")
    only = set(filter(None, os.environ.get("DAYVIEW_ONLY", "").split(",")))
    parts = (day_desktop, agenda_phone, form_panel, multi_day, book_for, spanish)
    return run_parts(p.parse_args(), [part for part in parts if not only or part.__name__ in only], "salas-dayview-")

if __name__ == "__main__":
    sys.exit(main())
