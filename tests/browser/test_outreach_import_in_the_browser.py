"""The CSV import in Chromium against a real `frontdesk serve` (its worker runs the
dry run and the import): upload a file, keep the guessed mapping, read the dry
run's report, import, and watch the progress bar reach the end."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.system]

DEMO_EMAIL, DEMO_PASSWORD = "maya@riverside-library.example", "frontdesk-demo"


def _csv() -> bytes:
    lines = ["Name;Email;Phone;Newsletter consent;Branch"]
    lines += [
        f"Reader {n};reader{n}@import-test.example;;{'yes' if n % 2 else ''};Main"
        for n in range(40)
    ]
    lines += ["Broken;not-an-address;;;", "Twice;reader3@import-test.example;;;"]
    return ("\n".join(lines) + "\n").encode("cp1252")


def test_upload_dry_run_and_import_with_progress(frontdesk_server, new_page, screenshot):
    base = frontdesk_server.base_url
    page = new_page(width=1366, height=900)
    page.goto(f"{base}/login/")
    page.locator('input[name="username"]').fill(DEMO_EMAIL)
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(re.compile(r"/w/riverside/$"))

    page.goto(f"{base}/w/riverside/outreach/")
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("Contacts (name, email, phone").check()
    page.locator('input[type="file"]').set_input_files(
        {"name": "readers.csv", "mimeType": "text/csv", "buffer": _csv()}
    )
    page.get_by_role("button", name="Upload and map the columns").click()
    page.wait_for_url(re.compile(r"/outreach/imports/\d+/$"))
    expect(page.get_by_label("Email", exact=True)).to_have_value("email")
    expect(page.get_by_label("Newsletter consent")).to_have_value("consent.email")
    screenshot(page, "outreach-import-mapping")
    mapping_url = page.url
    page.get_by_role("button", name="Check the file (dry run)").click()

    # The worker checks the file; the fragment polls until the report is there.
    status = page.locator("#import-status")
    expect(status.locator("[data-status]")).to_have_attribute("data-status", "checked")
    expect(page.locator("#count-created")).to_have_text("40")
    expect(page.locator("#count-invalid")).to_have_text("2")
    report = page.locator("#import-report")
    expect(report).to_contain_text("Bad email address “not-an-address”.")
    expect(report).to_contain_text("Duplicate of row 5 (reader3@import-test.example).")
    screenshot(page, "outreach-import-dry-run")

    page.get_by_role("button", name="Import 40 rows").click()
    expect(status.locator("[data-status]")).to_have_attribute("data-status", "done")
    expect(page.locator("#import-progress")).to_have_attribute("value", "100")
    expect(page.locator("#count-created")).to_have_text("40")
    expect(page.locator("#import-rows")).to_have_text("42 of 42 rows read")
    screenshot(page, "outreach-import-done")

    # The pages read on a phone too: nothing scrolls sideways.
    phone = new_page(width=390, height=844)
    phone.context.add_cookies(page.context.cookies())
    for name, url in (
        ("imports", f"{base}/w/riverside/outreach/imports/"),
        ("import", mapping_url),
    ):
        phone.goto(url)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px"
        screenshot(phone, f"outreach-{name}-phone")
