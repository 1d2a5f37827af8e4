"""Issue 20's layout leftovers in Chromium: at 1366 px an opened About panel leaves the
thread its width (it takes the conversation list's place), and at 390 px the
composer's "Send by" shows the whole choice."""

from __future__ import annotations

import pytest

from tests.browser.test_issue20_layout_and_senders import (  # noqa: F401 - fixtures
    box,
    library,
    open_conversation,
    overlaps,
)

pytestmark = [pytest.mark.browser, pytest.mark.system]


def test_about_at_1366_takes_the_lists_place_not_the_threads(library, new_page, screenshot):  # noqa: F811
    page = new_page(width=1366, height=768)
    library.sign_in(page, library.sam)
    open_conversation(page, library, library.numbers["isabel"])
    thread = page.locator(".conv-thread")
    before = box(thread)["width"]
    page.locator(".profile-toggle").click()
    panel = page.locator("#conv-profile")
    panel.wait_for(state="visible")
    screenshot(page, "issue20-about-open-1366x768")
    after = box(thread)["width"]
    # The thread keeps (at least) the width it had: the list made room, not the thread.
    assert after >= before
    assert not page.locator("#inbox-list").is_visible()
    assert not overlaps(box(panel), box(page.locator("#composer")))
    # Closed again: the list is back and the panel gone.
    page.locator(".profile-toggle").click()
    page.locator("#inbox-list").wait_for(state="visible")
    assert not panel.is_visible()


def test_send_by_shows_the_whole_choice_at_390(library, new_page, screenshot):  # noqa: F811
    page = new_page(width=390, height=844)
    library.sign_in(page, library.sam)
    open_conversation(page, library, library.numbers["isabel"])
    choice = page.locator("#composer-channel")
    choice.wait_for(state="visible")
    screenshot(page, "issue20-send-by-390x844")
    label = page.locator("label[for=composer-channel]")
    assert box(label)["x"] >= 0 and box(label)["x"] + box(label)["width"] <= 390
    chosen = box(choice)
    assert chosen["x"] >= 0 and chosen["x"] + chosen["width"] <= 390
    # The selected option's words fit in the box (text width measured in its own font,
    # beside the room the box leaves for them: its padding and the arrow).
    room, needed = page.evaluate(
        """() => {
          const select = document.querySelector('#composer-channel');
          const style = getComputedStyle(select);
          const context = document.createElement('canvas').getContext('2d');
          context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
          const text = select.options[select.selectedIndex].text;
          const room = select.clientWidth - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight);
          return [room, context.measureText(text).width];
        }"""
    )
    assert needed <= room, (needed, room)
