"""The Twilio stand-in speaks Twilio's wire format (checked through the twilio SDK)."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from frontdesk.demo.twilio.standin import TwilioStandIn, segments

CUSTOMER = "+15035550123"


@pytest.fixture
def sdk(twilio_api, settings):
    sid, token = twilio_api.add_account()
    client = Client(sid, token, http_client=TwilioHttpClient(timeout=5))
    client.api.base_url = settings.CONNECTOR_BASE_URLS["twilio"]
    return client


def test_a_created_message_has_twilios_resource_shape(twilio_api):
    sid, token = twilio_api.add_account()
    auth = base64.b64encode(f"{sid}:{token}".encode()).decode()
    status, headers, body = twilio_api.handle(
        "POST",
        f"/2010-04-01/Accounts/{sid}/Messages.json",
        "",
        {"Authorization": f"Basic {auth}"},
        b"To=%2B15035550123&From=%2B15017122661&Body=Hello+%F0%9F%91%8B",
    )
    resource = json.loads(body)
    assert (status, headers["Content-Type"]) == (201, "application/json")
    assert resource["sid"].startswith("SM") and len(resource["sid"]) == 34
    assert (resource["status"], resource["error_code"], resource["date_sent"]) == (
        "queued",
        None,
        None,
    )
    assert resource["date_created"].endswith(" GMT")  # RFC 2822
    assert resource["num_segments"] == "1"
    assert resource["uri"] == f"/2010-04-01/Accounts/{sid}/Messages/{resource['sid']}.json"


def test_bad_credentials_get_twilios_401_error_body(twilio_api):
    sid, _ = twilio_api.add_account()
    auth = base64.b64encode(f"{sid}:wrong".encode()).decode()
    status, _, body = twilio_api.handle(
        "GET",
        f"/2010-04-01/Accounts/{sid}/Messages.json",
        "",
        {"Authorization": f"Basic {auth}"},
        b"",
    )
    assert status == 401
    assert json.loads(body) == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


def test_the_sdk_pages_through_a_filtered_list(twilio_api, sdk):
    for number in range(5):
        sdk.messages.create(to=CUSTOMER, from_="+15017122661", body=f"Text {number}")
    sdk.messages.create(to="+15035550999", from_="+15017122661", body="Someone else")
    listed = sdk.messages.list(to=CUSTOMER, page_size=2)
    assert [m.body for m in listed] == [f"Text {n}" for n in (4, 3, 2, 1, 0)]
    pages = [r for r in twilio_api.requests if r.method == "GET"]
    assert len(pages) == 3


def test_segments_count_like_carriers():
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert segments("é" * 160) == 1  # é is in the GSM-7 alphabet
    assert segments("ł" * 71) == 2  # ł is not: UCS-2, 70 per single segment


class _Catcher(BaseHTTPRequestHandler):
    caught: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.caught.append((self.path, dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_status_callbacks_are_posted_signed_as_twilio_signs_them(sdk, twilio_api):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Catcher)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        public = "https://desk.riverside.example/hooks/sms/key/status/"
        message = sdk.messages.create(
            to=CUSTOMER, from_="+15017122661", body="Hi", status_callback=public
        )
        loopback = f"http://127.0.0.1:{server.server_address[1]}/hooks/sms/key/status/"
        response = twilio_api.deliver_status_callback(
            message.sid, "undelivered", 30007, post_to=loopback
        )
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 204
    path, headers, body = _Catcher.caught[-1]
    form = dict(parse_qsl(body.decode()))
    assert path == "/hooks/sms/key/status/"
    assert form["MessageSid"] == message.sid
    assert (form["MessageStatus"], form["ErrorCode"]) == ("undelivered", "30007")
    token = twilio_api.accounts[form["AccountSid"]]
    assert RequestValidator(token).validate(public, form, headers["X-Twilio-Signature"])
    assert twilio_api.message(message.sid).status == "undelivered"


def test_an_inbound_text_form_carries_twilios_parameters():
    standin = TwilioStandIn(base_url="http://127.0.0.1:9")
    sid, _ = standin.add_account()
    form = standin.inbound_message(
        sid, from_=CUSTOMER, to="+15017122661", body="Hi", media=[("image/gif", b"GIF89a")]
    )
    assert form["MessageSid"].startswith("MM")
    assert (form["From"], form["To"], form["NumMedia"], form["AccountSid"]) == (
        CUSTOMER,
        "+15017122661",
        "1",
        sid,
    )
    assert form["MediaUrl0"].startswith(f"http://127.0.0.1:9/2010-04-01/Accounts/{sid}/Messages/")
    assert form["MediaContentType0"] == "image/gif"
