"""Trying a template before it goes out: a preview rendered for a real contact of
the workspace, and a test mail to the staff member who is editing it.

Both use the sending engine's own context and composition (`sending.context_for`,
`sending.compose_email`), so what staff see here is what a recipient would get.
Notices name an item or an event that only exists when the notice is sent; the
preview fills those with the clearly fictional `SAMPLE_DATA`.
"""

from __future__ import annotations

import dataclasses
import uuid
from html import escape
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from frontdesk.connectors import http
from frontdesk.connectors.base import ConnectorError, OutboundMessage
from frontdesk.connectors.email.bulk import BulkSender
from frontdesk.connectors.email.htmltext import html_to_text
from frontdesk.core.models import Contact, ContactIdentity, Workspace
from frontdesk.inbox import kinds
from frontdesk.outreach import render, sending, tokens
from frontdesk.outreach.models import (
    ContactData,
    Delivery,
    MessageKind,
    OutreachSettings,
    SenderIdentity,
    Template,
)

# What a notice's {{ item.* }} and {{ event.* }} show in a preview or a test mail.
SAMPLE_DATA: dict[str, dict[str, str]] = {
    "item": {
        "title": "The Overstory",
        "author": "Richard Powers",
        "due": "Friday, 18 December",
        "pickup_by": "Wednesday, 16 December",
        "branch": "Main Library",
    },
    "event": {
        "title": "Family story time",
        "starts": "Tuesday, 15 December at 10:30",
        "place": "Children's room, Main Library",
    },
}
PREVIEW_CONTACTS = 200  # the picker offers this many contacts with an address


@dataclasses.dataclass(frozen=True)
class Preview:
    """A template rendered for one contact: what the recipient would read."""

    contact: Contact
    address: str
    subject: str
    html: str
    text: str
    sms: str
    document: str  # the email as a page for a sandboxed frame: body and signature


def contacts_for(workspace: Workspace, kind: str) -> QuerySet[Contact]:
    """Contacts a preview can use: live ones with an address for `kind`, by name."""
    identity_kind = "email" if kind == MessageKind.EMAIL else "phone"
    has_address = ContactIdentity.objects.filter(contact=OuterRef("pk"), kind=identity_kind)
    return (
        Contact.objects.for_workspace(workspace)
        .filter(merged_into__isnull=True)
        .filter(Exists(has_address))
        .exclude(name="")
        .order_by("name", "pk")
    )


def _context(
    workspace: Workspace,
    contact: Contact,
    sender: SenderIdentity | None,
    kind: str,
    address: str,
) -> render.Context:
    delivery = Delivery(workspace=workspace, contact=contact, kind=kind, address=address)
    custom = (
        ContactData.objects.filter(workspace=workspace, contact=contact)
        .values_list("fields", flat=True)
        .first()
    )
    face = sender or SenderIdentity(workspace=workspace, name="", title="")
    return sending.context_for(delivery, face, dict(SAMPLE_DATA), custom or {})


def render_for(
    workspace: Workspace,
    contact: Contact,
    *,
    kind: str,
    subject: str = "",
    html: str = "",
    sms_body: str = "",
    sender: SenderIdentity | None = None,
) -> Preview:
    """The template's text personalised for `contact` (of `workspace`)."""
    address = sending.contact_address(contact.pk, kind) or ""
    context = _context(workspace, contact, sender, kind, address)
    body_html = render.render(html, context, escape=True) if kind == MessageKind.EMAIL else ""
    signature = ""
    if sender is not None:
        signature = sender.signature.strip() or "\n".join(
            x for x in (sender.name, sender.title) if x
        )
    document = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{font:15px/1.5 '
        "system-ui,sans-serif;color:#222;margin:12px}.signature{color:#555}</style></head>"
        f"<body>{body_html}"
        + (
            '<div class="signature">-- <br>'
            + "<br>".join(escape(line) for line in signature.splitlines())
            + "</div>"
            if signature
            else ""
        )
        + "</body></html>"
    )
    return Preview(
        contact=contact,
        address=address,
        subject=render.render(subject, context, escape=False),
        html=body_html,
        text=html_to_text(body_html).strip() if body_html else "",
        sms=_signed_text(render.render(sms_body, context, escape=False), sender)
        if kind == MessageKind.SMS
        else "",
        document=document if kind == MessageKind.EMAIL else "",
    )


def _signed_text(body: str, sender: SenderIdentity | None) -> str:
    """A text as the SMS adapter sends it: the body, then the sender's sign-off."""
    sign_off = sending.sms_sign_off(sender, body) if sender is not None else ""
    return f"{body}\n{sign_off}" if sign_off and body else body or sign_off


def send_test_email(
    workspace: Workspace,
    *,
    sender: SenderIdentity,
    contact: Contact,
    subject: str,
    html: str,
    to_address: str,
    to_name: str,
) -> str:
    """Send the email template, personalised for `contact`, to `to_address` (the
    member trying it) through the sender identity's channel, composed exactly as a
    campaign mail (From with the person's name, Reply-To, signature, footer) but
    with "[Test]" before the subject and no delivery row. Returns the Message-ID.
    Raises ConnectorError when the channel cannot send."""
    from frontdesk.inbox.models import Channel

    if sender.email_channel_id is None:
        raise ConnectorError(
            f"{sender.name} has no email channel to send from.",
            permanent=True,
            code="not_configured",
        )
    channel = Channel.objects.select_related("workspace").get(pk=sender.email_channel_id)
    kind = kinds.get("email")
    account: Any = kind.account_for(channel)
    receive_address = kind.addresses_of([channel]).get(channel.pk) or account.address
    if sender.from_address and sender.from_address_verified:
        account = dataclasses.replace(account, address=sender.from_address, display_name="")
    physical = (
        OutreachSettings.objects.filter(workspace=workspace)
        .values_list("physical_address", flat=True)
        .first()
        or ""
    )
    address = sending.contact_address(contact.pk, MessageKind.EMAIL) or ""
    context = _context(workspace, contact, sender, MessageKind.EMAIL, address)
    # Addressed to the member, written for the contact; id 0 names no delivery, so
    # its links and reply code lead nowhere (a reply starts an ordinary conversation).
    envelope = Delivery(
        pk=0,
        workspace=workspace,
        contact=Contact(workspace=workspace, name=to_name),
        kind=MessageKind.EMAIL,
        address=to_address,
        idempotency_key=f"fd-test-{uuid.uuid4().hex[:16]}",
    )
    template = Template(workspace=workspace, subject=f"[Test] {subject}", html=html)
    composed = sending.compose_email(
        envelope,
        sender,
        template,
        context,
        account_domain=account.domain,
        reply_address=tokens.reply_address(receive_address, workspace.pk, 0),
        physical_address=physical,
    )
    bulk = BulkSender(account)
    try:
        result = bulk.send(
            composed.message, commit=lambda: True, html=composed.html, headers=composed.headers
        )
    finally:
        bulk.close()
    return result.provider_message_id or ""


def provider_is_this_server(sender: SenderIdentity) -> bool:
    """Whether the sender's SMS provider is served by this Frontdesk itself (the demo's
    Twilio stand-in under FRONTDESK_PUBLIC_URL, set through FRONTDESK_CONNECTOR_BASE_URLS)."""
    from frontdesk.inbox.models import Channel

    channel = (
        Channel.objects.filter(pk=sender.sms_channel_id or 0, kind="sms")
        .select_related("sms_config")
        .first()
    )
    config = getattr(channel, "sms_config", None) if channel is not None else None
    return http.served_here(getattr(config, "provider", "") or "")


def send_test_sms(
    workspace: Workspace,
    *,
    sender: SenderIdentity,
    contact: Contact,
    sms_body: str,
    to_number: str,
) -> str:
    """Text the SMS template, personalised for `contact`, to `to_number` (the member
    trying it) through the sender's SMS channel adapter, as a campaign text (signed
    by the sender) with "[Test]" first. Returns the provider's message id. Raises
    ConnectorError when the channel cannot send."""
    from frontdesk.inbox.models import Channel

    if sender.sms_channel_id is None:
        raise ConnectorError(
            f"{sender.name} has no text message channel.", permanent=True, code="not_configured"
        )
    channel = Channel.objects.select_related("workspace").get(pk=sender.sms_channel_id)
    kind = kinds.get(channel.kind)
    account = kind.account_for(channel)
    address = sending.contact_address(contact.pk, MessageKind.SMS) or ""
    context = _context(workspace, contact, sender, MessageKind.SMS, address)
    body = "[Test] " + render.render(sms_body, context, escape=False)
    result = kind.connector().send(
        account,
        OutboundMessage(
            to_address=to_number, body=body, signature=sending.sms_sign_off(sender, body)
        ),
    )
    return result.provider_message_id or ""


def send_address_proof(sender: SenderIdentity, token: str) -> None:
    """Mail the link that proves `sender.from_address` to that address, from the
    sender's email channel (its own, already verified address). Raises
    ConnectorError when the channel cannot send."""
    from frontdesk.inbox.models import Channel

    channel = Channel.objects.select_related("workspace").get(pk=sender.email_channel_id or 0)
    account: Any = kinds.get("email").account_for(channel)
    link = sending.public_url("outreach-public:sender-address", token)
    workspace = channel.workspace.name
    days = tokens.LIFETIMES["sender-address"].days
    body = (
        f"Hello {sender.name},\n\n"
        f"{workspace} would like to send its messages from you, from this address "
        f"({sender.from_address}). To confirm that it is yours, open this link and press "
        f"the button:\n\n{link}\n\n"
        f"The link works for {days} days. Until then, your messages go out from "
        f"{account.address} with your name.\n\n"
        "If you did not expect this, ignore it: nothing is sent from your address."
    )
    bulk = BulkSender(account)
    try:
        bulk.send(
            OutboundMessage(
                to_address=sender.from_address,
                to_name=sender.name,
                subject=f"Confirm your address for {workspace}'s messages",
                body=body,
                message_id=f"<fd-proof-{uuid.uuid4().hex}@{account.domain}>",
                automatic=True,
            ),
            commit=lambda: True,
        )
    finally:
        bulk.close()
