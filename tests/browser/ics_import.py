#!/usr/bin/env python3
"""The room import page (/rooms/{id}/import) in headless Chromium.

Run by tests/it/browser_ics_import.rs against a server with an empty room (--room) and an
Outlook-shaped calendar file (--ics-file) whose two events fall in the week of --week. Checks:
the room page links to the import; a chosen file fills the form; the dry run reports what would
be booked and books nothing; Confirm books it and the room's week shows the bookings; the page
passes e2e.audit, and in Spanish fits a 390 px phone, report included, where importing the same
file again is reported as already booked. Screenshots (ics-import-*) go to --shots.
"""

import sys

from playwright.sync_api import expect

import e2e


def counts(page):
    return {k: page.locator(f"#import-counts [data-count={k}]").inner_text()
            for k in ("created", "updated", "unchanged", "skipped")}


def upload_and_confirm(run, browser):
    a = run.args
    ctx = browser.new_context(viewport=e2e.DESKTOP, locale="en-GB", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "ics import desktop")
    e2e.sign_in(run, page, a.member_email, a.member_password)
    page.goto(f"{run.url}/rooms/{a.room}")
    page.get_by_role("link", name="Import .ics").click()
    page.wait_for_load_state("load")
    e2e.audit(run, page, "import form")
    page.get_by_label("Calendar file (.ics)").set_input_files(a.ics_file)
    expect(page.get_by_label("Calendar text")).to_have_value(open(a.ics_file, encoding="utf-8").read()
                                                             .replace("\r\n", "\n"))
    page.get_by_label("Book the free ones, skip the rest").check()
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", name="What the import would do")).to_be_visible()
    run.check(counts(page) == {"created": "2", "updated": "0", "unchanged": "0", "skipped": "0"},
              f"dry run counts: {counts(page)}")
    e2e.audit(run, page, "import dry run")
    run.shot(page, "ics-import-preview", "desktop")
    room = ctx.new_page()
    room.goto(f"{run.url}/rooms/{a.room}?week={a.week}")
    run.check("Entrevista" not in room.locator("main").inner_text(), "the dry run booked nothing")
    room.close()

    page.get_by_role("button", name="Confirm and import").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    run.check(counts(page)["created"] == "2", f"real run counts: {counts(page)}")
    page.get_by_role("link", name="See the room's bookings").click()
    page.wait_for_load_state("load")
    page.goto(f"{run.url}/rooms/{a.room}?week={a.week}")
    main = page.locator("main").inner_text()
    run.check("Entrevista" in main and "Comité de dirección" in main, "the imported bookings show in the room's week")
    ctx.close()


def spanish_phone(run, browser):
    a = run.args
    ctx = browser.new_context(viewport=e2e.PHONE, locale="es-ES", timezone_id="UTC", has_touch=True)
    page = ctx.new_page()
    run.watch(page, "ics import phone es")
    e2e.sign_in(run, page, a.member_email, a.member_password)
    page.goto(run.url + "/profile")
    page.locator("#language").select_option("es")
    page.locator("form[action='/profile'] button[type=submit]").click()
    page.wait_for_load_state("load")
    e2e.fits_phone(run, page, f"/rooms/{a.room}/import", "ics-import-form-es")
    page.get_by_label("Texto del calendario").fill(open(a.ics_file, encoding="utf-8").read())
    page.get_by_role("button", name="Comprobar el archivo").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", name="Lo que haría la importación")).to_be_visible()
    run.check(counts(page)["unchanged"] == "2", f"imported again: {counts(page)}")
    m = page.evaluate(e2e.OVERFLOW_JS)
    run.check(m["scrollWidth"] <= m["viewport"], f"the report scrolls sideways on a phone: {m['culprits']}")
    e2e.audit(run, page, "import report (es, phone)")
    run.shot(page, "ics-import-report-es", "phone")
    ctx.close()


def main():
    p = e2e.parser(__doc__.splitlines()[0], "--room", "--ics-file", "--week")
    return e2e.run_parts(p.parse_args(), (upload_and_confirm, spanish_phone), "salas-ics-import-")


if __name__ == "__main__":
    sys.exit(main())
