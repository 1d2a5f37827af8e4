"""The community's policy a workspace sets for itself: the published code of conduct
and the rate limit (how many posts one person may make in how many minutes)."""

from __future__ import annotations

import difflib

from django.db import transaction

from frontdesk.community.actions.common import (
    CommunityError,
    log,
    require_moderator,
    settings_for,
)
from frontdesk.community.models import CommunitySettings, ModerationAction
from frontdesk.core.models import Membership, Workspace

CONDUCT_LENGTH = 8000
MAX_POSTS = 200
MAX_WINDOW_MINUTES = 24 * 60


def update_community_settings(
    workspace: Workspace,
    *,
    by: Membership,
    code_of_conduct: str,
    posts_per_window: int,
    window_minutes: int,
) -> CommunitySettings:
    """Save the code of conduct (shown at /c/<slug>/conduct/) and the rate limit the
    next post is checked against. Needs MODERATE; a blank code of conduct or a limit
    outside 1–200 posts per 1–1440 minutes is refused (CommunityError). A change is
    written to the moderation log (who, when, and what changed); saving the same
    values again changes nothing and logs nothing."""
    require_moderator(by, workspace.pk)
    text = code_of_conduct.strip().replace("\r\n", "\n")
    if not text:
        raise CommunityError("Write the code of conduct people agree to.", field="code_of_conduct")
    if len(text) > CONDUCT_LENGTH:
        raise CommunityError(f"Keep it under {CONDUCT_LENGTH} characters.", field="code_of_conduct")
    if not 1 <= posts_per_window <= MAX_POSTS:
        raise CommunityError(f"Allow from 1 to {MAX_POSTS} posts.", field="posts_per_window")
    if not 1 <= window_minutes <= MAX_WINDOW_MINUTES:
        raise CommunityError(
            f"Count posts over 1 to {MAX_WINDOW_MINUTES} minutes.", field="window_minutes"
        )
    with transaction.atomic():
        policy = settings_for(workspace)
        policy = CommunitySettings.objects.select_for_update().get(pk=policy.pk)
        changes = _changes(policy, text, posts_per_window, window_minutes)
        if not changes:
            return policy
        policy.code_of_conduct = text
        policy.posts_per_window = posts_per_window
        policy.window_minutes = window_minutes
        policy.save(update_fields=["code_of_conduct", "posts_per_window", "window_minutes"])
        log(workspace.pk, ModerationAction.Kind.SETTINGS, by=by, note="\n".join(changes))
    return policy


def _changes(
    policy: CommunitySettings, text: str, posts_per_window: int, window_minutes: int
) -> list[str]:
    """What saving would change, in words for the moderation log: the rate limit's
    old and new values, and the code of conduct's removed (−) and added (+) lines."""
    changes = []
    if (policy.posts_per_window, policy.window_minutes) != (posts_per_window, window_minutes):
        changes.append(
            f"Rate limit: {policy.posts_per_window} posts per {policy.window_minutes} minutes"
            f" → {posts_per_window} posts per {window_minutes} minutes."
        )
    if policy.code_of_conduct != text:
        lines = [
            ("− " if line[0] == "-" else "+ ") + line[2:]
            for line in difflib.ndiff(policy.code_of_conduct.splitlines(), text.splitlines())
            if line[:2] in ("- ", "+ ") and line[2:].strip()
        ]
        changes.append("Code of conduct:")
        changes.extend(lines or ["(blank lines only)"])
    return changes
