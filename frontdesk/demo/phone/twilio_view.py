"""The demo's Twilio: `TwilioStandIn` (demo/twilio/standin.py) behind a Django view.

The stand-in keeps its state in memory, but the demo's web server is several
processes and the worker another, so each request gets a fresh stand-in rebuilt
from the database (the account of the URL, from the SMS channels that use it, and
the texts already sent from it, so listing and fetching messages work as at Twilio),
and whatever it recorded is stored back as `SimulatedText` rows. Like Twilio, it
then reports delivery: a signed status callback, POSTed by the worker (a Huey task)
to the StatusCallback URL the adapter gave.
"""

from __future__ import annotations

import functools
import logging
import re
from datetime import UTC

import httpx
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from frontdesk.channels.sms.models import SmsChannelConfig
from frontdesk.demo.models import SimulatedText, TextDirection, TextStatus
from frontdesk.demo.twilio.standin import API_VERSION, Response, StandInMessage, TwilioStandIn

logger = logging.getLogger(__name__)

ACCOUNT_IN_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>AC[0-9a-fA-F]{{32}})/")
# How many earlier texts of an account the stand-in is rebuilt with (for listings).
HISTORY = 500


def standin_url() -> str:
    return settings.PUBLIC_BASE_URL + "/demo/twilio"


def _configs(account_sid: str) -> list[SmsChannelConfig]:
    return list(
        SmsChannelConfig.objects.filter(account_sid=account_sid, channel__kind="sms")
        .select_related("channel")
        .order_by("id")
    )


def _as_message(text: SimulatedText, account_sid: str) -> StandInMessage:
    moment = text.created_at.astimezone(UTC)
    return StandInMessage(
        sid=text.sid,
        account_sid=account_sid,
        to=text.phone,
        from_=text.channel_number,
        body=text.body,
        status="delivered" if text.status == TextStatus.DELIVERED else "sent",
        status_callback=text.status_callback or None,
        date_created=moment,
        date_sent=moment,
        date_updated=moment,
    )


def standin_for(account_sid: str) -> tuple[TwilioStandIn, list[SmsChannelConfig]]:
    """A stand-in holding one account (as the SMS channels using it know it) and the
    texts it sent before."""
    configs = _configs(account_sid)
    standin = TwilioStandIn(base_url=standin_url())
    if not configs:
        return standin, configs
    standin.add_account(account_sid, configs[0].auth_token)
    for config in configs:
        if config.messaging_service_sid:
            standin.add_messaging_service([config.phone_number], sid=config.messaging_service_sid)
    sent = SimulatedText.objects.filter(
        channel__in=[c.channel for c in configs], direction=TextDirection.TO_PHONE
    ).order_by("-created_at", "-id")[:HISTORY]
    standin.messages.extend(_as_message(text, account_sid) for text in reversed(sent))
    return standin, configs


def _config_of(message: StandInMessage, configs: list[SmsChannelConfig]) -> SmsChannelConfig:
    for config in configs:
        if message.messaging_service_sid and message.messaging_service_sid == (
            config.messaging_service_sid
        ):
            return config
        if message.from_ and message.from_ == config.phone_number:
            return config
    return configs[0]


def record_sent_text(
    config: SmsChannelConfig, message: StandInMessage, *, status: str = TextStatus.SENDING
) -> SimulatedText:
    """Store a text the stand-in took from the workspace, as the phone will show it."""
    return SimulatedText.objects.create(
        workspace_id=config.workspace_id,
        channel_id=config.channel_id,
        direction=TextDirection.TO_PHONE,
        phone=message.to,
        channel_number=message.from_ or config.phone_number,
        body=message.body,
        sid=message.sid,
        status=status,
        status_callback=message.status_callback or "",
    )


def handle(request: HttpRequest, path: str) -> Response:
    """Answer one REST call to the demo's Twilio and keep what it sent."""
    full_path = "/" + path
    match = ACCOUNT_IN_PATH.match(full_path)
    standin, configs = standin_for(match["account"]) if match else (TwilioStandIn(), [])
    known = len(standin.messages)
    response = standin.handle(
        request.method or "GET",
        full_path,
        request.META.get("QUERY_STRING", ""),
        dict(request.headers.items()),
        request.body,
    )
    for message in standin.messages[known:]:
        with transaction.atomic():
            # Without a StatusCallback nobody hears of the delivery: it simply arrived.
            status = TextStatus.SENDING if message.status_callback else TextStatus.DELIVERED
            text = record_sent_text(_config_of(message, configs), message, status=status)
            if text.status_callback:
                transaction.on_commit(functools.partial(_enqueue_status, text.pk))
        logger.info("demo twilio took a text", extra={"text": text.pk, "sid": message.sid})
    return response


def _enqueue_status(text_id: int) -> None:
    from frontdesk.demo.phone import tasks

    tasks.report_delivery(text_id)


def report_delivery(text_id: int) -> SimulatedText | None:
    """POST the signed "delivered" status callback for a text the workspace sent, as
    Twilio does once the handset has it; record whether the workspace took it."""
    claimed = SimulatedText.objects.filter(
        pk=text_id, direction=TextDirection.TO_PHONE, status=TextStatus.SENDING
    ).exclude(status_callback="")
    text = claimed.select_related("channel").first()
    if text is None:
        return None
    config = SmsChannelConfig.objects.get(channel_id=text.channel_id)
    standin = TwilioStandIn(base_url=standin_url())
    standin.add_account(config.account_sid, config.auth_token)
    standin.messages.append(_as_message(text, config.account_sid))
    try:
        response = standin.deliver_status_callback(text.sid, "delivered")
    except httpx.HTTPError as exc:
        status, detail = TextStatus.FAILED, f"Status callback failed: {type(exc).__name__}"
    else:
        ok = response.is_success
        status = TextStatus.DELIVERED if ok else TextStatus.FAILED
        detail = "" if ok else f"The status callback answered {response.status_code}."
    SimulatedText.objects.filter(pk=text.pk, status=TextStatus.SENDING).update(
        status=status, detail=detail
    )
    text.refresh_from_db()
    return text
