"""Per-person read state: when each staff member last opened each conversation."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone

from frontdesk.core.models import Membership
from frontdesk.core.scoping import WorkspaceScoped
from frontdesk.inbox.models.conversations import Conversation


class ConversationRead(WorkspaceScoped):
    """When one member last opened (or replied in) one conversation.

    A conversation is unread for a member while the customer wrote after that
    (`Conversation.last_customer_message_at` > `read_at`). Without a row, what the
    customer wrote before the member joined counts as read (`is_unread`), so a new
    colleague does not start with every old conversation in bold. One row per member
    and conversation, written only when they open it: the list reads the rows of the
    conversations on its page, in one query.
    """

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="conversation_reads"
    )
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Also the index every lookup uses: this member's rows for these conversations.
            models.UniqueConstraint(
                fields=["membership", "conversation"], name="conversation_read_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} read {self.conversation_id} at {self.read_at:%Y-%m-%d %H:%M}"


def is_unread(conversation: Conversation, *, read_at: datetime | None, joined_at: datetime) -> bool:
    """Whether the customer wrote after the member last read (or, never read, joined)."""
    customer = conversation.last_customer_message_at
    if customer is None:
        return False
    return customer > max(read_at, joined_at) if read_at else customer > joined_at
