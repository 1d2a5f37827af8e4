"""Reading Twilio's inbound-message webhooks and status callbacks into records."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.connectors.base import ConnectorError, InboundRequest
from frontdesk.connectors.sms.providers import SmsAccount, get_provider
from frontdesk.connectors.sms.providers.twilio import error_message

FIXTURES = Path(__file__).parent / "fixtures"
ACCOUNT = SmsAccount(
    provider="twilio",
    account_sid="AC0123456789abcdef0123456789abcdef",
    auth_token="unused-here",
    phone_number="+15017122661",
)
URL = "https://desk.riverside.example/hooks/sms/key/"


def request(body: bytes) -> InboundRequest:
    return InboundRequest("POST", URL, {}, body)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


twilio = get_provider("twilio")


def test_an_sms_becomes_an_inbound_event():
    event = twilio.parse_inbound(ACCOUNT, request(fixture("twilio_inbound_sms.txt")))
    assert event.channel_kind == "sms"
    assert event.provider_message_id == "SM5d9f1b7e0c2a4e8f9b3c6d1a2e4f6a8b"
    assert (event.sender_kind, event.sender_address) == ("phone", "+15035550123")
    assert event.body == "Hi! Is the library open on Sunday? 📚"
    assert event.attachments == ()
    assert event.raw["FromCity"] == "PORTLAND"
    assert event.received_at.tzinfo is not None


def test_an_mms_names_each_media_url_to_fetch_later():
    event = twilio.parse_inbound(ACCOUNT, request(fixture("twilio_inbound_mms.txt")))
    assert event.provider_message_id.startswith("MM")
    assert event.body == "Here's the overdue notice"
    picture, notice = event.attachments
    assert picture.url.endswith("/Media/ME1f0e2d3c4b5a69788796a5b4c3d2e1f0")
    assert (picture.content_type, picture.size, picture.data) == ("image/jpeg", 0, None)
    assert picture.filename == "ME1f0e2d3c4b5a69788796a5b4c3d2e1f0.jpg"
    assert notice.content_type == "application/pdf"
    assert notice.filename.endswith(".pdf")


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ((b"MessageSid=MM8c0d7a5b3e1f4a2c9d6b8e0f1a3c5e7d", b"MessageSid="), None),
        ((b"From=%2B15035550123", b"From="), "no From"),
        ((b"NumMedia=2", b"NumMedia=3"), "MediaUrl2 is missing"),
        ((b"NumMedia=2", b"NumMedia=two"), "NumMedia is not a number"),
        ((b"NumMedia=2", b"NumMedia=11"), "NumMedia must be 0 to 10"),
        ((b"AccountSid=AC0123456789abcdef", b"AccountSid=ACffffffffffffffff"), "another"),
    ],
)
def test_a_malformed_inbound_request_is_refused_clearly(change, complaint):
    body = fixture("twilio_inbound_mms.txt").replace(*change)
    if complaint is None:  # no MessageSid at all (nor the legacy SmsMessageSid)
        body = body.replace(b"SmsMessageSid=MM8c0d7a5b3e1f4a2c9d6b8e0f1a3c5e7d", b"")
        complaint = "no MessageSid"
    with pytest.raises(ConnectorError) as caught:
        twilio.parse_inbound(ACCOUNT, request(body))
    assert caught.value.permanent
    assert caught.value.code == "malformed"
    assert complaint in caught.value.message


def test_a_body_that_is_not_utf8_is_refused():
    with pytest.raises(ConnectorError, match="not UTF-8"):
        twilio.parse_inbound(ACCOUNT, request(b"MessageSid=SM1&From=%2B1&Body=\xff\xfe"))


def test_a_delivered_callback():
    status = twilio.parse_status(ACCOUNT, request(fixture("twilio_status_delivered.txt")))
    assert status.provider_message_id == "SM3b6e9a0c1d2f4e5a8b7c6d5e4f3a2b1c"
    assert (status.status, status.error_code, status.error_message) == ("delivered", None, None)


def test_an_undelivered_callback_says_why_in_words_staff_understand():
    status = twilio.parse_status(ACCOUNT, request(fixture("twilio_status_undelivered.txt")))
    assert status.status == "failed"
    assert status.error_code == "30006"
    assert status.error_message == "The number is a landline or cannot receive texts."


@pytest.mark.parametrize(
    ("twilio_status", "ours"),
    [
        ("queued", "sent"),
        ("sending", "sent"),
        ("sent", "sent"),
        ("accepted", "sent"),
        ("delivered", "delivered"),
        ("undelivered", "failed"),
        ("failed", "failed"),
    ],
)
def test_twilio_statuses_map_to_ours(twilio_status, ours):
    body = fixture("twilio_status_delivered.txt").replace(
        b"=delivered", f"={twilio_status}".encode()
    )
    assert twilio.parse_status(ACCOUNT, request(body)).status == ours


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("30003", "could not be reached"),
        ("30005", "Unknown number"),
        ("30006", "landline"),
        ("30007", "filtered"),
        ("30008", "unknown error"),
        ("21610", "opted out"),
        ("21211", "not a valid phone number"),
        ("30999", "Twilio error 30999"),
    ],
)
def test_error_codes_read_as_words(code, words):
    body = fixture("twilio_status_undelivered.txt").replace(
        b"ErrorCode=30006", f"ErrorCode={code}".encode()
    )
    status = twilio.parse_status(ACCOUNT, request(body))
    assert (status.status, status.error_code) == ("failed", code)
    assert words in status.error_message
    assert words in error_message(code)


def test_a_failure_without_an_error_code_still_says_something():
    body = fixture("twilio_status_undelivered.txt").replace(b"&ErrorCode=30006", b"")
    status = twilio.parse_status(ACCOUNT, request(body))
    assert (status.error_code, status.error_message) == (None, "Twilio could not deliver the text.")


def test_an_inbound_status_in_a_callback_is_refused():
    body = fixture("twilio_status_delivered.txt").replace(b"=delivered", b"=received")
    with pytest.raises(ConnectorError, match="Unknown message status 'received'"):
        twilio.parse_status(ACCOUNT, request(body))


def test_a_callback_without_a_message_sid_is_refused():
    body = b"MessageStatus=delivered&AccountSid=" + ACCOUNT.account_sid.encode()
    with pytest.raises(ConnectorError, match="no MessageSid"):
        twilio.parse_status(ACCOUNT, request(body))


def test_the_empty_reply_is_empty_twiml():
    content_type, body = twilio.empty_response()
    assert content_type == "text/xml"
    assert body == b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@pytest.mark.parametrize(
    ("sender", "kind"),
    [
        ("%2B15035550123", "phone"),
        ("72345", "short_code"),
        ("898211", "short_code"),
        ("AMAZON", "sender_id"),
        ("LIBRARY", "sender_id"),
        ("Riverside", "sender_id"),
    ],
)
def test_short_codes_and_sender_ids_are_told_from_phone_numbers(sender, kind):
    body = fixture("twilio_inbound_sms.txt").replace(
        b"From=%2B15035550123", b"From=" + sender.encode()
    )
    event = twilio.parse_inbound(ACCOUNT, request(body))
    assert event.sender_kind == kind
    assert event.sender_address == sender.replace("%2B", "+")
