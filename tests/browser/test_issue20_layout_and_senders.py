"""Issue 20 in Chromium: a text from a short code (item 14), the conversation header on
a phone and the About panel beside the composer (item 16), the embedded contact form
that fits its frame (item 18), and resolving waiting customers in bulk (item 6)."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.browser.test_inbox_in_the_browser import Library, row

pytestmark = [pytest.mark.browser, pytest.mark.system]

README = Path(__file__).parents[2] / "README.md"

# An SMS channel, a text from a short code and a long-winded web form patron (Ben
# Carter is seeded waiting) with tags, priority and an assignee: a full header.
SEED = """
import json
import time
from django.utils import timezone
from frontdesk.channels.sms.models import SmsChannelConfig
from frontdesk.connectors import base
from frontdesk.core.models import Membership, Workspace
from frontdesk.inbox import actions
from frontdesk.inbox.intake import process_inbound_event, store_inbound_event
from frontdesk.inbox.models import Channel, Conversation

ws = Workspace.objects.get(slug={slug!r})
sam = Membership.objects.get(workspace=ws, display_name="Sam Okafor")
texts = Channel.objects.create(workspace=ws, kind="sms", name="Main number")
SmsChannelConfig.objects.create(
    workspace=ws, channel=texts, phone_number="+15550104477",
    account_sid="AC" + "0" * 32, auth_token="0" * 32,
)
row, _ = store_inbound_event(texts, base.InboundEvent(
    channel_kind="sms", provider_message_id="seed-shortcode", sender_kind="short_code",
    sender_address="72345", body="Your Riverside hold is ready. Reply HELP for help.",
    received_at=timezone.now(),
))
process_inbound_event(row.pk)
give_up = time.monotonic() + 30
while not Conversation.objects.filter(messages__inbound_event=row).exists():
    if time.monotonic() > give_up:
        raise SystemExit("the short code's text was not processed")
    time.sleep(0.05)
short = Conversation.objects.get(messages__inbound_event=row)
isabel = Conversation.objects.get(workspace=ws, contact__name="Isabel Santos")
actions.assign_conversation(isabel, assignee=sam, by=sam)
for tag in ("late fees", "book drop", "complaint"):
    actions.add_tag(isabel, name=tag, by=sam)
print(json.dumps({{"short": short.number, "isabel": isabel.number}}))
"""


@pytest.fixture
def library(frontdesk_server):
    library = Library(frontdesk_server)
    numbers = frontdesk_server.shell(SEED.format(slug=library.slug)).splitlines()[-1]
    library.numbers = json.loads(numbers)
    return library


def open_conversation(page, library, number: int) -> None:
    page.goto(f"{library.inbox}{number}/")
    page.wait_for_function("document.body.dataset.live === 'on'")


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, locator
    return found


def overlaps(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


# --- Item 14 --------------------------------------------------------------------------------


def test_a_short_codes_text_is_labelled_and_cannot_be_answered(library, new_page):
    page = new_page()
    library.sign_in(page, library.sam)
    library.open_inbox(page)
    short = row(page, "72345")
    assert "Short code" in short.locator(".sender-badge").inner_text()

    open_conversation(page, library, library.numbers["short"])
    assert page.locator("[data-automated-sender]").inner_text() == "Short code"
    composer = page.locator("#composer")
    warning = composer.locator("[data-no-route]").inner_text()
    assert "72345 is a short code, an automated sender that can’t receive texts" in warning
    assert composer.locator("[data-send]").is_disabled()
    composer.locator(".composer-tab[data-mode=note]").click()
    assert composer.locator("[data-send]").is_enabled()  # a note for colleagues is fine


# --- Item 16 --------------------------------------------------------------------------------


def test_the_conversation_header_is_compact_on_a_phone(library, new_page, screenshot):
    page = new_page(width=390, height=844)
    library.sign_in(page, library.sam)
    open_conversation(page, library, library.numbers["isabel"])
    header = page.locator("#conversation-header")
    screenshot(page, "issue20-header-phone-390")
    # Nothing sticks out sideways, the name stays on one line ...
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    title = page.locator("#conv-title")
    line = float(title.evaluate("node => parseFloat(getComputedStyle(node).lineHeight)"))
    assert box(title)["height"] <= line * 1.5
    # ... and the actions sit in one row, however many tags it has.
    actions = page.locator(".conv-actions > :visible")
    boxes = [box(actions.nth(i)) for i in range(actions.count())]
    # One row: some horizontal line crosses every one of them.
    assert max(b["y"] for b in boxes) < min(b["y"] + b["height"] for b in boxes), boxes
    assert box(page.locator(".conv-actions"))["height"] <= 48
    # The header leaves most of the screen to the conversation.
    assert box(header)["height"] <= 844 * 0.25
    # The tags and the rest are a tap away, in the menu.
    page.locator("#tag-menu > summary").click()
    assert page.locator("#tag-menu .menu-panel").is_visible()


def test_the_about_panel_never_covers_the_composer_at_1366(library, new_page, screenshot):
    page = new_page(width=1366, height=768)
    library.sign_in(page, library.sam)
    open_conversation(page, library, library.numbers["isabel"])
    composer = page.locator("#composer")
    toggle = page.locator(".profile-toggle")
    if toggle.is_visible():
        toggle.click()
    panel = page.locator("#conv-profile")
    panel.wait_for(state="visible")
    screenshot(page, "issue20-about-1366x768")
    assert not overlaps(box(panel), box(composer))
    # The composer is whole, on screen and usable with the panel open.
    composer_box = box(composer)
    assert composer_box["y"] + composer_box["height"] <= 768
    composer.locator("textarea").fill("Hello Isabel")
    assert composer.locator("[data-send]").is_enabled()


# --- Item 18 --------------------------------------------------------------------------------


def readme_embed_snippet() -> str:
    found = re.search(r"```html\n(<iframe.*?</script>)\n```", README.read_text(), re.S)
    assert found, "the README's embed snippet"
    return found.group(1)


@contextlib.contextmanager
def site_framing(html: str):
    """Another site (another origin: its own loopback server) with `html` as its page."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"<!doctype html><title>Library site</title><h1>Contact</h1>{html}".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("width", [390, 1366])
def test_the_readme_embed_fits_the_form_without_an_inner_scrollbar(
    library, frontdesk_server, new_page, width
):
    snippet = (
        readme_embed_snippet()
        .replace(
            "https://desk.example.org/f/riverside/",
            f"{frontdesk_server.base_url}/f/{library.slug}/",
        )
        .replace('"https://desk.example.org"', json.dumps(frontdesk_server.base_url))
    )
    page = new_page(width=width, height=800)
    with site_framing(snippet) as site:
        page.goto(site)
        frame_element = page.locator("#frontdesk-form")
        form = page.frame_locator("#frontdesk-form")
        form.get_by_label("Your name").wait_for()

        def fits() -> bool:
            inner = form.locator("html").evaluate("node => [node.scrollHeight, node.clientHeight]")
            return inner[0] <= inner[1] and abs(box(frame_element)["height"] - inner[1]) < 2

        page.wait_for_function("document.getElementById('frontdesk-form').style.height !== '900px'")
        assert fits()
        # A phone number the server cannot read brings the error summary: the form
        # grows, and the frame with it.
        before = box(frame_element)["height"]
        form.get_by_label("Your name").fill("Ana López")
        form.locator("input[name=phone]").fill("call me maybe")
        form.locator("textarea[name=message]").fill("Is the printer fixed?")
        form.get_by_role("button", name=re.compile("send", re.I)).click()
        form.locator(".error-summary").wait_for()
        page.wait_for_function(
            f"parseFloat(document.getElementById('frontdesk-form').style.height) > {before}"
        )
        assert fits()


# --- Item 6 in bulk -------------------------------------------------------------------------


def test_resolving_waiting_customers_in_bulk_asks_first(library, new_page):
    page = new_page()
    library.sign_in(page, library.sam)
    library.open_inbox(page)
    ben = row(page, "Ben Carter")
    assert "is-waiting" in (ben.get_attribute("class") or "")
    ben.locator(".conv-check").check()
    page.locator("[data-bulk-resolve]").click()
    question = page.locator("[data-bulk-confirm]")
    question.wait_for()
    assert "Ben Carter is still waiting for a reply. Resolve it anyway?" in question.inner_text()
    assert ben.is_visible()  # nothing was resolved yet
    page.locator("[data-bulk-resolve-anyway]").click()
    ben.wait_for(state="detached")
    assert not question.is_visible()
