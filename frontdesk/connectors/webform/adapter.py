"""The web form channel: customers write through the workspace's "Contact us" form.

Inbound there is no provider: the form view builds an `InboundEvent` itself (kind
"webform", the submission's own id as provider id), so it needs no `parse_inbound`.

Outbound, replies go by email through Django's email backend (EMAIL_* settings),
because the form asks for an email address: the very message the email channel
sends (`connectors.email.adapter.EmailConnector`: "Maya Patel via Riverside
Library", plain text and HTML, threading headers, the same SMTP error mapping). A
customer who left only a name (or only a phone number) cannot be reached on this
channel: `send` raises a permanent ConnectorError with code "no_address", and the
reply stays in the conversation, marked "Not deliverable: no address".
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings

from frontdesk.connectors.base import (
    Connector,
    ConnectorError,
    DeliveryResult,
    OutboundMessage,
)
from frontdesk.connectors.email.adapter import MESSAGE_ID, EmailAccount, EmailConnector

__all__ = ["MESSAGE_ID", "MailAccount", "WebFormConnector"]


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
        # The server's own mail settings (backend ""), as the organisation.
        sending = EmailAccount(address=from_address, display_name=account.workspace_name)
        return EmailConnector().send(sending, message)
