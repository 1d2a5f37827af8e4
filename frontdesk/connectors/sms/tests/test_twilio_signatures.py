"""Twilio webhook signatures, checked by TwilioProvider.verify_request.

Requests are signed with the twilio package's own `RequestValidator.compute_signature`
(what Twilio's servers compute), over the public URL Twilio called. The bodies in
fixtures/ follow Twilio's documented inbound and status-callback parameters.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from django.http import QueryDict
from twilio.request_validator import RequestValidator

from frontdesk.connectors.base import ConnectorError, InboundRequest
from frontdesk.connectors.sms.providers import SmsAccount, get_provider

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "9f2c1e7a5b3d4c6e8f0a1b2c3d4e5f60"
ACCOUNT = SmsAccount(
    provider="twilio",
    account_sid="AC0123456789abcdef0123456789abcdef",
    auth_token=TOKEN,
    phone_number="+15017122661",
)
URL = "https://desk.riverside.example/hooks/sms/k3y-Riverside_0001/"


def signed(url: str, body: bytes, *, token: str = TOKEN, signed_url: str | None = None):
    params = QueryDict(body, mutable=False)  # repeated keys signed as Twilio signs them
    signature = RequestValidator(token).compute_signature(signed_url or url, params)
    return InboundRequest(
        method="POST",
        url=url,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
        body=body,
        form=dict(parse_qsl(body.decode())),
    )


def verify(request: InboundRequest, account: SmsAccount = ACCOUNT) -> None:
    get_provider("twilio").verify_request(account, request)


def refused(request: InboundRequest, account: SmsAccount = ACCOUNT) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        verify(request, account)
    assert caught.value.permanent
    assert caught.value.code == "bad_signature"
    return caught.value


@pytest.fixture
def inbound_body() -> bytes:
    return (FIXTURES / "twilio_inbound_sms.txt").read_bytes()


def test_a_request_signed_with_the_channels_token_is_accepted(inbound_body):
    verify(signed(URL, inbound_body))


def test_a_status_callback_signed_with_the_token_is_accepted():
    verify(signed(URL + "status/", (FIXTURES / "twilio_status_delivered.txt").read_bytes()))


def test_a_changed_body_is_refused(inbound_body):
    request = signed(URL, inbound_body)
    forged = inbound_body.replace(b"Sunday", b"Monday")
    error = refused(InboundRequest("POST", URL, request.headers, forged))
    assert "does not match" in error.message


def test_a_made_up_signature_is_refused(inbound_body):
    request = InboundRequest(
        "POST", URL, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}, inbound_body
    )
    refused(request)


def test_an_unsigned_request_is_refused(inbound_body):
    error = refused(InboundRequest("POST", URL, {"Content-Type": "x"}, inbound_body))
    assert "no X-Twilio-Signature" in error.message


def test_a_request_signed_with_another_token_is_refused(inbound_body):
    refused(signed(URL, inbound_body, token="0" * 32))


def test_a_request_signed_for_another_url_is_refused(inbound_body):
    # A signature captured on one channel's URL does not open another channel's.
    request = signed(URL, inbound_body)
    other = URL.replace("k3y-Riverside_0001", "another-key")
    refused(InboundRequest("POST", other, request.headers, inbound_body))


def test_an_empty_token_never_validates(inbound_body):
    account = SmsAccount("twilio", ACCOUNT.account_sid, "", ACCOUNT.phone_number)
    refused(signed(URL, inbound_body, token="x"), account)


def test_the_query_string_is_part_of_the_signed_url(inbound_body):
    url = URL + "?source=poster&lang=es"
    verify(signed(url, inbound_body))
    request = signed(url, inbound_body)
    refused(InboundRequest("POST", URL + "?source=poster&lang=en", request.headers, inbound_body))


def test_a_url_signed_with_an_explicit_443_port_is_accepted(inbound_body):
    # Twilio sometimes signs https URLs with ":443" spelled out; our public URL has none.
    with_port = URL.replace("example/", "example:443/", 1)
    verify(signed(URL, inbound_body, signed_url=with_port))


def test_a_pooled_number_to_another_number_is_accepted(inbound_body):
    """A Messaging Service pool: `To` is a pool number, not the channel's own number.

    The channel is found by URL key and the signature covers the URL Twilio called,
    so the check must not compare `To` with the channel's number.
    """
    account = SmsAccount(
        "twilio",
        ACCOUNT.account_sid,
        TOKEN,
        "+15017122661",
        messaging_service_sid="MG9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    )
    body = inbound_body.replace(b"To=%2B15017122661", b"To=%2B15017122662") + (
        b"&MessagingServiceSid=MG9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    )
    request = signed(URL, body)
    verify(request, account)
    event = get_provider("twilio").parse_inbound(account, request)
    assert event.raw["To"] == "+15017122662"
    assert event.raw["MessagingServiceSid"] == account.messaging_service_sid


def test_repeated_parameters_are_verified_as_twilio_signs_them():
    body = b"MessageSid=SM1&From=%2B15035550123&Tag=b&Tag=a&Body=x"
    request = signed(URL, body)
    verify(request)
    # Dropping one of the repeated values breaks the signature.
    refused(InboundRequest("POST", URL, request.headers, body.replace(b"&Tag=a", b"")))


def test_a_parsed_form_is_verified_when_no_raw_body_is_given(inbound_body):
    # A view may pass Django's request.POST (a QueryDict) instead of the raw body.
    request = signed(URL, inbound_body)
    verify(InboundRequest("POST", URL, request.headers, b"", QueryDict(inbound_body)))


def test_the_signature_header_is_found_in_any_case(inbound_body):
    request = signed(URL, inbound_body)
    headers = {"x-twilio-signature": request.headers["X-Twilio-Signature"]}
    verify(InboundRequest("POST", URL, headers, inbound_body))
