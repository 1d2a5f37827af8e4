"""Per-person read state: a member opened (or answered) a conversation."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from frontdesk.core import roles
from frontdesk.core.models import Membership
from frontdesk.inbox.actions.common import require
from frontdesk.inbox.models import Conversation, ConversationRead, is_unread


def mark_conversation_read(
    conversation: Conversation, *, member: Membership, at: datetime | None = None
) -> None:
    """Record that `member` has seen everything in `conversation` up to `at` (now).

    One upsert on (member, conversation), so opening a conversation twice at once is
    harmless. The member's own list rows stop being bold; nobody else's change, so
    nothing is published live. Raises NotAllowed outside the member's workspace.
    """
    require(member, roles.VIEW_INBOX, workspace_id=conversation.workspace_id)
    ConversationRead.objects.bulk_create(
        [
            ConversationRead(
                workspace_id=conversation.workspace_id,
                membership=member,
                conversation=conversation,
                read_at=at or timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["membership", "conversation"],
        update_fields=["read_at"],
    )


def mark_read_if_unread(conversation: Conversation, *, member: Membership) -> bool:
    """Mark `conversation` read for `member` only when it is unread for them (the
    customer wrote since they last read it); returns whether it was.

    Opening a conversation runs this: re-opening one already read costs one indexed
    read instead of a write (on SQLite, a write waits for the one writer's lock).
    """
    require(member, roles.VIEW_INBOX, workspace_id=conversation.workspace_id)
    read_at = (
        ConversationRead.objects.filter(membership=member, conversation=conversation)
        .values_list("read_at", flat=True)
        .first()
    )
    if not is_unread(conversation, read_at=read_at, joined_at=member.joined_at):
        return False
    mark_conversation_read(conversation, member=member)
    return True
