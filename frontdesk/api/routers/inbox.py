"""Conversations: list, read, reply, note, change; and a conversation's messages.

Conversations are named by their per-workspace number, looked up through
`frontdesk.inbox.queries` with `request.workspace`, so another workspace's number is
404. Every write goes through `frontdesk.inbox.actions`, as the inbox pages do: a
reply is stored, then delivered through the channel's adapter after commit, signed
with the name and signature of the staff member the token acts as.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import field_validator

from frontdesk.api.cursors import decode_cursor, encode_cursor
from frontdesk.api.schemas import ErrorOut, require_capability
from frontdesk.core import roles
from frontdesk.core.http import MAX_ID, WorkspaceRequest
from frontdesk.core.models import Membership
from frontdesk.inbox import actions, queries
from frontdesk.inbox.models import (
    Attachment,
    Conversation,
    ConversationStatus,
    Message,
    Priority,
)
from frontdesk.inbox.models.conversations import MAX_SNOOZE
from frontdesk.triage.priority import for_conversation as priority_for

router = Router(tags=["conversations"])

MAX_PAGE = queries.PAGE_SIZE_MAX
BODY_MAX_LENGTH = 20_000
StatusValue = Literal["open", "pending", "snoozed", "resolved"]
DeliveryValue = Literal["queued", "sending", "sent", "delivered", "failed", "not_applicable"]


class MemberRef(Schema):
    id: int
    display_name: str


class ContactRef(Schema):
    id: int
    display_name: str


class ChannelRef(Schema):
    id: int
    kind: str
    name: str


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str | None = Field(
        description="Where staff download it, signed in to Frontdesk (the inbox's "
        "attachment view); null while it is still being fetched or could not be."
    )
    fetch_error: str = Field(
        description="Why the provider's copy could not be fetched (still retrying while "
        "`url` is null and this is set), or empty."
    )


class MessageOut(Schema):
    id: int
    kind: Literal["incoming", "reply", "note"] = Field(
        description="From the customer, a staff reply, or a private note."
    )
    body: str
    subject: str
    author: MemberRef | None = Field(description="The staff member who wrote a reply or note.")
    status: DeliveryValue = Field(description="Delivery of a reply; not_applicable otherwise.")
    failure_reason: str
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    attachments: list[AttachmentOut]
    mentions: list[MemberRef]


class ConversationOut(Schema):
    number: int = Field(description="Per-workspace number: “conversation 42”.")
    status: StatusValue
    subject: str
    priority: Priority
    channel: ChannelRef
    contact: ContactRef
    assignee: MemberRef | None
    tags: list[str]
    snoozed_until: datetime | None
    sentiment: str = Field(description="negative, neutral or positive; empty if not scored.")
    priority_score: int = Field(
        description="How much it needs someone now, 0-100: waiting time, mood, urgency, "
        "priority and repeat contact (frontdesk/triage/priority.py)."
    )
    priority_reasons: list[str] = Field(
        description='Why, in words: e.g. ["negative", "waiting 3 h", "repeat contact"].'
    )
    created_at: datetime
    last_message_at: datetime
    waiting_since: datetime | None = Field(
        description="Since when the customer has waited for a reply; null when answered."
    )
    reply_failed_at: datetime | None = Field(
        description="When the newest staff reply failed for good (no address, opted out, "
        "refused by the provider): the customer only looks answered. Null once a reply "
        "goes through or is retried."
    )
    first_response_at: datetime | None
    resolved_at: datetime | None


class ConversationDetail(ConversationOut):
    messages: list[MessageOut] = Field(description="Oldest first, with replies and notes.")


class ConversationPage(Schema):
    items: list[ConversationOut]
    next: str | None = Field(description="Pass as `cursor` for the next page; null at the end.")


class MessagePage(Schema):
    items: list[MessageOut]
    next: str | None = Field(description="Pass as `cursor` for the next page; null at the end.")


class ConversationFilters(Schema):
    view: Literal["all", "mine", "unassigned"] = Field(
        "all", description="mine: assigned to you; unassigned: nobody's yet."
    )
    status: StatusValue | None = Field(None, description="Leave out for every status.")
    channel: int | None = Field(None, ge=1, le=MAX_ID, description="A channel id.")
    tag: str | None = Field(None, description="A tag name (any case).")
    sentiment: Literal["negative", "neutral", "positive"] | None = None
    order: Literal["recent", "attention"] = Field(
        "recent",
        description="recent: newest activity first. attention: waiting, unhappy and urgent "
        "customers first (for open, pending and snoozed lists).",
    )
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 50
    cursor: str | None = Field(None, description="The `next` value of the previous page.")


class MessageFilters(Schema):
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 50
    cursor: str | None = Field(None, description="The `next` value of the previous page.")


class BodyIn(Schema):
    body: str = Field(min_length=1, max_length=BODY_MAX_LENGTH)

    @field_validator("body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Write something: the text is empty.")
        return value


class ConversationPatch(Schema):
    status: StatusValue | None = Field(
        None, description="snoozed needs `snoozed_until`; resolved ends the customer's wait."
    )
    assignee_id: int | None = Field(
        None, description="A staff member's id (see /me); null unassigns. Leave out to keep."
    )
    priority: Priority | None = None
    snoozed_until: datetime | None = Field(
        None,
        description=f"With a time zone, in the future (at most {MAX_SNOOZE.days} days). "
        "Implies status snoozed.",
    )
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = Field(
        None, max_length=50, description="The whole set of tag names; tags not listed come off."
    )


def _member(member: Membership | None) -> dict[str, object] | None:
    if member is None:
        return None
    return {"id": member.pk, "display_name": member.display_name}


def conversation_out(conversation: Conversation) -> dict[str, object]:
    contact = conversation.contact
    rank = priority_for(conversation, timezone.now())
    return {
        "number": conversation.number,
        "status": conversation.status,
        "subject": conversation.subject,
        "priority": conversation.priority,
        "channel": conversation.channel,
        "contact": {"id": contact.pk, "display_name": contact.display_name},
        "assignee": _member(conversation.assignee),
        "tags": sorted((t.name for t in conversation.tags.all()), key=str.lower),
        "snoozed_until": conversation.snoozed_until,
        "sentiment": conversation.sentiment_label,
        "priority_score": rank.score,
        "priority_reasons": list(rank.reasons),
        "created_at": conversation.created_at,
        "last_message_at": conversation.last_message_at,
        "waiting_since": conversation.waiting_since,
        "reply_failed_at": conversation.reply_failed_at,
        "first_response_at": conversation.first_response_at,
        "resolved_at": conversation.resolved_at,
    }


def message_out(request: WorkspaceRequest, message: Message) -> dict[str, object]:
    workspace_slug = request.workspace.slug
    return {
        "id": message.pk,
        "kind": message.kind,
        "body": message.body,
        "subject": message.subject,
        "author": _member(message.author),
        "status": message.status,
        "failure_reason": message.failure_reason,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "delivered_at": message.delivered_at,
        "attachments": [
            {
                "id": a.pk,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                # Never a /media/ URL: files are served only behind the sign-in.
                "url": request.build_absolute_uri(
                    reverse("inbox:attachment", kwargs={"ws": workspace_slug, "pk": a.pk})
                )
                if a.file
                else None,
                "fetch_error": a.fetch_error,
            }
            for a in message.attachments.all()
        ],
        "mentions": [_member(m) for m in message.mentions.all()],
    }


def _conversation(request: WorkspaceRequest, number: int) -> Conversation:
    return queries.access_conversation(request.workspace, number)


def _messages(conversation: Conversation) -> QuerySet[Message]:
    """The conversation's messages with what MessageOut shows loaded (fixed query count)."""
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id")), "mentions"
        )
    )


@router.get(
    "",
    response={200: ConversationPage, 403: ErrorOut, 422: ErrorOut},
    summary="List conversations, most recent activity first",
)
def list_conversations(
    request: WorkspaceRequest, filters: Query[ConversationFilters]
) -> dict[str, object]:
    member = require_capability(request, roles.VIEW_INBOX)
    try:
        page = queries.inbox_page(
            request.workspace,
            member=member,
            filter=filters.view,
            status=filters.status,
            channel=filters.channel,
            tag=filters.tag,
            sentiment=filters.sentiment,
            before=filters.cursor,
            limit=filters.limit,
            order=filters.order,
        )
    except queries.BadCursor:
        raise HttpError(422, "The cursor is not one this API gave out.") from None
    return {"items": [conversation_out(c) for c in page.rows], "next": page.next_cursor}


@router.get(
    "/{number}",
    response={200: ConversationDetail, 403: ErrorOut, 404: ErrorOut},
    summary="One conversation with all its messages, replies and notes",
)
def get_conversation(request: WorkspaceRequest, number: int) -> dict[str, object]:
    require_capability(request, roles.VIEW_INBOX)
    conversation = _conversation(request, number)
    timeline = queries.conversation_timeline(conversation)
    return conversation_out(conversation) | {
        "messages": [message_out(request, m) for m in timeline]
    }


@router.get(
    "/{number}/messages",
    response={200: MessagePage, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="A conversation's messages, oldest first, a page at a time",
)
def list_messages(
    request: WorkspaceRequest, number: int, filters: Query[MessageFilters]
) -> dict[str, object]:
    require_capability(request, roles.VIEW_INBOX)
    conversation = _conversation(request, number)
    rows = _messages(conversation)
    if filters.cursor:
        created_at, pk = decode_cursor(filters.cursor)
        rows = rows.filter(Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gt=pk))
    page = list(rows.order_by("created_at", "id")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "items": [message_out(request, m) for m in page],
        "next": encode_cursor(page[-1].created_at, page[-1].pk) if more else None,
    }


def _fresh_message(message: Message) -> Message:
    return _messages(message.conversation).get(pk=message.pk)


@router.post(
    "/{number}/replies",
    response={201: MessageOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Reply to the customer, as the token's staff member",
    description=(
        "The reply goes out through the conversation's channel with your name (and, by "
        "email, your signature). `status` tells how far delivery got: queued until the "
        "worker hands it over, then sent or delivered, or failed with `failure_reason`."
    ),
)
def reply(request: WorkspaceRequest, number: int, payload: BodyIn) -> Status[dict[str, object]]:
    member = require_capability(request, roles.REPLY)
    conversation = _conversation(request, number)
    message = actions.send_reply(conversation, body=payload.body, by=member)
    return Status(201, message_out(request, _fresh_message(message)))


@router.post(
    "/{number}/notes",
    response={201: MessageOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Add a private note for colleagues; “@Name” mentions notify them",
)
def note(request: WorkspaceRequest, number: int, payload: BodyIn) -> Status[dict[str, object]]:
    member = require_capability(request, roles.VIEW_INBOX)
    conversation = _conversation(request, number)
    message = actions.add_note(conversation, body=payload.body, by=member)
    return Status(201, message_out(request, _fresh_message(message)))


def _assignee(request: WorkspaceRequest, assignee_id: int | None) -> Membership | None:
    if assignee_id is None:
        return None
    found = (
        Membership.objects.for_workspace(request.workspace)
        .filter(pk=assignee_id, is_active=True)
        .first()
    )
    if found is None:
        raise HttpError(422, f"There is no active staff member {assignee_id} in this workspace.")
    if not found.can(roles.REPLY):
        raise HttpError(422, f"{found.display_name} can’t answer customers.")
    return found


def _replace_tags(conversation: Conversation, names: list[str], by: Membership) -> None:
    wanted = {" ".join(n.split()).lower() for n in names}
    for tag in list(conversation.tags.all()):
        if tag.name.lower() not in wanted:
            actions.remove_tag(conversation, name=tag.name, by=by)
    for name in names:
        actions.add_tag(conversation, name=name, by=by)


@router.patch(
    "/{number}",
    response={200: ConversationOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Change status, assignee, priority, snooze or tags",
    description=("Send only what changes. All changes apply together or, if one is refused, none."),
)
def update_conversation(
    request: WorkspaceRequest, number: int, payload: ConversationPatch
) -> dict[str, object]:
    member = require_capability(request, roles.REPLY)
    conversation = _conversation(request, number)
    given = payload.model_fields_set
    status = payload.status
    if "snoozed_until" in given and payload.snoozed_until is not None:
        if status not in (None, ConversationStatus.SNOOZED):
            raise HttpError(422, "snoozed_until goes with status snoozed only.")
        if timezone.is_naive(payload.snoozed_until):
            raise HttpError(422, "Give snoozed_until with a time zone, e.g. 2025-05-01T09:00Z.")
        try:
            # Year 9999 at -14:00 has no UTC moment; it is past the bound below anyway.
            payload.snoozed_until = payload.snoozed_until.astimezone(UTC)
        except OverflowError:
            raise HttpError(422, f"Snooze for at most {MAX_SNOOZE.days} days.") from None
        if payload.snoozed_until <= timezone.now():
            raise HttpError(422, "Snooze until a time in the future.")
        if payload.snoozed_until > timezone.now() + MAX_SNOOZE:
            raise HttpError(422, f"Snooze for at most {MAX_SNOOZE.days} days.")
        status = "snoozed"
    elif status == ConversationStatus.SNOOZED:
        raise HttpError(422, "Say until when: give snoozed_until.")
    if "status" in given and payload.status is None:
        raise HttpError(422, "status cannot be null.")
    if "priority" in given and payload.priority is None:
        raise HttpError(422, "priority cannot be null.")
    if payload.tags is not None and not all(name.strip() for name in payload.tags):
        raise HttpError(422, "A tag needs a name.")
    assignee = _assignee(request, payload.assignee_id) if "assignee_id" in given else None
    with transaction.atomic():
        if "assignee_id" in given:
            actions.assign_conversation(conversation, assignee=assignee, by=member)
        if payload.priority is not None:
            actions.set_priority(conversation, priority=payload.priority, by=member)
        if payload.tags is not None:
            _replace_tags(conversation, payload.tags, member)
        if status == ConversationStatus.SNOOZED:
            assert payload.snoozed_until is not None
            actions.snooze_conversation(conversation, until=payload.snoozed_until, by=member)
        elif status == ConversationStatus.OPEN:
            actions.reopen_conversation(conversation, by=member)
        elif status == ConversationStatus.PENDING:
            actions.mark_pending(conversation, by=member)
        elif status == ConversationStatus.RESOLVED:
            actions.resolve_conversation(conversation, by=member)
    return conversation_out(_conversation(request, number))
