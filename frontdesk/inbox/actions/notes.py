"""Private notes between staff, with @mentions of colleagues."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from frontdesk.core import roles
from frontdesk.core.models import Membership
from frontdesk.inbox import live
from frontdesk.inbox.actions.common import InboxError, require
from frontdesk.inbox.actions.notifications import notify
from frontdesk.inbox.models import (
    Conversation,
    DeliveryStatus,
    Message,
    MessageKind,
    NotificationKind,
)

NOTE_MAX_LENGTH = 20_000
# An @ that starts a mention: not inside a word, so “maya@example.org” is no mention.
MENTION_START = re.compile(r"(?<![\w@])@")


def find_mentions(body: str, members: Iterable[Membership]) -> list[Membership]:
    """The colleagues `body` mentions, by display name (“@Maya Patel”) or first name.

    The longest display name that follows an @ wins, so “@Maya Patel” is not taken
    for a “Maya P.” or another Maya. A first name alone counts only when exactly one
    colleague has it: a note must not notify the wrong person.
    """
    members = list(members)
    by_first: dict[str, list[Membership]] = {}
    for member in members:
        if member.first_name:
            by_first.setdefault(member.first_name.lower(), []).append(member)
    longest_first = sorted(members, key=lambda m: len(m.display_name), reverse=True)
    found: dict[int, Membership] = {}
    for match in MENTION_START.finditer(body):
        rest = body[match.end() :]
        lowered = rest.lower()
        hit = next(
            (
                m
                for m in longest_first
                if m.display_name and _starts_with_word(lowered, m.display_name.lower())
            ),
            None,
        )
        if hit is None:
            word = re.match(r"[\w’'-]+", rest)
            candidates = by_first.get(word.group(0).lower(), []) if word else []
            hit = candidates[0] if len(candidates) == 1 else None
        if hit is not None:
            found.setdefault(hit.pk, hit)
    return list(found.values())


def _starts_with_word(text: str, prefix: str) -> bool:
    if not text.startswith(prefix):
        return False
    following = text[len(prefix) : len(prefix) + 1]
    return not (following.isalnum() or following == "_")


def add_note(conversation: Conversation, *, body: str, by: Membership) -> Message:
    """Add a private note (never sent to the customer) and notify mentioned colleagues.

    Mentioned colleagues who can see the inbox get a notification, and an email
    after commit if they chose that; the author is never notified of their own note.
    """
    require(by, roles.VIEW_INBOX, workspace_id=conversation.workspace_id)
    body = (body or "").strip()
    if not body:
        raise InboxError("Write something in the note.")
    if len(body) > NOTE_MAX_LENGTH:
        raise InboxError(f"Keep notes under {NOTE_MAX_LENGTH:,} characters.")
    colleagues = Membership.objects.filter(workspace_id=conversation.workspace_id, is_active=True)
    mentioned = [
        m for m in find_mentions(body, colleagues) if m.can(roles.VIEW_INBOX) and m.pk != by.pk
    ]
    with transaction.atomic():
        note = Message.objects.create(
            workspace_id=conversation.workspace_id,
            conversation=conversation,
            kind=MessageKind.NOTE,
            author=by,
            body=body,
            channel=None,
            status=DeliveryStatus.NOT_APPLICABLE,
            created_at=timezone.now(),
        )
        if mentioned:
            note.mentions.set(mentioned)
        for member in mentioned:
            notify(
                member,
                kind=NotificationKind.MENTIONED,
                conversation=conversation,
                actor=by,
                message=note,
            )
        live.message_published(note)
    return note


def add_system_note(conversation: Conversation, *, body: str) -> Message:
    """A private note Frontdesk writes itself (no author): something staff should know
    about the conversation that no person did (the post it came from was removed)."""
    body = (body or "").strip()[:NOTE_MAX_LENGTH]
    if not body:
        raise InboxError("Write something in the note.")
    with transaction.atomic():
        note = Message.objects.create(
            workspace_id=conversation.workspace_id,
            conversation=conversation,
            kind=MessageKind.NOTE,
            author=None,
            body=body,
            channel=None,
            status=DeliveryStatus.NOT_APPLICABLE,
            created_at=timezone.now(),
        )
        live.message_published(note)
    return note
