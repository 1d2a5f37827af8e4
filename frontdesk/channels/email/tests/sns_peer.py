"""Amazon SNS on loopback: a signing key with its self-signed certificate (made with
`cryptography`), a local HTTP server serving that certificate as SNS's
SigningCertURL does and answering SubscribeURL requests, and messages signed the way
SNS signs them (AWS's "Verifying the signatures of Amazon SNS messages": `Name\\nvalue\\n`
for the type's fields in order; SignatureVersion 1 SHA1withRSA, 2 SHA256withRSA)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from frontdesk.connectors.tests.loopback import Peer, Seen, serve

TOPIC = "arn:aws:sns:us-east-1:123456789012:frontdesk-ses-events"
CERT_PATH = "/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"
CONFIRM_PATH = "/confirm"
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
SIGNED_FIELDS["UnsubscribeConfirmation"] = SIGNED_FIELDS["SubscriptionConfirmation"]


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate_pem(key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def now_iso(offset: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + offset).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class SnsPeer:
    peer: Peer
    key: rsa.RSAPrivateKey

    @property
    def url(self) -> str:
        return self.peer.url

    @property
    def cert_url(self) -> str:
        return self.peer.url + CERT_PATH

    def certificate_fetches(self) -> int:
        return len(self.peer.requests_to(CERT_PATH))

    def confirmations(self) -> list[Seen]:
        return self.peer.requests_to(CONFIRM_PATH)

    def sign(
        self,
        envelope: dict[str, Any],
        *,
        version: str = "1",
        key: rsa.RSAPrivateKey | None = None,
        cert_url: str | None = None,
    ) -> dict[str, Any]:
        signed = dict(envelope)
        signed["SignatureVersion"] = version
        signed["SigningCertURL"] = cert_url or self.cert_url
        text = "".join(
            f"{name}\n{signed[name]}\n"
            for name in SIGNED_FIELDS[signed["Type"]]
            if signed.get(name) is not None
        )
        # SNS's SignatureVersion 1 is SHA1withRSA: the wire format's choice, not ours.
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
        signature = (key or self.key).sign(text.encode(), padding.PKCS1v15(), algorithm)
        signed["Signature"] = base64.b64encode(signature).decode()
        return signed

    def notification(
        self,
        message: str,
        *,
        topic: str = TOPIC,
        published: str | None = None,
        subject: str | None = None,
        **signing: Any,
    ) -> dict[str, Any]:
        envelope = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic,
            "Message": message,
            "Timestamp": published or now_iso(),
            "UnsubscribeURL": f"{self.url}/?Action=Unsubscribe",
        }
        if subject is not None:
            envelope["Subject"] = subject
        return self.sign(envelope, **signing)

    def subscription_confirmation(
        self, *, topic: str = TOPIC, subscribe_url: str | None = None, **signing: Any
    ) -> dict[str, Any]:
        token = uuid.uuid4().hex * 4
        envelope = {
            "Type": "SubscriptionConfirmation",
            "MessageId": str(uuid.uuid4()),
            "Token": token,
            "TopicArn": topic,
            "Message": f"You have chosen to subscribe to the topic {topic}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message.",
            "SubscribeURL": subscribe_url
            or f"{self.url}{CONFIRM_PATH}?Action=ConfirmSubscription&TopicArn={topic}"
            f"&Token={token}",
            "Timestamp": now_iso(),
        }
        return self.sign(envelope, **signing)


def headers_for(envelope: dict[str, Any]) -> dict[str, str]:
    """The headers SNS sends with a message (Django's test client spelling)."""
    return {
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": envelope["Type"],
        "HTTP_X_AMZ_SNS_MESSAGE_ID": envelope["MessageId"],
        "HTTP_X_AMZ_SNS_TOPIC_ARN": envelope["TopicArn"],
    }


def body_of(envelope: dict[str, Any]) -> str:
    return json.dumps(envelope)


@contextmanager
def sns_peer() -> Iterator[SnsPeer]:
    key = new_key()
    pem = certificate_pem(key)
    confirmed = (
        b'<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
        b"<ConfirmSubscriptionResult><SubscriptionArn>" + TOPIC.encode() + b":1"
        b"</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>"
    )
    routes = {
        CERT_PATH: lambda seen: (200, {"Content-Type": "application/x-pem-file"}, pem),
        CONFIRM_PATH: lambda seen: (200, {"Content-Type": "text/xml"}, confirmed),
    }
    with serve(routes) as peer:
        yield SnsPeer(peer, key)
