"""Reads for the inbox pages and the API; each takes the workspace (or member) first.

Lists use keyset pagination on (last_message_at, id), newest first: a page costs
the same on page 1 and page 200, because each filter below maps onto a composite
index that starts with the workspace and ends with that key.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from frontdesk.core.http import MAX_ID, parse_id
from frontdesk.core.models import Contact, Membership, Workspace
from frontdesk.inbox import kinds
from frontdesk.inbox.models import (
    Attachment,
    Conversation,
    ConversationRead,
    ConversationStatus,
    Message,
    MessageKind,
    Notification,
    is_unread,
)

FILTERS = ("all", "mine", "unassigned")
PAGE_SIZE_MAX = 100
# "recent": newest activity first. "attention": who needs someone first: customers
# waiting for a reply, the longest wait first; then the unhappy and urgent
# (Conversation.attention), newest activity first. It applies to the statuses in
# which someone can still need us; other lists stay newest first.
ORDERS = ("recent", "attention")
ATTENTION_STATUSES = (
    ConversationStatus.OPEN,
    ConversationStatus.PENDING,
    ConversationStatus.SNOOZED,
)
SNIPPET_LENGTH = 160


class BadCursor(ValueError):
    """A `before` cursor that this code did not produce (views answer 400)."""


def encode_cursor(conversation: Conversation) -> str:
    raw = f"{conversation.last_message_at.isoformat()}|{conversation.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _unpack(cursor: str) -> str:
    padded = cursor + "=" * (-len(cursor) % 4)
    return base64.urlsafe_b64decode(padded.encode()).decode()


def _moment_and_pk(raw: str) -> tuple[datetime, int]:
    stamp, _, pk = raw.partition("|")
    moment = parse_datetime(stamp)
    if moment is None or moment.tzinfo is None:
        raise ValueError(stamp)
    number = parse_id(pk)
    if number is None:
        raise ValueError(pk)
    # In UTC, as the database compares it; year 1 at +14:00 has no UTC moment.
    return moment.astimezone(UTC), number


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        return _moment_and_pk(_unpack(cursor))
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("That page link is not valid any more.") from None


def encode_attention_cursor(conversation: Conversation) -> str:
    raw = f"{conversation.attention}~{conversation.last_message_at.isoformat()}|{conversation.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_attention_cursor(cursor: str) -> tuple[int, datetime, int]:
    """(attention, last_message_at, id) of the last row of the previous page."""
    try:
        attention, sep, rest = _unpack(cursor).partition("~")
        if not sep:
            raise ValueError(cursor)
        moment, pk = _moment_and_pk(rest)
        score = int(attention)
        if abs(score) > MAX_ID:
            raise ValueError(attention)
        return score, moment, pk
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("That page link is not valid any more.") from None


# A cursor inside the waiting customers of the attention order starts with this.
WAITING_CURSOR = "w~"


def encode_waiting_cursor(conversation: Conversation) -> str:
    assert conversation.waiting_since is not None
    raw = f"{conversation.waiting_since.isoformat()}|{conversation.pk}"
    return WAITING_CURSOR + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_waiting_cursor(cursor: str) -> tuple[datetime, int]:
    """(waiting_since, id) of the last waiting row of the previous page."""
    try:
        return _moment_and_pk(_unpack(cursor.removeprefix(WAITING_CURSOR)))
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
    unread: bool = False,
    before: str | None = None,
    limit: int = 50,
    order: str = "recent",
) -> InboxPage:
    """One page of conversations, newest activity first (or by `order`, see ORDERS).

    `filter`: "mine" (assigned to `member`), "unassigned" or "all"; `status` None
    means every status; `channel` a channel id; `tag` a tag id or name; `unread`
    only those `member` has not read since the customer wrote; `before` the cursor
    of the previous page. Rows come with contact, channel, assignee and tags
    loaded, and the addresses of customers without a name (at most three
    queries, whatever the page size).
    """
    if order not in ORDERS:
        raise ValueError(f"unknown inbox order {order!r}")
    rows = _filtered(
        workspace,
        member=member,
        filter=filter,
        status=status,
        channel=channel,
        tag=tag,
        sentiment=sentiment,
        unread=unread,
    )
    limit = max(1, min(limit, PAGE_SIZE_MAX))
    if order == "attention" and status in ATTENTION_STATUSES:
        return _attention_page(rows, before=before, limit=limit)
    if before:
        moment, pk = decode_cursor(before)
        rows = rows.filter(Q(last_message_at__lt=moment) | Q(last_message_at=moment, pk__lt=pk))
    page = list(_with_relations(rows).order_by("-last_message_at", "-id")[: limit + 1])
    more = len(page) > limit
    page = _with_nameless_identities(page[:limit])
    return InboxPage(rows=page, next_cursor=encode_cursor(page[-1]) if more else None)


def _attention_page(rows: QuerySet[Conversation], *, before: str | None, limit: int) -> InboxPage:
    """The attention order: customers waiting for a reply first, the longest wait
    first (so the overdue come before those within target: the same wait against
    the same target); then everyone else, unhappy and urgent first (`attention`),
    newest activity first.

    Two keysets, each read from its own partial index (conv_ws_*_waiting, on the
    waiting rows only, and conv_ws_*_attention on the others), so a page costs the
    same on page 1 and page 200; a page that finishes the waiting rows goes on
    with the others (one more query).
    """
    waiting = rows.filter(waiting_since__isnull=False)
    others = rows.filter(waiting_since__isnull=True)
    page: list[Conversation] = []
    if before is None or before.startswith(WAITING_CURSOR):
        if before:
            moment, pk = decode_waiting_cursor(before)
            # The redundant `waiting_since >= m` bounds the index scan, so the
            # planner reads the partial index in order and stops at the limit
            # (without it PostgreSQL ORs two bitmap scans and sorts the whole rest).
            waiting = waiting.filter(waiting_since__gte=moment).filter(
                Q(waiting_since__gt=moment) | Q(waiting_since=moment, pk__gt=pk)
            )
        page = _rows_in_order(waiting.order_by("waiting_since", "id"), limit + 1)
        before = None
    if len(page) <= limit:
        if before:
            attention, moment, pk = decode_attention_cursor(before)
            # The redundant `attention <= a` bounds the index scan.
            others = others.filter(attention__lte=attention).filter(
                Q(attention__lt=attention)
                | Q(attention=attention, last_message_at__lt=moment)
                | Q(attention=attention, last_message_at=moment, pk__lt=pk)
            )
        page += _rows_in_order(
            others.order_by("-attention", "-last_message_at", "-id"), limit + 1 - len(page)
        )
    more = len(page) > limit
    page = page[:limit]
    prefetch_related_objects(page, "tags")
    page = _with_nameless_identities(page)
    if not more:
        return InboxPage(rows=page, next_cursor=None)
    last = page[-1]
    cursor = encode_waiting_cursor(last) if last.waiting_since else encode_attention_cursor(last)
    return InboxPage(rows=page, next_cursor=cursor)


def _rows_in_order(ordered: QuerySet[Conversation], count: int) -> list[Conversation]:
    """The first `count` rows of an ordered keyset query, with their relations.

    The page's ids are chosen in a subquery that reads the partial index in order
    and stops at the limit; only those rows are then joined. Joined in one flat
    statement, PostgreSQL misjudges how many waiting rows follow a cursor (the
    status and waiting columns are correlated), joins every one of them, then sorts
    and cuts: ~10 ms on a deep page of a busy inbox instead of well under one.
    """
    order = ordered.query.order_by
    chosen = ordered.values("pk")[:count]
    return list(
        ordered.model.objects.filter(pk__in=chosen)
        .select_related("contact", "channel", "assignee", "team")
        .order_by(*order)
    )


def _with_relations(rows: QuerySet[Conversation]) -> QuerySet[Conversation]:
    return rows.select_related("contact", "channel", "assignee", "team").prefetch_related("tags")


def _with_nameless_identities(page: list[Conversation]) -> list[Conversation]:
    """Load the addresses of the customers without a name (they are shown by one)."""
    prefetch_related_objects([c.contact for c in page if not c.contact.name], "identities")
    return page


def matches_filters(
    conversation: Conversation,
    *,
    member: Membership,
    filter: str = "all",
    status: str | None = ConversationStatus.OPEN,
    channel: int | None = None,
    tag: int | str | None = None,
    sentiment: str | None = None,
    unread: bool = False,
) -> bool:
    """Whether `conversation` belongs in the list these filters describe (one query).

    An open list uses it to decide whether a live update adds, keeps or drops a row.
    """
    return (
        _filtered(
            conversation.workspace,
            member=member,
            filter=filter,
            status=status,
            channel=channel,
            tag=tag,
            sentiment=sentiment,
            unread=unread,
        )
        .filter(pk=conversation.pk)
        .exists()
    )


def _filtered(
    workspace: Workspace,
    *,
    member: Membership,
    filter: str,
    status: str | None,
    channel: int | None,
    tag: int | str | None,
    sentiment: str | None,
    unread: bool = False,
) -> QuerySet[Conversation]:
    if member.workspace_id != workspace.pk:
        raise Http404("No such workspace")
    if filter not in FILTERS:
        raise ValueError(f"unknown inbox filter {filter!r}")
    rows: QuerySet[Conversation] = Conversation.objects.for_workspace(workspace)
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
    if unread:
        rows = _unread_by(rows, member)
    return rows


def _unread_by(rows: QuerySet[Conversation], member: Membership) -> QuerySet[Conversation]:
    """The rows where the customer wrote after `member` last read them (or joined).

    last_message_at >= last_customer_message_at, so the redundant bound on
    last_message_at stops the list's index scan at the day the member joined; each
    remaining row costs one probe of the (membership, conversation) index.
    """
    read_since = ConversationRead.objects.filter(
        membership=member,
        conversation=OuterRef("pk"),
        read_at__gte=OuterRef("last_customer_message_at"),
    )
    return rows.filter(
        last_message_at__gt=member.joined_at,
        last_customer_message_at__gt=member.joined_at,
    ).exclude(Exists(read_since))


def mark_unread(member: Membership, conversations: list[Conversation]) -> None:
    """Set `unread` on each conversation: has the customer written since `member`
    last opened it (see ConversationRead)? One query, for a page of rows."""
    read_at = (
        dict(
            ConversationRead.objects.filter(
                membership=member, conversation__in=[c.pk for c in conversations]
            ).values_list("conversation_id", "read_at")
        )
        if conversations
        else {}
    )
    for conversation in conversations:
        conversation.unread = is_unread(  # type: ignore[attr-defined]
            conversation, read_at=read_at.get(conversation.pk), joined_at=member.joined_at
        )


def latest_messages(conversations: list[Conversation]) -> dict[int, Message]:
    """Each conversation's newest message or reply (notes are staff talk), in one query.

    Only a `snippet` (the body's start, as an annotation) and the author are loaded:
    a list shows a line of each, and a body can be 20,000 characters.
    """
    if not conversations:
        return {}
    newest = (
        Message.objects.filter(conversation=OuterRef("pk"))
        .exclude(kind=MessageKind.NOTE)
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    ids = (
        Conversation.objects.filter(pk__in=[c.pk for c in conversations])
        .annotate(newest=Subquery(newest))
        .values("newest")
    )
    rows = (
        Message.objects.filter(pk__in=ids)
        .select_related("author")
        .annotate(snippet=Substr("body", 1, SNIPPET_LENGTH))
        .defer("body")
    )
    return {message.conversation_id: message for message in rows}


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
    # Counting `status` (never null), not the id: the (workspace, status, assignee)
    # index then answers alone (an index-only scan on PostgreSQL; ids are not in it).
    counts = active.aggregate(
        open=Count("status", filter=is_open),
        pending=Count("status", filter=Q(status=ConversationStatus.PENDING)),
        snoozed=Count("status", filter=Q(status=ConversationStatus.SNOOZED)),
        mine=Count("status", filter=is_open & Q(assignee=member)),
        unassigned=Count("status", filter=is_open & Q(assignee__isnull=True)),
    )
    counts["unread"] = Notification.objects.filter(
        workspace=workspace, recipient=member, read_at__isnull=True
    ).count()
    return counts


# The home page checks at most this many waiting conversations against the targets
# (oldest first: those are the ones that breach first).
GLANCE_OVERDUE_LIMIT = 500


def at_a_glance(workspace: Workspace, member: Membership) -> dict[str, int]:
    """The home page's inbox figures: customers waiting for a reply, how many of them
    past the workspace's response targets, and open conversations assigned to `member`."""
    from frontdesk.inbox import service_levels

    open_rows = Conversation.objects.for_workspace(workspace).filter(status=ConversationStatus.OPEN)
    waiting = open_rows.filter(waiting_since__isnull=False)
    counts = open_rows.aggregate(
        waiting=Count("status", filter=Q(waiting_since__isnull=False)),
        mine=Count("status", filter=Q(assignee=member)),
    )
    settings = service_levels.settings_or_defaults(workspace)
    zone = service_levels.workspace_zone(workspace)
    now = timezone.now()
    oldest = waiting.select_related("workspace").order_by("waiting_since", "pk")
    counts["overdue"] = sum(
        1
        for conversation in oldest[:GLANCE_OVERDUE_LIMIT]
        if service_levels.breach_state(conversation, now, settings=settings, zone=zone)
        == "breached"
    )
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


def conversation_timeline(conversation: Conversation, *, after: int | None = None) -> list[Message]:
    """Every message, reply and note of the conversation, oldest first, with their
    authors, attachments and mentions loaded (a fixed number of queries).

    `after`: only what came after that message (an open page catching up)."""
    rows = Message.objects.filter(conversation=conversation)
    if after is not None:
        rows = rows.filter(pk__gt=after)
    timeline = list(
        rows.select_related("author", "channel")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id")),
            "mentions",
        )
        .order_by("created_at", "id")
    )
    # What each channel kind tells staff about its messages (email: the threading signal).
    kinds.annotate_messages(timeline)
    return timeline


def contact_history(conversation: Conversation, *, limit: int = 20) -> QuerySet[Conversation]:
    """The customer's other conversations, on any channel, newest first."""
    return (
        Conversation.objects.for_workspace(conversation.workspace)
        .filter(contact_id=conversation.contact_id)
        .exclude(pk=conversation.pk)
        .select_related("channel")
        .order_by("-last_message_at", "-id")[:limit]
    )


def contact_conversations(
    workspace: Workspace, contact: Contact, *, limit: int
) -> tuple[list[Conversation], int]:
    """The contact's conversations on every channel, newest activity first (at most
    `limit`), and how many there are in all."""
    rows = Conversation.objects.for_workspace(workspace).filter(contact=contact)
    shown = list(
        rows.select_related("channel", "assignee").order_by("-last_message_at", "-id")[:limit]
    )
    total = len(shown) if len(shown) < limit else rows.count()
    return shown, total


def unread_notifications(member: Membership, *, limit: int = 50) -> list[Notification]:
    return list(
        Notification.objects.filter(
            workspace_id=member.workspace_id, recipient=member, read_at__isnull=True
        )
        .select_related("conversation__contact", "actor", "message")
        .order_by("-created_at", "-id")[:limit]
    )
