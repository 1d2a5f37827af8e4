"""Sending through TwilioProvider: the twilio SDK over loopback HTTP to the stand-in.

No mocks: the SDK's requests reach `TwilioStandIn` through a real socket, and the
assertions read what the stand-in received (the form Twilio would have got).
"""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime, timedelta

import pytest

from frontdesk.connectors.base import ConnectorError
from frontdesk.connectors.sms.providers import SmsAccount, get_provider

CUSTOMER = "+15035550123"
CALLBACK = "https://desk.riverside.example/hooks/sms/key/status/"

twilio = get_provider("twilio")


@pytest.fixture
def account(twilio_api) -> SmsAccount:
    sid, token = twilio_api.add_account()
    return SmsAccount("twilio", sid, token, "+15017122661")


def error_of(account: SmsAccount, to: str = CUSTOMER) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        twilio.send(account, to=to, body="Hello", status_callback=None)
    return caught.value


def test_a_text_goes_from_the_channels_number(twilio_api, account):
    result = twilio.send(account, to=CUSTOMER, body="See you Sunday!", status_callback=CALLBACK)
    [sent] = twilio_api.messages
    assert re.fullmatch(r"SM[0-9a-f]{32}", result.provider_message_id)
    assert result.provider_message_id == sent.sid
    assert result.status == "queued"  # Twilio answers "queued": it has taken it
    create = next(r for r in twilio_api.requests if r.method == "POST")
    assert create.path == f"/2010-04-01/Accounts/{account.account_sid}/Messages.json"
    assert create.form == {
        "To": [CUSTOMER],
        "Body": ["See you Sunday!"],
        "From": ["+15017122661"],
        "StatusCallback": [CALLBACK],
    }
    assert create.headers["authorization"].startswith("Basic ")
    assert "Frontdesk/" in create.headers["user-agent"]


def test_a_messaging_service_sends_instead_of_the_number(twilio_api):
    sid, token = twilio_api.add_account()
    service = twilio_api.add_messaging_service(["+15017122662", "+15017122663"])
    account = SmsAccount("twilio", sid, token, "+15017122661", messaging_service_sid=service)
    result = twilio.send(account, to=CUSTOMER, body="Hi", status_callback=None)
    [sent] = twilio_api.messages
    assert sent.form == {"To": [CUSTOMER], "Body": ["Hi"], "MessagingServiceSid": [service]}
    assert result.status == "queued"  # Twilio's "accepted"
    assert sent.from_ == "+15017122662"  # the pool picked the sender


def test_no_status_callback_is_sent_when_none_is_given(twilio_api, account):
    twilio.send(account, to=CUSTOMER, body="Hi", status_callback=None)
    assert "StatusCallback" not in twilio_api.messages[0].form


def test_a_503_is_temporary_and_the_next_try_sends_once(twilio_api, account):
    twilio_api.fail_next(503)
    error = error_of(account)
    assert not error.permanent
    assert error.code == "20503"
    assert "will try again" in error.message
    assert twilio_api.messages == []
    twilio.send(account, to=CUSTOMER, body="Hello", status_callback=None)
    assert [m.body for m in twilio_api.messages] == ["Hello"]


def test_a_rate_limit_is_temporary(twilio_api, account):
    twilio_api.fail_next(429)
    error = error_of(account)
    assert (error.permanent, error.code) == (False, "20429")
    assert "rate-limiting" in error.message


def test_an_invalid_number_is_permanent_and_says_so(twilio_api, account):
    error = error_of(account, to="+1555")
    assert (error.permanent, error.code) == (True, "21211")
    assert error.message == "This is not a valid phone number."


def test_a_recipient_who_replied_stop_at_the_carrier_is_permanent(twilio_api, account):
    twilio_api.unsubscribe(CUSTOMER)
    error = error_of(account)
    assert (error.permanent, error.code) == (True, "21610")
    assert "opted out" in error.message


def test_an_unknown_4xx_error_quotes_twilio(twilio_api, account):
    twilio_api.refuse(CUSTOMER, code=21999, message="Something unusual")
    error = error_of(account)
    assert (error.permanent, error.code) == (True, "21999")
    assert error.message == "Twilio refused to send the text: Something unusual (error 21999)."


def test_wrong_credentials_are_permanent(twilio_api, account):
    wrong = SmsAccount("twilio", account.account_sid, "not-the-token", account.phone_number)
    error = error_of(wrong)
    assert (error.permanent, error.code) == (True, "20003")
    assert "Auth Token" in error.message


def test_a_timeout_is_temporary(twilio_api, account, settings):
    settings.SMS_API_TIMEOUT_SECONDS = 0.3
    twilio_api.stall_next(10)
    error = error_of(account)
    assert (error.permanent, error.code) == (False, "timeout")
    assert twilio_api.messages == []


def test_an_unreachable_twilio_is_temporary(account, settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CONNECTOR_BASE_URLS = {"twilio": f"http://127.0.0.1:{port}"}
    error = error_of(account)
    assert (error.permanent, error.code) == (False, "network")


def test_find_sent_finds_a_text_twilio_already_has(twilio_api, account):
    since = datetime.now(UTC) - timedelta(seconds=1)
    first = twilio.send(account, to=CUSTOMER, body="Your hold is ready", status_callback=None)
    twilio.send(account, to="+15035550999", body="Your hold is ready", status_callback=None)
    found = twilio.find_sent(account, to=CUSTOMER, body="Your hold is ready", since=since)
    assert found is not None
    assert found.provider_message_id == first.provider_message_id
    listing = next(r for r in twilio_api.requests if r.method == "GET")
    assert listing.query["To"] == [CUSTOMER]
    assert listing.query["DateSent>"] == [since.strftime("%Y-%m-%dT%H:%M:%SZ")]


def test_find_sent_is_none_for_another_body_or_an_older_text(twilio_api, account):
    twilio.send(account, to=CUSTOMER, body="Your hold is ready", status_callback=None)
    now = datetime.now(UTC)
    assert twilio.find_sent(account, to=CUSTOMER, body="Other", since=now - timedelta(1)) is None
    later = now + timedelta(minutes=5)
    assert twilio.find_sent(account, to=CUSTOMER, body="Your hold is ready", since=later) is None


def test_find_sent_ignores_texts_from_another_number_of_the_account(twilio_api, account):
    other = SmsAccount("twilio", account.account_sid, account.auth_token, "+15017129999")
    twilio.send(other, to=CUSTOMER, body="Same words", status_callback=None)
    since = datetime.now(UTC) - timedelta(minutes=1)
    assert twilio.find_sent(account, to=CUSTOMER, body="Same words", since=since) is None


def test_find_sent_sees_a_text_twilio_still_queues(twilio_api, account):
    # Not yet handed to the carrier: no DateSent, so only the newest page shows it.
    twilio_api.send_immediately = False
    result = twilio.send(account, to=CUSTOMER, body="Queued", status_callback=None)
    since = datetime.now(UTC) - timedelta(minutes=1)
    found = twilio.find_sent(account, to=CUSTOMER, body="Queued", since=since)
    assert found is not None
    assert (found.provider_message_id, found.status) == (result.provider_message_id, "queued")


def test_find_sent_when_twilio_is_down_is_a_temporary_error(twilio_api, account):
    twilio_api.fail_next(500, on="list")
    with pytest.raises(ConnectorError) as caught:
        twilio.find_sent(account, to=CUSTOMER, body="x", since=datetime.now(UTC))
    assert not caught.value.permanent
