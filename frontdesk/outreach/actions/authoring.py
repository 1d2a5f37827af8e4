"""Sender identities and templates."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile

from frontdesk.connectors.base import ConnectorError
from frontdesk.core import roles
from frontdesk.core.actions.team import stored_photo
from frontdesk.core.errors import ActionError
from frontdesk.core.models import Contact, Membership
from frontdesk.core.permissions import require
from frontdesk.inbox.models import Channel
from frontdesk.outreach import preview, render
from frontdesk.outreach.models import Campaign, MessageKind, Notice, SenderIdentity, Template


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
    for channel, kind in ((email_channel, "email"), (sms_channel, "sms")):
        if channel is not None and (
            channel.workspace_id != member.workspace_id or channel.kind != kind
        ):
            raise ActionError(f"Choose one of this workspace's {kind} channels.", field=kind)
    if email_channel is None and sms_channel is None:
        raise ActionError("Choose the channel this person's messages go out on.", field="email")
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
    if stored is not None:
        identity.photo.save(stored.name or "photo.jpg", stored, save=False)
    identity.save()
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
    by: Membership,
) -> str:
    """Email `template` (or the unsaved `subject`/`html` being edited), personalised
    for `contact`, to `by`'s own sign-in address through `sender`'s channel, as a
    campaign would send it. Nothing is recorded; returns the address it went to."""
    require(by, roles.SEND_OUTREACH, workspace_id=template.workspace_id)
    if {sender.workspace_id, contact.workspace_id} != {template.workspace_id}:
        raise ActionError("That belongs to another workspace.")
    if template.kind != MessageKind.EMAIL:
        raise ActionError("A test send is for email templates.", code="kind")
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
