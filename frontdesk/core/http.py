"""Typed requests: what Frontdesk's middleware adds to Django's HttpRequest.

`CurrentWorkspaceMiddleware` sets `workspace` and `membership` on every request
(None outside a workspace); on pages under /w/<ws>/ and on API calls (the token
auth) both are set, and views there take a `WorkspaceRequest`. django-htmx adds
`htmx` to every request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

# The largest id a row can have (a signed 64-bit primary key, in SQLite and PostgreSQL):
# a larger number in a URL or filter names nothing, and the database would refuse it
# with an overflow error rather than find nothing.
MAX_ID = 2**63 - 1


def parse_id(value: str | int | None) -> int | None:
    """The id `value` names (digits, 1 to MAX_ID), or None for anything else."""
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from frontdesk.core.models import Membership, User, Workspace


class HtmxRequest(HttpRequest):
    """Any request (public pages too): `htmx` tells whether htmx sent it."""

    htmx: HtmxDetails
    workspace: Workspace | None
    membership: Membership | None


class WorkspaceRequest(HttpRequest):
    """A request to a workspace page or the API, by a signed-in, active member."""

    htmx: HtmxDetails
    user: User
    workspace: Workspace
    membership: Membership
