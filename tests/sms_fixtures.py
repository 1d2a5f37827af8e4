"""SMS fixtures for every test (root conftest.py loads this plugin): a loopback Twilio
stand-in, and SMS channels whose accounts live on it.

`twilio_api` is a fresh `TwilioStandIn` served over HTTP (one server per run), with
CONNECTOR_BASE_URLS["twilio"] pointing the SDK at it. `make_sms_channel(...)` creates
an SMS channel in Riverside whose Twilio account exists on that stand-in.
"""

from __future__ import annotations

import pytest

from frontdesk.demo.twilio.server import TwilioServer


@pytest.fixture(scope="session")
def _twilio_server():
    with TwilioServer() as server:
        yield server


@pytest.fixture
def twilio_api(_twilio_server, settings):
    standin = _twilio_server.reset()
    settings.CONNECTOR_BASE_URLS = {**settings.CONNECTOR_BASE_URLS, "twilio": _twilio_server.url}
    # Parts of a long reply retry inline; tests need not wait between tries.
    settings.SMS_PART_RETRY_PAUSE_SECONDS = 0
    yield standin
    standin.wake()


@pytest.fixture
def make_sms_channel(riverside, twilio_api):
    """Create an SMS channel (and its SmsChannelConfig) with an account on the stand-in."""
    from frontdesk.channels.sms.models import SmsChannelConfig
    from frontdesk.inbox.models import Channel

    def make(
        *,
        workspace=None,
        name: str = "Front desk texts",
        phone_number: str = "+15017122661",
        messaging_service_sid: str = "",
        pool: tuple[str, ...] = (),
        settings: dict | None = None,
    ) -> Channel:
        workspace = workspace or riverside
        account_sid, token = twilio_api.add_account()
        if pool:
            messaging_service_sid = twilio_api.add_messaging_service(
                pool, sid=messaging_service_sid or None
            )
        channel = Channel.objects.create(
            workspace=workspace, kind="sms", name=name, settings=settings or {}
        )
        SmsChannelConfig.objects.create(
            workspace=workspace,
            channel=channel,
            phone_number=phone_number,
            account_sid=account_sid,
            auth_token=token,
            messaging_service_sid=messaging_service_sid,
        )
        return channel

    return make
