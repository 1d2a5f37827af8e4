"""Outreach senders and SMS test sends in Chromium against the demo served by a real
`frontdesk serve` (FRONTDESK_DEMO=true: the in-app Twilio stand-in and the demo phone).

Maya, the demo's owner, edits a sender on the senders page; then she adds her mobile
number to her profile and sends herself a test of the SMS "hold ready" template from
the template editor: it arrives on the demo phone at her number, written for the
chosen contact and signed by the sender. The pages are looked at 1366 and 390 px wide.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import pages
from tests.system.demo_server import serve_demo
from tests.system.server import frontdesk_shell

pytestmark = [pytest.mark.browser, pytest.mark.system]

MOBILE = "+15550100177"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with serve_demo(tmp_path_factory.mktemp("senders-demo")) as server:
        yield server


def sign_in(page, demo) -> None:
    pages.sign_in(page, demo.base_url, demo.email, demo.password, slug="riverside")


def test_editing_a_sender(demo, new_page, screenshot):
    base = f"{demo.base_url}/w/riverside/outreach"
    page = new_page(width=1366, height=900)
    sign_in(page, demo)
    page.goto(f"{base}/senders/")
    row = page.locator("tr", has_text="Daniel Reyes")
    expect(row).to_contain_text("Adult Services Librarian")
    row.get_by_role("link", name="Edit Daniel Reyes").click()
    page.wait_for_url(re.compile(r"/outreach/senders/\d+/$"))
    screenshot(page, "outreach-sender-edit")
    # Campaigns name him (the demo's draft newsletter): archived, not deleted.
    expect(page.get_by_role("button", name="Archive this sender")).to_be_visible()

    page.get_by_label("Title").fill("Head of Adult Services")
    page.get_by_label("Send texts from").select_option(index=1)
    page.get_by_label("Their own address").fill("daniel.reyes@riverside-library.example")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/outreach/senders/$"))
    expect(page.locator(".flash-stack")).to_contain_text(
        "We mailed a link to daniel.reyes@riverside-library.example"
    )
    row = page.locator("tr", has_text="Daniel Reyes")
    expect(row).to_contain_text("Head of Adult Services")
    expect(row).to_contain_text("not verified yet")
    screenshot(page, "outreach-senders")

    phone = new_page(width=390, height=844)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/senders/")
    screenshot(phone, "outreach-senders-phone")
    pages.no_sideways_scroll(phone, "senders")
    phone.get_by_role("link", name="Daniel Reyes", exact=True).click()
    phone.wait_for_url(re.compile(r"/outreach/senders/\d+/$"))
    screenshot(phone, "outreach-sender-edit-phone")
    pages.no_sideways_scroll(phone, "sender edit")


def test_an_sms_test_send_from_the_template_editor(demo, new_page, screenshot):
    page = new_page(width=1366, height=900)
    sign_in(page, demo)
    editor_url = None
    page.goto(f"{demo.base_url}/w/riverside/outreach/templates/")
    page.get_by_role("link", name="Hold ready (text message)").click()
    page.wait_for_url(re.compile(r"/outreach/templates/\d+/$"))
    editor_url = page.url
    # No number on her profile yet: the editor says where to add it.
    expect(page.locator("#test-text")).to_contain_text("add your mobile number to")

    page.locator("#test-text").get_by_role("link", name="your profile").click()
    page.get_by_label("Your mobile number").fill("(555) 010-0177")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_url(re.compile(r"/settings/profile/$"))
    expect(page.get_by_label("Your mobile number")).to_have_value(MOBILE)

    page.goto(editor_url)
    # The second contact with a phone number, chosen for the preview and the test.
    contact = page.locator("#preview-contact option").nth(1).inner_text().strip()
    first_name = contact.split()[0]
    page.locator("#preview-contact").select_option(label=contact)
    expect(page.locator(".preview-name")).to_have_text(contact)
    expect(page.locator(".sms-bubble")).to_contain_text(f"Hi {first_name}")
    test = page.locator("#test-text")
    expect(test).to_contain_text(f"Text a test to {MOBILE} as")
    priya = test.locator("option", has_text="Priya Shah").get_attribute("value")
    test.get_by_label(re.compile("Text a test to")).select_option(priya)
    test.get_by_role("button", name="Send me a test").click()
    page.wait_for_url(re.compile(r"/outreach/templates/\d+/\?contact="))
    expect(page.get_by_text(f"is on its way to {MOBILE}, from Priya Shah")).to_be_visible()
    screenshot(page, "outreach-sms-test-send")

    # It arrives at Maya's number on the demo phone: for the contact, from Priya.
    phone = new_page(width=390, height=844)
    phone.goto(f"{demo.base_url}/demo/phone/?from=%2B15550100177")
    arrived = phone.locator(".bubble-in", has_text="[Test]")
    expect(arrived).to_contain_text(f"Hi {first_name}", timeout=30_000)
    expect(arrived).to_contain_text("Priya")
    screenshot(phone, "outreach-sms-test-on-the-phone")

    small = new_page(width=390, height=844)
    small.context.add_cookies(page.context.cookies())
    small.goto(editor_url)
    screenshot(small, "outreach-sms-template-phone")
    pages.no_sideways_scroll(small, "sms template")


MORE_CAMPAIGNS = """
from frontdesk.outreach.models import Campaign
draft = Campaign.objects.get(name="December newsletter")
Campaign.objects.bulk_create(
    Campaign(workspace_id=draft.workspace_id, name=f"Storytime week {n:02d}",
             sender_id=draft.sender_id, template_id=draft.template_id)
    for n in range(40)
)
print(Campaign.objects.count())
"""


def test_the_outreach_index_pages_on_a_desk_and_a_phone(demo, new_page, screenshot):
    assert int(frontdesk_shell(MORE_CAMPAIGNS, env=demo.env)) == 41
    page = new_page(width=1366, height=900)
    sign_in(page, demo)
    page.goto(f"{demo.base_url}/w/riverside/outreach/")
    rows = page.locator("tr[id^=campaign-]")
    expect(rows).to_have_count(25)
    first_page = set(rows.evaluate_all("rows => rows.map(r => r.id)"))
    screenshot(page, "outreach-index")
    page.get_by_role("link", name="Older campaigns").click()
    expect(rows).to_have_count(16)
    second_page = set(rows.evaluate_all("rows => rows.map(r => r.id)"))
    assert not first_page & second_page
    expect(page.get_by_role("link", name="Older campaigns")).to_have_count(0)
    expect(page.get_by_role("link", name="Newest campaigns")).to_be_visible()

    phone = new_page(width=390, height=844)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{demo.base_url}/w/riverside/outreach/")
    screenshot(phone, "outreach-index-phone")
    pages.no_sideways_scroll(phone, "index")
    phone.get_by_role("link", name="Older campaigns").click()
    expect(phone.locator("tr[id^=campaign-]")).to_have_count(16)
    pages.no_sideways_scroll(phone, "index, older")
