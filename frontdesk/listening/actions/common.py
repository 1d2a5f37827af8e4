"""What listening's actions share: the error type and the role checks."""

from __future__ import annotations

from typing import Any

from frontdesk.core import roles
from frontdesk.core.errors import ActionError, NotAllowed
from frontdesk.core.models import Membership
from frontdesk.core.permissions import require

__all__ = [
    "ListeningError",
    "NotAllowed",
    "require_same_workspace",
    "require_to_act",
    "require_to_set_up",
]


class ListeningError(ActionError):
    """A listening change that cannot be made as asked; the message is for people."""


def require_to_act(by: Membership | None, workspace_id: int) -> None:
    """Acting on mentions and editing watches: whoever answers customers."""
    require(by, roles.REPLY, workspace_id=workspace_id)


def require_to_set_up(by: Membership | None, workspace_id: int) -> None:
    """Sources hold network tokens: admins set them up, as they do channels."""
    require(by, roles.MANAGE_CHANNELS, workspace_id=workspace_id)


def require_same_workspace(workspace_id: int, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.workspace_id != workspace_id:
            raise ListeningError("That belongs to another workspace.")
