"""live.js in Chromium: the page's socket (on the websocket port) hears a worker's task."""

from __future__ import annotations

import re
import secrets

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.system]

ENQUEUE_ANNOUNCE = """
from frontdesk.live.tasks import announce
announce({workspace_id}, "system.browser", {{"token": {token!r}}})
"""


def test_page_shows_live_and_receives_an_event_from_the_worker(frontdesk_server, new_page):
    server = frontdesk_server
    page = new_page()
    page.goto(f"{server.base_url}/login/")
    page.locator('input[name="username"]').fill(server.email)
    page.locator('input[name="password"]').fill(server.password)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(re.compile(rf"/w/{server.workspace_slug}/$"))
    if not page.locator('script[src*="frontdesk/live"]').count():
        # Until the base layout includes it, load it as the layout would.
        page.add_script_tag(url=f"{server.base_url}/static/frontdesk/live.js")

    # The page is on the web port and the socket on the websocket port: the browser
    # sends the session cookie and the origin check lets it through.
    page.wait_for_function("document.body.dataset.live === 'on'")
    page.evaluate(
        """() => {
            window.liveEvents = [];
            document.addEventListener("frontdesk:live", (e) => window.liveEvents.push(e.detail));
        }"""
    )
    token = secrets.token_hex(8)
    server.shell(ENQUEUE_ANNOUNCE.format(workspace_id=server.workspace_id, token=token))

    page.wait_for_function(
        "(token) => window.liveEvents.some((e) => e.data.token === token)", arg=token
    )
    events = page.evaluate("window.liveEvents")
    assert {"type": "system.browser", "data": {"token": token}} in events
