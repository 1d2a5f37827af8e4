"""A newcomer signs in to the demo library and finds their way around, in Chromium."""

from __future__ import annotations

import re

import pytest

from frontdesk.demo.core import DEMO_LOGIN
from tests.browser import pages

pytestmark = [pytest.mark.browser, pytest.mark.system]


def sign_in(page, base_url: str, email: str, password: str) -> None:
    pages.sign_in(page, base_url, email, password, slug=None)


def test_demo_staff_signs_in_and_sees_the_home_page(frontdesk_server, new_page, screenshot):
    page = new_page()
    page.goto(frontdesk_server.base_url + "/")
    assert "/login/" in page.url  # signed-out visitors are sent to sign in
    screenshot(page, "login")

    sign_in(page, frontdesk_server.base_url, DEMO_LOGIN[0], "not the password")
    assert page.get_by_role("alert").count() or page.locator(".non-field-errors").count()
    assert "/login/" in page.url

    sign_in(page, frontdesk_server.base_url, *DEMO_LOGIN)
    page.wait_for_url(re.compile(r"/w/riverside/$"))
    assert page.get_by_role("heading", level=1, name=re.compile(r"Maya\.")).is_visible()
    nav = page.get_by_role("navigation", name="Main navigation")
    for label in ("Inbox", "Listening", "Outreach", "Community", "Insights", "Settings"):
        assert nav.get_by_role("link", name=label).is_visible()
    assert page.get_by_text("Recent contacts").is_visible()
    assert page.get_by_text("Priya Shah").first.is_visible()
    # The live-update socket connects from the page (its indicator turns on).
    page.wait_for_function("document.body.dataset.live === 'on'")
    screenshot(page, "home")

    page.get_by_role("link", name="Contacts").first.click()
    page.wait_for_url(re.compile(r"/contacts/$"))
    page.keyboard.press("/")
    page.keyboard.type("Grace")
    page.wait_for_function("document.querySelectorAll('#contact-rows tbody tr').length === 1")
    screenshot(page, "contacts")
    page.get_by_role("link", name="Grace Okoye").click()
    assert page.get_by_role("heading", name="How they reach us").is_visible()
    assert page.get_by_text("+1 555-010-0129", exact=True).is_visible()
    # Her conversations are listed and lead to the inbox.
    conversations = page.locator("#contact-conversations")
    assert conversations.get_by_role("heading", name="Conversations").is_visible()
    screenshot(page, "contact")
    conversations.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/inbox/\d+/$"))
    assert page.get_by_text("story time on Tuesday was magical").first.is_visible()


def test_the_home_page_works_on_a_phone(frontdesk_server, new_page, screenshot):
    page = new_page(width=390, height=844)
    sign_in(page, frontdesk_server.base_url, *DEMO_LOGIN)
    page.wait_for_url(re.compile(r"/w/riverside/$"))
    nav_link = page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Contacts"
    )
    assert not nav_link.is_visible() or nav_link.bounding_box()["x"] < 0
    page.get_by_role("button", name="Menu").click()
    # The drawer slides in (a CSS transition); wait until it is fully on screen.
    page.wait_for_function("document.querySelector('.sidebar').getBoundingClientRect().x >= 0")
    assert nav_link.is_visible()
    screenshot(page, "home-phone-menu")
    page.keyboard.press("Escape")
    # Nothing on the page is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_keyboard_users_can_skip_to_the_content(frontdesk_server, new_page):
    page = new_page()
    sign_in(page, frontdesk_server.base_url, *DEMO_LOGIN)
    page.wait_for_url(re.compile(r"/w/riverside/$"))
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
