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


REPORT = """
from frontdesk.inbox import live
from frontdesk.inbox.models import Message
Message.objects.filter(pk={pk}).update(status={status!r})
live.message_published(Message.objects.get(pk={pk}), event_type="message.updated")
"""


def test_a_delivery_report_that_comes_while_its_message_is_being_redrawn_is_not_lost(
    library,  # noqa: F811
    new_page,
):
    """htmx queues a second request on an element whose first is on its way, then
    drops it when the first one's answer replaces that element: without more, a
    reply redrawn as "Sent" stays "Sent" after the "delivered" report that arrived
    meanwhile. Here the first redraw is held until the second report has come."""
    priya = new_page(width=1600, height=900)
    library.sign_in(priya, library.priya)
    library.open_inbox(priya)
    row(priya, "Grace Okoye").locator(".conv-link").click()
    priya.wait_for_function("document.body.dataset.live === 'on'")
    reply = priya.locator(".msg-reply", has_text="that made our week")
    pk = int(reply.get_attribute("data-id"))

    heard = """(pk) => {
        window.changes = 0;
        document.body.addEventListener("message:changed", (e) => {
            if (e.detail.message === pk) window.changes += 1;
        });
    }"""
    priya.evaluate(heard, pk)
    redraw = re.compile(rf"/messages/{pk}/(\?.*)?$")
    held = []

    def hold(route) -> None:  # the first redraw waits; later ones go through
        if held:
            route.continue_()
        else:
            held.append(route)

    priya.route(redraw, hold)
    library.server.shell(REPORT.format(pk=pk, status="sent"))
    priya.wait_for_function("window.changes >= 1")
    for _ in range(200):  # the redraw's request, held
        if held:
            break
        priya.wait_for_timeout(50)
    assert held, "the page did not redraw the reply on the first report"
    first = held[0]
    stale = first.fetch()  # the server's answer before the second report
    assert 'data-delivery="sent"' in stale.text()

    library.server.shell(REPORT.format(pk=pk, status="delivered"))
    priya.wait_for_function("window.changes >= 2")  # heard while the first is held
    first.fulfill(response=stale)

    priya.locator(f"#msg-{pk} [data-delivery='delivered']").wait_for(timeout=15_000)


def test_a_delivery_report_that_comes_while_its_redrawn_message_settles_is_not_lost(
    library,  # noqa: F811
    new_page,
):
    """htmx sets a swapped-in element's triggers up only when it settles: an event
    told between the swap and that moment reaches neither the replaced element nor
    the new one. The settling is made long here, and the second report comes in it."""
    priya = new_page(width=1600, height=900)
    library.sign_in(priya, library.priya)
    library.open_inbox(priya)
    row(priya, "Grace Okoye").locator(".conv-link").click()
    priya.wait_for_function("document.body.dataset.live === 'on'")
    reply = priya.locator(".msg-reply", has_text="that made our week")
    pk = int(reply.get_attribute("data-id"))
    priya.evaluate(
        """(pk) => {
            htmx.config.defaultSettleDelay = 4000;
            window.changes = 0;
            document.body.addEventListener("message:changed", (e) => {
                if (e.detail.message === pk) window.changes += 1;
            });
            document.getElementById("msg-" + pk).dataset.before = "yes";
        }""",
        pk,
    )
    library.server.shell(REPORT.format(pk=pk, status="failed"))
    # The redraw is swapped in (the old element is gone) and is still settling.
    priya.wait_for_function(f"!document.getElementById('msg-{pk}').dataset.before")
    priya.locator(
        f"#msg-{pk}[data-delivery='failed'], #msg-{pk} [data-delivery='failed']"
    ).wait_for()
    library.server.shell(REPORT.format(pk=pk, status="delivered"))
    priya.wait_for_function("window.changes >= 2")
    priya.locator(f"#msg-{pk} [data-delivery='delivered']").wait_for(timeout=15_000)
