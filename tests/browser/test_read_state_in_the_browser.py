"""Per-person read state in Chromium against a real `frontdesk serve`: bold rows for
what the customer wrote since I last opened it, updated live."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_inbox_in_the_browser import EMAILS, library, row  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.system]


def test_new_customer_activity_turns_rows_bold_live_until_opened(library, new_page, screenshot):  # noqa: F811
    sam = new_page()
    library.sign_in(sam, library.sam)
    library.open_inbox(sam)
    # Everything seeded was written before Sam joined: nothing is unread for him.
    assert sam.locator(".conv-row.is-unread").count() == 0

    library.customer_writes("Ana Lopez", "ana.lopez@example.org", "Do you lend telescopes?")
    library.customer_writes("Ben Carter", EMAILS["Ben Carter"], "Found my card, never mind!")

    # Both rows turn bold with the dot, without a reload.
    ana, ben = row(sam, "Ana Lopez"), row(sam, "Ben Carter")
    ana.wait_for()
    sam.wait_for_function(
        "[...document.querySelectorAll('.conv-row.is-unread .conv-name')]"
        ".map(n => n.textContent).sort().join() === 'Ana Lopez,Ben Carter'"
    )
    assert ben.locator(".unread-dot").count() == 1
    screenshot(sam, "inbox-unread")

    # The Unread filter shows just those two.
    sam.get_by_role("link", name="Unread", exact=True).click()
    sam.wait_for_url(re.compile(r"unread=1"))
    names = sorted(sam.locator(".conv-row .conv-name").all_inner_texts())
    assert names == ["Ana Lopez", "Ben Carter"]

    # Opening Ben's conversation reads it; back on the list only Ana is bold.
    row(sam, "Ben Carter").locator(".conv-link").click()
    sam.wait_for_url(re.compile(r"/inbox/\d+/"))
    sam.wait_for_function("document.body.dataset.live === 'on'")
    library.open_inbox(sam)
    assert sam.locator(".conv-row.is-unread .conv-name").all_inner_texts() == ["Ana Lopez"]
