"""Schemas and helpers every router shares."""

from __future__ import annotations

from ninja import Field, Schema

from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.models import Membership
from frontdesk.core.permissions import require


class FieldError(Schema):
    loc: list[str | int] = Field(description='Where: e.g. ["body", "payload", "name"].')
    msg: str


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in words a person reads.")
    errors: list[FieldError] | None = Field(
        None, description="With 422 for input that does not fit the schema: each field's problem."
    )


def require_capability(request: WorkspaceRequest, capability: str) -> Membership:
    """Return the token's member, or refuse (NotAllowed, so 403) if their role lacks
    `capability`."""
    membership: Membership = request.membership
    require(membership, capability)
    return membership
