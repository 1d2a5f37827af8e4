"""Routing end to end in Chromium, against a real `frontdesk serve` (web, websocket,
worker): a customer's text arrives through Twilio's signed webhook, the worker's
intake triages it, the workspace's first matching rule hands it to Maya (round-robin
skips her colleague who is away), and it appears in Maya's own list live, without a
reload; the rule tester explains the same decision."""

from __future__ import annotations

import json
import re
import secrets

import pytest

from frontdesk.demo.twilio.standin import TwilioStandIn, post_signed
from tests.browser import pages

pytestmark = [pytest.mark.browser, pytest.mark.system]

PASSWORD = "routing-browser-test-1"
# What the server believes its public address is (webhook signatures cover it): the
# default, as the server runs without FRONTDESK_PUBLIC_URL.
PUBLIC_URL = "http://127.0.0.1:8000"

SEED = """
import json
from frontdesk.channels.sms.models import SmsChannelConfig
from frontdesk.core.actions.workspaces import add_member, create_workspace
from frontdesk.core.models import Membership, User
from frontdesk.core.roles import Role
from frontdesk.inbox.actions.routing import RuleFields, save_rule, set_availability
from frontdesk.inbox.models import Channel, Team
from frontdesk.triage.rules import Conditions

def person(email, first, last):
    return User.objects.create_user(email, {password!r}, first_name=first, last_name=last)

owner = person({olu!r}, "Olu", "Adeyemi")
ws = create_workspace(name="Oak Hill Library", slug={slug!r}, owner=owner,
                      owner_display_name="Olu Adeyemi")
olu = Membership.objects.get(workspace=ws, user=owner)
ravi = add_member(ws, user=person({ravi!r}, "Ravi", "Menon"), role=Role.AGENT,
                  display_name="Ravi Menon")
maya = add_member(ws, user=person({maya!r}, "Maya", "Lin"), role=Role.AGENT,
                  display_name="Maya Lin")
texts = Channel.objects.create(workspace=ws, kind="sms", name="Main number",
                               settings={{"auto_acknowledge": False}})
config = SmsChannelConfig.objects.create(
    workspace=ws, channel=texts, phone_number="+15017122661",
    account_sid={sid!r}, auth_token={token!r},
)
circulation = Team.objects.create(workspace=ws, name="Circulation")
circulation.members.set([ravi, maya])
save_rule(ws, RuleFields(name="Spanish", conditions=Conditions(languages=("es",)),
                         assign=f"member:{{olu.pk}}"), by=olu)
fines = Conditions(channels=("kind:sms",), keywords=("fine", "late fee"))
save_rule(ws, RuleFields(name="Fines and fees", conditions=fines,
                         assign=f"team:{{circulation.pk}}", priority="high", tags=("fines",)),
          by=olu)
set_availability(ravi, available=False, by=ravi)
print(json.dumps({{"key": config.webhook_key}}))
"""


@pytest.fixture
def oak_hill(frontdesk_server):
    slug = f"oak-{secrets.token_hex(3)}"
    people = {name: f"{name}@{slug}.example" for name in ("olu", "ravi", "maya")}
    sid = "AC" + secrets.token_hex(16)
    token = secrets.token_hex(16)
    seeded = json.loads(
        frontdesk_server.shell(
            SEED.format(slug=slug, password=PASSWORD, sid=sid, token=token, **people)
        ).splitlines()[-1]
    )
    return {
        "server": frontdesk_server,
        "slug": slug,
        "people": people,
        "sid": sid,
        "token": token,
        "path": f"/hooks/sms/{seeded['key']}/",
    }


def sign_in(page, oak_hill, who: str) -> None:
    base = oak_hill["server"].base_url
    pages.sign_in(page, base, oak_hill["people"][who], PASSWORD, slug=oak_hill["slug"])


def text_the_library(oak_hill, body: str, sender: str) -> None:
    form = TwilioStandIn().inbound_message(
        oak_hill["sid"], from_=sender, to="+15017122661", body=body
    )
    response = post_signed(
        oak_hill["server"].base_url + oak_hill["path"],
        form,
        oak_hill["token"],
        signed_url=PUBLIC_URL + oak_hill["path"],
    )
    assert response.status_code == 200, response.text


def test_a_text_matching_a_rule_reaches_the_right_person_live(oak_hill, new_page, screenshot):
    base = oak_hill["server"].base_url
    maya = new_page()
    sign_in(maya, oak_hill, "maya")
    maya.goto(f"{base}/w/{oak_hill['slug']}/inbox/?view=mine")
    maya.wait_for_function("document.body.dataset.live === 'on'")
    maya.evaluate("window.stillTheSamePage = true")
    assert maya.locator(".conv-row").count() == 0

    # A forged request changes nothing (wrong token): the signature is checked.
    form = TwilioStandIn().inbound_message(
        oak_hill["sid"], from_="+15558675309", to="+15017122661", body="a fine"
    )
    forged = post_signed(
        base + oak_hill["path"], form, "0" * 32, signed_url=PUBLIC_URL + oak_hill["path"]
    )
    assert forged.status_code == 403

    text_the_library(
        oak_hill,
        "Hi, I got a late fee for books I returned on time. Can you take it off?",
        "+15558675310",
    )

    # Circulation round-robin, Ravi away: Maya gets it, in her own list, live.
    row = maya.locator(".conv-row", has_text="late fee")
    row.wait_for(timeout=30_000)
    assert maya.evaluate("window.stillTheSamePage") is True
    assert row.locator(".badge", has_text="High").count() == 1
    assert row.locator(".tag-chip", has_text="fines").count() == 1
    assert "Maya" in (row.locator(".conv-assignee").inner_html())
    screenshot(maya, "routing-live-mine")
    # Opened, the conversation says which rule brought it and why.
    row.locator(".conv-link").click()
    maya.wait_for_url(re.compile(r"/inbox/\d+/"))
    note = maya.locator("[data-routing-note]")
    note.wait_for()
    assert "Routed by Fines and fees: channel sms; keyword “late fee”" in note.inner_text()
    assert "assigned to Maya Lin" in note.inner_text()
    screenshot(maya, "routing-conversation")

    # Her colleague who is away got nothing; the conversation page says why it came.
    ravi = new_page()
    sign_in(ravi, oak_hill, "ravi")
    ravi.goto(f"{base}/w/{oak_hill['slug']}/inbox/?view=mine")
    ravi.wait_for_function("document.body.dataset.live === 'on'")
    assert ravi.locator(".conv-row").count() == 0

    # The owner's rule tester explains the same decision for the same words.
    olu = new_page()
    sign_in(olu, oak_hill, "olu")
    olu.goto(f"{base}/w/{oak_hill['slug']}/settings/inbox/routing/test/")
    olu.get_by_label("Sample message").fill("Why is there a late fee on my card?")
    olu.get_by_role("button", name="Test").click()
    verdict = olu.locator("[data-verdict]")
    verdict.wait_for()
    assert "Fines and fees" in verdict.inner_text()
    assert "Maya Lin" in verdict.inner_text()
    spanish = olu.locator('[data-check="Spanish"]')
    assert "language en" in spanish.inner_text()
    screenshot(olu, "routing-tester")
    olu.goto(f"{base}/w/{oak_hill['slug']}/settings/inbox/routing/")
    olu.get_by_text("Fines and fees").wait_for()
    screenshot(olu, "routing-rules")

    phone = new_page(width=390, height=844)
    sign_in(phone, oak_hill, "olu")
    phone.goto(f"{base}/w/{oak_hill['slug']}/settings/inbox/routing/")
    phone.get_by_text("Fines and fees").wait_for()
    screenshot(phone, "routing-rules-phone")
    phone.goto(f"{base}/w/{oak_hill['slug']}/settings/inbox/routing/test/")
    phone.get_by_label("Sample message").fill("¿Puedo renovar mis libros por teléfono?")
    phone.get_by_role("button", name="Test").click()
    phone.locator("[data-verdict]").wait_for()
    assert "Spanish" in phone.locator("[data-verdict]").inner_text()
    screenshot(phone, "routing-tester-phone")


def test_two_texts_that_cross_on_their_way_to_the_list_leave_one_row(oak_hill, new_page):
    """Each text from a customer puts their row first in the list (the row loader in
    inbox/_list_column.html), in place of the row that was there. Here two of those
    updates for one conversation cross: the answer to the first is held until the page
    has heard the second text. Maya still sees the conversation once, with the newest
    text, and as she left it: ticked and selected."""
    base = oak_hill["server"].base_url
    maya = new_page()
    sign_in(maya, oak_hill, "maya")
    maya.goto(f"{base}/w/{oak_hill['slug']}/inbox/?view=mine")
    maya.wait_for_function("document.body.dataset.live === 'on'")
    empty = maya.locator("#conv-list [data-empty]")  # "Your shared inbox is ready"
    assert empty.is_visible()

    patron = "+15558675311"
    text_the_library(oak_hill, "I got a late fee for books I returned on time.", patron)
    rows = maya.locator("#conv-list .conv-row")
    rows.filter(has_text="late fee").wait_for(timeout=30_000)
    assert rows.count() == 1
    assert empty.count() == 0
    rows.locator(".conv-check").click()  # ticks it, and selects its row
    maya.locator("[data-bulk-count]", has_text="1 selected").wait_for()

    held = []

    def hold_the_first(route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    maya.route(re.compile(r"[?&]fragment=row\b"), hold_the_first)
    maya.evaluate(
        """() => {
            window.moves = 0;
            document.body.addEventListener("conversation:changed", (e) => {
                if (e.detail.moves) window.moves += 1;
            });
        }"""
    )
    text_the_library(oak_hill, "It was the one from March.", patron)
    maya.wait_for_function("window.moves >= 1")
    text_the_library(oak_hill, "My card number ends in 4411.", patron)
    maya.wait_for_function("window.moves >= 2")  # heard while the first answer is held
    assert held, "the first text did not ask for the conversation's row"
    held[0].continue_()

    rows.filter(has_text="ends in 4411").wait_for(timeout=30_000)
    assert rows.count() == 1
    row = rows.first
    assert row.locator(".conv-check").is_checked()
    assert "is-selected" in (row.get_attribute("class") or "")
    assert maya.locator("[data-bulk-count]").inner_text() == "1 selected"
