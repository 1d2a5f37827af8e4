"""The adapter interface and the normalised records that cross it.

An adapter turns the outside world into `InboundEvent`s and `OutboundMessage`s into
a `DeliveryResult`. Records are frozen dataclasses: no ORM object crosses this
boundary, so an adapter can be tested with nothing but records and a loopback peer,
and the inbox never learns a provider's wire format.

Every adapter can `send`. Other capabilities exist only where the channel has them;
each is a method that raises NotImplementedError here, and `Connector.can(name)`
tells whether a class provides it:

- `parse_inbound(channel, request)`: verify a provider's webhook request (signature,
  replay window) and turn it into events. Raises ConnectorError(permanent=True) for a
  forged or malformed request, which the webhook view answers with 4xx.
- `fetch_attachment(channel, url)`: download a media URL an inbound event only named
  (an MMS picture behind the provider's authentication), through `connectors.http`.
- `parse_status_callback(channel, request)`: read a provider's delivery report
  into `DeliveryStatus` records (used by the SMS channel).
- `find_sent(channel, message, since=...)`: ask the provider whether it already took
  this message (a worker died between the provider's answer and our record of it),
  so a re-claimed reply is recorded as sent instead of being sent twice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

DeliveryState = Literal["queued", "sent", "delivered"]
SignOff = Literal["signature", "short", "none"]


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
    filename: str
    content_type: str
    data: bytes


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
class ChannelRef:
    """The channel an adapter acts for: enough to find its own configuration row."""

    id: int
    workspace_id: int
    kind: str
    name: str
    workspace_name: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)


class ConnectorError(Exception):
    """A provider refused or failed.

    `permanent` means retrying cannot help (a bad number, a refused recipient, no
    address): the message is marked failed with this text. Otherwise the caller
    retries with backoff. `code` is the provider's error code, when it gave one.
    """

    def __init__(self, message: str, *, permanent: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.code = code


class Connector(ABC):
    """One kind of channel. Instances hold no per-channel state; pass a ChannelRef."""

    kind: ClassVar[str]
    label: ClassVar[str]
    # Which contact identity (an IdentityKind value) a reply on this channel goes to.
    reply_identity_kind: ClassVar[str]
    # "signature": email-like, full signature under the body; "short": SMS-like, a
    # first-name sign-off when the workspace wants one; "none": neither.
    sign_off: ClassVar[SignOff] = "signature"

    @abstractmethod
    def send(self, channel: ChannelRef, message: OutboundMessage) -> DeliveryResult:
        """Hand one message to the provider and return what it said.

        Raises ConnectorError: permanent when retrying cannot help, temporary when it
        may (a timeout, a 5xx, a rate limit). Must not be called twice for one
        message: the caller claims the message before calling.
        """

    def parse_inbound(self, channel: ChannelRef, request: InboundRequest) -> list[InboundEvent]:
        """Verify a webhook request and turn it into events (optional capability)."""
        raise NotImplementedError

    def fetch_attachment(self, channel: ChannelRef, url: str) -> InboundAttachment:
        """Download an attachment an inbound event named by URL (optional capability)."""
        raise NotImplementedError

    def parse_status_callback(
        self, channel: ChannelRef, request: InboundRequest
    ) -> list[DeliveryStatus]:
        """Read a provider's delivery report (optional capability)."""
        raise NotImplementedError

    def find_sent(
        self, channel: ChannelRef, message: OutboundMessage, *, since: datetime
    ) -> DeliveryResult | None:
        """The provider's record of `message` if it took it at or after `since`, else None
        (optional capability).

        Called before a reply is sent again after an attempt whose outcome is unknown
        (a stale claim, a timeout). Raises ConnectorError when the provider cannot
        tell; the caller then retries later rather than risk a second copy.
        """
        raise NotImplementedError

    @classmethod
    def can(cls, capability: str) -> bool:
        """Whether this adapter provides an optional capability (a method name above)."""
        if capability not in _OPTIONAL:
            raise ValueError(f"unknown connector capability {capability!r}")
        return getattr(cls, capability) is not getattr(Connector, capability)


_OPTIONAL = ("parse_inbound", "fetch_attachment", "parse_status_callback", "find_sent")
