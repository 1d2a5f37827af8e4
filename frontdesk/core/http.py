"""Typed requests: what Frontdesk's middleware adds to Django's HttpRequest.

`CurrentWorkspaceMiddleware` sets `workspace` and `membership` on every request
(None outside a workspace); on pages under /w/<ws>/ and on API calls (the token
auth) both are set, and views there take a `WorkspaceRequest`. django-htmx adds
`htmx` to every request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

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
