"""Where triage plugs into intake: called once for every customer message.

Intake (frontdesk/inbox/intake.py) calls `triage_message` for each customer message
before it stores it (one INSERT with its scores) and before it updates the
conversation (which then saves the conversation's fields set here with the rest),
inside the transaction that stores the message, before routing, so routing can use
what triage found. It is local and fast (about 1 ms a message; no network): the
default pipeline, or the workspace's classifier learned from staff corrections.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from frontdesk.triage.base import Context
from frontdesk.triage.models import CorrectionKind, LearnedClassifier
from frontdesk.triage.pipeline import analyze

if TYPE_CHECKING:
    from frontdesk.inbox.models import Message
    from frontdesk.triage.learned import LearnedSentiment, LearnedUrgency

RECHECK_SECONDS = 60.0  # how soon a newly trained classifier is picked up

_lock = threading.Lock()
# (workspace id, kind) -> (checked at, trained at, classifier or None)
_learned: dict[tuple[int, str], tuple[float, object, object]] = {}


def _learned_model(workspace_id: int, kind: str) -> object:
    """The workspace's learned classifier of that kind, if any; re-read once a minute."""
    now = time.monotonic()
    key = (workspace_id, kind)
    with _lock:
        cached = _learned.get(key)
    if cached is not None and now - cached[0] < RECHECK_SECONDS:
        return cached[2]
    trained_at = (
        LearnedClassifier.objects.filter(workspace_id=workspace_id, kind=kind)
        .values_list("trained_at", flat=True)
        .first()
    )
    model: object
    if cached is not None and cached[1] == trained_at:
        model = cached[2]
    elif trained_at is None:
        model = None
    else:
        # scikit-learn is imported only by processes that use a learned classifier.
        from frontdesk.triage.learned import LearnedSentiment, LearnedUrgency

        row = LearnedClassifier.objects.get(workspace_id=workspace_id, kind=kind)
        loader = LearnedUrgency if kind == CorrectionKind.URGENCY else LearnedSentiment
        model = loader.loads(bytes(row.model))
    with _lock:
        _learned[key] = (now, trained_at, model)
    return model


def learned_sentiment(workspace_id: int) -> LearnedSentiment | None:
    return _learned_model(workspace_id, CorrectionKind.SENTIMENT)  # type: ignore[return-value]


def learned_urgency(workspace_id: int) -> LearnedUrgency | None:
    return _learned_model(workspace_id, CorrectionKind.URGENCY)  # type: ignore[return-value]


def forget_learned(workspace_id: int) -> None:
    with _lock:
        for kind in CorrectionKind.values:
            _learned.pop((workspace_id, kind), None)


def message_text(message: Message) -> str:
    if message.subject and not message.body.startswith(message.subject):
        return f"{message.subject}\n{message.body}"
    return message.body


def triage_message(message: Message) -> None:
    """Score one incoming (not yet saved) message and set its conversation's fields.

    The message gets every analyzer's label, score and reason; the conversation
    takes the newest message's sentiment, language and urgency (the inbox's Mood
    filters and attention order read them). A customer writing again while already
    waiting for an answer counts as a repeat contact (urgency).
    """
    text = message_text(message).strip()
    if not text:
        return
    conversation = message.conversation
    waiting = conversation.pk is not None and conversation.waiting_since is not None
    context = Context(earlier_unanswered=1 if waiting else 0)
    result = analyze(text, context)
    sentiment, urgency = result.sentiment, result.urgency
    learned = learned_sentiment(message.workspace_id)
    if learned is not None:
        sentiment = learned.finding(text, result.evidence)
    learned_u = learned_urgency(message.workspace_id)
    if learned_u is not None:
        urgency = learned_u.finding(text, result.urgency, context)
    message.sentiment_label = sentiment.label
    message.sentiment_score = sentiment.score
    message.intent = result.needs_reply.label
    message.needs_reply = result.needs_reply.score >= 0.5
    message.language = result.language.label
    message.abuse_score = result.abuse.score
    message.urgency_label = urgency.label
    message.urgency_score = urgency.score
    reasons = result.reasons()
    reasons["sentiment"] = sentiment.reason
    reasons["urgency"] = urgency.reason
    message.triage_reasons = reasons

    conversation.sentiment_label = sentiment.label
    conversation.sentiment_score = sentiment.score
    conversation.triage_reason = sentiment.reason[:255]
    if result.language.label:
        conversation.language = result.language.label
    conversation.urgency_label = urgency.label
    conversation.urgency_score = urgency.score
