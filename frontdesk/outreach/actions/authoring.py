"""Sender identities (add, edit, archive or delete, prove their own address) and
templates (write, try with a test send)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from frontdesk.connectors.base import ConnectorError
from frontdesk.core import roles
from frontdesk.core.actions.team import stored_photo
from frontdesk.core.errors import ActionError
from frontdesk.core.models import Contact, Membership
from frontdesk.core.permissions import require
from frontdesk.inbox import kinds
from frontdesk.inbox.models import Channel
from frontdesk.outreach import preview, render, tokens
from frontdesk.outreach.models import (
    Campaign,
    MessageKind,
    Notice,
    OutreachSettings,
    SenderIdentity,
    Template,
)


def _photo(photo: UploadedFile[Any]) -> ContentFile[bytes]:
    """The upload checked and stored like a staff photo (core.actions.team)."""
    try:
        return stored_photo(photo)
    except ValidationError as error:
        raise ActionError(" ".join(error.messages), field="photo") from None


def create_sender_identity(
    *,
    member: Membership,
    name: str = "",
    title: str = "",
    signature: str = "",
    email_channel: Channel | None = None,
    sms_channel: Channel | None = None,
    from_address: str = "",
    photo: UploadedFile[Any] | None = None,
    by: Membership,
) -> SenderIdentity:
    """Make `member` a face of outreach. Channels must be the workspace's own;
    `from_address` is stored unverified; `photo` is checked and re-encoded like a
    staff photo. Needs manage_channels (an admin)."""
    require(by, roles.MANAGE_CHANNELS, workspace_id=member.workspace_id)
    if not member.is_active:
        raise ActionError("Choose an active member of the team.", field="member")
    _check_channels(member.workspace_id, email_channel, sms_channel)
    stored = _photo(photo) if photo is not None else None
    identity = SenderIdentity(
        workspace_id=member.workspace_id,
        member=member,
        name=(name or member.display_name).strip()[:80],
        title=(title or member.title).strip()[:80],
        signature=signature or member.signature,
        email_channel=email_channel,
        sms_channel=sms_channel,
        from_address=from_address.strip().lower(),
    )
    identity.from_address_verified = _is_channel_address(identity)
    if stored is not None:
        identity.photo.save(stored.name or "photo.jpg", stored, save=False)
    identity.save()
    return identity


def _check_channels(
    workspace_id: int, email_channel: Channel | None, sms_channel: Channel | None
) -> None:
    for channel, kind in ((email_channel, "email"), (sms_channel, "sms")):
        if channel is not None and (channel.workspace_id != workspace_id or channel.kind != kind):
            raise ActionError(f"Choose one of this workspace's {kind} channels.", field=kind)
    if email_channel is None and sms_channel is None:
        raise ActionError("Choose the channel this person's messages go out on.", field="email")


def channel_address(channel: Channel | None) -> str:
    """The sending address an email channel is set up with ("" if it cannot send)."""
    if channel is None:
        return ""
    try:
        return str(kinds.get("email").account_for(channel).address).strip().lower()
    except ConnectorError:
        return ""


def _is_channel_address(identity: SenderIdentity) -> bool:
    """True when the identity's own address is its channel's: nothing to prove."""
    address = identity.from_address
    return bool(address) and address == channel_address(identity.email_channel)


def update_sender_identity(
    identity: SenderIdentity,
    *,
    name: str,
    title: str,
    signature: str,
    email_channel: Channel | None,
    sms_channel: Channel | None,
    from_address: str,
    photo: UploadedFile[Any] | None = None,
    remove_photo: bool = False,
    by: Membership,
) -> SenderIdentity:
    """Change how a sender appears and sends. A new `from_address` is unverified
    until its link is followed (`request_address_proof`); the replaced photo file is
    deleted after commit. Campaigns already sending pick up the change with their
    next message. Needs manage_channels."""
    require(by, roles.MANAGE_CHANNELS, workspace_id=identity.workspace_id)
    _check_channels(identity.workspace_id, email_channel, sms_channel)
    stored = _photo(photo) if photo is not None else None
    address = from_address.strip().lower()
    old_photo = identity.photo.name if identity.photo else ""
    identity.name = name.strip()[:80] or identity.member.display_name
    identity.title = title.strip()[:80]
    identity.signature = signature.strip()
    identity.email_channel = email_channel
    identity.sms_channel = sms_channel
    if address != identity.from_address or not identity.from_address_verified:
        identity.from_address = address
        identity.from_address_verified = _is_channel_address(identity)
    with transaction.atomic():
        if stored is not None:
            identity.photo.save(stored.name or "photo.jpg", stored, save=False)
        elif remove_photo:
            identity.photo = ""
        identity.save()
        new_photo = identity.photo.name if identity.photo else ""
        if old_photo and old_photo != new_photo:
            storage = identity.photo.storage
            transaction.on_commit(lambda: storage.delete(old_photo))
    return identity


def sender_in_use(identity: SenderIdentity) -> bool:
    """Whether campaigns or notices name this sender (they keep it: PROTECT)."""
    return (
        Campaign.objects.filter(workspace_id=identity.workspace_id, sender=identity).exists()
        or Notice.objects.filter(workspace_id=identity.workspace_id, sender=identity).exists()
    )


def remove_sender_identity(identity: SenderIdentity, *, by: Membership) -> bool:
    """Delete a sender nothing has been sent from; archive one that campaigns or
    notices name (they keep showing who sent them; new ones cannot choose it, and
    it stops being the default sender of notices). True if deleted, False if
    archived. Needs manage_channels."""
    require(by, roles.MANAGE_CHANNELS, workspace_id=identity.workspace_id)
    with transaction.atomic():
        OutreachSettings.objects.filter(
            workspace_id=identity.workspace_id, default_sender=identity
        ).update(default_sender=None)
        if sender_in_use(identity):
            if identity.archived_at is None:
                identity.archived_at = timezone.now()
                identity.save(update_fields=["archived_at"])
            return False
        photo = identity.photo.name if identity.photo else ""
        storage = identity.photo.storage
        identity.delete()
        if photo:
            transaction.on_commit(lambda: storage.delete(photo))
    return True


def restore_sender_identity(identity: SenderIdentity, *, by: Membership) -> SenderIdentity:
    """Offer an archived sender for new campaigns and notices again."""
    require(by, roles.MANAGE_CHANNELS, workspace_id=identity.workspace_id)
    identity.archived_at = None
    identity.save(update_fields=["archived_at"])
    return identity


def request_address_proof(identity: SenderIdentity, *, by: Membership) -> str:
    """Mail a signed link (valid LIFETIMES["sender-address"]) to the sender's own
    address, through their email channel; following it proves the address
    (`prove_address`). Returns the address it went to."""
    require(by, roles.MANAGE_CHANNELS, workspace_id=identity.workspace_id)
    if not identity.from_address:
        raise ActionError("Enter the person's own address first.", field="from_address")
    if identity.from_address_verified:
        raise ActionError(f"{identity.from_address} is verified already.", code="verified")
    if identity.email_channel_id is None:
        raise ActionError(
            "Choose the email channel that sends the link (and their mail).",
            field="email_channel",
        )
    try:
        preview.send_address_proof(
            identity, tokens.sign_address(identity.pk, identity.from_address)
        )
    except ConnectorError as error:
        raise ActionError(f"The link could not be sent: {error.message}", code="send") from None
    return identity.from_address


def prove_address(token: str) -> SenderIdentity:
    """Mark the address a `request_address_proof` link names as verified (no login:
    the link is the proof). Raises tokens.BadLink for an altered or expired link,
    or one for an address the sender no longer uses."""
    sender_id, address = tokens.unsign_address(token)
    identity = SenderIdentity.objects.select_related("workspace").filter(pk=sender_id).first()
    if identity is None or identity.from_address != address:
        raise tokens.BadLink(
            "This link is for an address the sender no longer uses. Ask for a new one."
        )
    if not identity.from_address_verified:
        SenderIdentity.objects.filter(pk=identity.pk, from_address=address).update(
            from_address_verified=True
        )
        identity.from_address_verified = True
    return identity


def _checked(kind: str, subject: str, html: str, sms_body: str) -> None:
    """Refuse an unknown kind, an empty template or a placeholder outside the safe set."""
    if kind not in MessageKind.values:
        raise ActionError("Choose email or text message.", field="kind")
    if kind == MessageKind.EMAIL:
        fields = [("subject", subject), ("html", html)]
    else:
        fields = [("sms_body", sms_body)]
    for field, text in fields:
        found = render.problems(text)
        if found:
            raise ActionError(found[0], field=field)
    if kind == MessageKind.EMAIL and not subject.strip():
        raise ActionError("An email needs a subject.", field="subject")
    if not any(text.strip() for _field, text in fields):
        raise ActionError("A template needs some text.", field=fields[-1][0])


def create_template(
    workspace_id: int,
    *,
    name: str,
    kind: str = MessageKind.EMAIL,
    subject: str = "",
    html: str = "",
    sms_body: str = "",
    by: Membership,
) -> Template:
    """A new template; refuses placeholders outside the safe set (render.problems)."""
    require(by, roles.SEND_OUTREACH, workspace_id=workspace_id)
    _checked(kind, subject, html, sms_body)
    return Template.objects.create(
        workspace_id=workspace_id,
        name=name.strip()[:120] or "Untitled",
        kind=kind,
        subject=subject.strip()[:255],
        html=html,
        sms_body=sms_body,
    )


def update_template(
    template: Template,
    *,
    name: str,
    kind: str,
    subject: str = "",
    html: str = "",
    sms_body: str = "",
    by: Membership,
) -> Template:
    """Save new text for `template`, checked like a new one. A campaign already sending
    renders each message when it is sent, so it picks up the change."""
    require(by, roles.SEND_OUTREACH, workspace_id=template.workspace_id)
    _checked(kind, subject, html, sms_body)
    if kind != template.kind and (
        Campaign.objects.filter(workspace_id=template.workspace_id, template=template).exists()
        or Notice.objects.filter(workspace_id=template.workspace_id, template=template).exists()
    ):
        # Its deliveries were addressed for the old kind (an email address, a phone).
        raise ActionError(
            "Campaigns or notices use this template: make a new one to send it as "
            f"{MessageKind(kind).label.lower()}.",
            field="kind",
            code="in_use",
        )
    template.name = name.strip()[:120] or "Untitled"
    template.kind = kind
    template.subject = subject.strip()[:255]
    template.html = html
    template.sms_body = sms_body
    template.save(update_fields=["name", "kind", "subject", "html", "sms_body"])
    return template


def send_test_message(
    template: Template,
    *,
    sender: SenderIdentity,
    contact: Contact,
    subject: str | None = None,
    html: str | None = None,
    sms_body: str | None = None,
    by: Membership,
) -> str:
    """Send `template` (or the unsaved text being edited), personalised for
    `contact`, to `by` as a campaign would send it through `sender`'s channel: an
    email to their sign-in address, a text to their own mobile number (their
    profile). Nothing is recorded; returns the address or number it went to."""
    require(by, roles.SEND_OUTREACH, workspace_id=template.workspace_id)
    if {sender.workspace_id, contact.workspace_id} != {template.workspace_id}:
        raise ActionError("That belongs to another workspace.")
    if template.kind == MessageKind.SMS:
        return _send_test_text(template, sender=sender, contact=contact, body=sms_body, by=by)
    subject = template.subject if subject is None else subject
    html = template.html if html is None else html
    _checked(MessageKind.EMAIL, subject, html, "")
    to_address = by.user.email
    try:
        preview.send_test_email(
            template.workspace,
            sender=sender,
            contact=contact,
            subject=subject,
            html=html,
            to_address=to_address,
            to_name=by.display_name,
        )
    except ConnectorError as error:
        raise ActionError(f"The test could not be sent: {error.message}", code="send") from None
    return to_address


def _send_test_text(
    template: Template,
    *,
    sender: SenderIdentity,
    contact: Contact,
    body: str | None,
    by: Membership,
) -> str:
    body = template.sms_body if body is None else body
    _checked(MessageKind.SMS, "", "", body)
    if sender.sms_channel_id is None:
        raise ActionError(
            f"{sender.name} sends no texts: choose a sender with a text message channel "
            "(the senders page sets one).",
            code="no_channel",
        )
    if not by.mobile:
        raise ActionError(
            "Add your mobile number to your profile first: the test text goes to you.",
            code="no_mobile",
        )
    if preview.provider_is_this_server(sender):
        # The demo's Twilio stand-in is served by this very server: a web process must
        # never wait on a request to itself (with one thread it would wait until the
        # timeout), so the worker sends it, as the demo phone's texts are sent.
        from frontdesk.outreach.tasks import send_test_text

        send_test_text(template.workspace_id, sender.pk, contact.pk, body, by.mobile)
        return by.mobile
    try:
        preview.send_test_sms(
            template.workspace, sender=sender, contact=contact, sms_body=body, to_number=by.mobile
        )
    except ConnectorError as error:
        raise ActionError(f"The test could not be sent: {error.message}", code="send") from None
    return by.mobile
