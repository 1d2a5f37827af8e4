"""The SMS channel: customers text the workspace's number; staff replies go back as texts.

Everything provider-specific sits behind `providers.SmsProvider` (Twilio first); this
adapter gets the channel's `SmsAccount` (built by `frontdesk.channels.sms.accounts`
from the channel's configuration row, status callback URL included) and adds what
every provider shares: the short sign-off on its own line, splitting a long
reply into numbered parts, and never sending a part twice.

SMS facts relied on: a provider takes at most 1,600 characters per message and splits
that into carrier segments itself (153 GSM-7 or 67 UCS-2 characters each), so longer
replies go as several messages, numbered "(1/3) " because handsets may show them out
of order. Lengths are counted in UTF-16 code units, as carriers count UCS-2 (an emoji
is two).
"""

from __future__ import annotations

import logging
import time
import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from frontdesk.connectors.base import (
    Connector,
    ConnectorError,
    DeliveryResult,
    DeliveryStatus,
    InboundAttachment,
    InboundEvent,
    InboundRequest,
    OutboundMessage,
)
from frontdesk.connectors.sms.length import utf16_units
from frontdesk.connectors.sms.providers import SmsAccount, SmsProvider, get_provider

logger = logging.getLogger(__name__)

# A later part that fails is retried inline this often (a queue retry would resend
# the parts that already went out), pausing SMS_PART_RETRY_PAUSE_SECONDS in between.
PART_RETRIES = 2
DEFAULT_PART_RETRY_PAUSE_SECONDS = 1.0
# Pictures an MMS carries to every handset (Twilio's fully supported types).
MMS_PICTURE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
# How far back to look for a text that Twilio took before a request timed out.
RECONCILE_MARGIN = timedelta(seconds=2)


def split_body(text: str, limit: int = 1600) -> list[str]:
    """`text` as one part, or numbered parts "(1/n) ..." of at most `limit` each.

    Cuts at a line break, else at a space, in the second half of a part; a single
    word longer than that is cut where it must be.
    """
    text = text.strip()
    if utf16_units(text) <= limit:
        return [text]
    count = 2
    while True:
        prefix_room = len(f"({count}/{count}) ")
        chunks = _chunks(text, limit - prefix_room)
        if len(chunks) <= count:
            total = len(chunks)
            return [f"({number}/{total}) {chunk}" for number, chunk in enumerate(chunks, 1)]
        count = len(chunks)


def _chunks(text: str, room: int) -> list[str]:
    chunks = []
    rest = text
    while utf16_units(rest) > room:
        window = _fit(rest, room)
        cut = window.rfind("\n")
        if cut < len(window) // 2:
            cut = max(window.rfind(" "), window.rfind("\t"))
        if cut < len(window) // 2:
            cut = len(window)
        chunk = rest[:cut].rstrip()
        if chunk:
            chunks.append(chunk)
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def _fit(text: str, room: int) -> str:
    """The longest prefix of `text` no longer than `room` (in UTF-16 units), not
    ending inside a character sequence (a base and its combining marks, an emoji
    joined with ZWJ)."""
    used = end = 0
    for char in text:
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            break
        end += 1
    while 1 < end < len(text) and (_joins(text[end]) or text[end - 1] == "\u200d"):
        end -= 1
    return text[:end]


def _joins(char: str) -> bool:
    """Whether `char` belongs to the character before it."""
    return unicodedata.combining(char) != 0 or char in "\u200d\ufe0f"


def compose_body(message: OutboundMessage) -> str:
    """The text of a reply: the body, then the short sign-off on its own line."""
    body = message.body.strip()
    signature = message.signature.strip()
    if signature:
        body = f"{body}\n{signature}" if body else signature
    return body


class SmsConnector(Connector[SmsAccount]):
    kind = "sms"
    label = "SMS"
    reply_identity_kind = "phone"
    sign_off = "short"
    sends_attachments = "pictures"

    def send(self, account: SmsAccount, message: OutboundMessage) -> DeliveryResult:
        if not message.to_address:
            raise ConnectorError(
                "Not deliverable: the customer left no phone number.",
                permanent=True,
                code="no_address",
            )
        media = tuple(
            a.url for a in message.attachments if a.url and a.content_type in MMS_PICTURE_TYPES
        )
        if len(media) != len(message.attachments):
            # Never report as sent a file the text could not carry.
            raise ConnectorError(
                "Only pictures (JPEG, PNG, GIF) with a public link can go by text.",
                permanent=True,
                code="attachment_unsupported",
            )
        body = compose_body(message)
        if not body and not media:
            raise ConnectorError(
                "An SMS reply needs some text.", permanent=True, code="empty_message"
            )
        provider = get_provider(account.provider)
        callback = account.status_callback
        parts = split_body(body, provider.max_body_length())
        results: list[DeliveryResult] = []
        for number, part in enumerate(parts, 1):
            try:
                results.append(
                    self._send_part(
                        provider,
                        account,
                        message.to_address,
                        part,
                        callback,
                        number,
                        media=media if number == 1 else (),  # the pictures go once
                    )
                )
            except ConnectorError as error:
                if not results:
                    raise  # nothing went out: the caller may retry the whole reply
                raise ConnectorError(
                    f"Sent {len(results)} of {len(parts)} parts; part {number} failed: "
                    f"{error.message}",
                    permanent=True,
                    code=error.code or "partial",
                ) from error
        first = results[0]
        if len(results) == 1:
            return first
        ids = tuple(r.provider_message_id for r in results)
        return DeliveryResult(
            provider_message_id=first.provider_message_id,
            status=first.status,
            detail=f"{len(results)} parts: " + ", ".join(ids),
            part_ids=ids,
        )

    def _send_part(
        self,
        provider: SmsProvider,
        account: SmsAccount,
        to: str,
        body: str,
        callback: str | None,
        number: int,
        *,
        media: tuple[str, ...] = (),
    ) -> DeliveryResult:
        """Send one part. Parts after the first retry inline on temporary errors; a
        timed-out request is checked at the provider before it is tried again."""
        attempts = 1 if number == 1 else 1 + PART_RETRIES
        pause = float(
            getattr(settings, "SMS_PART_RETRY_PAUSE_SECONDS", DEFAULT_PART_RETRY_PAUSE_SECONDS)
        )
        for attempt in range(1, attempts + 1):
            started = timezone.now()
            try:
                return provider.send(
                    account, to=to, body=body, status_callback=callback, media_urls=media
                )
            except ConnectorError as error:
                if error.permanent:
                    raise
                found = self._reconcile(provider, account, to, body, started, error)
                if found is not None:
                    return found
                if attempt == attempts:
                    raise
                logger.warning(
                    "sms part failed, retrying",
                    extra={"part": number, "attempt": attempt, "code": error.code},
                )
                time.sleep(pause * attempt)
        raise AssertionError("unreachable")

    @staticmethod
    def _reconcile(
        provider: SmsProvider,
        account: SmsAccount,
        to: str,
        body: str,
        started: datetime,
        error: ConnectorError,
    ) -> DeliveryResult | None:
        # Only a request that reached the provider and then went quiet may have been
        # taken; a refused connection or a 5xx answer means it was not.
        if error.code != "timeout":
            return None
        try:
            return provider.find_sent(account, to=to, body=body, since=started - RECONCILE_MARGIN)
        except ConnectorError:
            return None

    def find_sent(
        self, account: SmsAccount, message: OutboundMessage, *, since: datetime
    ) -> DeliveryResult | None:
        """Whether the provider already has this reply (every part of it), sent since
        `since`: call before sending again a reply whose worker died mid-send."""
        if not message.to_address:
            return None
        provider = get_provider(account.provider)
        parts = split_body(compose_body(message), provider.max_body_length())
        found = []
        for part in parts:
            result = provider.find_sent(account, to=message.to_address, body=part, since=since)
            if result is None:
                return None
            found.append(result)
        if len(found) == 1:
            return found[0]
        return replace(found[0], part_ids=tuple(r.provider_message_id for r in found))

    def parse_inbound(self, account: SmsAccount, request: InboundRequest) -> list[InboundEvent]:
        """Verify the provider's signature, then read the text (and MMS media URLs).

        Raises ConnectorError(code="bad_signature") for a forged or unsigned request,
        ConnectorError(code="malformed") for one missing what a text needs.
        """
        provider = get_provider(account.provider)
        provider.verify_request(account, request)
        try:
            return [provider.parse_inbound(account, request)]
        except ValueError as exc:  # a record refused what the provider sent
            raise ConnectorError(str(exc), permanent=True, code="malformed") from exc

    def parse_status_callback(
        self, account: SmsAccount, request: InboundRequest
    ) -> list[DeliveryStatus]:
        """Verify the provider's signature, then read the delivery report."""
        provider = get_provider(account.provider)
        provider.verify_request(account, request)
        try:
            return [provider.parse_status(account, request)]
        except ValueError as exc:
            raise ConnectorError(str(exc), permanent=True, code="malformed") from exc

    def webhook_response(self, account: SmsAccount) -> tuple[str, bytes]:
        """(content type, body) to answer the provider's webhook with: nothing to say
        (replies go out through the REST API, never in the webhook's answer)."""
        return get_provider(account.provider).empty_response()

    def fetch_attachment(self, account: SmsAccount, url: str) -> InboundAttachment:
        return get_provider(account.provider).fetch_media(account, url)
