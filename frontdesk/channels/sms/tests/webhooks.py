"""Fixtures for SMS tests, loaded with `pytest_plugins`: `sms_hooks` (an SMS channel
whose webhooks Twilio reaches on the live server) and `receive_sms` (intake at a set
time, without HTTP)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from frontdesk.channels.sms.models import SmsChannelConfig
from frontdesk.channels.sms.tests.phone import CUSTOMER, SmsHooks
from frontdesk.connectors import base
from frontdesk.demo.twilio.standin import new_sid
from frontdesk.inbox.intake import store_inbound_event
from frontdesk.inbox.models import Channel, Conversation, Message


@pytest.fixture
def sms_hooks(live_server, settings, make_sms_channel, twilio_api, cast):
    """An SMS channel in Riverside (Maya on duty) whose webhooks Twilio reaches at the
    live server; the public base URL is the live server's own address."""
    settings.PUBLIC_BASE_URL = live_server.url
    channel = make_sms_channel()
    SmsChannelConfig.objects.filter(channel=channel).update(on_duty=cast["agent"])
    return SmsHooks(standin=twilio_api, base_url=live_server.url, channel=channel)


@pytest.fixture
def receive_sms(django_capture_on_commit_callbacks):
    """Store a text on an SMS channel through intake, as the webhook would, at an
    explicit time, running every after-commit step; returns its conversation."""

    def run(
        channel: Channel,
        body: str,
        *,
        from_: str = CUSTOMER,
        at: datetime | None = None,
    ) -> Conversation:
        event = base.InboundEvent(
            channel_kind="sms",
            provider_message_id=new_sid("SM"),
            sender_kind="phone",
            sender_address=from_,
            body=body,
            received_at=at or timezone.now(),
            raw={"Body": body, "From": from_},
        )
        with django_capture_on_commit_callbacks(execute=True):
            row, _ = store_inbound_event(channel, event)
        return Message.objects.select_related("conversation").get(inbound_event=row).conversation

    return run
