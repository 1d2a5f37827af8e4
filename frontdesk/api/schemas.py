"""Schemas and helpers every router shares."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Schema
from ninja.errors import HttpError

from frontdesk.core.models import Membership


class ErrorOut(Schema):
    detail: str


def require_capability(request: HttpRequest, capability: str) -> Membership:
    """Return the token's member, or answer 403 if their role lacks `capability`."""
    membership: Membership = request.membership  # type: ignore[attr-defined]
    if not membership.can(capability):
        raise HttpError(403, f"Your role cannot {capability.replace('_', ' ')}.")
    return membership
