"""Listening in Chromium against a real `frontdesk serve`: the mentions page reads
clearly (screenshots, desktop and phone), and an unhappy post published in a local
feed reaches an open page as an alert within the poll interval plus ten seconds.

The feed is served by a threaded HTTP server in this process on loopback; the poll
is the periodic task's own function (`poll_due_sources`), run in the server's
environment every two seconds (the task's interval, shortened), so the alert travels
the real way: HTTP fetch, ingestion, triage, the channel layer, the websocket.
"""

from __future__ import annotations

import http.server
import re
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.system]

DEMO_EMAIL, DEMO_PASSWORD = "maya@riverside-library.example", "frontdesk-demo"
POLL_EVERY_SECONDS = 2
INTERVAL_SECONDS = 60  # the source's poll interval (the shortest a source may have)


def sign_in(page, base_url, email, password, slug):
    page.goto(f"{base_url}/login/")
    page.locator('input[name="username"]').fill(email)
    page.locator('input[name="password"]').fill(password)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(re.compile(rf"/w/{slug}/$"))


def test_mentions_page_reads_clearly_on_desktop_and_phone(frontdesk_server, new_page, screenshot):
    server = frontdesk_server
    for name, width, height in (("desktop", 1366, 900), ("phone", 390, 844)):
        page = new_page(width=width, height=height)
        sign_in(page, server.base_url, DEMO_EMAIL, DEMO_PASSWORD, "riverside")
        page.goto(f"{server.base_url}/w/riverside/listening/")
        first = page.locator("article.mention").first
        first.wait_for()
        # Who, what (the matched words marked), where, how they feel, what to do.
        unhappy = page.locator("article.mention", has_text="Dana Whitfield")
        assert unhappy.locator("mark").first.inner_text().lower().startswith("riverside")
        assert "Unhappy" in unhappy.inner_text()
        assert "Why you were alerted" in unhappy.inner_text()
        assert unhappy.get_by_role("button", name="Reach out").is_visible()
        assert unhappy.get_by_role("button", name="Ignore").is_visible()
        assert page.locator("article.mention", has_text="California").count() == 0
        # Nothing overflows sideways on a phone.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px"
        screenshot(page, f"listening-mentions-{name}")


SEED = """
from frontdesk.core.actions.workspaces import create_workspace
from frontdesk.core.models import User
from frontdesk.listening.models import Source, Watch
user = User.objects.create_user({email!r}, {password!r}, first_name="Lee", last_name="Park")
ws = create_workspace(
    name="Elm Park Library", slug={slug!r}, owner=user, owner_display_name="Lee Park"
)
Watch.objects.create(workspace=ws, name="Elm Park", query='"elm park library"')
Source.objects.create(workspace=ws, kind="feed", url={feed!r}, name="Elm Park blog",
                      interval_seconds={interval})
print(ws.pk)
"""

POLL = "from frontdesk.listening.polling import poll_due_sources; poll_due_sources()"


class Feed:
    """An RSS 2.0 feed on loopback that the test publishes posts into."""

    def __init__(self) -> None:
        self.items: list[str] = []
        feed = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = feed.document().encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/feed.xml"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, guid: str, author: str, title: str, text: str) -> None:
        when = format_datetime(datetime.now(UTC))
        self.items.insert(
            0,
            f"<item><title>{title}</title><link>https://blog.example/{guid}</link>"
            f'<guid isPermaLink="false">{guid}</guid><author>{author}</author>'
            f"<pubDate>{when}</pubDate><description>{text}</description></item>",
        )

    def document(self) -> str:
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            "<title>Elm Park blog</title><link>https://blog.example/</link>"
            "<description>Neighbourhood news</description>"
            + "".join(self.items)
            + "</channel></rss>"
        )


def test_an_unhappy_post_alerts_an_open_page_within_the_poll_interval_plus_ten_seconds(
    frontdesk_server, new_page
):
    server = frontdesk_server
    feed = Feed()
    feed.publish("p1", "Kim", "Lovely afternoon", "Lovely reading afternoon at Elm Park Library.")
    email, password, slug = "lee@elm-park.example", "elm-park-password-1", "elm-park"
    server.shell(
        SEED.format(
            email=email, password=password, slug=slug, feed=feed.url, interval=INTERVAL_SECONDS
        )
    )
    server.shell(POLL)  # the first poll finds the happy post
    page = new_page()
    sign_in(page, server.base_url, email, password, slug)
    page.goto(f"{server.base_url}/w/{slug}/listening/")
    page.wait_for_function("document.body.dataset.live === 'on'")
    assert page.locator("article.mention").count() == 1
    assert page.locator("[data-listening-alert]").count() == 0
    # A colleague working in the inbox hears it too (the corner notice on every page).
    inbox = new_page()
    sign_in(inbox, server.base_url, email, password, slug)
    inbox.goto(f"{server.base_url}/w/{slug}/inbox/")
    inbox.wait_for_function("document.body.dataset.live === 'on'")

    stop = threading.Event()
    server.shell(
        "from frontdesk.listening.models import Source; "
        "from django.utils import timezone; Source.objects.update(next_poll_at=timezone.now())"
    )
    published = time.monotonic()
    feed.publish(
        "p2",
        "Rob",
        "Lost hold again",
        "Elm Park Library lost my hold again and nobody answered my emails. Terrible.",
    )

    def tick():
        while not stop.is_set():
            server.shell(POLL)
            stop.wait(POLL_EVERY_SECONDS)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        alert = page.locator("[data-listening-alert]").first
        alert.wait_for(timeout=(INTERVAL_SECONDS + 10) * 1000)
        took = time.monotonic() - published
    finally:
        stop.set()
        ticker.join(30)
    text = alert.inner_text()
    assert "Rob" in text and "Unhappy" in text and "lost" in text.lower()
    assert took < INTERVAL_SECONDS + 10
    page.locator("article.mention", has_text="Lost hold again").wait_for()
    corner = inbox.locator("#listening-corner [data-listening-alert]")
    corner.wait_for(timeout=10_000)
    assert "Rob" in corner.inner_text()
    assert (
        corner.get_by_role("link", name="Show")
        .get_attribute("href")
        .startswith(f"/w/{slug}/listening/#mention-")
    )


def test_watch_preview_updates_while_typing_and_sources_show_their_state(
    frontdesk_server, new_page, screenshot
):
    server = frontdesk_server
    page = new_page(width=1366, height=900)
    sign_in(page, server.base_url, DEMO_EMAIL, DEMO_PASSWORD, "riverside")
    page.goto(f"{server.base_url}/w/riverside/listening/watches/")
    page.get_by_role("link", name="Riverside Library").click()
    preview = page.locator("#watch-preview")
    assert "of the last" in preview.inner_text()
    query = page.locator("#id_query")
    query.fill('"riverside library" (hotspot OR hotspots')
    page.wait_for_function(
        "document.querySelector('#watch-preview').innerText.includes('never closed')"
    )
    query.fill('"riverside library" (hotspot OR hotspots)')
    page.wait_for_function(
        "document.querySelector('#watch-preview').innerText.includes('1 of the last')"
    )
    assert preview.locator("mark").first.inner_text() == "hotspots"
    screenshot(page, "listening-watch-preview")
    page.goto(f"{server.base_url}/w/riverside/listening/sources/")
    row = page.locator("tr", has_text="Riverside neighbourhood blogs")
    row.wait_for()
    screenshot(page, "listening-sources")
    phone = new_page(width=390, height=844)
    sign_in(phone, server.base_url, DEMO_EMAIL, DEMO_PASSWORD, "riverside")
    phone.goto(f"{server.base_url}/w/riverside/listening/watches/new/")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(phone, "listening-watch-new-phone")
