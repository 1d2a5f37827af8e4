"""Outreach settings in Chromium against the demo served by a real `frontdesk serve`.

Maya, the demo's owner, sets the library's postal address on the outreach settings
page and adds a double opt-in topic, then renames it on its own page. Priya, an
agent, sees the page without its forms. The pages are looked at 1366 and 390 px wide.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import pages
from tests.system.demo_server import serve_demo

pytestmark = [pytest.mark.browser, pytest.mark.system]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with serve_demo(tmp_path_factory.mktemp("outreach-settings-demo")) as server:
        yield server


def sign_in(page, demo, email: str = "") -> None:
    pages.sign_in(page, demo.base_url, email or demo.email, demo.password, slug="riverside")


def test_setting_the_address_and_adding_a_topic(demo, new_page, screenshot):
    base = f"{demo.base_url}/w/riverside/outreach"
    page = new_page(width=1366, height=900)
    sign_in(page, demo)
    page.goto(f"{base}/")
    page.get_by_role("navigation", name="Outreach").get_by_role("link", name="Settings").click()
    page.wait_for_url(re.compile(r"/outreach/settings/$"))
    screenshot(page, "outreach-settings")
    # The demo's topics, with their counts.
    expect(page.locator("tr", has_text="Monthly newsletter")).to_contain_text("Yes")
    expect(page.get_by_label("Track opens and clicks")).not_to_be_checked()

    address = page.get_by_label("Postal address")
    address.fill("Riverside Public Library\nPO Box 12\nRiverside, OR 97001")
    page.get_by_label("Default sender").select_option(
        label="Daniel Reyes, Adult Services Librarian"
    )
    page.get_by_role("button", name="Save the settings").click()
    page.wait_for_url(re.compile(r"/outreach/settings/$"))
    expect(page.locator(".flash-stack")).to_contain_text("Saved")
    expect(page.get_by_label("Postal address")).to_have_value(
        "Riverside Public Library\nPO Box 12\nRiverside, OR 97001"
    )
    expect(page.get_by_label("Default sender").locator("option:checked")).to_have_text(
        "Daniel Reyes, Adult Services Librarian"
    )

    page.get_by_label("Name", exact=True).fill("Book club")
    page.get_by_label("Description").fill("The monthly pick and where we meet.")
    page.get_by_label("Ask for confirmation (double opt-in)").check()
    page.get_by_role("button", name="Add the topic").click()
    page.wait_for_url(re.compile(r"/outreach/settings/#topic-\d+$"))
    expect(page.locator(".flash-stack")).to_contain_text("topic.book-club")
    row = page.locator("tr", has_text="Book club")
    expect(row).to_contain_text("book-club")
    expect(row).to_contain_text("Yes")
    page.evaluate("window.scrollTo(0, 0)")  # a full-page shot of a scrolled page smears
    screenshot(page, "outreach-settings-topic-added")

    # The same slug again: a form error, not a new topic.
    page.get_by_label("Name", exact=True).fill("Book Club")
    page.get_by_role("button", name="Add the topic").click()
    page.wait_for_url(re.compile(r"/outreach/settings/topics/#new-topic-h$"))
    expect(page.locator(".field.has-error")).to_contain_text("exists already")
    expect(page.locator(".field.has-error")).to_be_in_viewport()
    expect(page.locator("tr", has_text="Book club")).to_have_count(1)

    row.get_by_role("link", name="Book club").click()
    page.wait_for_url(re.compile(r"/outreach/settings/topics/\d+/$"))
    screenshot(page, "outreach-topic-edit")
    page.get_by_label("Name", exact=True).fill("Book club picks")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/outreach/settings/#topic-\d+$"))
    expect(page.locator("tr", has_text="Book club picks")).to_contain_text("book-club")

    phone = new_page(width=390, height=844)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/settings/")
    screenshot(phone, "outreach-settings-phone")
    pages.no_sideways_scroll(phone, "settings")
    phone.get_by_role("link", name="Book club picks").click()
    phone.wait_for_url(re.compile(r"/outreach/settings/topics/\d+/$"))
    screenshot(phone, "outreach-topic-edit-phone")
    pages.no_sideways_scroll(phone, "topic edit")


def test_an_agent_sees_the_settings_without_the_forms(demo, new_page, screenshot):
    page = new_page(width=390, height=844)
    sign_in(page, demo, "priya@riverside-library.example")
    page.goto(f"{demo.base_url}/w/riverside/outreach/settings/")
    # (The other test may have changed the demo's address first.)
    expect(page.locator(".facts")).to_contain_text("Riverside Public Library")
    expect(page.locator(".facts")).to_contain_text("Not tracked")
    expect(page.get_by_text("Only an admin or the owner can change these.")).to_be_visible()
    expect(page.locator("tr", has_text="Monthly newsletter")).to_be_visible()
    expect(page.get_by_role("button", name="Save the settings")).to_have_count(0)
    expect(page.get_by_role("button", name="Add the topic")).to_have_count(0)
    expect(page.get_by_role("link", name="Monthly newsletter")).to_have_count(0)
    screenshot(page, "outreach-settings-agent-phone")
    pages.no_sideways_scroll(page, "settings as an agent")
