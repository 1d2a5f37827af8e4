"""Saved replies: reusable answers the whole workspace shares."""

from __future__ import annotations

from django.utils import timezone

from frontdesk.core import roles
from frontdesk.core.models import Membership, Workspace
from frontdesk.inbox.actions.common import InboxError, require
from frontdesk.inbox.models import SavedReply


def _clean(title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body:
        raise InboxError("A saved reply needs a title and some text.")
    if len(title) > 120:
        raise InboxError("Keep the title under 120 characters.")
    return title, body


def create_saved_reply(
    workspace: Workspace, *, title: str, body: str, by: Membership
) -> SavedReply:
    """Add a saved reply for everyone in the workspace."""
    require(by, workspace.pk, roles.REPLY)
    title, body = _clean(title, body)
    return SavedReply.objects.create(workspace=workspace, title=title, body=body, created_by=by)


def update_saved_reply(
    saved_reply: SavedReply, *, title: str, body: str, by: Membership
) -> SavedReply:
    """Change a saved reply's title and text."""
    require(by, saved_reply.workspace_id, roles.REPLY)
    saved_reply.title, saved_reply.body = _clean(title, body)
    saved_reply.updated_at = timezone.now()
    saved_reply.save(update_fields=["title", "body", "updated_at"])
    return saved_reply


def delete_saved_reply(saved_reply: SavedReply, *, by: Membership) -> None:
    """Remove a saved reply."""
    require(by, saved_reply.workspace_id, roles.REPLY)
    saved_reply.delete()
