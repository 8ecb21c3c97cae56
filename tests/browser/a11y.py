#!/usr/bin/env python3
"""Every page, in English and in Spanish, checked by axe-core and photographed.

Run by tests/it/browser_a11y.rs against a server it seeded through the API. Each page is visited
signed out, as the member or as the admin, in a browser asking for English and then for Spanish
(the seeded people never chose a language, so the pages follow the browser):
  - at 1366x900 and at 390x844, axe-core (tests/axe/node_modules/axe-core/axe.min.js, pinned
    by tests/axe/package-lock.json) runs on the page; every violation of impact "serious" or
    "critical" fails the run, listed by rule, element, page and width;
  - the page is saved whole at each width as <lang>-<width>-<page>.png in --shots;
  - the page must be in the language asked for (<html lang>).
Exits non-zero with a list of what failed.
"""

import datetime
import os
import sys

import e2e

HERE = os.path.dirname(os.path.abspath(__file__))
AXE = os.path.join(HERE, "..", "axe", "node_modules", "axe-core", "axe.min.js")
LOCALES = {"en": "en-GB", "es": "es-ES"}

# axe's own rules, all of them but the experimental ones; only what a person would be stopped by
# (serious or critical) fails.
AXE_JS = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 6).map(n => n.target.join(' ') + (n.failureSummary
                  ? ' [' + n.failureSummary.split('\\n').slice(1).join(' ').trim().slice(0, 160) + ']' : ''))}));
}"""


def pages_signed_out(a):
    return [("/login", "sign-in"), ("/password/forgot", "forgot-password"), ("/signup", "sign-up"),
            ("/help", "help-signed-out"), ("/password/reset/no-such-link", "reset-link-gone"),
            (a.display, "display")]


def pages_member(a):
    r = f"/reservations/{a.reservation}"
    return [
        (f"/?date={a.date}", "member-day"), (f"/week?date={a.date}", "member-week"),
        (f"/rooms/{a.room}/month", "member-month"), ("/rooms", "member-rooms"),
        (f"/rooms/{a.room}?week={a.date}", "member-room"),
        (f"/book?room={a.room}&date={a.date}&start=12:00&end=13:00", "member-book"),
        ("/my", "member-my"), (r, "member-reservation"), (r + "/edit", "member-reservation-edit"),
        (r + "/cancel", "member-reservation-cancel"), ("/find?q=Sala", "member-find"),
        ("/notifications", "member-notifications"), ("/notifications/preferences", "member-notification-preferences"),
        ("/profile", "member-profile"), ("/help", "member-help"),
    ]


def week_after(date):
    """The sixth day after `date` (YYYY-MM-DD): a report's week with the seeded bookings in it."""
    return (datetime.date.fromisoformat(date) + datetime.timedelta(days=6)).isoformat()


def pages_admin(a):
    return [
        (f"/?date={a.date}", "day"), (f"/week?date={a.date}", "week"), (f"/rooms/{a.room}/month", "month"),
        (f"/book?room={a.room}&date={a.date}&start=09:30&end=10:30", "book-conflict"),
        ("/find", "find"), ("/reports", "reports"), (f"/reports?from={a.date}&to={week_after(a.date)}", "reports-week"),
        ("/approvals", "approvals"), ("/profile", "profile"),
        ("/admin/rooms", "admin-rooms"), (f"/admin/rooms/{a.room}", "admin-room"),
        (f"/admin/rooms/{a.room}/policy", "admin-room-policy"), ("/admin/resources", "admin-resources"),
        ("/admin/users", "admin-users"), ("/admin/groups", "admin-groups"), ("/admin/access", "admin-access"),
        (f"/admin/access/rooms/{a.room}", "admin-access-room"), ("/admin/access/location", "admin-access-location"),
        ("/admin/locations", "admin-locations"), ("/admin/operations", "admin-operations"),
        ("/admin/audit", "admin-audit"), ("/admin/email", "admin-email"), ("/admin/templates", "admin-templates"),
        ("/admin/templates/reminder/es", "admin-template"), ("/admin/webhooks", "admin-webhooks"),
        ("/admin/displays", "admin-displays"), ("/admin/sms", "admin-sms"),
        ("/admin/sms/texts/reminder/es", "admin-sms-text"), ("/admin/push", "admin-push"),
        ("/admin/booking-fields", "admin-booking-fields"), ("/no-such-page", "not-found"),
    ]


# Pages with an id in their address, found through the first link on the page that lists them.
LINKED = (("/admin/groups", "a[href^='/admin/groups/']", "admin-group"),
          ("/admin/locations", "a[href^='/admin/locations/']", "admin-location"),
          ("/admin/booking-fields", "a[href^='/admin/booking-fields/']", "admin-booking-field"))


def settle(page):
    """Waits for the page and the fragments htmx fetches as it loads (the booking form's day)."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def visit(run, page, lang, path, name):
    """One page at each width: axe (a phone gets other markup on some pages, such as the day's
    agenda), then the screenshot."""
    for size in (e2e.DESKTOP, e2e.PHONE):
        width = size["width"]
        page.set_viewport_size(size)
        page.goto(run.url + path)
        settle(page)
        got = page.evaluate("() => document.documentElement.lang")
        run.check(got == lang, f"{lang} {name} ({path}): the page is in {got!r}")
        for v in page.evaluate(AXE_JS):
            run.check(False, f"axe {v['impact']} {v['id']} on {lang}-{width} {name} ({path}): {v['help']}\n      "
                             + "\n      ".join(v["nodes"]))
        page.screenshot(path=os.path.join(run.args.shots, f"{lang}-{width}-{name}.png"), full_page=True)


def context(run, browser, lang, who):
    # axe adds <style> of its own while it measures, which the pages' CSP refuses: here the CSP is
    # bypassed (e2e.py, with the CSP on, fails on any violation of it).
    ctx = browser.new_context(viewport=e2e.DESKTOP, locale=LOCALES[lang], timezone_id="UTC", bypass_csp=True)
    # Injected by the browser before the page's scripts.
    ctx.add_init_script(path=AXE)
    page = ctx.new_page()
    run.watch(page, f"{lang} {who}")
    return ctx, page


def every_page(run, browser):
    a = run.args
    for bad in ("/no-such-page", "/password/reset/no-such-link"):
        run.refused_pages.add(run.url + bad)
    for lang in LOCALES:
        ctx, page = context(run, browser, lang, "signed out")
        for path, name in pages_signed_out(a):
            visit(run, page, lang, path, name)
        ctx.close()

        ctx, page = context(run, browser, lang, "member")
        e2e.sign_in(run, page, a.member_email, a.member_password)
        for path, name in pages_member(a):
            visit(run, page, lang, path, name)
        ctx.close()

        ctx, page = context(run, browser, lang, "admin")
        e2e.sign_in(run, page, a.admin_email, a.admin_password)
        linked = []
        for listing, selector, name in LINKED:
            page.goto(run.url + listing)
            href = e2e.first_href(page, selector)
            run.check(bool(href), f"no link to a {name} on {listing}")
            if href:
                linked.append((href, name))
        for path, name in pages_admin(a) + linked:
            visit(run, page, lang, path, name)
        ctx.close()


def main():
    # --room: Sala Norte's id; --date: the seeded day (tomorrow); --reservation: the member's
    # booking; --display: the path of Sala Norte's door display.
    p = e2e.parser(__doc__.splitlines()[0], "--room", "--date", "--reservation", "--display")
    args = p.parse_args()
    if not os.path.exists(AXE):
        print(f"{AXE} is missing: npm ci --prefix tests/axe", flush=True)
        return 1
    return e2e.run_parts(args, [every_page], "salas-a11y-")


if __name__ == "__main__":
    sys.exit(main())
