"""Changing a conversation: start, assign, snooze, resolve, reopen, priority, tags.

Every action takes the acting member as `by` (None only for the system: intake and
periodic tasks), checks their role and workspace, writes in one transaction, and
publishes its live update after commit.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from frontdesk.core import roles
from frontdesk.core.models import Contact, Membership, Workspace
from frontdesk.inbox import live
from frontdesk.inbox.actions.common import InboxError, require, require_same_workspace
from frontdesk.inbox.actions.notifications import notify
from frontdesk.inbox.models import (
    Channel,
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    InboxSettings,
    Message,
    MessageKind,
    NotificationKind,
    Priority,
    Tag,
    Team,
)
from frontdesk.inbox.models.conversations import MAX_SNOOZE
from frontdesk.inbox.models.messages import SETTLING_AUTOMATIC_REASONS

logger = logging.getLogger(__name__)

TAG_MAX_LENGTH = 50


def inbox_settings_for(workspace: Workspace) -> InboxSettings:
    """The workspace's inbox settings row, created with defaults on first use."""
    found = InboxSettings.objects.filter(workspace=workspace).first()
    if found:
        return found
    try:
        with transaction.atomic():
            return InboxSettings.objects.create(workspace=workspace)
    except IntegrityError:
        return InboxSettings.objects.get(workspace=workspace)


def _next_number(workspace: Workspace) -> int:
    inbox_settings_for(workspace)
    # The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite), so two
    # new conversations never get one number; the lock lasts until the caller commits.
    InboxSettings.objects.filter(workspace=workspace).update(
        last_conversation_number=F("last_conversation_number") + 1
    )
    return InboxSettings.objects.filter(workspace=workspace).values_list(
        "last_conversation_number", flat=True
    )[0]


def start_conversation(
    workspace: Workspace,
    *,
    contact: Contact,
    channel: Channel,
    subject: str = "",
    started_at: datetime | None = None,
) -> Conversation:
    """Open a new conversation with `contact` on `channel`, numbered per workspace.

    Publishes nothing itself: its callers (intake, "reach out" from a mention) say
    what happened in their own live update.
    """
    require_same_workspace(workspace.pk, contact, channel)
    started_at = started_at or timezone.now()
    with transaction.atomic():
        return Conversation.objects.create(
            workspace=workspace,
            number=_next_number(workspace),
            contact=contact,
            channel=channel,
            subject=subject[:255],
            created_at=started_at,
            last_message_at=started_at,
        )


def _locked(conversation: Conversation) -> Conversation:
    """Re-read the row under a lock, so concurrent changes apply one after another."""
    fresh = Conversation.objects.select_for_update().get(pk=conversation.pk)
    for field in (
        "status",
        "snoozed_until",
        "assignee_id",
        "team_id",
        "priority",
        "resolved_at",
        "waiting_since",
        "first_response_at",
        "last_message_at",
    ):
        setattr(conversation, field, getattr(fresh, field))
    return conversation


def assign_conversation(
    conversation: Conversation, *, assignee: Membership | None, by: Membership
) -> Conversation:
    """Assign the conversation to `assignee` (None: back to unassigned).

    The assignee gets a notification (and, after commit, an email if they chose
    that) unless they assigned it to themselves. Assigning to the current assignee
    changes nothing. Raises InboxError for someone who cannot answer customers.
    """
    require(by, roles.REPLY, workspace_id=conversation.workspace_id)
    if assignee is not None:
        require_same_workspace(conversation.workspace_id, assignee)
        if not assignee.can(roles.REPLY):
            raise InboxError(f"{assignee.display_name} can’t answer customers.")
    with transaction.atomic():
        _locked(conversation)
        if conversation.assignee_id == (assignee.pk if assignee else None):
            return conversation
        conversation.assignee = assignee
        conversation.save(update_fields=["assignee"])
        if assignee is not None:
            notify(assignee, kind=NotificationKind.ASSIGNED, conversation=conversation, actor=by)
        live.conversation_changed(conversation)
    logger.info(
        "conversation assigned",
        extra={"conversation": conversation.pk, "assignee": assignee.pk if assignee else None},
    )
    return conversation


def assign_team(conversation: Conversation, *, team: Team | None, by: Membership) -> Conversation:
    """Route the conversation to a team (None: no team)."""
    require(by, roles.REPLY, workspace_id=conversation.workspace_id)
    require_same_workspace(conversation.workspace_id, team)
    with transaction.atomic():
        _locked(conversation)
        conversation.team = team
        conversation.save(update_fields=["team"])
        live.conversation_changed(conversation)
    return conversation


def _change_status(conversation: Conversation, status: str, **fields: object) -> None:
    if conversation.status != status and not conversation.can_transition_to(status):
        raise InboxError(
            f"A {conversation.get_status_display().lower()} conversation can’t become {status}."
        )
    conversation.status = status
    for name, value in fields.items():
        setattr(conversation, name, value)
    conversation.save(update_fields=["status", *fields])


def snooze_conversation(
    conversation: Conversation, *, until: datetime, by: Membership
) -> Conversation:
    """Hide the conversation until `until` (an aware time in the future).

    It wakes up (back to open) then, or earlier if the customer writes.
    """
    require(by, roles.REPLY, workspace_id=conversation.workspace_id)
    if timezone.is_naive(until) or until <= timezone.now():
        raise InboxError("Snooze until a time in the future.")
    if until > timezone.now() + MAX_SNOOZE:
        raise InboxError(f"Snooze for at most {MAX_SNOOZE.days} days.")
    with transaction.atomic():
        _locked(conversation)
        _change_status(conversation, ConversationStatus.SNOOZED, snoozed_until=until)
        live.conversation_changed(conversation)
    return conversation


def wake_snoozed(*, now: datetime | None = None) -> int:
    """Reopen every snoozed conversation whose time has come; returns how many.

    Run every minute by a periodic task. Each row is changed with a conditional
    UPDATE, so a customer message waking it at the same moment does no harm.
    """
    now = now or timezone.now()
    due = list(
        Conversation.objects.filter(
            status=ConversationStatus.SNOOZED, snoozed_until__lte=now
        ).values_list("pk", flat=True)[:1000]
    )
    woken = 0
    for pk in due:
        with transaction.atomic():
            changed = Conversation.objects.filter(
                pk=pk, status=ConversationStatus.SNOOZED, snoozed_until__lte=now
            ).update(status=ConversationStatus.OPEN, snoozed_until=None)
            if changed:
                woken += 1
                live.conversation_changed(Conversation.objects.get(pk=pk), woke=True)
    return woken


def resolve_conversation(conversation: Conversation, *, by: Membership) -> Conversation:
    """Mark the conversation resolved; the customer is no longer waiting (the page asks
    first when they are; reopening gives the waiting state back)."""
    require(by, roles.REPLY, workspace_id=conversation.workspace_id)
    with transaction.atomic():
        _locked(conversation)
        if conversation.status == ConversationStatus.RESOLVED:
            return conversation
        _change_status(
            conversation,
            ConversationStatus.RESOLVED,
            resolved_at=timezone.now(),
            snoozed_until=None,
            waiting_since=None,
        )
        live.conversation_changed(conversation)
    return conversation


def unanswered_since(conversation: Conversation) -> datetime | None:
    """When the customer started waiting, read from the timeline: their first message
    after the last reply a person wrote that did not fail (failed replies and
    acknowledgements answer nobody), leaving out texts an automatic answer settled (a
    keyword such as HOURS or HELP got its reply); None when nothing of theirs is
    unanswered."""
    answered = (
        Message.objects.filter(
            conversation=conversation, kind=MessageKind.REPLY, automatic="", author__isnull=False
        )
        .exclude(status=DeliveryStatus.FAILED)
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )
    settled = Message.objects.filter(
        conversation=conversation,
        automatic__in=SETTLING_AUTOMATIC_REASONS,
        automatic_for__isnull=False,  # NOT IN with a NULL in it would match nothing
    ).values("automatic_for")
    unanswered = Message.objects.filter(
        conversation=conversation, kind=MessageKind.INCOMING
    ).exclude(pk__in=settled)
    if answered is not None:
        unanswered = unanswered.filter(created_at__gt=answered)
    found: datetime | None = (
        unanswered.order_by("created_at", "id").values_list("created_at", flat=True).first()
    )
    return found


def reopen_conversation(conversation: Conversation, *, by: Membership) -> Conversation:
    """Open a resolved, pending or snoozed conversation again.

    A resolved one gets its waiting state back (resolving cleared it): if the
    customer's last words were never answered, they are waiting again since then.
    """
    require(by, roles.REPLY, workspace_id=conversation.workspace_id)
    with transaction.atomic():
        _locked(conversation)
        if conversation.status == ConversationStatus.OPEN:
            return conversation
        fields: dict[str, object] = {"resolved_at": None, "snoozed_until": None}
        if conversation.status == ConversationStatus.RESOLVED:
            fields["waiting_since"] = unanswered_since(conversation)
        _change_status(conversation, ConversationStatus.OPEN, **fields)
        live.conversation_changed(conversation)
    return conversation


def mark_pending(conversation: Conversation, *, by: Membership) -> Conversation:
    """Park the conversation as pending (waiting on the customer or someone outside)."""
    require(by, roles.REPLY, workspace_id=conversation.workspace_id)
    with transaction.atomic():
        _locked(conversation)
        _change_status(conversation, ConversationStatus.PENDING, snoozed_until=None)
        live.conversation_changed(conversation)
    return conversation


def set_priority(conversation: Conversation, *, priority: str, by: Membership) -> Conversation:
    """Set low / normal / high / urgent."""
    require(by, roles.REPLY, workspace_id=conversation.workspace_id)
    if priority not in Priority.values:
        raise InboxError(f"Unknown priority {priority!r}.")
    with transaction.atomic():
        _locked(conversation)
        conversation.priority = priority
        conversation.save(update_fields=["priority"])
        live.conversation_changed(conversation)
    return conversation


def _clean_tag_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise InboxError("A tag needs a name.")
    if len(cleaned) > TAG_MAX_LENGTH:
        raise InboxError(f"Keep tags under {TAG_MAX_LENGTH} characters.")
    return cleaned


def _tag_named(workspace_id: int, name: str, *, create: bool) -> Tag | None:
    found = Tag.objects.filter(workspace_id=workspace_id, name__iexact=name).first()
    if found or not create:
        return found
    try:
        with transaction.atomic():
            return Tag.objects.create(workspace_id=workspace_id, name=name)
    except IntegrityError:  # created by someone else just now
        return Tag.objects.get(workspace_id=workspace_id, name__iexact=name)


def add_tag(conversation: Conversation, *, name: str, by: Membership) -> Tag:
    """Tag the conversation, creating the tag in this workspace on first use.

    Tags match case-insensitively, so “Late fees” and “late fees” are one tag.
    """
    require(by, roles.REPLY, workspace_id=conversation.workspace_id)
    name = _clean_tag_name(name)
    with transaction.atomic():
        tag = _tag_named(conversation.workspace_id, name, create=True)
        assert tag is not None
        conversation.tags.add(tag)
        live.conversation_changed(conversation, tags_changed=True)
    return tag


def remove_tag(conversation: Conversation, *, name: str, by: Membership) -> None:
    """Take a tag off the conversation (the tag itself stays for other conversations)."""
    require(by, roles.REPLY, workspace_id=conversation.workspace_id)
    tag = _tag_named(conversation.workspace_id, _clean_tag_name(name), create=False)
    if tag is None:
        return
    with transaction.atomic():
        conversation.tags.remove(tag)
        live.conversation_changed(conversation, tags_changed=True)
