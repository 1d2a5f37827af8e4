"""Replies come home: an answer to an outreach message becomes a conversation
assigned to the person it came from, linked to its delivery (and so its campaign
or notice).

The email channel's threading calls `conversation_for_reply` when no existing
conversation claims a mail. A delivery is found by the reply code in the
recipients (desk+o42-…@, an HMAC: only someone who got the mail has it) or by
In-Reply-To/References naming the delivery's Message-ID, which counts only when the
mail comes from the delivery's own contact (a Message-ID is easy to forge).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from frontdesk.core.models import Contact
from frontdesk.inbox.actions.conversations import start_conversation
from frontdesk.inbox.models import Channel, Conversation
from frontdesk.outreach import tokens
from frontdesk.outreach.models import Delivery


def delivery_for_reply(
    workspace_id: int, contact: Contact, *, tags: Iterable[str], message_ids: Iterable[str]
) -> Delivery | None:
    for tag in tags:
        delivery_id = tokens.delivery_of(tag, workspace_id) if tag else None
        if delivery_id:
            found = Delivery.objects.filter(pk=delivery_id, workspace_id=workspace_id).first()
            if found is not None:
                return found
    ids = [i.strip() for i in message_ids if i and i.strip()]
    if not ids:
        return None
    return (
        Delivery.objects.filter(
            workspace_id=workspace_id, provider_message_id__in=ids, contact=contact
        )
        .order_by("-pk")
        .first()
    )


def conversation_for_reply(
    workspace_id: int,
    contact: Contact,
    channel: Channel,
    *,
    tags: Iterable[str],
    message_ids: Iterable[str],
    subject: str,
    received_at: object,
) -> int | None:
    """The conversation a reply to an outreach message goes to (made and assigned
    to the sender identity's member the first time), or None if it answers none.
    Call inside the intake's transaction."""
    delivery = delivery_for_reply(workspace_id, contact, tags=tags, message_ids=message_ids)
    if delivery is None:
        return None
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if (
        locked.reply_conversation_id
        and Conversation.objects.filter(pk=locked.reply_conversation_id, contact=contact).exists()
    ):
        return locked.reply_conversation_id
    source = locked.campaign or locked.notice
    if source is None:
        return None
    member = source.sender.member
    with transaction.atomic():
        conversation = start_conversation(
            channel.workspace,
            contact=contact,
            channel=channel,
            subject=subject,
            started_at=received_at,  # type: ignore[arg-type]
        )
        if member.is_active:
            conversation.assignee = member
            conversation.save(update_fields=["assignee"])
        Delivery.objects.filter(pk=locked.pk).update(reply_conversation=conversation)
    return conversation.pk
