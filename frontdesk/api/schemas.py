"""Schemas and helpers every router shares."""

from __future__ import annotations

from ninja import Schema

from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.models import Membership
from frontdesk.core.permissions import require


class ErrorOut(Schema):
    detail: str


def require_capability(request: WorkspaceRequest, capability: str) -> Membership:
    """Return the token's member, or refuse (NotAllowed, so 403) if their role lacks
    `capability`."""
    membership: Membership = request.membership
    require(membership, capability)
    return membership
