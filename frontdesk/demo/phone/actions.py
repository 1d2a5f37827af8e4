"""The demo phone's writes: a customer's text sent the way Twilio delivers one, and
the workspace's texts recorded as the phone receives them.

Twilio's inbound webhook (https://www.twilio.com/docs/messaging/guides/webhook-request):
a form-encoded POST of MessageSid/SmsSid (SM + 32 hex), AccountSid, From, To, Body,
NumMedia, NumSegments, ApiVersion ... to the number's webhook URL, signed in
X-Twilio-Signature: base64 HMAC-SHA1, keyed with the auth token, of the full URL
followed by every parameter name and value in name order. The simulator builds
exactly that, signs it with the twilio package's own `RequestValidator`, and POSTs
it over HTTP to the channel's public webhook URL, from the worker (a web process
must never wait on a request to its own server: with one worker thread it would
wait forever). Status callbacks (https://www.twilio.com/docs/messaging/guides/
track-outbound-message-status) are signed and posted the same way.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping

import httpx
import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from twilio.request_validator import RequestValidator

from frontdesk.channels.sms.models import SmsChannelConfig
from frontdesk.connectors import http
from frontdesk.core.models import IdentityKind, normalise_identity
from frontdesk.demo.models import SimulatedText, TextDirection, TextStatus

logger = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
TEXT_MAX_LENGTH = 1600  # Twilio's limit for one message body
# Twilio's webhook requests name themselves so; a library's logs then read the same.
TWILIO_USER_AGENT = "TwilioProxy/1.1"


# Twilio answers these itself (https://help.twilio.com/articles/223134027), before
# and whatever the number's webhook does.
TWILIO_OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
TWILIO_OPT_OUT_CONFIRMATION = (
    "You have successfully been unsubscribed. You will not receive any more messages "
    "from this number. Reply START to resubscribe."
)


class PhoneError(Exception):
    """Something the person at the simulated phone can fix (shown on the page)."""


def new_sid(prefix: str = "SM") -> str:
    return prefix + secrets.token_hex(16)


def phone_number(value: str) -> str:
    """A phone number as E.164, or PhoneError saying why not."""
    try:
        return normalise_identity(IdentityKind.PHONE, value, default_country="US")
    except ValidationError as exc:
        raise PhoneError(" ".join(exc.messages)) from None


def _country(number: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number, None)) or ""
    except phonenumbers.NumberParseException:
        return ""


def segments(body: str) -> int:
    """How many SMS parts a body takes: 160 GSM characters alone, 153 when split; 70
    and 67 once any character needs UCS-2 (an emoji, a curly quote)."""
    gsm = all(ord(char) < 128 for char in body)
    single, part = (160, 153) if gsm else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // part)


def inbound_form(config: SmsChannelConfig, *, phone: str, body: str, sid: str) -> dict[str, str]:
    """The form Twilio POSTs to a number's webhook when `phone` texts it."""
    form = {
        "ToCountry": _country(config.phone_number),
        "ToState": "",
        "ToCity": "",
        "ToZip": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "FromCountry": _country(phone),
        "FromState": "",
        "FromCity": "",
        "FromZip": "",
        "To": config.phone_number,
        "NumSegments": str(segments(body)),
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": config.account_sid,
        "From": phone,
        "ApiVersion": API_VERSION,
    }
    if config.messaging_service_sid:
        form["MessagingServiceSid"] = config.messaging_service_sid
    return form


def webhook_url(config: SmsChannelConfig) -> str:
    """The channel's inbound webhook as Twilio calls it: the public URL, which is also
    the URL the signature covers."""
    return settings.PUBLIC_BASE_URL + reverse("sms:inbound", kwargs={"key": config.webhook_key})


def signature(auth_token: str, url: str, form: Mapping[str, str]) -> str:
    signed: str = RequestValidator(auth_token).compute_signature(url, dict(form))
    return signed


@transaction.atomic
def send_text(config: SmsChannelConfig, *, phone: str, body: str) -> SimulatedText:
    """Record a text from the simulated `phone` to the channel and have the worker
    deliver it to the channel's webhook (after commit). Raises PhoneError for an
    unusable number or body."""
    phone = phone_number(phone)
    body = (body or "").strip()
    if not body:
        raise PhoneError("Type a message first.")
    if len(body) > TEXT_MAX_LENGTH:
        raise PhoneError(f"A text can be at most {TEXT_MAX_LENGTH:,} characters.")
    if phone == config.phone_number:
        raise PhoneError("That is the library's own number: text from another one.")
    text = SimulatedText.objects.create(
        workspace_id=config.workspace_id,
        channel_id=config.channel_id,
        direction=TextDirection.TO_LIBRARY,
        phone=phone,
        channel_number=config.phone_number,
        body=body,
        sid=new_sid(),
    )
    transaction.on_commit(lambda: _enqueue_inbound(text.pk))
    return text


def _enqueue_inbound(text_id: int) -> None:
    from frontdesk.demo.phone import tasks

    tasks.post_simulated_text(text_id)


def _post_signed(url: str, form: Mapping[str, str], auth_token: str) -> httpx.Response:
    headers = {
        "X-Twilio-Signature": signature(auth_token, url, form),
        "User-Agent": TWILIO_USER_AGENT,
        # Twilio names each webhook attempt; a retry carries the same token.
        "I-Twilio-Idempotency-Token": secrets.token_hex(16),
    }
    with http.client("demo-phone", base_url=url, headers=headers) as client:
        return client.post(url, data=dict(form))


def deliver_inbound(text_id: int) -> SimulatedText | None:
    """POST a phone's text to its channel's webhook, signed; record what the webhook
    answered (delivered on 2xx, else failed with the status). Runs once per text."""
    claimed = SimulatedText.objects.filter(
        pk=text_id, direction=TextDirection.TO_LIBRARY, status=TextStatus.SENDING, detail=""
    ).update(detail="posting")
    if not claimed:
        return None
    text = SimulatedText.objects.select_related("channel").get(pk=text_id)
    config = SmsChannelConfig.objects.get(channel_id=text.channel_id)
    form = inbound_form(config, phone=text.phone, body=text.body, sid=text.sid)
    url = webhook_url(config)
    try:
        response = _post_signed(url, form, config.auth_token)
    except httpx.HTTPError as exc:
        status, detail = TextStatus.FAILED, f"Could not reach {url}: {type(exc).__name__}"
    else:
        if response.is_success:
            status, detail = TextStatus.DELIVERED, ""
        else:
            status, detail = TextStatus.FAILED, f"The webhook answered {response.status_code}."
    SimulatedText.objects.filter(pk=text.pk).update(status=status, detail=detail[:255])
    logger.info("simulated text posted", extra={"text": text.pk, "status": status})
    text.refresh_from_db()
    if status == TextStatus.DELIVERED and text.body.strip().upper() in TWILIO_OPT_OUT_KEYWORDS:
        _confirm_opt_out(text)
    return text


def _confirm_opt_out(text: SimulatedText) -> None:
    """What Twilio itself texts back to STOP (its Advanced Opt-Out default), which the
    library's own reply never repeats: the phone shows it like any received text."""
    SimulatedText.objects.create(
        workspace_id=text.workspace_id,
        channel_id=text.channel_id,
        direction=TextDirection.TO_PHONE,
        phone=text.phone,
        channel_number=text.channel_number,
        body=TWILIO_OPT_OUT_CONFIRMATION,
        sid=new_sid(),
        status=TextStatus.DELIVERED,
    )
