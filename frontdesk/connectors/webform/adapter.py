"""The web form channel: customers write through the workspace's "Contact us" form.

Inbound there is no provider: the form view builds an `InboundEvent` itself (kind
"webform", the submission's own id as provider id), so it needs no `parse_inbound`.

Outbound, replies go by email through Django's email backend (EMAIL_* settings),
because the form asks for an email address. A customer who left only a name (or
only a phone number) cannot be reached on this channel: `send` raises a permanent
ConnectorError with code "no_address", and the reply stays in the conversation,
marked "Not deliverable: no address".

Email facts relied on: the From display name is free text (RFC 5322 quotes it), a
signature goes below a "-- " line (RFC 3676 §4.3, which mail clients fold away), and
In-Reply-To/References must be Message-IDs (`<...@...>`) for clients to thread.
"""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage

from frontdesk.connectors.base import (
    Connector,
    ConnectorError,
    DeliveryResult,
    OutboundMessage,
)

MESSAGE_ID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")
SIGNATURE_SEPARATOR = "\n\n-- \n"


@dataclass(frozen=True, kw_only=True)
class MailAccount:
    """Who a reply by email comes from: the organisation's name (shown beside the
    person's in From) and the sending address ("" for settings.DEFAULT_FROM_EMAIL)."""

    workspace_name: str
    from_email: str = ""


class WebFormConnector(Connector[MailAccount]):
    kind = "webform"
    label = "Web form"
    reply_identity_kind = "email"
    sign_off = "signature"

    def send(self, account: MailAccount, message: OutboundMessage) -> DeliveryResult:
        if not message.to_address:
            raise ConnectorError("Not deliverable: no address", permanent=True, code="no_address")
        _, from_address = parseaddr(account.from_email or settings.DEFAULT_FROM_EMAIL)
        workspace_name = account.workspace_name
        sender = message.sender_display_name or workspace_name or "Frontdesk"
        if message.sender_display_name and workspace_name:
            sender = f"{message.sender_display_name} ({workspace_name})"
        domain = from_address.rpartition("@")[2] or "localhost"
        message_id = make_msgid(domain=domain)
        headers = {"Message-ID": message_id}
        if message.thread_key and MESSAGE_ID.match(message.thread_key):
            references = [r for r in message.references if MESSAGE_ID.match(r)]
            if message.thread_key not in references:
                references.append(message.thread_key)
            headers |= {"In-Reply-To": message.thread_key, "References": " ".join(references)}
        body = message.body
        if message.signature.strip():
            body = body.rstrip() + SIGNATURE_SEPARATOR + message.signature.strip()
        email = EmailMessage(
            subject=message.subject or f"Your message to {workspace_name or 'us'}",
            body=body,
            from_email=formataddr((sender, from_address)),
            to=[formataddr((message.to_name, message.to_address))],
            reply_to=[message.reply_to] if message.reply_to else None,
            headers=headers,
        )
        for attachment in message.attachments:
            email.attach(attachment.filename, attachment.data, attachment.content_type)
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise ConnectorError(
                f"The mail server refused the address {message.to_address}",
                permanent=True,
                code="recipient_refused",
            ) from exc
        except smtplib.SMTPResponseException as exc:
            # 5xx is a final answer; 4xx ("try again later") is worth a retry.
            raise ConnectorError(
                f"The mail server answered {exc.smtp_code}: {_text(exc.smtp_error)}",
                permanent=500 <= exc.smtp_code < 600,
                code=str(exc.smtp_code),
            ) from exc
        except (BadHeaderError, ValueError) as exc:
            raise ConnectorError(
                f"This reply cannot be sent as an email: {exc}", permanent=True, code="bad_message"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectorError(
                f"The mail server could not be reached: {exc}", permanent=False, code="smtp"
            ) from exc
        return DeliveryResult(provider_message_id=message_id, status="sent")


def _text(error: bytes | str) -> str:
    return error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
