"""Settings → Inbox and Settings → Saved replies in Chromium, against a real `frontdesk serve`.

An owner sets opening hours with the quick-set buttons (and is told off for a
closing time before the opening time), writes a saved reply whose unknown variable
is flagged before saving, and then uses it in a conversation's composer.
"""

from __future__ import annotations

import json
import re
import secrets

import pytest

from tests.browser import pages

pytestmark = [pytest.mark.browser, pytest.mark.system]

PASSWORD = "inbox-settings-browser-1"

SEED = """
import json
from django.utils import timezone
from frontdesk.connectors import base
from frontdesk.core.actions.workspaces import create_workspace
from frontdesk.core.models import User
from frontdesk.inbox.intake import process_inbound_event, store_inbound_event
from frontdesk.inbox.models import Channel, Conversation

owner = User.objects.create_user({email!r}, {password!r}, first_name="Priya", last_name="Shah")
ws = create_workspace(
    name="Maple Street Library", slug={slug!r}, owner=owner, owner_display_name="Priya Shah"
)
ws.time_zone = "America/Chicago"
ws.save()
form = Channel.objects.create(workspace=ws, kind="webform", name="Contact form")
row, _ = store_inbound_event(form, base.InboundEvent(
    channel_kind="webform", provider_message_id="seed-grace", sender_kind="email",
    sender_address="grace@example.org", sender_name="Grace Okoye",
    body="Are you open on Saturdays?", received_at=timezone.now(),
))
# The server's worker may claim the event first (then this call does nothing):
# either way, wait for the conversation.
import time
process_inbound_event(row.pk)
for _ in range(300):
    conversation = Conversation.objects.filter(workspace=ws).first()
    if conversation is not None:
        break
    time.sleep(0.1)
print(json.dumps({{"number": conversation.number}}))
"""

STORED = """
import json
from frontdesk.inbox.models import InboxSettings, SavedReply
settings = InboxSettings.objects.get(workspace__slug={slug!r})
print(json.dumps({{
    "hours": settings.business_hours,
    "first": settings.first_response_target_minutes,
    "sms": settings.sms_sign_with_first_name,
    "saved": list(SavedReply.objects.filter(workspace__slug={slug!r}).values_list("title", "body")),
}}))
"""


@pytest.fixture
def library(frontdesk_server):
    slug = f"maple-{secrets.token_hex(3)}"
    email = f"priya@{slug}.example"
    seeded = json.loads(
        frontdesk_server.shell(SEED.format(slug=slug, email=email, password=PASSWORD)).splitlines()[
            -1
        ]
    )
    return {"server": frontdesk_server, "slug": slug, "email": email, **seeded}


def sign_in(page, library) -> str:
    base = f"{library['server'].base_url}/w/{library['slug']}"
    pages.sign_in(
        page, library["server"].base_url, library["email"], PASSWORD, slug=library["slug"]
    )
    return base


def stored(library) -> dict:
    return json.loads(library["server"].shell(STORED.format(slug=library["slug"])).splitlines()[-1])


def test_owner_sets_hours_writes_a_saved_reply_and_uses_it_in_the_composer(
    library, new_page, screenshot
):
    page = new_page()
    base = sign_in(page, library)

    # Settings → Inbox, from the Settings index.
    page.goto(f"{base}/settings/")
    page.locator("main").get_by_role("link", name=re.compile("^Inbox")).click()
    page.wait_for_url(re.compile(r"/settings/inbox/$"))
    assert "America/Chicago" in page.locator(".tz-note").inner_text()

    # A closing time before the opening time is refused, with the reason beside it.
    page.get_by_label("Monday: closes", exact=True).fill("08:00")
    page.get_by_role("button", name="Save inbox settings").click()
    page.get_by_text("Monday: closing time (08:00) must be after opening time (09:00).").wait_for()

    # Quick set: Mon–Sat 9–17, then Saturday shortened to 10–14 with the custom row.
    page.get_by_role("button", name="Mon–Sat 9–17").click()
    assert page.get_by_label("Monday: closes", exact=True).input_value() == "17:00"
    page.get_by_label("Days to set").select_option("sat")
    page.get_by_label("From", exact=True).fill("10:00")
    page.get_by_label("To", exact=True).fill("14:00")
    page.get_by_role("button", name="Set these days").click()
    assert page.get_by_label("Sunday", exact=True).is_checked() is False
    page.get_by_label("First response within").fill("2")
    page.get_by_role("textbox", name=re.compile("^Closed dates")).fill("2026-12-25")

    # The SMS sign-off switch shows what a text will look like.
    bubble = page.locator(".sms-bubble:visible")
    assert bubble.inner_text() == "Your hold is ready to pick up."
    page.get_by_label("Sign text replies with the staff member’s first name").check()
    assert bubble.inner_text() == "Your hold is ready to pick up. – Priya"
    screenshot(page, "settings-inbox")

    page.get_by_role("button", name="Save inbox settings").click()
    page.get_by_text("Inbox settings saved").wait_for()
    saved = stored(library)
    assert saved["hours"]["mon"] == [["09:00", "17:00"]]
    assert saved["hours"]["sat"] == [["10:00", "14:00"]]
    assert saved["hours"]["sun"] == []
    assert saved["hours"]["closed"] == ["2026-12-25"]
    assert (saved["first"], saved["sms"]) == (120, True)

    # Settings → Saved replies → New: a wrong variable is flagged live and on save.
    page.get_by_role("link", name="Saved replies").first.click()
    page.get_by_role("link", name=re.compile("New")).first.click()
    page.get_by_label("Title", exact=True).fill("Saturday hours")
    body = page.get_by_label("Text", exact=True)
    body.fill("Hi {{ contact.firstname }}, on Saturdays we are open 10 to 2. {{ me.first_name }}")
    problems = page.locator("[data-preview-problems]")
    problems.get_by_text("did you mean {{ contact.first_name }}?").wait_for()
    page.get_by_role("button", name="Save reply").click()
    page.locator(".field.has-error").get_by_text(
        "{{ contact.firstname }} is not a variable"
    ).wait_for()
    assert stored(library)["saved"] == []

    # Fixed with the Insert button: the preview greets the sample customer.
    body = page.get_by_label("Text", exact=True)
    body.fill(", on Saturdays we are open 10 to 2. {{ me.first_name }}")
    body.press("Home")
    body.type("Hi ")
    page.get_by_role("button", name="Insert contact.first_name").click()
    preview = page.locator("[data-preview-text]")
    page.wait_for_function(
        "document.querySelector('[data-preview-text]')?.textContent.startsWith('Hi Ana,')"
    )
    assert problems.count() == 0
    assert preview.inner_text() == "Hi Ana, on Saturdays we are open 10 to 2. Priya"
    screenshot(page, "settings-saved-reply-form")
    page.get_by_role("button", name="Save reply").click()
    page.get_by_text("“Saturday hours” saved").wait_for()
    assert stored(library)["saved"] == [
        [
            "Saturday hours",
            "Hi {{ contact.first_name }}, on Saturdays we are open 10 to 2. {{ me.first_name }}",
        ]
    ]
    screenshot(page, "settings-saved-replies")

    # The composer offers it, filled in for this customer.
    page.goto(f"{base}/inbox/{library['number']}/")
    page.locator("#saved-menu summary").click()
    page.get_by_label("Find a saved reply").fill("saturday")
    page.locator("[data-saved-reply]", has_text="Saturday hours").click()
    assert page.locator("#composer-body").input_value() == (
        "Hi Grace, on Saturdays we are open 10 to 2. Priya"
    )


def test_inbox_settings_pages_fit_a_phone(library, new_page, screenshot):
    page = new_page(width=390, height=844)
    base = sign_in(page, library)
    for path, name in (
        ("settings/inbox/", "settings-inbox-phone"),
        ("settings/inbox/saved-replies/new/", "settings-saved-reply-form-phone"),
        ("settings/inbox/saved-replies/", "settings-saved-replies-phone"),
    ):
        page.goto(f"{base}/{path}")
        # Nothing sideways: the page is no wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, name)
    page.goto(f"{base}/settings/inbox/")
    page.get_by_label("Tuesday", exact=True).uncheck()
    assert page.get_by_label("Tuesday: opens", exact=True).is_hidden()
    assert page.locator('.hours-row[data-day="tue"] .hours-closed').is_visible()


def test_team_and_api_token_pages_fit_a_phone(library, new_page, screenshot):
    page = new_page(width=390, height=844)
    base = sign_in(page, library)
    page.goto(f"{base}/settings/api/")
    page.get_by_label("Name", exact=True).fill("Catalogue sync")
    page.get_by_role("button", name="Create token").click()
    page.locator("table").get_by_text("Catalogue sync").wait_for()
    for path, name in (("settings/team/", "team-phone"), ("settings/api/", "api-tokens-phone")):
        page.goto(f"{base}/{path}")
        # Nothing sideways: every row of the table fits the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, name)
