"""Live updates the inbox sends to open pages, always after the data is committed.

Event names the pages listen for:
  conversation.updated  {"conversation": {...}}  (also for a new conversation: "created")
  message.created       {"conversation": {...}, "message": {...}}
  message.updated       {"conversation": {...}, "message": {...}}   (delivery status)
  notification.created  {"notification": id, "kind", "conversation": number}  (one member)
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from django.db import transaction

from frontdesk.inbox.models import Conversation, Message

logger = logging.getLogger(__name__)


def conversation_data(conversation: Conversation, **extra: Any) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "number": conversation.number,
        "status": conversation.status,
        "assignee": conversation.assignee_id,
        "team": conversation.team_id,
        "priority": conversation.priority,
        "channel": conversation.channel_id,
        "last_message_at": conversation.last_message_at,
        "waiting_since": conversation.waiting_since,
        "snoozed_until": conversation.snoozed_until,
        **extra,
    }


def message_data(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "kind": message.kind,
        "status": message.status,
        "author": message.author_id,
        "created_at": message.created_at,
        "failure_reason": message.failure_reason,
    }


def publish_after_commit(
    workspace_id: int,
    event_type: str,
    data: dict[str, Any],
    *,
    membership_id: int | None = None,
) -> None:
    """Publish a live event once the current transaction commits (at once outside one).

    The data is captured now, so later changes to the objects do not leak into it.
    """
    transaction.on_commit(
        lambda: _publish(workspace_id, event_type, data, membership_id=membership_id)
    )


def _publish(
    workspace_id: int, event_type: str, data: dict[str, Any], *, membership_id: int | None
) -> None:
    from frontdesk.live.publish import publish

    # Live updates are a courtesy on top of stored data: never fail the caller.
    try:
        publish(workspace_id, event_type, data, membership_id=membership_id)
    except Exception:
        logger.exception("live event not published", extra={"event": event_type})


def conversation_changed(conversation: Conversation, **extra: Any) -> None:
    publish_after_commit(
        conversation.workspace_id,
        "conversation.updated",
        {"conversation": conversation_data(conversation, **extra)},
    )


def messages_received(
    received: list[tuple[Conversation, Message, bool, bool, bool]],
) -> None:
    """After commit, for each (conversation, its newest customer message, created,
    reopened, woke) of an intake batch: the two events `conversation_changed` and
    `message_published` send, once per conversation however many messages the
    batch added to it (the page catches up on all of them), in one hand-over to
    the channel layer."""
    events = []
    for conversation, message, created, reopened, woke in received:
        data = conversation_data(conversation)
        flags = {"created": created, "reopened": reopened, "woke": woke}
        events.append(
            (conversation.workspace_id, "conversation.updated", {"conversation": data | flags})
        )
        events.append(
            (
                message.workspace_id,
                "message.created",
                {"conversation": data, "message": message_data(message)},
            )
        )
    if events:
        transaction.on_commit(lambda: _publish_all(events))


def _publish_all(events: list[tuple[int, str, dict[str, Any]]]) -> None:
    from frontdesk.live.publish import apublish_many

    # One event loop and one layer message per workspace (and 100 events) for the
    # whole batch, instead of a hop to this thread and a layer send per event.
    try:
        async_to_sync(apublish_many)(events)
    except Exception:
        logger.exception("live events not published", extra={"events": len(events)})


def message_published(message: Message, *, event_type: str = "message.created") -> None:
    conversation = message.conversation
    publish_after_commit(
        message.workspace_id,
        event_type,
        {"conversation": conversation_data(conversation), "message": message_data(message)},
    )
