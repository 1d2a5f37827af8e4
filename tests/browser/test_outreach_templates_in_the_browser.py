"""The outreach template editor in Chromium against a real `frontdesk serve` with the
demo loaded: open a ready-made template, preview it for a real demo contact and see
their name in the rendered message (the htmx preview, in its sandboxed frame)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.system]

DEMO_EMAIL, DEMO_PASSWORD = "maya@riverside-library.example", "frontdesk-demo"


def test_a_demo_template_previews_for_a_chosen_contact(frontdesk_server, new_page, screenshot):
    base = frontdesk_server.base_url
    page = new_page(width=1366, height=900)
    page.goto(f"{base}/login/")
    page.locator('input[name="username"]').fill(DEMO_EMAIL)
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(re.compile(r"/w/riverside/$"))

    page.goto(f"{base}/w/riverside/outreach/templates/")
    page.get_by_role("link", name="Welcome to the library").click()
    page.wait_for_url(re.compile(r"/outreach/templates/\d+/$"))
    # Written as a person: no impersonal-wording suggestions for the demo's welcome.
    expect(page.locator(".wording-tips")).to_have_count(0)

    page.locator("#preview-contact").select_option(label="Chloe Nguyen")
    expect(page.locator(".preview-name")).to_have_text("Chloe Nguyen")
    expect(page.locator(".mail-subject")).to_contain_text(
        "Welcome to Riverside Public Library, Chloe"
    )
    body = page.frame_locator("iframe.mail-frame").locator("body")
    expect(body).to_contain_text("Hi Chloe,")
    expect(body).to_contain_text("Main Library")  # her home branch, a custom field

    # Typing impersonal wording gets a friendlier suggestion at once.
    page.locator("#id_html").press("End")
    page.locator("#id_html").type(" Please do not reply.")
    expect(page.locator(".wording-tips")).to_contain_text("Invite an answer instead")
    screenshot(page, "outreach-template-preview")

    # The pages read on a phone too: nothing scrolls sideways.
    phone = new_page(width=390, height=844)
    phone.context.add_cookies(page.context.cookies())
    for name, path in (
        ("index", "/w/riverside/outreach/"),
        ("templates", "/w/riverside/outreach/templates/"),
        ("template", page.url.removeprefix(base)),
        ("senders", "/w/riverside/outreach/senders/"),
        ("new-campaign", "/w/riverside/outreach/campaigns/new/"),
    ):
        phone.goto(base + path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px"
        screenshot(phone, f"outreach-{name}-phone")
