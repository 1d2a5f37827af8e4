"""Schemas and helpers every router shares."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Schema

from frontdesk.core.models import Membership
from frontdesk.core.permissions import require


class ErrorOut(Schema):
    detail: str


def require_capability(request: HttpRequest, capability: str) -> Membership:
    """Return the token's member, or refuse (NotAllowed, so 403) if their role lacks
    `capability`."""
    membership: Membership = request.membership  # type: ignore[attr-defined]
    require(membership, capability)
    return membership
