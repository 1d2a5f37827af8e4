"""Bearer-token authentication for the JSON API.

`Authorization: Bearer fd_<prefix>_<secret>`: the prefix finds the row, the secret's
SHA-256 is compared in constant time. A good token sets `request.workspace` and
`request.membership` exactly as CurrentWorkspaceMiddleware does for pages, so
routers scope every lookup the same way.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import HttpBearer

from frontdesk.api.actions import touch_token
from frontdesk.api.models import TOKEN_SCHEME, ApiToken
from frontdesk.core import roles

_NO_MATCH = "0" * 64


def find_active_token(plaintext: str) -> ApiToken | None:
    """Return the unrevoked token this plaintext names, or None."""
    scheme, _, rest = plaintext.strip().partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != TOKEN_SCHEME or not prefix or not secret:
        return None
    token = (
        ApiToken.objects.select_related("membership__workspace", "membership__user")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    # Hash and compare whether or not a row was found, so the time taken does not
    # tell a caller which half of a guessed token was wrong.
    expected = token.secret_hash if token is not None else _NO_MATCH
    matches = hmac.compare_digest(ApiToken.hash_secret(secret), expected)
    return token if matches and token is not None else None


class ApiTokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header, "")
        scheme, _, _value = header.partition(" ")
        if not header:
            raise AuthenticationError(
                message="Send an API token: “Authorization: Bearer fd_…”. "
                "Create one under Settings → API tokens."
            )
        if scheme.lower() != self.openapi_scheme:
            raise AuthenticationError(message="Use “Authorization: Bearer <token>”.")
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        found = find_active_token(token)
        if found is None:
            raise AuthenticationError(message="This API token is not valid or has been revoked.")
        membership = found.membership
        if not membership.is_active or not membership.user.is_active:
            raise AuthenticationError(
                message="This API token belongs to a staff member who is no longer active."
            )
        if not membership.can(roles.USE_API):
            raise AuthorizationError(message="Your role cannot use the API.")
        touch_token(found)
        request.workspace = membership.workspace  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
        return found
