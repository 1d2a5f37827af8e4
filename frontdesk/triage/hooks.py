"""Where triage plugs into intake: called once for every customer message.

Intake (frontdesk/inbox/intake.py) calls `triage_message` inside the transaction that
stores the message, after threading and before routing, so whatever triage decides
(sentiment, language, abuse, urgency) is saved with the message and routing can use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frontdesk.inbox.models import Message


def triage_message(message: Message) -> None:
    """Score one incoming message and its conversation. A no-op for now.

    TODO(issue: triage): set `conversation.sentiment_score`/`sentiment_label` (and
    later language, abuse, urgency) here. It runs inside intake's transaction: keep it
    fast and local (rule-based models that ship their data), never a network call.
    """
    return None
