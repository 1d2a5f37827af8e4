from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from frontdesk.core.errors import NotAllowed
from frontdesk.core.models import Membership


def require(by: Membership | None, capability: str, *, workspace_id: int | None = None) -> None:
    """Raise NotAllowed unless `by` is an active member whose role has `capability`
    (and, when `workspace_id` is given, a member of that workspace).

    Every action that a person can take calls this first, so pages, the API, tasks
    and commands share one rule; the message is shown to that person.
    """
    if by is None or not by.is_active:
        raise NotAllowed("Only an active member of this workspace can do this.")
    if workspace_id is not None and by.workspace_id != workspace_id:
        raise NotAllowed("That belongs to another workspace.")
    if not by.can(capability):
        raise NotAllowed(f"Your role cannot {capability.replace('_', ' ')}.")


def require_capability(
    capability: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Refuse (403) a workspace view to members whose role lacks `capability`."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            require(getattr(request, "membership", None), capability)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
