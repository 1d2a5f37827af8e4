"""The review queue's decisions and bans. Every decision writes a ModerationAction."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from frontdesk.community.actions.common import CommunityError, log, require_moderator
from frontdesk.community.models import (
    Answer,
    Ban,
    Comment,
    FanQuestion,
    ModerationAction,
    Participant,
    Photo,
    Report,
    Suggestion,
    Visibility,
)
from frontdesk.community.notify import POST_REJECTED, Notice, notify
from frontdesk.core.models import Membership

Post = Suggestion | Comment | FanQuestion | Answer
MAX_BAN_DAYS = 3650
# The field a moderator may edit before publishing, and its length limit.
_EDITABLE: dict[type, tuple[str, int | None]] = {
    Suggestion: ("text", 200),
    Comment: ("body", None),
    FanQuestion: ("title", 200),
    Answer: ("body", 4000),
}


def resolve_reports(item: Post | Photo) -> None:
    """A moderator decided on the item: its open "flag this" reports are closed."""
    field = {
        Suggestion: "suggestion",
        Comment: "comment",
        FanQuestion: "fan_question",
        Answer: "answer",
        Photo: "photo",
    }[type(item)]
    Report.objects.filter(resolved_at__isnull=True, **{field: item}).update(
        resolved_at=timezone.now()
    )


def _log(kind: str, post: Post, *, by: Membership, note: str) -> ModerationAction:
    if isinstance(post, FanQuestion):
        note = f"Question “{post.title}”: {note}"
    elif isinstance(post, Answer):
        note = f"Answer “{post.body[:80]}”: {note}"
    return log(
        post.workspace_id,
        kind,
        by=by,
        participant=post.author,
        suggestion=post if isinstance(post, Suggestion) else None,
        comment=post if isinstance(post, Comment) else None,
        note=note,
    )


def _author(post: Post) -> Participant | None:
    return post.author


def approve(post: Post, *, by: Membership, edited: str | None = None) -> Post:
    """Publish a held (or rejected) post, optionally edited first (logged as an edit)."""
    require_moderator(by, post.workspace_id)
    kind = ModerationAction.Kind.APPROVE
    note = post.hold_reason
    with transaction.atomic():
        if edited is not None and edited.strip():
            field, limit = _EDITABLE[type(post)]
            before = getattr(post, field)
            if edited.strip() != before:
                setattr(post, field, edited.strip()[:limit])
                kind = ModerationAction.Kind.EDIT
                note = f"Was: {before}"
        post.visibility = Visibility.PUBLISHED
        post.save()
        resolve_reports(post)
        _log(kind, post, by=by, note=note)
    return post


def reject(post: Post, *, by: Membership, message: str = "") -> Post:
    """Keep a post unpublished; the author is told why (`message`) through outreach."""
    require_moderator(by, post.workspace_id)
    message = message.strip()
    workspace = post.workspace
    with transaction.atomic():
        post.visibility = Visibility.REJECTED
        post.save(update_fields=["visibility"])
        resolve_reports(post)
        entry = _log(ModerationAction.Kind.REJECT, post, by=by, note=message)
        author = _author(post)
        if message and author is not None:
            notice = Notice(POST_REJECTED, ref=f"rejected{entry.pk}", item={"message": message})
            notify(workspace, [author.contact_id], notice, by=by)
    return post


def ban(participant: Participant, *, by: Membership, days: int, reason: str = "") -> Ban:
    """Stop a participant posting for `days` days (their earlier posts stay as they are)."""
    require_moderator(by, participant.workspace_id)
    if not 1 <= days <= MAX_BAN_DAYS:
        raise CommunityError(f"A ban lasts from 1 to {MAX_BAN_DAYS} days.", field="days")
    with transaction.atomic():
        made = Ban.objects.create(
            workspace_id=participant.workspace_id,
            participant=participant,
            until=timezone.now() + timedelta(days=days),
            reason=reason.strip()[:300],
            by=by,
        )
        log(
            participant.workspace_id,
            ModerationAction.Kind.BAN,
            by=by,
            participant=participant,
            note=f"{days} days{': ' + made.reason if made.reason else ''}",
        )
    return made


def lift_ban(ban_row: Ban, *, by: Membership) -> Ban:
    require_moderator(by, ban_row.workspace_id)
    with transaction.atomic():
        ban_row.lifted_at = timezone.now()
        ban_row.save(update_fields=["lifted_at"])
        log(
            ban_row.workspace_id,
            ModerationAction.Kind.UNBAN,
            by=by,
            participant=ban_row.participant,
        )
    return ban_row
