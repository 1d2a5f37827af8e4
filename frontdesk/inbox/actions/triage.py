"""Staff correcting what triage said about a customer's message (issue 22).

One click on a message sets its sentiment or urgency; the correction is stored for
the workspace (frontdesk/triage/corrections.py), and `frontdesk triage train` learns
from the workspace's corrections.
"""

from __future__ import annotations

from django.db import transaction

from frontdesk.core import roles
from frontdesk.core.models import Membership
from frontdesk.inbox import live
from frontdesk.inbox.actions.common import InboxError, require
from frontdesk.inbox.models import Message, MessageKind
from frontdesk.triage.corrections import record_correction
from frontdesk.triage.hooks import message_text
from frontdesk.triage.models import LABELS, CorrectionKind


def correct_triage(message: Message, *, kind: str, label: str, by: Membership) -> Message:
    """Set a customer message's sentiment ("negative", "neutral", "positive") or
    urgency ("urgent", "soon", "none") as a person judged it.

    If it is the conversation's newest customer message, the conversation follows
    (the Mood filters and attention order read it).
    """
    require(by, roles.REPLY, workspace_id=message.workspace_id)
    if message.kind != MessageKind.INCOMING:
        raise InboxError("Only a customer's message can be corrected.")
    if kind not in LABELS:
        raise InboxError("Correct the sentiment or the urgency.")
    if label not in LABELS[CorrectionKind(kind)]:
        choices = ", ".join(LABELS[CorrectionKind(kind)])
        raise InboxError(f"{kind.capitalize()} is one of {choices}.")
    with transaction.atomic():
        message = (
            Message.objects.select_for_update().select_related("conversation").get(pk=message.pk)
        )
        conversation = message.conversation
        newest = (
            Message.objects.filter(conversation=conversation, kind=MessageKind.INCOMING)
            .order_by("-created_at", "-id")
            .values_list("pk", flat=True)
            .first()
        )
        reason = f"{label}: corrected by {by.display_name}"
        reasons = dict(message.triage_reasons or {})
        if kind == CorrectionKind.SENTIMENT:
            predicted = message.sentiment_label
            message.sentiment_label = label
            message.sentiment_score = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}[label]
            update = ["sentiment_label", "sentiment_score"]
            conversation_values = {
                "sentiment_label": label,
                "sentiment_score": message.sentiment_score,
                "triage_reason": reason[:255],
            }
        else:
            predicted = message.urgency_label or "none"
            message.urgency_label = "" if label == "none" else label
            message.urgency_score = {"urgent": 1.0, "soon": 0.5, "none": 0.0}[label]
            update = ["urgency_label", "urgency_score"]
            conversation_values = {
                "urgency_label": message.urgency_label,
                "urgency_score": message.urgency_score,
            }
        reasons[kind] = reason
        message.triage_reasons = reasons
        message.triage_corrected = {**(message.triage_corrected or {}), kind: label}
        message.save(update_fields=[*update, "triage_reasons", "triage_corrected"])
        record_correction(
            workspace_id=message.workspace_id,
            message_id=message.pk,
            kind=kind,
            label=label,
            predicted=predicted,
            text=message_text(message),
            by_id=by.pk,
        )
        if newest == message.pk:
            for field, value in conversation_values.items():
                setattr(conversation, field, value)
            conversation.save(update_fields=list(conversation_values))
            live.conversation_changed(conversation)
        live.message_published(message, event_type="message.updated")
    return message
