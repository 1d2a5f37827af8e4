"""Reads for the demo phone: which SMS channel a number reaches, and a phone's thread.

A phone knows nothing but numbers, so the simulator finds a channel by the number it
texts, in any workspace: this is the demo's pretend carrier, mounted only in demo mode.
"""

from __future__ import annotations

import hashlib

import phonenumbers
from django.db.models import QuerySet

from frontdesk.channels.sms.models import SmsChannelConfig
from frontdesk.demo.core import DEMO_SLUG
from frontdesk.demo.models import SimulatedText

THREAD_LIMIT = 200


def sms_channels() -> QuerySet[SmsChannelConfig]:
    """Every SMS channel a simulated phone can text, the demo library's first."""
    return (
        SmsChannelConfig.objects.filter(channel__is_active=True, channel__kind="sms")
        .select_related("channel", "workspace", "on_duty")
        .order_by("created_at", "id")
    )


def channel_for_number(number: str | None) -> SmsChannelConfig | None:
    """The channel whose number is `number`; without one, the demo library's channel."""
    channels = sms_channels()
    if number:
        return channels.filter(phone_number=number).first()
    return channels.filter(workspace__slug=DEMO_SLUG).first() or channels.first()


def phone_thread(config: SmsChannelConfig, phone: str) -> list[SimulatedText]:
    """The texts between `phone` and the channel's number, oldest first (the newest
    THREAD_LIMIT of them)."""
    texts = SimulatedText.objects.for_workspace(config.workspace).filter(
        channel=config.channel, phone=phone
    )
    newest = list(texts.order_by("-created_at", "-id")[:THREAD_LIMIT])
    return newest[::-1]


def thread_version(texts: list[SimulatedText]) -> str:
    """A short fingerprint of what the phone shows: it changes when a text arrives or a
    status changes, so the page's poll can answer "nothing new" without a body."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(f"{text.pk}:{text.status};".encode())
    return digest.hexdigest()[:16]


def pretty_number(number: str) -> str:
    """+15550104477 -> "+1 555-010-4477" (the way a phone shows a number)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
