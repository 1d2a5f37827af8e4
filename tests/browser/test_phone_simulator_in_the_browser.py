"""The demo's whole SMS loop in Chromium, on `frontdesk serve` in demo mode.

A visitor texts the Riverside library from the demo phone; the text goes through the
signed Twilio webhook into the inbox; Maya, signed in in another browser, answers;
her reply leaves through the adapter to the demo's Twilio stand-in and arrives on
the phone signed with her first name.
"""

from __future__ import annotations

import re

import pytest

from tests.system.demo_server import serve_demo

pytestmark = [pytest.mark.browser, pytest.mark.system]

QUESTION = "Is the library open on Sunday?"
ANSWER = "Hi! Yes, we're open 1 to 5 this Sunday. The book sale starts at 2."


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with serve_demo(tmp_path_factory.mktemp("phone-demo")) as server:
        yield server


def sign_in_as_maya(page, demo) -> None:
    page.goto(f"{demo.base_url}/login/")
    page.get_by_role("link", name=re.compile("text the library", re.I)).wait_for()
    page.get_by_label("Email").fill(demo.email)
    page.get_by_label("Password").fill(demo.password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/w/riverside/$"))


def test_a_customer_texts_from_the_demo_phone_and_maya_answers(demo, new_page, screenshot):
    phone = new_page(width=390, height=844)
    phone.goto(f"{demo.base_url}/demo/phone/?from=%2B15550100171")
    phone.get_by_text("Riverside Public Library").first.wait_for()
    phone.get_by_label("Text message").fill(QUESTION)
    phone.get_by_role("button", name="Send").click()
    phone.locator(".bubble-out", has_text=QUESTION).wait_for()
    assert phone.get_by_label("Text message").input_value() == ""
    # The library's webhook took it (signed, like Twilio's), then acknowledged it.
    phone.locator(".phone-receipt", has_text="Delivered").wait_for(timeout=60_000)
    ack = phone.locator(".bubble-in").first
    ack.wait_for(timeout=60_000)
    assert "Riverside Public Library" in ack.inner_text()

    staff = new_page(width=1440, height=900)
    sign_in_as_maya(staff, demo)
    staff.goto(f"{demo.base_url}/w/riverside/inbox/")
    # A new customer: the row is named by their number (its snippet is the newest
    # message, the automatic acknowledgement).
    conversation = staff.locator(
        ".conv-row", has=staff.locator(".conv-name", has_text=re.compile(r"010.?0171"))
    )
    conversation.locator(".conv-link").click()
    staff.wait_for_url(re.compile(r"/inbox/\d+/"))
    staff.locator(".msg-incoming", has_text=QUESTION).wait_for()
    staff.locator("#composer-body").fill(ANSWER)
    staff.keyboard.press("Control+Enter")
    reply = staff.locator(".msg-reply", has_text="book sale")
    reply.wait_for()

    # On the phone, by the page's own polling: the reply, signed with Maya's first name.
    arrived = phone.locator(".bubble-in", has_text="book sale")
    arrived.wait_for(timeout=60_000)
    assert arrived.inner_text().strip().endswith("– Maya")
    assert ANSWER in arrived.inner_text()
    # Twilio's signed delivery report reached the inbox too.
    reply.locator('[data-delivery="delivered"]').wait_for(timeout=60_000)
    staff.locator("#composer-body").blur()
    screenshot(phone, "phone-simulator-mobile")
    screenshot(staff, "phone-simulator-inbox-reply")

    desk = new_page(width=1366, height=860)
    desk.goto(f"{demo.base_url}/demo/phone/?from=%2B15550100171")
    desk.locator(".bubble-in", has_text="– Maya").wait_for()
    screenshot(desk, "phone-simulator-desktop")
