"""Schemas and helpers every router shares."""

from __future__ import annotations

from ninja import Schema
from ninja.errors import HttpError

from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.models import Membership


class ErrorOut(Schema):
    detail: str


def require_capability(request: WorkspaceRequest, capability: str) -> Membership:
    """Return the token's member, or answer 403 if their role lacks `capability`."""
    membership: Membership = request.membership
    if not membership.can(capability):
        raise HttpError(403, f"Your role cannot {capability.replace('_', ' ')}.")
    return membership
