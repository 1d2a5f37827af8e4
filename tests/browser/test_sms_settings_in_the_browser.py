"""Settings → Channels in Chromium: the demo owner connects a Twilio number, tunes it,
and prints the "Text us" poster, against a real `frontdesk serve`."""

from __future__ import annotations

import io
import re

import pytest

from frontdesk.demo.core import DEMO_LOGIN
from tests.browser.test_signin_and_home import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.system]

NUMBER = "555 010 4466"  # not a number the demo itself uses


def test_the_owner_connects_a_number_and_prints_the_poster(frontdesk_server, new_page, screenshot):
    import zxingcpp
    from PIL import Image

    page = new_page()
    sign_in(page, frontdesk_server.base_url, *DEMO_LOGIN)
    page.wait_for_url(re.compile(r"/w/riverside/$"))
    page.goto(f"{frontdesk_server.base_url}/w/riverside/settings/")
    page.get_by_role("link", name=re.compile("^Channels")).click()
    page.wait_for_url(re.compile(r"/settings/channels/$"))
    assert page.get_by_role("heading", name="Your channels").is_visible()
    page.get_by_role("link", name="Add a text-message number").first.click()

    # A mistake first: explained, and what was typed is kept (except the token).
    page.get_by_label("Name").fill("Front desk texts")
    page.get_by_label("Phone number").fill(NUMBER)
    page.get_by_label("Twilio Account SID").fill("AC123")
    page.get_by_label("Auth Token").fill("0123456789abcdef0123456789abcdef")
    page.get_by_role("button", name="Connect the number").click()
    assert page.get_by_text("34 expected").is_visible()
    assert page.get_by_label("Name").input_value() == "Front desk texts"
    assert page.get_by_label("Auth Token").input_value() == ""

    page.get_by_label("Twilio Account SID").fill("AC" + "0123456789abcdef" * 2)
    page.get_by_label("Auth Token").fill("0123456789abcdef0123456789abcdef")
    page.get_by_role("button", name="Connect the number").click()
    page.wait_for_url(re.compile(r"/settings/channels/sms/\d+/#connect$"))
    assert page.get_by_role("heading", level=1, name="Front desk texts").is_visible()
    inbound = page.locator("#hook-inbound").input_value()
    assert re.match(r"^https?://.+/hooks/sms/[\w-]{24,}/$", inbound)

    # The live preview names the chosen member of staff as it is typed (htmx).
    page.get_by_label("Staff member named").select_option(label="Priya Shah")
    page.get_by_label("Acknowledgement (open hours)").fill(
        "Hello! {staff_first_name} at {workspace} will text you back."
    )
    preview = page.locator("#reply-preview")
    preview.get_by_text("Hello! Priya at Riverside Public Library will text you back.").wait_for()

    # A keyword, with its live character count.
    page.get_by_label("Keyword", exact=True).fill("hours")
    page.locator("#id_reply").fill("Open 9–8 Mon–Sat. " * 10)
    page.locator("#id_reply_length").get_by_text(
        re.compile(r"^180 / 1,600 characters · 3 texts")
    ).wait_for()
    page.get_by_role("button", name="Add keyword").click()
    page.wait_for_url(re.compile(r"#keywords$"))
    assert page.locator(".keyword-word", has_text="HOURS").is_visible()

    page.get_by_label("Continue a conversation for").select_option("6")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"#options$"))
    assert page.get_by_label("Continue a conversation for").input_value() == "6"
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "sms-channel")

    # The poster, as a PNG picture: the QR code opens the workspace's contact form.
    page.get_by_label("PNG picture").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download poster").click()
    download = info.value
    assert download.suggested_filename == "text-us-riverside-letter.png"
    data = download.path().read_bytes()
    image = Image.open(io.BytesIO(data))
    decoded = [r.text for r in zxingcpp.read_barcodes(image)]
    assert len(decoded) == 1 and decoded[0].endswith("/f/riverside/")
    from tests.browser.conftest import SCREENSHOTS

    (SCREENSHOTS / "poster-riverside-a4.png").write_bytes(data)

    channel_url = page.url.split("#")[0]
    page.goto(f"{frontdesk_server.base_url}/w/riverside/settings/channels/")
    assert page.get_by_role("link", name="Front desk texts").is_visible()
    screenshot(page, "channels")

    # The same page on a phone: nothing wider than the screen.
    phone = new_page(width=390, height=844)
    sign_in(phone, frontdesk_server.base_url, *DEMO_LOGIN)
    phone.wait_for_url(re.compile(r"/w/riverside/$"))
    phone.goto(channel_url)
    assert phone.get_by_role("heading", level=1, name="Front desk texts").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "sms-channel-phone")
