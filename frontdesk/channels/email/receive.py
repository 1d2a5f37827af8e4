"""Stand-in for the email channel's one intake function (the channel branch's version
wins at merge). Same signature and promise: when `receive_raw` returns, the message is
durable; the same message handed over again (same Message-ID and same bytes) is
recognised and stored once per mailbox channel.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from frontdesk.connectors import base
from frontdesk.connectors.base import ConnectorError
from frontdesk.connectors.email.parse import EmailParseError, parse_message
from frontdesk.inbox.intake import store_inbound_event
from frontdesk.inbox.models import Channel


@dataclass(frozen=True)
class ReceiveResult:
    event_id: int
    created: bool
    failed: bool = False
    reason: str = ""


def account_for(channel: Channel) -> None:
    raise ConnectorError("Email replies are not part of this stand-in.", permanent=True)


def receive_raw(
    channel: Channel,
    raw: bytes,
    *,
    via: str,
    envelope_recipients: Sequence[str] = (),
) -> ReceiveResult:
    try:
        parsed = parse_message(raw)
        message_id, sender, name, subject, body = (
            parsed.message_id,
            parsed.from_address,
            parsed.from_name,
            parsed.subject,
            parsed.body_text,
        )
    except EmailParseError:
        message_id = sender = name = subject = body = ""
    digest = hashlib.sha256(raw).hexdigest()
    key = hashlib.sha256(f"{message_id}\n{digest}".encode()).hexdigest()
    event = base.InboundEvent(
        channel_kind=channel.kind,
        provider_message_id=f"email:{key}",
        sender_kind="email",
        sender_address=sender or "unknown@invalid",
        sender_name=name,
        subject=subject,
        body=body,
        received_at=timezone.now(),
        raw={"via": via, "message_id": message_id, "sha256": digest},
    )
    row, created = store_inbound_event(channel, event)
    return ReceiveResult(event_id=row.pk, created=created)
