"""The inbox kept current through DOM events in Chromium, against a real `frontdesk
serve`: a colleague's reply, sent from a second session, reaches the other person's
list row and open conversation without a reload (live-events.js dispatches
conversation:changed and message:new on <body>; the templates' htmx elements fetch)."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_inbox_in_the_browser import library, row  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.system]

LISTEN = """() => {
    window.heard = [];
    for (const name of ["conversation:changed", "message:new"]) {
        document.body.addEventListener(name, (e) => window.heard.push([name, e.detail]));
    }
    window.stillTheSamePage = true;
}"""


def send_reply(page, text: str) -> None:
    page.locator("#composer-body").fill(text)
    page.locator("#composer-body").press("Control+Enter")
    page.locator(".msg-reply", has_text=text).wait_for()


def test_a_colleagues_reply_appears_live_in_the_row_and_the_conversation(library, new_page):  # noqa: F811
    priya = new_page(width=1600, height=900)  # wide: the list beside the conversation
    library.sign_in(priya, library.priya)
    library.open_inbox(priya)
    priya.evaluate(LISTEN)
    elena = row(priya, "Elena Rossi")
    number = int(elena.get_attribute("data-number"))
    assert "Sam:" not in elena.locator(".conv-snippet").inner_text()

    sam = new_page()  # another person, another session
    library.sign_in(sam, library.sam)
    sam.goto(f"{library.inbox}{number}/")
    sam.wait_for_function("document.body.dataset.live === 'on'")
    send_reply(sam, "Hi Elena, the large-print copy is on hold for you.")

    # Priya's row says who answered and what, where it was, without a reload.
    elena.locator(".conv-snippet", has_text="Sam: Hi Elena, the large-print copy").wait_for()
    assert priya.evaluate("window.stillTheSamePage") is True
    heard = priya.evaluate("window.heard")
    assert any(
        name == "message:new" and d["conversation"] == number and d["kind"] == "reply"
        for name, d in heard
    )
    assert any(name == "conversation:changed" and d["number"] == number for name, d in heard)

    # Priya opens it; Sam writes again: the message joins her timeline and the row
    # beside it, once each.
    elena.locator(".conv-link").click()
    priya.wait_for_url(re.compile(rf"/inbox/{number}/"))
    priya.wait_for_function("document.body.dataset.live === 'on'")
    side = priya.locator(f"#conv-{number}")
    side.wait_for()  # the column is loaded after the conversation
    priya.evaluate(LISTEN)
    send_reply(sam, "It will wait for you at the desk until Friday.")

    priya.locator(".msg-reply", has_text="until Friday").wait_for()
    side.locator(".conv-snippet", has_text="Sam: It will wait for you").wait_for()
    assert priya.locator(".msg-reply", has_text="until Friday").count() == 1
    assert priya.evaluate("window.stillTheSamePage") is True
    # The open conversation's row is never bold: what is on screen is read.
    assert "is-unread" not in side.get_attribute("class")
