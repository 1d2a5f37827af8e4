"""The email adapter's sending side: one reply as a real, threaded email.

Pure: no database, no Frontdesk app. The caller hands `send` an `EmailAccount` (built
by the email channel from its configuration row) and an `OutboundMessage`; the mail
goes through a Django email backend: the server's own (EMAIL_* settings, SMTP), an
SMTP server of the channel, or an anymail ESP backend with its API key.

What the mail carries, and why:
- From "Maya Patel via Riverside Library <desk@…>": a named person, never no-reply,
  at the organisation's address (the one its SPF/DKIM cover).
- Reply-To: the conversation's reply address (desk+code@…), so an answer finds its
  conversation even from a client that drops In-Reply-To/References.
- Message-ID: ours (given by the caller or made here, on the account's domain); it is
  returned as the provider id, so an answer's In-Reply-To finds this reply.
- In-Reply-To / References: the conversation's earlier Message-IDs (RFC 5322 §3.6.4).
- A plain-text part and an HTML part (multipart/alternative), the signature under a
  "-- " line (RFC 3676 §4.3), attachments.
- Automatic answers carry Auto-Submitted: auto-replied (RFC 3834) so auto-responders
  stay quiet.
"""

from __future__ import annotations

import html
import re
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any

from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection

from frontdesk.connectors.base import (
    Connector,
    ConnectorError,
    DeliveryResult,
    OutboundMessage,
)

MESSAGE_ID = re.compile(r"^<[^<>\s]+@[^<>@\s]+>$")
SIGNATURE_SEPARATOR = "\n\n-- \n"
# How many earlier Message-IDs References keeps (the first and the newest ones).
MAX_REFERENCES = 20


@dataclass(frozen=True, kw_only=True)
class EmailAccount:
    """How one email channel sends.

    `address` is the From address, `display_name` the organisation ("Riverside
    Library"); `backend` a Django email backend's dotted path ("" for the server's
    EMAIL_BACKEND) with `backend_options` for it (host, port, api_key, …).
    """

    address: str
    display_name: str = ""
    backend: str = ""
    backend_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].strip().lower() or "localhost"


def sender_name(person: str, organisation: str) -> str:
    """ "Maya Patel via Riverside Library", or whichever of the two there is."""
    person, organisation = person.strip(), organisation.strip()
    if person and organisation and person != organisation:
        return f"{person} via {organisation}"
    return person or organisation


def references_for(message: OutboundMessage) -> list[str]:
    """The References list: earlier Message-IDs, the one answered last, at most
    MAX_REFERENCES (the first kept: it names the thread's start)."""
    found = [ref for ref in message.references if MESSAGE_ID.match(ref)]
    if message.thread_key and MESSAGE_ID.match(message.thread_key):
        if message.thread_key in found:
            found.remove(message.thread_key)
        found.append(message.thread_key)
    unique = list(dict.fromkeys(found))
    if len(unique) > MAX_REFERENCES:
        unique = unique[:1] + unique[-(MAX_REFERENCES - 1) :]
    return unique


def text_body(message: OutboundMessage) -> str:
    body = message.body.rstrip()
    if message.marker:
        body += f"\n\n[{message.marker}]"
    if message.signature.strip():
        body += SIGNATURE_SEPARATOR + message.signature.strip()
    return body + "\n"


def html_body(message: OutboundMessage) -> str:
    """The same words as HTML: paragraphs and line breaks kept, everything escaped."""
    paragraphs = [p for p in re.split(r"\n\s*\n", message.body.strip()) if p.strip()]
    parts = [
        "<p>" + "<br>\n".join(html.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    ]
    if message.marker:
        parts.append(f'<p style="color:#888;font-size:smaller">[{html.escape(message.marker)}]</p>')
    if message.signature.strip():
        lines = "<br>\n".join(html.escape(line) for line in message.signature.strip().splitlines())
        parts.append(f'<div class="signature">-- <br>\n{lines}</div>')
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>\n'
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


def build_email(account: EmailAccount, message: OutboundMessage) -> EmailMultiAlternatives:
    """The Django email for one reply (not sent); its Message-ID is in `extra_headers`."""
    if not message.to_address:
        raise ConnectorError("Not deliverable: no address", permanent=True, code="no_address")
    _, from_address = parseaddr(account.address)
    if not from_address:
        raise ConnectorError(
            "This email channel has no sending address.", permanent=True, code="not_configured"
        )
    message_id = message.message_id
    if not MESSAGE_ID.match(message_id or ""):
        message_id = make_msgid(domain=account.domain)
    headers = {"Message-ID": message_id}
    references = references_for(message)
    if references:
        headers["References"] = " ".join(references)
        headers["In-Reply-To"] = references[-1]
    if message.automatic:
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    to = formataddr((message.to_name, message.to_address))
    cc = [formataddr((name, address)) for name, address in message.cc if address]
    email = EmailMultiAlternatives(
        subject=message.subject or f"Your message to {account.display_name or 'us'}",
        body=text_body(message),
        from_email=formataddr(
            (sender_name(message.sender_display_name, account.display_name), from_address)
        ),
        to=[to],
        cc=cc or None,
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=headers,
    )
    email.attach_alternative(html_body(message), "text/html")
    for attachment in message.attachments:
        email.attach(attachment.filename, attachment.data, attachment.content_type)
    # anymail ESPs return this with their tracking events (delivered, bounced).
    email.metadata = {"frontdesk_message_id": message_id}  # type: ignore[attr-defined]
    return email


class EmailConnector(Connector[EmailAccount]):
    kind = "email"
    label = "Email"
    reply_identity_kind = "email"
    sign_off = "signature"
    sends_attachments = "all"

    def send(self, account: EmailAccount, message: OutboundMessage) -> DeliveryResult:
        email = build_email(account, message)
        message_id = email.extra_headers["Message-ID"]
        try:
            connection = get_connection(account.backend or None, **dict(account.backend_options))
            email.connection = connection
            email.send()
        except Exception as exc:
            raise connector_error(exc, message) from exc
        detail = ""
        status = getattr(email, "anymail_status", None)
        if status is not None and getattr(status, "message_id", None):
            detail = f"ESP id {status.message_id}"
        return DeliveryResult(provider_message_id=message_id, status="sent", detail=detail)


def connector_error(exc: Exception, message: OutboundMessage) -> Exception:
    """A sending failure as a ConnectorError (temporary or permanent), or `exc` itself
    when it is no mail error at all."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return ConnectorError(
            f"The mail server refused the address {message.to_address}",
            permanent=True,
            code="recipient_refused",
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        # 5xx is a final answer; 4xx ("try again later") is worth a retry.
        return ConnectorError(
            f"The mail server answered {exc.smtp_code}: {_text(exc.smtp_error)}",
            permanent=500 <= exc.smtp_code < 600,
            code=str(exc.smtp_code),
        )
    if isinstance(exc, BadHeaderError | ValueError):
        return ConnectorError(
            f"This reply cannot be sent as an email: {exc}", permanent=True, code="bad_message"
        )
    if isinstance(exc, smtplib.SMTPException | OSError):
        return ConnectorError(
            f"The mail server could not be reached: {exc}", permanent=False, code="smtp"
        )
    return _esp_error(exc)


def _esp_error(exc: Exception) -> Exception:
    """An anymail ESP's error as a ConnectorError (anything else is raised as it is)."""
    try:
        from anymail.exceptions import AnymailError, AnymailRecipientsRefused
    except ImportError:  # pragma: no cover - anymail is a dependency
        return exc
    if isinstance(exc, AnymailRecipientsRefused):
        return ConnectorError(str(exc), permanent=True, code="recipient_refused")
    if isinstance(exc, AnymailError):
        code = getattr(exc, "status_code", None)
        permanent = code is not None and 400 <= int(code) < 500 and int(code) != 429
        return ConnectorError(f"The provider refused: {exc}", permanent=permanent, code="esp")
    return exc


def _text(error: bytes | str) -> str:
    return error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
