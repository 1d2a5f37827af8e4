"""Per-person read state: a member opened (or answered) a conversation."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from frontdesk.core import roles
from frontdesk.core.models import Membership
from frontdesk.inbox.actions.common import require
from frontdesk.inbox.models import Conversation, ConversationRead


def mark_conversation_read(
    conversation: Conversation, *, member: Membership, at: datetime | None = None
) -> None:
    """Record that `member` has seen everything in `conversation` up to `at` (now).

    One upsert on (member, conversation), so opening a conversation twice at once is
    harmless. The member's own list rows stop being bold; nobody else's change, so
    nothing is published live. Raises NotAllowed outside the member's workspace.
    """
    require(member, conversation.workspace_id, roles.VIEW_INBOX)
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
