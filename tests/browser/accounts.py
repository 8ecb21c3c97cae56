#!/usr/bin/env python3
"""Self-service accounts in a real browser (headless Chromium, Playwright sync API).

Run by tests/it/browser_accounts.rs against a server that e-mails through a real SMTP sink
writing each message as JSON into --mail-dir. Flows: "forgot password" from the sign-in page,
the link read from the e-mail, a new password, signing in with it; the same link refused a
second time; an invitation accepted (the invitee sets a password and lands signed in); the
forgot page in Spanish; every new page at 390 px without sideways scroll.
Exits non-zero with a list of what failed.
"""

import argparse
import glob
import json
import os
import re
import sys
import time

from playwright.sync_api import expect

import e2e
from e2e import DESKTOP, PHONE


def link_for(run, address, subject_part):
    """The account link of the newest e-mail to `address` whose subject has `subject_part`
    (waits for it up to 20 s)."""
    for _ in range(200):
        found = []
        for path in glob.glob(os.path.join(run.args.mail_dir, "*.json")):
            with open(path) as f:
                m = json.load(f)
            if address in (m.get("to") or "") and subject_part in (m.get("subject") or ""):
                found.append(m)
        if found:
            text = found[-1]["text"]
            return re.search(r"https?://\S+/password/reset/\S+", text).group(0)
        time.sleep(0.1)
    raise AssertionError(f"no e-mail '{subject_part}' to {address}")


def path_of(link):
    return link[link.index("/password/reset/"):]


def set_password(page, password):
    page.locator("#password").fill(password)
    page.locator("#password_confirm").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state("load")


def forgot_flow(run, browser):
    a = run.args
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "forgot")
    page.goto(run.url + "/login")
    page.locator("#forgot-link").click()
    page.wait_for_url(re.compile(r"/password/forgot$"))
    e2e.audit(run, page, "forgot")
    run.shot(page, "password-forgot", "desktop")
    page.locator("#email").fill(a.member_email)
    page.locator("form button[type=submit]").click()
    expect(page.locator("#forgot-sent")).to_be_visible()
    link = link_for(run, a.member_email, "Reset your Salas password")
    page.goto(run.url + path_of(link))
    expect(page.locator("h1")).to_have_text("Choose a new password")
    e2e.audit(run, page, "reset")
    run.shot(page, "password-reset", "desktop")
    set_password(page, a.new_password)
    page.wait_for_url(re.compile(r"/(\?.*)?$"))
    expect(page.locator("header .account")).to_be_visible()
    ctx.close()

    # A fresh browser signs in with the new password.
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "sign in with the new password")
    e2e.sign_in(run, page, a.member_email, a.new_password)
    # The same link a second time: refused, with a way to ask for a new one.
    run.refused_pages.add(run.url + path_of(link))
    res = page.goto(run.url + path_of(link))
    run.check(res.status == 410, f"a used link answers 410, not {res.status}")
    expect(page.locator("#link-gone")).to_contain_text("expired or was already used")
    expect(page.locator("a[href='/password/forgot']").first).to_be_visible()
    run.shot(page, "link-gone", "desktop")
    ctx.close()


def invitation(run, browser):
    a = run.args
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "invitation")
    link = link_for(run, a.invitee_email, "Welcome")
    page.goto(run.url + path_of(link))
    expect(page.locator("h1")).to_have_text("Welcome, set your password")
    e2e.audit(run, page, "invitation")
    run.shot(page, "invitation", "desktop")
    set_password(page, a.new_password)
    page.wait_for_url(re.compile(r"/(\?.*)?$"))
    expect(page.locator("header .account")).to_be_visible()
    page.goto(run.url + "/my")
    run.check(page.url.endswith("/my"), f"the invitee is signed in: {page.url}")
    ctx.close()


def spanish(run, browser):
    ctx = browser.new_context(viewport=DESKTOP, locale="es-ES", timezone_id="UTC")
    page = ctx.new_page()
    run.watch(page, "forgot es")
    page.goto(run.url + "/login?lang=es")
    page.locator("#forgot-link").click()
    expect(page.locator("h1")).to_have_text("Restablece tu contraseña")
    expect(page.locator("form button[type=submit]")).to_have_text("Enviar el enlace")
    run.shot(page, "password-forgot-es", "desktop")
    page.locator("#email").fill("nadie@example.test")
    page.locator("form button[type=submit]").click()
    expect(page.locator("#forgot-sent")).to_contain_text("Si la dirección está registrada")
    ctx.close()


def phone(run, browser):
    a = run.args
    ctx = browser.new_context(viewport=PHONE, locale="en-GB", timezone_id="UTC", has_touch=True)
    page = ctx.new_page()
    run.watch(page, "accounts phone")
    e2e.fits_phone(run, page, "/password/forgot", "password-forgot")
    e2e.fits_phone(run, page, "/signup", "signup")
    link = link_for(run, a.phone_email, "Reset your Salas password")
    e2e.fits_phone(run, page, path_of(link), "password-reset")
    gone = "/password/reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    run.refused_pages.add(run.url + gone)
    e2e.fits_phone(run, page, gone, "link-gone")
    ctx.close()
    ctx = browser.new_context(viewport=PHONE, locale="es-ES", timezone_id="UTC", has_touch=True)
    page = ctx.new_page()
    run.watch(page, "accounts phone es")
    page.goto(run.url + "/login?lang=es")
    e2e.fits_phone(run, page, "/password/forgot", "password-forgot-es")
    ctx.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--mail-dir", required=True, help="where the SMTP sink writes messages")
    p.add_argument("--member-email", required=True, help="an account that forgets its password")
    p.add_argument("--invitee-email", required=True, help="an account invited before the run")
    p.add_argument("--phone-email", required=True, help="an account sent a reset link before the run")
    p.add_argument("--new-password", required=True)
    p.add_argument("--shots", required=True, help="directory for screenshots")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    return e2e.run_parts(p.parse_args(), (forgot_flow, invitation, spanish, phone), "salas-accounts-")

if __name__ == "__main__":
    sys.exit(main())
