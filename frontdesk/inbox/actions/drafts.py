"""Drafts waiting in a member's composer, and replies a person posted elsewhere.

`save_draft` is how something that prepares a reply for a person (a first-contact
draft from listening) puts it in that person's composer: unsent, theirs to edit.
`record_posted_reply` records a reply that a person sent outside the channels, from
their own account on a network (inbox/elsewhere.py): it is already out, so it is
stored as sent, with the address of the post.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from frontdesk.core import roles
from frontdesk.core.models import Membership
from frontdesk.inbox import live
from frontdesk.inbox.actions.common import InboxError, require
from frontdesk.inbox.actions.conversations import _locked
from frontdesk.inbox.actions.replies import record_answer
from frontdesk.inbox.models import (
    ComposerDraft,
    Conversation,
    DeliveryStatus,
    Message,
    MessageKind,
)

DRAFT_MAX_LENGTH = 20_000


def save_draft(conversation: Conversation, *, body: str, by: Membership) -> ComposerDraft:
    """Put `body` in `by`'s composer on `conversation` (replacing their earlier draft)."""
    require(by, roles.REPLY, workspace_id=conversation.workspace_id)
    body = (body or "").strip()
    if not body:
        raise InboxError("A draft needs some text.")
    draft, _ = ComposerDraft.objects.update_or_create(
        membership=by,
        conversation=conversation,
        defaults={
            "workspace_id": conversation.workspace_id,
            "body": body[:DRAFT_MAX_LENGTH],
            "created_at": timezone.now(),
        },
    )
    return draft


def draft_for(conversation: Conversation, member: Membership) -> str:
    """The text `member`'s composer opens with on `conversation` ("" when none)."""
    found = ComposerDraft.objects.filter(membership=member, conversation=conversation).first()
    return found.body if found else ""


def discard_draft(conversation: Conversation, member: Membership) -> None:
    """The member sent their reply: the draft has done its job."""
    ComposerDraft.objects.filter(membership=member, conversation=conversation).delete()


def record_posted_reply(
    conversation: Conversation, *, body: str, by: Membership, post_url: str
) -> Message:
    """Store a reply `by` already posted from their own account elsewhere (sent).

    Stamps the first response and clears the wait like any reply; `post_url` (where
    the post is) is kept as its provider id, so the page links to it."""
    require(by, roles.REPLY, workspace_id=conversation.workspace_id)
    now = timezone.now()
    with transaction.atomic():
        _locked(conversation)
        message = Message.objects.create(
            workspace_id=conversation.workspace_id,
            conversation=conversation,
            kind=MessageKind.REPLY,
            author=by,
            body=body,
            channel=None,
            provider_message_id=post_url[:255] or None,
            status=DeliveryStatus.SENT,
            attempts=1,
            sent_at=now,
            created_at=now,
        )
        record_answer(conversation, by=by, at=now)
        live.message_published(message)
        live.conversation_changed(conversation)
    return message
