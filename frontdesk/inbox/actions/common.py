"""What every inbox action shares: its error types and the checks before a write."""

from __future__ import annotations

from typing import Any

from frontdesk.core import roles
from frontdesk.core.models import Membership


class InboxError(Exception):
    """An inbox change that cannot be made as asked; the message is for people (4xx)."""


class NotAllowed(InboxError):
    """The acting member may not make this change (views answer 403)."""


def require(by: Membership, workspace_id: int, capability: str = roles.REPLY) -> None:
    """Refuse a member of another workspace, an inactive one, or one whose role can't."""
    if by.workspace_id != workspace_id or not by.can(capability):
        raise NotAllowed("Your role can’t make this change in this workspace.")


def require_same_workspace(workspace_id: int, *objects: Any) -> None:
    """Rows that point at each other must belong to one workspace."""
    for obj in objects:
        if obj is not None and obj.workspace_id != workspace_id:
            raise InboxError(f"{obj._meta.verbose_name} belongs to another workspace.")
