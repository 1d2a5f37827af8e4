"""Amazon SNS messages (how Amazon SES events and received mail reach a webhook), checked
the way AWS says: https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html

Wire-format facts relied on:
- SNS posts a JSON object (as text/plain) with `Type` Notification,
  SubscriptionConfirmation or UnsubscribeConfirmation, `MessageId`, `TopicArn`,
  `Timestamp` (ISO 8601 UTC, when the message was published: a retry keeps it),
  `SignatureVersion` ("1": SHA1withRSA, "2": SHA256withRSA), `Signature` (base64) and
  `SigningCertURL` (a PEM certificate at https://sns.<region>.amazonaws.com/…pem).
- The signed string is `Name\\nvalue\\n` for each of these fields present, in this
  order: Notification: Message, MessageId, Subject (only when given), Timestamp,
  TopicArn, Type; the two confirmations: Message, MessageId, SubscribeURL, Timestamp,
  Token, TopicArn, Type.
- SNS retries an HTTP/S delivery only on 5xx or no answer, and for at most 3,600
  seconds (a hard limit), so a message published longer ago is a replay.

Only certificates from allowed URLs are fetched (an attacker's certificate would
verify an attacker's signature), each once: the public keys are cached per URL.
Nothing here knows about channels; the caller checks replays of a `MessageId`.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from frontdesk.connectors import http

# AWS's own certificate hosts (the .cn ones serve the China regions).
DEFAULT_ALLOWED_URLS = ("https://sns.*.amazonaws.com/", "https://sns.*.amazonaws.com.cn/")
# SNS's hard limit on retrying one delivery, plus clock skew between AWS and us.
MAX_AGE = timedelta(seconds=3600)
CLOCK_SKEW = timedelta(minutes=5)
TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")
NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "1": hashes.SHA1,  # SNS's SignatureVersion 1 is SHA1withRSA: not our choice.
    "2": hashes.SHA256,
}
CERTIFICATE_MAX_BYTES = 64 * 1024
CERTIFICATE_CACHE_SECONDS = 24 * 3600


class SnsRefused(Exception):
    """The message is not accepted; `status` is the HTTP status to answer with (400
    malformed, 403 forged or not ours, 503 the certificate could not be fetched now:
    SNS retries on 5xx)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class SnsMessage:
    """A verified SNS message."""

    type: str
    message_id: str
    topic_arn: str
    published: datetime
    message: str
    subscribe_url: str = ""


def parse(body: bytes) -> dict[str, Any]:
    """The JSON object SNS posted, or SnsRefused(400)."""
    try:
        envelope = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SnsRefused("Bad request: the body is not an SNS message.", status=400) from None
    if not isinstance(envelope, dict):
        raise SnsRefused("Bad request: the body is not an SNS message.", status=400)
    return envelope


def canonical_string(envelope: Mapping[str, Any]) -> bytes:
    """The bytes SNS signs for this message (see the module docstring)."""
    fields = NOTIFICATION_FIELDS if envelope.get("Type") == "Notification" else CONFIRMATION_FIELDS
    parts = []
    for name in fields:
        value = envelope.get(name)
        if value is None:
            continue
        parts.append(f"{name}\n{value}\n")
    return "".join(parts).encode("utf-8")


def is_allowed_url(url: str, allowed: Sequence[str]) -> bool:
    """Whether `url` starts with one of `allowed` (e.g. "https://sns.*.amazonaws.com/"):
    the same scheme and port, a host matching label by label (`*` is one DNS label),
    and the allowed path as a prefix. No user info, no query tricks in the host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.username is not None or parts.password is not None or not parts.hostname:
        return False
    labels = parts.hostname.lower().split(".")
    for pattern in allowed:
        try:
            want = urlsplit(pattern)
            want_port = want.port
        except ValueError:
            continue
        if want.scheme.lower() != parts.scheme.lower() or not want.hostname:
            continue
        if (want_port or _default_port(want.scheme)) != (port or _default_port(parts.scheme)):
            continue
        want_labels = want.hostname.lower().split(".")
        if len(want_labels) != len(labels):
            continue
        if not all(
            fnmatch.fnmatchcase(label, wanted) and label.replace("-", "").isalnum()
            for label, wanted in zip(labels, want_labels, strict=True)
        ):
            continue
        if parts.path.startswith(want.path or "/"):
            return True
    return False


def _default_port(scheme: str) -> int:
    return 443 if scheme.lower() == "https" else 80


def _published(envelope: Mapping[str, Any]) -> datetime:
    raw = str(envelope.get("Timestamp") or "")
    try:
        published = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise SnsRefused("Bad request: the SNS Timestamp is not a time.", status=400) from None
    if published.tzinfo is None:
        raise SnsRefused("Bad request: the SNS Timestamp has no time zone.", status=400)
    return published.astimezone(UTC)


class CertificateCache:
    """The signing certificates' public keys, fetched once per URL (thread-safe)."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[rsa.RSAPublicKey, float]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()

    def public_key(self, url: str) -> rsa.RSAPublicKey:
        now = time.monotonic()
        with self._lock:
            cached = self._keys.get(url)
        if cached is not None and cached[1] > now:
            return cached[0]
        key = _fetch_public_key(url)
        with self._lock:
            self._keys[url] = (key, now + CERTIFICATE_CACHE_SECONDS)
        return key


CERTIFICATES = CertificateCache()


def _fetch_public_key(url: str) -> rsa.RSAPublicKey:
    try:
        with http.client("amazon_sns", base_url="") as session:
            response = session.get(url)
    except httpx.HTTPError as exc:
        raise SnsRefused(
            f"The SNS signing certificate could not be fetched ({type(exc).__name__}); "
            "try again later.",
            status=503,
        ) from None
    if response.status_code != 200 or len(response.content) > CERTIFICATE_MAX_BYTES:
        raise SnsRefused(
            f"The SNS signing certificate could not be fetched (HTTP {response.status_code}).",
            status=503,
        )
    try:
        certificate = x509.load_pem_x509_certificate(response.content)
    except ValueError:
        raise SnsRefused(
            "Forbidden: the SNS signing certificate is unreadable.", status=403
        ) from None
    now = datetime.now(UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise SnsRefused("Forbidden: the SNS signing certificate has expired.", status=403)
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SnsRefused("Forbidden: the SNS signing certificate is not RSA.", status=403)
    return key


def verify(
    envelope: Mapping[str, Any],
    *,
    topic_arns: Sequence[str],
    allowed_urls: Sequence[str] = DEFAULT_ALLOWED_URLS,
    now: datetime | None = None,
    certificates: CertificateCache = CERTIFICATES,
) -> SnsMessage:
    """Check an SNS message's type, topic, age and signature; return it, or raise
    SnsRefused with the status to answer. The topic and age are checked before any
    certificate is fetched, so a stranger cannot make us fetch anything."""
    kind = envelope.get("Type")
    if kind not in TYPES:
        raise SnsRefused("Bad request: not an SNS message type Frontdesk knows.", status=400)
    for name in ("MessageId", "TopicArn", "Timestamp"):
        if not isinstance(envelope.get(name), str) or not envelope[name]:
            raise SnsRefused(f"Bad request: the SNS message has no {name}.", status=400)
    for name in ("Signature", "SigningCertURL"):
        if not isinstance(envelope.get(name), str) or not envelope[name]:
            raise SnsRefused(f"Forbidden: the SNS message is not signed ({name}).", status=403)
    topic = str(envelope["TopicArn"])
    if topic not in {arn.strip() for arn in topic_arns if arn.strip()}:
        raise SnsRefused(
            "Forbidden: the SNS topic is not one of this channel's topics.", status=403
        )
    published = _published(envelope)
    now = now or datetime.now(UTC)
    if published < now - MAX_AGE - CLOCK_SKEW or published > now + CLOCK_SKEW:
        raise SnsRefused(
            "Forbidden: the SNS message's Timestamp is outside the hour SNS retries in "
            "(a replay, or a clock far off).",
            status=403,
        )
    algorithm = HASHES.get(str(envelope.get("SignatureVersion")))
    if algorithm is None:
        raise SnsRefused("Bad request: unknown SNS SignatureVersion.", status=400)
    cert_url = str(envelope["SigningCertURL"])
    if not urlsplit(cert_url).path.endswith(".pem") or not is_allowed_url(cert_url, allowed_urls):
        raise SnsRefused(
            "Forbidden: the SNS signing certificate is not on an Amazon SNS address.",
            status=403,
        )
    try:
        signature = base64.b64decode(str(envelope["Signature"]), validate=True)
    except (binascii.Error, ValueError):
        raise SnsRefused("Forbidden: the SNS signature is not base64.", status=403) from None
    key = certificates.public_key(cert_url)
    try:
        key.verify(signature, canonical_string(envelope), padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise SnsRefused("Forbidden: the SNS signature does not match.", status=403) from None
    subscribe_url = str(envelope.get("SubscribeURL") or "")
    return SnsMessage(
        type=str(kind),
        message_id=str(envelope["MessageId"]),
        topic_arn=topic,
        published=published,
        message=str(envelope.get("Message") or ""),
        subscribe_url=subscribe_url,
    )


def confirm_subscription(message: SnsMessage, *, allowed_urls: Sequence[str]) -> None:
    """Confirm a verified SubscriptionConfirmation by fetching its SubscribeURL, only
    from an allowed address; SnsRefused otherwise (403), or 503 when SNS did not say
    yes (it sends the confirmation again)."""
    url = message.subscribe_url
    if message.type != "SubscriptionConfirmation" or not url:
        raise SnsRefused("Bad request: not a subscription confirmation.", status=400)
    if not is_allowed_url(url, allowed_urls):
        raise SnsRefused("Forbidden: the SubscribeURL is not on an Amazon SNS address.", status=403)
    try:
        with http.client("amazon_sns", base_url="") as session:
            response = session.get(url)
    except httpx.HTTPError as exc:
        raise SnsRefused(
            f"The subscription could not be confirmed ({type(exc).__name__}).", status=503
        ) from None
    if response.status_code != 200:
        raise SnsRefused(
            f"The subscription could not be confirmed (HTTP {response.status_code}).",
            status=503,
        )
