"""Saved replies: reusable answers the whole workspace shares.

Anyone who can reply may add one; its author may change or remove it, and so may
admins and owners (who look after the workspace's shared wording).
"""

from __future__ import annotations

from django.utils import timezone

from frontdesk.core import roles
from frontdesk.core.models import Membership, Workspace
from frontdesk.inbox.actions.common import InboxError, NotAllowed, require
from frontdesk.inbox.models import SavedReply
from frontdesk.inbox.templating import variable_errors


class SavedReplyInvalid(InboxError):
    """A saved reply's title or text cannot be stored; `errors` says why, per field."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(" ".join(message for found in errors.values() for message in found))


def can_change_saved_reply(member: Membership, saved_reply: SavedReply) -> bool:
    """The author (while they may reply) or an admin/owner of the same workspace."""
    if member.workspace_id != saved_reply.workspace_id:
        return False
    if member.can(roles.MANAGE_WORKSPACE):
        return True
    return member.can(roles.REPLY) and saved_reply.created_by_id == member.pk


def _clean(title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["Give the saved reply a title, e.g. “Opening hours”."]
    elif len(title) > 120:
        errors["title"] = ["Keep the title under 120 characters."]
    if not body:
        errors["body"] = ["Write the text of the reply."]
    elif found := variable_errors(body):
        errors["body"] = found
    if errors:
        raise SavedReplyInvalid(errors)
    return title, body


def create_saved_reply(
    workspace: Workspace, *, title: str, body: str, by: Membership
) -> SavedReply:
    """Add a saved reply for everyone in the workspace; `by` becomes its author.

    Raises SavedReplyInvalid for an empty title or text or an unknown variable."""
    require(by, roles.REPLY, workspace_id=workspace.pk)
    title, body = _clean(title, body)
    return SavedReply.objects.create(workspace=workspace, title=title, body=body, created_by=by)


def _require_change(saved_reply: SavedReply, by: Membership) -> None:
    require(by, roles.VIEW_INBOX, workspace_id=saved_reply.workspace_id)
    if not can_change_saved_reply(by, saved_reply):
        raise NotAllowed("Only its author or an admin can change this saved reply.")


def update_saved_reply(
    saved_reply: SavedReply, *, title: str, body: str, by: Membership
) -> SavedReply:
    """Change a saved reply's title and text (its author, or an admin or owner)."""
    _require_change(saved_reply, by)
    saved_reply.title, saved_reply.body = _clean(title, body)
    saved_reply.updated_at = timezone.now()
    saved_reply.save(update_fields=["title", "body", "updated_at"])
    return saved_reply


def delete_saved_reply(saved_reply: SavedReply, *, by: Membership) -> None:
    """Remove a saved reply (its author, or an admin or owner)."""
    _require_change(saved_reply, by)
    saved_reply.delete()
