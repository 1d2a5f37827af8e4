"""What every inbox action shares: its error types and the checks before a write."""

from __future__ import annotations

from typing import Any

from frontdesk.core.errors import ActionError, NotAllowed
from frontdesk.core.permissions import require

__all__ = ["InboxError", "NotAllowed", "require", "require_same_workspace"]


class InboxError(ActionError):
    """An inbox change that cannot be made as asked; the message is for people (4xx)."""


def require_same_workspace(workspace_id: int, *objects: Any) -> None:
    """Rows that point at each other must belong to one workspace."""
    for obj in objects:
        if obj is not None and obj.workspace_id != workspace_id:
            raise InboxError(f"{obj._meta.verbose_name} belongs to another workspace.")
