"""What customers' actions share: the error they raise and who may post."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from frontdesk.community.models import (
    Answer,
    Ban,
    Comment,
    CommunitySettings,
    FanQuestion,
    ModerationAction,
    Participant,
    Suggestion,
    Visibility,
)
from frontdesk.core import roles
from frontdesk.core.errors import ActionError
from frontdesk.core.models import Membership, Workspace
from frontdesk.core.permissions import require
from frontdesk.triage.pipeline import analyze


class CommunityError(ActionError):
    """A community change that cannot be made as asked; the message is for people."""


def settings_for(workspace: Workspace) -> CommunitySettings:
    found, _ = CommunitySettings.objects.get_or_create(workspace=workspace)
    return found


def active_ban(participant: Participant) -> Ban | None:
    return (
        Ban.objects.for_workspace(participant.workspace)
        .filter(participant=participant, until__gt=timezone.now(), lifted_at__isnull=True)
        .order_by("-until")
        .first()
    )


def require_can_post(participant: Participant) -> None:
    """Refuse a banned participant, and one posting faster than the workspace allows."""
    ban = active_ban(participant)
    if ban is not None:
        local = timezone.localtime(ban.until, participant.workspace.tzinfo)
        raise CommunityError(
            f"You cannot post until {local:%-d %B %Y, %H:%M}"
            + (f" ({ban.reason})." if ban.reason else "."),
            code="banned",
        )
    policy = settings_for(participant.workspace)
    since = timezone.now() - timedelta(minutes=policy.window_minutes)
    recent = sum(
        model.objects.filter(author=participant, created_at__gte=since).count()
        for model in (Suggestion, Comment, FanQuestion, Answer)
    )
    if recent >= policy.posts_per_window:
        raise CommunityError(
            f"You have posted {recent} times in {policy.window_minutes} minutes. "
            "Take a breather and try again in a few minutes.",
            code="rate_limited",
        )


MAX_LINKS = 2
_LINK = ("http://", "https://", "www.")


def screen(text: str) -> tuple[str, str]:
    """(visibility, reason) for a customer's new post: held when triage flags it as
    abusive, or when it looks like advertising (many links); published otherwise."""
    finding = analyze(text).abuse
    if finding.label == "abusive":
        return Visibility.HELD, f"Held automatically: {finding.reason} (score {finding.score})."
    lowered = text.lower()
    if sum(lowered.count(marker) for marker in _LINK) > MAX_LINKS:
        return Visibility.HELD, "Held automatically: many links (possible spam)."
    return Visibility.PUBLISHED, ""


def log(
    workspace_id: int,
    kind: str,
    *,
    by: Membership | None,
    participant: Participant | None = None,
    suggestion: Suggestion | None = None,
    comment: Comment | None = None,
    note: str = "",
) -> ModerationAction:
    return ModerationAction.objects.create(
        workspace_id=workspace_id,
        kind=kind,
        moderator=by,
        participant=participant,
        suggestion=suggestion,
        comment=comment,
        note=note,
    )


def require_moderator(by: Membership | None, workspace_id: int) -> None:
    require(by, roles.MODERATE, workspace_id=workspace_id)


NewPost = TypeVar("NewPost", Suggestion, Comment, FanQuestion, Answer)


def create_screened_post(
    model: type[NewPost],
    *,
    participant: Participant,
    screened: str,
    hold_note: str = "",
    **fields: Any,
) -> NewPost:
    """A customer's new post: refused for a banned or too-fast participant
    (`require_can_post`), then made published or held by `screen(screened)`; a hold
    is logged with the reason (after `hold_note`, e.g. "Answer: ")."""
    require_can_post(participant)
    visibility, reason = screen(screened)
    with transaction.atomic():
        made = model._default_manager.create(
            author=participant, visibility=visibility, hold_reason=reason, **fields
        )
        if visibility == Visibility.HELD:
            log(
                made.workspace_id,
                ModerationAction.Kind.HOLD,
                by=None,
                participant=participant,
                suggestion=made if isinstance(made, Suggestion) else None,
                comment=made if isinstance(made, Comment) else None,
                note=hold_note + reason,
            )
    return made


def require_staff_voice(by: Membership | None, workspace_id: int) -> None:
    """Staff who may comment in the community: moderators, and agents (who reply)."""
    if by is not None and by.can(roles.MODERATE):
        require(by, roles.MODERATE, workspace_id=workspace_id)
    else:
        require(by, roles.REPLY, workspace_id=workspace_id)


def visible() -> Q:
    return Q(visibility=Visibility.PUBLISHED)
