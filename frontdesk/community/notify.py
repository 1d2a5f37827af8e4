"""Telling participants something: the one interface community uses to reach people.

TODO(#25): outreach (sender identities, consent, one send per delivery) is being
built alongside; when it lands, `notify` hands its messages to outreach instead.
Until then: email through Django's mail (the site's SMTP settings), and texts through
the workspace's active SMS channel's adapter (the channel kinds registry), each
person reached by their contact's email if they have one, else their phone.
Failures are logged and counted, never raised: a notice must not undo an action.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage

from frontdesk.connectors.base import ConnectorError, OutboundMessage
from frontdesk.core.models import ConsentStatus, ContactIdentity, IdentityKind, Workspace
from frontdesk.inbox import kinds
from frontdesk.inbox.models import Channel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str


def send_email(workspace: Workspace, *, to: str, subject: str, body: str) -> None:
    """One plain-text email from the workspace (raises on an SMTP failure)."""
    sender = settings.DEFAULT_FROM_EMAIL
    name = workspace.name.replace('"', "'")
    if "<" in sender:
        sender = f'"{name}" <{sender.split("<", 1)[1].rstrip(">")}>'
    EmailMessage(subject=subject, body=body, from_email=sender, to=[to]).send()


def send_sms(workspace: Workspace, *, to: str, body: str) -> None:
    """One text through the workspace's first active SMS channel (ConnectorError when
    there is none or the provider refuses)."""
    channel = Channel.objects.for_workspace(workspace).filter(kind="sms", is_active=True).first()
    if channel is None:
        raise ConnectorError("No SMS channel is set up to send the code.", permanent=True)
    kind = kinds.get("sms")
    kind.connector().send(kind.account_for(channel), OutboundMessage(to_address=to, body=body))


def notify(workspace: Workspace, contact_ids: Iterable[int], notice: Notice) -> int:
    """Send `notice` to each contact once (email first, else text). Returns how many
    were sent. Contacts who opted out of that channel are skipped."""
    sent = 0
    ids = set(contact_ids)
    identities = (
        ContactIdentity.objects.for_workspace(workspace)
        .filter(contact_id__in=ids, kind__in=[IdentityKind.EMAIL, IdentityKind.PHONE])
        .select_related("contact")
        .order_by("contact_id", "kind")  # "email" sorts before "phone"
    )
    done: set[int] = set()
    for identity in identities:
        if identity.contact_id in done:
            continue
        contact = identity.contact
        try:
            if identity.kind == IdentityKind.EMAIL:
                if contact.email_consent == ConsentStatus.REVOKED:
                    continue
                send_email(workspace, to=identity.value, subject=notice.subject, body=notice.body)
            else:
                if contact.sms_consent == ConsentStatus.REVOKED:
                    continue
                send_sms(
                    workspace, to=identity.value, body=f"{notice.subject}: {notice.body}"[:480]
                )
        except (OSError, ConnectorError) as error:
            logger.warning(
                "community notice not sent",
                extra={
                    "workspace": workspace.pk,
                    "contact": identity.contact_id,
                    "error": str(error),
                },
            )
            continue
        done.add(identity.contact_id)
        sent += 1
    return sent
