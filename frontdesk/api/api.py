"""The JSON API at /api/v1/: bearer tokens, one router per domain, JSON errors.

Every endpoint needs a token except the OpenAPI document (/api/v1/openapi.json) and
the interactive docs (/api/v1/docs). Errors are always `{"detail": ...}`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI

from frontdesk.api.auth import ApiTokenAuth
from frontdesk.api.routers import contacts, inbox, me
from frontdesk.core.errors import ActionError, NotAllowed

api = NinjaAPI(
    title="Frontdesk API",
    version="1",
    description=(
        "Act as one staff member in one workspace. Send "
        "`Authorization: Bearer fd_…` with a token made under Settings → API tokens."
    ),
    # Not "api": that is the namespace of the token pages (`api:tokens`).
    urls_namespace="api-v1",
    auth=ApiTokenAuth(),
)
api.add_router("/me", me.router)
api.add_router("/contacts", contacts.router)
api.add_router("/conversations", inbox.router)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(DjangoValidationError)
def _invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": " ".join(exc.messages)}, status=422)


@api.exception_handler(ActionError)
def _action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    """An action said no: 403 when the token's member may not, else 409 (the row's
    state, e.g. an address another contact owns, does not allow it)."""
    status = 403 if isinstance(exc, NotAllowed) else 409
    return api.create_response(request, {"detail": exc.message}, status=status)
