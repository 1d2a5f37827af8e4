"""The interface every SMS provider implements, and the registry of providers.

The SMS adapter (`connectors/sms/adapter.py`) and the webhook views never speak a
provider's wire format: they hold an `SmsAccount` (credentials and number, a frozen
record built from the channel's `SmsChannelConfig`) and call an `SmsProvider`.

Adding a provider (Vonage, Telnyx, a generic HTTP gateway) is one module and one line:

1. Write `providers/<name>.py` with a subclass of `SmsProvider` whose `name` is the
   value stored in `SmsChannelConfig.provider`, implementing every abstract method
   below. Make outbound HTTP go through `frontdesk.connectors.http` (or aim the
   provider's SDK at `http.base_url_for(name, default)`), so tests can point it at a
   loopback stand-in. Turn every failure into `ConnectorError`: `permanent=True` when
   retrying cannot help (bad number, opted-out recipient, bad credentials, forged
   request), `permanent=False` for timeouts, 5xx and rate limits.
2. Add `"<name>": "frontdesk.connectors.sms.providers.<name>.<Class>"` to `PROVIDERS`
   (and a choice to `SmsProviderKind` in `frontdesk/channels/sms/models.py`).

Providers are imported lazily (by dotted path), so a provider's SDK is loaded only
when a channel uses it, and instances hold no per-account state (one per process).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import ClassVar

from django.utils.module_loading import import_string

from frontdesk.connectors.base import (
    ConnectorError,
    DeliveryResult,
    DeliveryStatus,
    InboundAttachment,
    InboundEvent,
    InboundRequest,
)

# How a texter's address reads (the identity kinds of frontdesk.core.models): a phone
# number, a short code (3 to 8 digits, no "+": a service's number) or an
# alphanumeric sender ID (letters, at most 11 characters: "AMAZON", "LIBRARY").
SENDER_PHONE = "phone"
SENDER_SHORT_CODE = "short_code"
SENDER_ID = "sender_id"
_SENDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .&'_+-]{0,10}$")


def sender_kind(address: str) -> str:
    """What kind of sender `address` (a webhook's From) is.

    Providers give phone numbers in E.164 ("+15558675310"); a short code comes as its
    bare digits ("72345") and an alphanumeric sender as its name ("LIBRARY"). Both are
    one-way senders: nothing can be texted back to them. Anything else is read as a
    phone number (and refused later if it is not one).
    """
    text = address.strip()
    if text.startswith("+"):
        return SENDER_PHONE
    compact = "".join(text.split())
    if compact.isascii() and compact.isdigit() and 3 <= len(compact) <= 8:
        return SENDER_SHORT_CODE
    if _SENDER_ID.match(text) and any(c.isalpha() for c in text):
        return SENDER_ID
    return SENDER_PHONE


# provider name -> dotted path of its SmsProvider class (imported on first use).
PROVIDERS: dict[str, str] = {
    "twilio": "frontdesk.connectors.sms.providers.twilio.TwilioProvider",
}


@dataclass(frozen=True)
class SmsAccount:
    """One channel's provider credentials and number, as a provider needs them.

    Built by `frontdesk.channels.sms.accounts` from the channel's `SmsChannelConfig`;
    no ORM object reaches a provider. `messaging_service_sid` is "" when replies go out
    from `phone_number` itself; `status_callback` is the public URL the provider
    reports delivery to (None: no reports asked for).
    """

    provider: str
    account_sid: str
    auth_token: str = field(repr=False)
    phone_number: str
    messaging_service_sid: str = ""
    status_callback: str | None = None


class SmsProvider(ABC):
    """One SMS provider's wire format. Stateless: every call gets the `SmsAccount`."""

    # The value stored in SmsChannelConfig.provider, and the key in PROVIDERS.
    name: ClassVar[str]
    label: ClassVar[str]

    @abstractmethod
    def verify_request(self, account: SmsAccount, request: InboundRequest) -> None:
        """Check that a webhook request really comes from the provider for `account`.

        `request.url` is the full public URL the provider called (the caller builds it
        from settings.PUBLIC_BASE_URL + path + query string, so it is right behind a
        proxy); a provider that signs the URL must validate against exactly that. The
        channel is found by the URL's webhook key, never by the `To` number, so numbers
        in a provider's number pool (Twilio Messaging Services) verify like any other.

        Raises ConnectorError(permanent=True, code="bad_signature") for a forged,
        unsigned or wrongly signed request; returns None when it is genuine.
        """

    @abstractmethod
    def parse_inbound(self, account: SmsAccount, request: InboundRequest) -> InboundEvent:
        """Turn a verified inbound-message webhook into an `InboundEvent`.

        channel_kind "sms", sender_kind `sender_kind(From)` ("phone", or "short_code" /
        "sender_id" for one-way senders), sender_address the sender as the provider
        gave it, provider_message_id the provider's message id (what makes
        retries idempotent), MMS media as `InboundAttachment(url=...)` to fetch later
        with `fetch_media`, raw the request's parameters. Raises
        ConnectorError(permanent=True, code="malformed") when required fields are missing.
        """

    @abstractmethod
    def parse_status(self, account: SmsAccount, request: InboundRequest) -> DeliveryStatus:
        """Turn a verified delivery-status callback into a `DeliveryStatus`.

        Status is "sent" (provider has it or handed it to the carrier), "delivered"
        or "failed" (with the provider's error code and a message staff understand).
        Raises ConnectorError(permanent=True, code="malformed") for anything else.
        """

    @abstractmethod
    def send(
        self,
        account: SmsAccount,
        *,
        to: str,
        body: str,
        status_callback: str | None,
        media_urls: tuple[str, ...] = (),
    ) -> DeliveryResult:
        """Send one text (at most the provider's per-message maximum) to `to`.

        `status_callback` is the URL the provider should report delivery to, or None.
        `media_urls` are public URLs of pictures to send with it (an MMS), which the
        provider fetches itself.
        Returns the provider's message id and status ("queued" when it only took it).
        Raises ConnectorError: permanent for a refused recipient or bad credentials,
        temporary for timeouts, 5xx and rate limits.
        """

    @abstractmethod
    def fetch_media(self, account: SmsAccount, url: str) -> InboundAttachment:
        """Download an MMS media URL that an inbound event named, with its bytes.

        Enforces settings.SMS_MEDIA_MAX_BYTES and the allowed content types; refuses
        others with a permanent ConnectorError that says why.
        """

    @abstractmethod
    def empty_response(self) -> tuple[str, bytes]:
        """(content type, body) of the reply to a webhook that says nothing back."""

    @abstractmethod
    def find_sent(
        self, account: SmsAccount, *, to: str, body: str, since: datetime
    ) -> DeliveryResult | None:
        """The provider's record of a text to `to` with exactly `body`, sent since `since`.

        Used to reconcile after a worker died (or a request timed out) mid-send, so a
        reply is never sent twice: if the provider already has it, record that instead
        of sending again. Returns None when there is no such message. Raises
        ConnectorError(permanent=False) when the provider cannot be asked right now.
        """

    def max_body_length(self) -> int:
        """The longest body one `send` accepts; the adapter splits longer replies."""
        return 1600


class UnknownSmsProvider(ConnectorError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"No SMS provider called “{name}” is installed.",
            permanent=True,
            code="unknown_provider",
        )


def get_provider(name: str) -> SmsProvider:
    """The provider registered under `name` (one shared instance per process)."""
    if name not in PROVIDERS:
        raise UnknownSmsProvider(name)
    return _load(name)


@cache
def _load(name: str) -> SmsProvider:
    provider_class: type[SmsProvider] = import_string(PROVIDERS[name])
    return provider_class()


def form_value(form: Mapping[str, str], name: str) -> str:
    """A request parameter, stripped; "" when absent."""
    return (form.get(name) or "").strip()
