"""Who should handle a conversation after a customer writes: a seam for routing rules.

The rules, in order:
1. A conversation keeps its assignee while they are active (the customer goes on
   talking to the person who answered them); a deactivated colleague cannot answer,
   so their conversation goes back to the shared queue.
2. Otherwise, when the channel already told the customer who will answer (the web
   form's thank-you names a person: raw["acknowledged_responder"]), that person
   takes it, if they are still in the workspace, active and able to reply: the
   promise made to the customer is kept.
3. Otherwise it stays unassigned for whoever picks it up.
TODO(issue: triage and routing rules): rules by channel, keyword, language or
sentiment, round-robin within a team; they plug in here and return the member (or
None) without saving anything.
"""

from __future__ import annotations

from typing import Any

from frontdesk.core import roles
from frontdesk.core.models import Membership
from frontdesk.inbox.models import Conversation, Message


def route_conversation(conversation: Conversation, *, message: Message) -> Membership | None:
    """The member `conversation` should be assigned to now that `message` arrived."""
    assignee = conversation.assignee
    if assignee is not None and assignee.is_active:
        return assignee
    return acknowledged_responder(conversation, message=message)


def acknowledged_responder(conversation: Conversation, *, message: Message) -> Membership | None:
    """The colleague the customer was told would answer this message, if they still can.

    One query, and only for a message whose inbound event named someone.
    """
    event = message.inbound_event
    raw: Any = event.raw if event is not None else None
    responder_id = raw.get("acknowledged_responder") if isinstance(raw, dict) else None
    # bool is an int too; a hand-edited payload must not turn True into member 1.
    if not isinstance(responder_id, int) or isinstance(responder_id, bool):
        return None
    responder = (
        Membership.objects.for_workspace(message.workspace)
        .filter(pk=responder_id, is_active=True)
        .first()
    )
    if responder is None or not responder.can(roles.REPLY):
        return None
    return responder
