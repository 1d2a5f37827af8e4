"""Who should handle a conversation after a customer writes: a seam for routing rules.

Today the rule is the simplest fair one: a conversation keeps its assignee (the
customer goes on talking to the person who answered them); otherwise it stays
unassigned for whoever picks it up. TODO(issue: triage and routing rules): rules by
channel, keyword, language or sentiment, round-robin within a team; they plug in here
and return the member (or None) without saving anything.
"""

from __future__ import annotations

from frontdesk.core.models import Membership
from frontdesk.inbox.models import Conversation, Message


def route_conversation(conversation: Conversation, *, message: Message) -> Membership | None:
    """The member `conversation` should be assigned to now that `message` arrived."""
    assignee = conversation.assignee
    if assignee is not None and not assignee.is_active:
        return None  # a deactivated colleague cannot answer: back to the shared queue
    return assignee
