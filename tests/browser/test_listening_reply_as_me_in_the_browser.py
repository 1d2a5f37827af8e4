"""Reaching out on a Mastodon mention in Chromium, against a real `frontdesk serve`:
the button says whose account replies, the conversation opens with the polite draft
in the composer (unsent), and Send posts it from the member's own account to a
loopback Mastodon stand-in speaking the real API. Screenshots at 1366 and 390 px."""

from __future__ import annotations

import json
import re

import pytest

from frontdesk.connectors.tests.loopback import fixture, serve

pytestmark = [pytest.mark.browser, pytest.mark.system]

JSON = {"Content-Type": "application/json; charset=utf-8"}
POST_URL = "https://social.example/@kai/113554410122334456"
EMAIL, PASSWORD, SLUG = "ana@oak-hill.example", "oak-hill-password-1", "oak-hill"

SEED = """
from datetime import timedelta
from django.utils import timezone
from frontdesk.connectors.base import Candidate
from frontdesk.core.actions.workspaces import create_workspace
from frontdesk.core.models import Membership, User
from frontdesk.inbox.models import Channel
from frontdesk.listening.ingest import ingest
from frontdesk.listening.models import Mention, SocialAccount, Source, Watch
user = User.objects.create_user({email!r}, {password!r}, first_name="Ana", last_name="Ruiz")
ws = create_workspace(name="Oak Hill Library", slug={slug!r}, owner=user,
                      owner_display_name="Ana Ruiz")
me = Membership.objects.get(workspace=ws, user=user)
if not Channel.objects.filter(workspace=ws).exists():
    Channel.objects.create(workspace=ws, kind="webform", name="Web form")
Watch.objects.create(workspace=ws, name="Oak Hill", query='"oak hill library"')
# Not polled during the test (the worker runs): its one post is stored below.
source = Source.objects.create(workspace=ws, kind="mastodon", url="https://social.example",
    query="#oakhilllibrary", next_poll_at=timezone.now() + timedelta(days=365))
SocialAccount.objects.create(workspace=ws, membership=me, network="mastodon",
    server={stand_in!r}, handle="@ana@toot.oak-hill.example", access_token="ana-own-token")
ingest(source, [Candidate(source_id="113554410122334456", url={post_url!r},
    body="The Oak Hill Library makerspace is closed again and nobody says why. Terrible.",
    author_name="Kai Moreno", author_handle="@kai@social.example",
    author_url="https://social.example/@kai", published_at=timezone.now())])
print(Mention.objects.get(workspace=ws).pk)
"""


def sign_in(page, base_url):
    page.goto(f"{base_url}/login/")
    page.locator('input[name="username"]').fill(EMAIL)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(re.compile(rf"/w/{SLUG}/$"))


def test_reach_out_on_mastodon_drafts_in_the_composer_and_send_posts_from_my_account(
    frontdesk_server, new_page, screenshot
):
    server = frontdesk_server
    routes = {
        "/api/v2/search": lambda s: (200, JSON, fixture("mastodon_resolve.json")),
        "/api/v1/statuses": lambda s: (200, JSON, fixture("mastodon_status_created.json")),
    }
    with serve(routes) as mastodon:
        mention = int(
            server.shell(
                SEED.format(
                    email=EMAIL,
                    password=PASSWORD,
                    slug=SLUG,
                    stand_in=mastodon.url,
                    post_url=POST_URL,
                )
            ).strip()
        )
        page = new_page(width=1366, height=900)
        sign_in(page, server.base_url)
        page.goto(f"{server.base_url}/w/{SLUG}/listening/")
        row = page.locator(f"#mention-{mention}")
        button = row.get_by_role("button", name="Reply as @ana@toot.oak-hill.example on Mastodon")
        assert button.is_visible()
        screenshot(page, "listening-reply-as-me-mentions-desktop")
        button.click()
        page.wait_for_url(re.compile(rf"/w/{SLUG}/inbox/\d+/$"))
        assert mastodon.seen == []  # opening the conversation posted nothing
        body = page.locator("#composer-body")
        draft = body.input_value()
        assert draft.startswith(
            "Hi Kai — I'm Ana Ruiz from Oak Hill Library. I saw your post about “The Oak"
        )
        assert "I'm sorry it didn't go well" in draft
        send_by = page.locator("#composer-channel")
        assert send_by.input_value() == f"elsewhere:mastodon:{mention}"
        who = page.get_by_label("Who sees it")
        assert who.is_visible() and who.input_value() == "direct"
        screenshot(page, "listening-reply-as-me-composer-desktop")

        # The same page on a phone, before sending: the draft is there, nothing overflows.
        phone = new_page(width=390, height=844)
        sign_in(phone, server.base_url)
        conversation = page.url
        phone.goto(conversation)
        assert phone.locator("#composer-body").input_value() == draft
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the conversation scrolls sideways by {overflow}px on a phone"
        screenshot(phone, "listening-reply-as-me-composer-phone")
        for width, device in ((390, phone), (1366, page)):
            device.goto(f"{server.base_url}/w/{SLUG}/listening/accounts/")
            assert (
                "@ana@toot.oak-hill.example"
                in device.locator("[data-social-accounts]").inner_text()
            )
            assert "ana-own-token" not in device.content()
            overflow = device.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"your accounts scroll sideways by {overflow}px at {width}px"
            screenshot(device, f"listening-your-accounts-{width}")
        phone.goto(f"{server.base_url}/w/{SLUG}/listening/")
        screenshot(phone, "listening-reply-as-me-mentions-phone")
        page.goto(conversation)
        body = page.locator("#composer-body")
        assert body.input_value() == draft  # still waiting, unsent

        body.fill(draft + " Our makerspace reopens on Monday.")
        page.get_by_role("button", name="Send reply").click()
        posted = page.locator("[data-posted]")
        posted.wait_for()
        assert posted.get_attribute("href") == (
            "https://toot.riverside.example/@maya/113560123000000001"
        )
        assert body.input_value() == ""
        screenshot(page, "listening-reply-as-me-sent-desktop")
        search, create = mastodon.seen
    assert search.query["q"] == [POST_URL]
    assert create.path == "/api/v1/statuses"
    assert create.headers["authorization"] == "Bearer ana-own-token"
    sent = json.loads(create.body)
    assert sent["in_reply_to_id"] == "113554999000000777"
    assert sent["visibility"] == "direct"
    assert sent["status"] == f"@kai@social.example {draft} Our makerspace reopens on Monday."
