"""One door for every received mail: `receive_raw` stores the bytes first.

The built-in SMTP receiver, IMAP polling and the provider webhooks all hand the raw
bytes of one message here. Before it returns, the bytes are durable in the database
(a `RawEmail` beside an inbox `InboundEvent`, one transaction); the intake worker
then parses and threads them (`processing.prepare`). So the SMTP receiver may answer
250, an IMAP poller advance its watermark and a webhook answer 2xx as soon as this
returns.
`receive_many` does the same for several mails at once, all or none, with one INSERT
per table (on PostgreSQL one statement for both): the SMTP receiver's group commit.

A retried delivery, a re-sent webhook or an IMAP re-fetch is stored once: the
event's id is the Message-ID plus a hash of the content (trace headers and MIME
boundaries left out, so a provider that rebuilds the MIME on each try still matches),
unique per mailbox (channel). Bad mail never raises: what cannot be read is stored
all the same, as a failed event with its reason, for staff to see.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.utils import parseaddr
from typing import Any

from django.db import transaction
from django.utils import timezone

from frontdesk.channels.email.models import (
    DEFAULT_MAX_MESSAGE_BYTES,
    EmailChannelConfig,
    RawEmail,
)
from frontdesk.connectors import base
from frontdesk.inbox.intake import (
    bulk_insert,
    new_row,
    store_inbound_event,
    store_new_inbound_events,
)
from frontdesk.inbox.models import Channel, InboundEventStatus

logger = logging.getLogger(__name__)

# Headers that identify the message itself (what a retry repeats); trace headers
# (Received, Delivered-To, X-...) differ between a retry and the original.
_IDENTIFYING = ("message-id", "from", "to", "cc", "subject", "date")
_BOUNDARY = re.compile(rb'boundary\s*=\s*"?([^";\r\n]+)"?', re.IGNORECASE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
# How much of the header block is read at store time (the worker reads it all).
_HEADER_SCAN = 256 * 1024


@dataclass(frozen=True)
class ReceiveResult:
    """What `receive_raw` did with one mail.

    `event_id` is the stored InboundEvent; `created` False for a duplicate (already
    stored; nothing changed); `failed` with `reason` when the mail was stored as a
    failed event (unreadable, over the size limit) rather than queued for intake.
    """

    event_id: int
    created: bool
    failed: bool = False
    reason: str = ""

    @property
    def duplicate(self) -> bool:
        return not self.created


def _split(raw: bytes) -> tuple[bytes, bytes]:
    match = _HEADER_END.search(raw, 0, _HEADER_SCAN)
    if match is None:
        return raw[:_HEADER_SCAN], b""
    return raw[: match.start()], raw[match.end() :]


def _headers(head: bytes) -> dict[str, str]:
    """The identifying headers of a raw header block, unfolded, first of each, as
    written (encoded-words left encoded). Plain and quick: the worker parses fully."""
    found: dict[str, str] = {}
    current: str | None = None
    for line in head.decode("utf-8", "replace").replace("\x00", "").splitlines():
        if line[:1] in (" ", "\t"):
            if current is not None:
                found[current] += " " + line.strip()
            continue
        current = None
        name, colon, value = line.partition(":")
        key = name.strip().lower()
        if colon and key in _IDENTIFYING and key not in found:
            found[key] = value.strip()
            current = key
    return found


def _decoded(value: str) -> str:
    """An RFC 2047 header value as people read it (as written when undecodable)."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


# `Name <user@host>` or a bare `user@host` with nothing tricky in it (no quotes,
# comments, groups or several addresses): what nearly every From header is.
_SIMPLE_FROM = re.compile(r"^\s*([^\"(),:;<>@]*?)\s*<([^\s<>()\",;:@]+@[^\s<>()\",;:@]+)>\s*$")
_BARE_FROM = re.compile(r"^\s*([^\s<>()\",;:@]+@[^\s<>()\",;:@]+)\s*$")


def _sender(value: str) -> tuple[str, str]:
    """(name, address) of a From header, as `email.utils.parseaddr` gives them; the
    plain forms without its cost (every received mail runs this)."""
    simple = _SIMPLE_FROM.match(value)
    if simple:
        return " ".join(simple.group(1).split()), simple.group(2)
    bare = _BARE_FROM.match(value)
    if bare:
        return "", bare.group(1)
    return parseaddr(value)


def content_key(raw: bytes, headers: dict[str, str] | None = None) -> tuple[str, str]:
    """(Message-ID, content hash) of a raw mail: what makes two deliveries the same."""
    head, body = _split(raw)
    return _content_key(head, body, _headers(head) if headers is None else headers)


def _content_key(head: bytes, body: bytes, headers: dict[str, str]) -> tuple[str, str]:
    digest = hashlib.sha256()
    for name in _IDENTIFYING:
        digest.update(name.encode() + b":" + " ".join(headers.get(name, "").split()).encode())
        digest.update(b"\n")
    boundaries = {m.group(1).strip() for m in _BOUNDARY.finditer(head + b"\n" + body)}
    for boundary in sorted(boundaries, key=len, reverse=True):
        if len(boundary) >= 4:
            body = body.replace(boundary, b"=")
    # Line endings as the sender wrote them or as a relay rewrote them: the same mail.
    digest.update(body.replace(b"\r\n", b"\n").rstrip())
    return headers.get("message-id", "").strip(), digest.hexdigest()


def _insert_raw(row: RawEmail) -> None:
    """INSERT one RawEmail as `row.save(force_insert=True)` would, for less (every
    received mail runs this): `bulk_insert`."""
    bulk_insert(RawEmail, [row])


def _limit_of(channel: Channel) -> int:
    limit = (
        EmailChannelConfig.objects.filter(channel_id=channel.pk)
        .values_list("max_message_bytes", flat=True)
        .first()
    )
    return int(limit or DEFAULT_MAX_MESSAGE_BYTES)


def dedupe_id(message_id: str, content_hash: str) -> str:
    """The InboundEvent's provider id: Message-ID plus content hash (at most 255)."""
    if message_id:
        return f"{message_id[:190]}#{content_hash[:48]}"
    return f"sha256:{content_hash}"


def _arrival(
    channel: Channel, raw: bytes, via: str, max_bytes: int | None
) -> tuple[base.InboundEvent, str]:
    """The event to store for one received mail, and why it is stored as failed ("")."""
    if channel.kind != "email":
        raise ValueError(f"receive_raw takes an email channel, not {channel.kind!r}")
    reason = ""
    try:
        head, body = _split(raw)
        headers = _headers(head)
        message_id, content_hash = _content_key(head, body, headers)
    except Exception as exc:
        message_id, content_hash = "", hashlib.sha256(raw).hexdigest()
        headers = {}
        reason = f"Unreadable mail: {type(exc).__name__}: {exc}"
    name, address = _sender(_decoded(headers.get("from", "")))
    limit = max_bytes if max_bytes is not None else _limit_of(channel)
    if not raw.strip():
        reason = "Empty message: there was nothing to read."
    elif len(raw) > limit:
        reason = f"Too large: {len(raw):,} bytes, over this channel's limit of {limit:,}."
    elif not headers:
        reason = "Not an email: no headers could be read."
    event = base.InboundEvent(
        channel_kind="email",
        provider_message_id=dedupe_id(message_id, content_hash),
        sender_kind="email",
        sender_address=address.strip().lower()[:320],
        sender_name=name.strip()[:160],
        subject=" ".join(_decoded(headers.get("subject", "")).split())[:255],
        received_at=timezone.now(),
        raw={"via": via, "message_id": message_id, "sha256": content_hash},
    )
    return event, reason


def _raw_row(
    channel: Channel, row: Any, raw: bytes, via: str, envelope_recipients: Sequence[str]
) -> RawEmail:
    return new_row(
        RawEmail,
        {
            "workspace_id": channel.workspace_id,
            "event_id": None if row is None else row.pk,
            "data": raw,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "size": len(raw),
            "via": via[:32],
            "envelope_recipients": [str(r)[:320] for r in envelope_recipients][:100],
        },
    )


def _mark_failed(row: Any, reason: str) -> None:
    type(row).objects.filter(pk=row.pk).update(status=InboundEventStatus.FAILED, error=reason)


def _log_failed(channel: Channel, row: Any, reason: str) -> None:
    logger.warning(
        "received mail stored as failed",
        extra={"channel": channel.pk, "event": row.pk, "reason": reason},
    )


def receive_raw(
    channel: Channel,
    raw: bytes,
    *,
    via: str,
    envelope_recipients: Sequence[str] = (),
    max_bytes: int | None = None,
) -> ReceiveResult:
    """Store one received mail durably for `channel` (an email channel) and queue it
    for intake; returns what was stored. Never raises on bad mail; raises only when
    the database itself fails (then nothing was stored and the sender should retry).

    `via` names the path ("smtpd", "imap", "mailgun", …); `envelope_recipients` the
    SMTP RCPT TO addresses (a per-conversation reply address may be only there);
    `max_bytes` the size limit (None: the channel's own); a larger mail is stored as
    failed.
    """
    raw = bytes(raw or b"")
    event, reason = _arrival(channel, raw, via, max_bytes)
    with transaction.atomic():
        row, created = store_inbound_event(channel, event)
        if created:
            _insert_raw(_raw_row(channel, row, raw, via, envelope_recipients))
            if reason:
                _mark_failed(row, reason)
    if created and reason:
        _log_failed(channel, row, reason)
    return ReceiveResult(event_id=row.pk, created=created, failed=bool(reason), reason=reason)


@dataclass(frozen=True)
class Received:
    """One mail for `receive_many`: as `receive_raw`'s arguments."""

    channel: Channel
    raw: bytes
    envelope_recipients: Sequence[str] = ()
    max_bytes: int | None = None


def receive_many(mails: Sequence[Received], *, via: str) -> list[ReceiveResult]:
    """`receive_raw` for several mails at once: one query for the duplicates and one
    INSERT each for the events and the raw mails (on PostgreSQL one statement for
    both: `store_new_inbound_events`), so a batch costs little more than one mail.
    All are stored or, when the database fails, none (it raises then; the caller may
    store them one by one)."""
    arrivals = []
    for mail in mails:
        raw = bytes(mail.raw or b"")
        event, reason = _arrival(mail.channel, raw, via, mail.max_bytes)
        arrivals.append((mail, raw, event, reason))
    stored = store_new_inbound_events(
        [(mail.channel, event) for mail, _raw, event, _reason in arrivals],
        failures=[reason for _mail, _raw, _event, reason in arrivals],
        beside=[
            _raw_row(mail.channel, None, raw, via, mail.envelope_recipients)
            for mail, raw, _event, _reason in arrivals
        ],
    )
    results = []
    for (mail, _raw, _event, reason), (row, created) in zip(arrivals, stored, strict=True):
        if created and reason:
            _log_failed(mail.channel, row, reason)
        results.append(
            ReceiveResult(event_id=row.pk, created=created, failed=bool(reason), reason=reason)
        )
    return results
