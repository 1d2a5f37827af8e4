"""The adapter interface and the normalised records that cross it.

An adapter turns the outside world into `InboundEvent`s (or, for a listening source,
`Candidate` mentions) and `OutboundMessage`s into a `DeliveryResult`. Records are
frozen dataclasses: no ORM object crosses this boundary, so an adapter can be tested
with nothing but records and a loopback peer, and the inbox never learns a
provider's wire format.

This package is the bottom layer: it imports nothing of Frontdesk's apps (an
import-linter contract in pyproject.toml says so) and never reads the database. The
caller hands each call the adapter's own frozen account record (credentials,
addresses, callback URLs: `SmsAccount`, `MailAccount`, a feed's URL), built by the
channel app from its configuration row.

Every capability is optional: a method that raises NotImplementedError here, and
`Connector.can(name)` tells whether a class provides it:

- `send(account, message)`: hand one reply to the provider (channels customers can
  be answered on). A read-only source (RSS, Mastodon search) has none.
- `parse_inbound(account, request)`: verify a provider's webhook request (signature,
  replay window) and turn it into events. Raises ConnectorError(permanent=True,
  code="bad_signature") for a forged request and ConnectorError(permanent=True) for a
  malformed one, which the webhook view answers with 403 / 400.
- `fetch_attachment(account, url)`: download a media URL an inbound event only named
  (an MMS picture behind the provider's authentication), through `connectors.http`.
- `parse_status_callback(account, request)`: read a provider's delivery report
  into `DeliveryStatus` records (used by the SMS channel).
- `find_sent(account, message, since=...)`: ask the provider whether it already took
  this message (a worker died between the provider's answer and our record of it),
  so a re-claimed reply is recorded as sent instead of being sent twice.
- `poll(account, cursor)`: fetch what a listening source published since `cursor`,
  as `Candidate` records plus the cursor to resume from next time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar

DeliveryState = Literal["queued", "sent", "delivered"]
SignOff = Literal["signature", "short", "none"]
AttachmentSupport = Literal["all", "pictures", "none"]


@dataclass(frozen=True)
class InboundAttachment:
    """A file that came with an inbound message: its bytes, or a URL to fetch later."""

    filename: str
    content_type: str
    size: int
    data: bytes | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if self.data is None and not self.url:
            raise ValueError("an attachment needs its data or a URL to fetch it from")


@dataclass(frozen=True, kw_only=True)
class InboundEvent:
    """One message a customer sent, in the same shape whatever the channel.

    `sender_kind` is an `IdentityKind` value (phone, email, ...), `sender_address` the
    address as the provider gave it (normalised later, per workspace). `thread_key` is
    a provider's own threading reference, e.g. the Message-ID an email replied to.
    `raw` keeps the provider's payload (JSON-able) for debugging and replays.
    """

    channel_kind: str
    provider_message_id: str
    sender_kind: str
    sender_address: str
    received_at: datetime
    sender_name: str = ""
    body: str = ""
    subject: str = ""
    attachments: tuple[InboundAttachment, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)
    thread_key: str | None = None

    def __post_init__(self) -> None:
        if not self.provider_message_id:
            raise ValueError("an inbound event needs the provider's message id")
        if self.received_at.tzinfo is None or self.received_at.utcoffset() is None:
            raise ValueError("received_at must be an aware datetime")


@dataclass(frozen=True)
class OutboundAttachment:
    """A file of a reply: its bytes (an email carries them) and, where the caller
    has one, a public expiring URL a provider can fetch it from (an MMS)."""

    filename: str
    content_type: str
    data: bytes
    url: str | None = None


@dataclass(frozen=True, kw_only=True)
class OutboundMessage:
    """A staff reply as the adapter sends it.

    The adapter decides how a channel shows the sender: an email puts
    `sender_display_name` in From and `signature` below the body; an SMS appends the
    short `signature` ("– Maya") when there is one. `to_address` is None when the
    customer left no address this channel can reach.
    """

    to_address: str | None
    body: str
    to_name: str = ""
    subject: str = ""
    sender_display_name: str = ""
    signature: str = ""
    reply_to: str | None = None
    thread_key: str | None = None
    attachments: tuple[OutboundAttachment, ...] = ()
    # Email threading and copies: the conversation's earlier Message-IDs (oldest
    # first), people copied (name, address), a reference the adapter writes into the
    # text so an answer finds its conversation, and Frontdesk's own Message-ID for it.
    references: tuple[str, ...] = ()
    cc: tuple[tuple[str, str], ...] = ()
    marker: str = ""
    message_id: str = ""
    # Written by Frontdesk itself (an acknowledgement): marked so (Auto-Submitted) so
    # the other side's auto-responder does not answer it.
    automatic: bool = False


@dataclass(frozen=True)
class DeliveryResult:
    """What the provider said when it took the message."""

    provider_message_id: str
    status: DeliveryState
    detail: str = ""
    # Every part's id, in order, when the provider took the message in several pieces
    # (a long SMS); the first is provider_message_id. Delivery reports come per part.
    part_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeliveryStatus:
    """A later delivery report for a message sent earlier (a provider callback)."""

    provider_message_id: str
    status: Literal["sent", "delivered", "failed"]
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class InboundRequest:
    """An HTTP request as an adapter may see it (no Django request crosses the boundary)."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    form: Mapping[str, str] = field(default_factory=dict)
    # The body's form as the caller parsed it, every pair in order (repeated keys
    # kept), so an adapter need not parse it again; empty when not parsed.
    pairs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """One public post a listening source found: a possible mention, not yet matched.

    `source_id` is the source's own id for the post (a feed entry's id or link, a
    Mastodon status id, a Bluesky at:// URI): unique per source, what makes polling
    idempotent. `url` is where a person reads it; `author_handle` how to reach its
    author on that network (may be ""), `author_email` an address the post itself
    gave (a feed's author), else "". `published_at` is aware. `body` is readable
    plain text (no HTML). `reach` is what the network counted, where it did
    (e.g. {"followers": 120, "points": 14, "comments": 3}). `removed` says the network
    took the post down (a Reddit removal): the caller drops its mention. `raw` keeps
    the source's payload (JSON-able) for debugging.
    """

    source_id: str
    url: str
    title: str = ""
    body: str = ""
    author_name: str = ""
    author_handle: str = ""
    author_url: str = ""
    author_email: str = ""
    language: str = ""
    published_at: datetime | None = None
    reach: Mapping[str, int] = field(default_factory=dict)
    removed: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.source_id:
            raise ValueError("a candidate needs the source's own id")
        at = self.published_at
        if at is not None and (at.tzinfo is None or at.utcoffset() is None):
            raise ValueError("published_at must be an aware datetime")


@dataclass(frozen=True)
class PollResult:
    """What one poll found, and where the next poll resumes (an opaque, JSON-able
    cursor the caller stores: a feed's ETag and last id, a search's newest timestamp).

    `next_poll_after` is the source's own hint, in seconds, of when polling again is
    worth it (Cache-Control, Expires, a feed's TTL, how often it changes), already
    floored at the adapter's minimum; None when it gave none. `not_modified` says the
    source answered "nothing changed" (a 304). `moved_to` is a new address the source
    moved to for good (a 301/308): the caller stores it. The cursor repeats the hint
    and the move as "poll_after_seconds" and "moved_to" for callers that only keep it.
    """

    candidates: tuple[Candidate, ...]
    cursor: Mapping[str, Any]
    next_poll_after: float | None = None
    not_modified: bool = False
    moved_to: str | None = None


class ConnectorError(Exception):
    """A provider refused or failed.

    `permanent` means retrying cannot help (a bad number, a refused recipient, no
    address): the message is marked failed with this text. Otherwise the caller
    retries with backoff. `code` is the provider's error code, when it gave one.
    `retry_after` is how long, in seconds, the provider asked us to wait (Retry-After,
    a rate limit's reset), when it said.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.code = code
        self.retry_after = retry_after


AccountT = TypeVar("AccountT")


class Connector(Generic[AccountT]):
    """One kind of channel or source. Instances hold no state: each call gets the
    adapter's frozen account record (`AccountT`)."""

    kind: ClassVar[str]
    label: ClassVar[str]
    # Which contact identity (an IdentityKind value: "phone", "email") a reply on this
    # channel goes to; "" for a source nobody is answered on.
    reply_identity_kind: ClassVar[str] = ""
    # "signature": email-like, full signature under the body; "short": SMS-like, a
    # first-name sign-off when the workspace wants one; "none": neither.
    sign_off: ClassVar[SignOff] = "signature"
    # What files `send` delivers: "all", "pictures" (images, e.g. as MMS, which the
    # provider fetches from `OutboundAttachment.url`) or "none". The composer says so
    # before sending; files a channel cannot carry are never reported as sent.
    sends_attachments: ClassVar[AttachmentSupport] = "all"

    def send(self, account: AccountT, message: OutboundMessage) -> DeliveryResult:
        """Hand one message to the provider and return what it said (optional capability).

        Raises ConnectorError: permanent when retrying cannot help, temporary when it
        may (a timeout, a 5xx, a rate limit). Must not be called twice for one
        message: the caller claims the message before calling.
        """
        raise NotImplementedError

    def parse_inbound(self, account: AccountT, request: InboundRequest) -> list[InboundEvent]:
        """Verify a webhook request and turn it into events (optional capability)."""
        raise NotImplementedError

    def fetch_attachment(self, account: AccountT, url: str) -> InboundAttachment:
        """Download an attachment an inbound event named by URL (optional capability)."""
        raise NotImplementedError

    def parse_status_callback(
        self, account: AccountT, request: InboundRequest
    ) -> list[DeliveryStatus]:
        """Read a provider's delivery report (optional capability)."""
        raise NotImplementedError

    def find_sent(
        self, account: AccountT, message: OutboundMessage, *, since: datetime
    ) -> DeliveryResult | None:
        """The provider's record of `message` if it took it at or after `since`, else None
        (optional capability).

        Called before a reply is sent again after an attempt whose outcome is unknown
        (a stale claim, a timeout). Raises ConnectorError when the provider cannot
        tell; the caller then retries later rather than risk a second copy.
        """
        raise NotImplementedError

    def poll(self, account: AccountT, cursor: Mapping[str, Any]) -> PollResult:
        """What a listening source published since `cursor` (optional capability).

        `cursor` is what the previous poll returned ({} the first time). Raises
        ConnectorError: temporary for timeouts, 5xx and rate limits (the caller backs
        off), permanent when the source is gone or refuses us (shown to staff).
        """
        raise NotImplementedError

    @classmethod
    def can(cls, capability: str) -> bool:
        """Whether this adapter provides an optional capability (a method name above)."""
        if capability not in CAPABILITIES:
            raise ValueError(f"unknown connector capability {capability!r}")
        return getattr(cls, capability) is not getattr(Connector, capability)


CAPABILITIES = (
    "send",
    "parse_inbound",
    "fetch_attachment",
    "parse_status_callback",
    "find_sent",
    "poll",
)
