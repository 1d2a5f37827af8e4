"""Sender identities and templates."""

from __future__ import annotations

from frontdesk.core import roles
from frontdesk.core.errors import ActionError
from frontdesk.core.models import Membership
from frontdesk.core.permissions import require
from frontdesk.inbox.models import Channel
from frontdesk.outreach import render
from frontdesk.outreach.models import MessageKind, SenderIdentity, Template


def create_sender_identity(
    *,
    member: Membership,
    name: str = "",
    title: str = "",
    signature: str = "",
    email_channel: Channel | None = None,
    sms_channel: Channel | None = None,
    from_address: str = "",
    by: Membership,
) -> SenderIdentity:
    """Make `member` a face of outreach. Channels must be the workspace's own;
    `from_address` is stored unverified. Needs manage_channels (an admin)."""
    require(by, roles.MANAGE_CHANNELS, workspace_id=member.workspace_id)
    for channel, kind in ((email_channel, "email"), (sms_channel, "sms")):
        if channel is not None and (
            channel.workspace_id != member.workspace_id or channel.kind != kind
        ):
            raise ActionError(f"Choose one of this workspace's {kind} channels.", field=kind)
    return SenderIdentity.objects.create(
        workspace_id=member.workspace_id,
        member=member,
        name=(name or member.display_name).strip()[:80],
        title=(title or member.title).strip()[:80],
        signature=signature or member.signature,
        email_channel=email_channel,
        sms_channel=sms_channel,
        from_address=from_address.strip().lower(),
    )


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
    if kind not in MessageKind.values:
        raise ActionError("Choose email or text message.", field="kind")
    texts = [subject, html] if kind == MessageKind.EMAIL else [sms_body]
    if not any(t.strip() for t in texts):
        raise ActionError("A template needs some text.", field="html")
    for text in texts:
        found = render.problems(text)
        if found:
            raise ActionError(found[0], field="html")
    return Template.objects.create(
        workspace_id=workspace_id,
        name=name.strip()[:120] or "Untitled",
        kind=kind,
        subject=subject.strip()[:255],
        html=html,
        sms_body=sms_body,
    )
