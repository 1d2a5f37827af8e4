"""Reads for the inbox pages and the API; each takes the workspace (or member) first.

Lists use keyset pagination on (last_message_at, id), newest first: a page costs
the same on page 1 and page 200, because each filter below maps onto a composite
index that starts with the workspace and ends with that key.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.dateparse import parse_datetime

from frontdesk.core.models import Membership, Workspace
from frontdesk.inbox.models import (
    Attachment,
    Conversation,
    ConversationStatus,
    Message,
    Notification,
)

FILTERS = ("all", "mine", "unassigned")
PAGE_SIZE_MAX = 100


class BadCursor(ValueError):
    """A `before` cursor that this code did not produce (views answer 400)."""


def encode_cursor(conversation: Conversation) -> str:
    raw = f"{conversation.last_message_at.isoformat()}|{conversation.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        moment = parse_datetime(stamp)
        if moment is None or moment.tzinfo is None:
            raise ValueError(stamp)
        return moment, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("That page link is not valid any more.") from None


@dataclass(frozen=True)
class InboxPage:
    rows: list[Conversation]
    next_cursor: str | None


def inbox_page(
    workspace: Workspace,
    *,
    member: Membership,
    filter: str = "all",  # the product word (mine / unassigned / all), shadowing a builtin
    status: str | None = ConversationStatus.OPEN,
    channel: int | None = None,
    tag: int | str | None = None,
    sentiment: str | None = None,
    before: str | None = None,
    limit: int = 50,
) -> InboxPage:
    """One page of conversations, newest activity first.

    `filter`: "mine" (assigned to `member`), "unassigned" or "all"; `status` None
    means every status; `channel` a channel id; `tag` a tag id or name; `before` the
    cursor of the previous page. Rows come with contact, channel, assignee and tags
    loaded (two queries in all, whatever the page size).
    """
    if member.workspace_id != workspace.pk:
        raise Http404("No such workspace")
    if filter not in FILTERS:
        raise ValueError(f"unknown inbox filter {filter!r}")
    limit = max(1, min(limit, PAGE_SIZE_MAX))
    rows = Conversation.objects.for_workspace(workspace)
    if filter == "mine":
        rows = rows.filter(assignee=member)
    elif filter == "unassigned":
        rows = rows.filter(assignee__isnull=True)
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel_id=channel)
    if tag:
        by_tag = {"tags__id": tag} if isinstance(tag, int) else {"tags__name__iexact": tag}
        rows = rows.filter(**by_tag)
    if sentiment:
        rows = rows.filter(sentiment_label=sentiment)
    if before:
        moment, pk = decode_cursor(before)
        rows = rows.filter(Q(last_message_at__lt=moment) | Q(last_message_at=moment, pk__lt=pk))
    page = list(
        rows.select_related("contact", "channel", "assignee", "team")
        .prefetch_related("tags", "contact__identities")
        .order_by("-last_message_at", "-id")[: limit + 1]
    )
    more = len(page) > limit
    page = page[:limit]
    return InboxPage(rows=page, next_cursor=encode_cursor(page[-1]) if more else None)


def sidebar_counts(workspace: Workspace, member: Membership) -> dict[str, int]:
    """Counts for the inbox sidebar, in one query over the workspace's active rows.

    Keys: open, pending, snoozed, mine (open, assigned to the member), unassigned
    (open), and unread (the member's unread notifications; a second, tiny query).
    """
    active = Conversation.objects.for_workspace(workspace).filter(
        status__in=[
            ConversationStatus.OPEN,
            ConversationStatus.PENDING,
            ConversationStatus.SNOOZED,
        ]
    )
    is_open = Q(status=ConversationStatus.OPEN)
    counts = active.aggregate(
        open=Count("pk", filter=is_open),
        pending=Count("pk", filter=Q(status=ConversationStatus.PENDING)),
        snoozed=Count("pk", filter=Q(status=ConversationStatus.SNOOZED)),
        mine=Count("pk", filter=is_open & Q(assignee=member)),
        unassigned=Count("pk", filter=is_open & Q(assignee__isnull=True)),
    )
    counts["unread"] = Notification.objects.filter(
        workspace=workspace, recipient=member, read_at__isnull=True
    ).count()
    return counts


def access_conversation(workspace: Workspace, number: int) -> Conversation:
    """The conversation with this per-workspace number, or Http404."""
    conversation = (
        Conversation.objects.for_workspace(workspace)
        .select_related("contact", "channel", "assignee", "team", "workspace")
        .filter(number=number)
        .first()
    )
    if conversation is None:
        raise Http404("No such conversation")
    return conversation


def conversation_timeline(conversation: Conversation) -> list[Message]:
    """Every message, reply and note of the conversation, oldest first, with their
    authors, attachments and mentions loaded (a fixed number of queries)."""
    return list(
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id")),
            "mentions",
        )
        .order_by("created_at", "id")
    )


def contact_history(conversation: Conversation, *, limit: int = 20) -> QuerySet[Conversation]:
    """The customer's other conversations, on any channel, newest first."""
    return (
        Conversation.objects.for_workspace(conversation.workspace)
        .filter(contact_id=conversation.contact_id)
        .exclude(pk=conversation.pk)
        .select_related("channel")
        .order_by("-last_message_at", "-id")[:limit]
    )


def unread_notifications(member: Membership, *, limit: int = 50) -> list[Notification]:
    return list(
        Notification.objects.filter(
            workspace_id=member.workspace_id, recipient=member, read_at__isnull=True
        )
        .select_related("conversation__contact", "actor", "message")
        .order_by("-created_at", "-id")[:limit]
    )
