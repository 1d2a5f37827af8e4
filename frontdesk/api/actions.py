"""Every write the API app makes: tokens, and the contact edits the API exposes."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.api.models import TOKEN_SCHEME, ApiToken
from frontdesk.core import roles
from frontdesk.core.errors import ActionError, NotAllowed
from frontdesk.core.models import Membership
from frontdesk.core.permissions import require

logger = logging.getLogger(__name__)

# How stale `last_used_at` may get: a busy script must not turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenError(ActionError):
    """A token operation that cannot be done as asked; the message is for people."""


class TokenNotAllowed(NotAllowed, ApiTokenError):
    """The acting member may not touch this token (403, like every NotAllowed)."""


def _new_prefix() -> str:
    return secrets.token_hex(4)


def create_api_token(membership: Membership, *, name: str) -> tuple[ApiToken, str]:
    """Create a token acting as `membership`; return it with its plaintext.

    The plaintext (`fd_<prefix>_<secret>`) is not stored anywhere: show it once.
    Raises NotAllowed if the member may not use the API, ApiTokenError if the name
    is empty.
    """
    name = name.strip()
    if not name:
        raise ApiTokenError("Give the token a name, e.g. what will use it.")
    require(membership, roles.USE_API)
    secret = secrets.token_urlsafe(32)
    # Prefixes are 32 random bits: a clash is rare, and the unique index settles it.
    for _attempt in range(5):
        prefix = _new_prefix()
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    workspace_id=membership.workspace_id,
                    membership=membership,
                    name=name[:80],
                    prefix=prefix,
                    secret_hash=ApiToken.hash_secret(secret),
                )
        except IntegrityError:
            continue
        logger.info(
            "api token created",
            extra={"workspace": membership.workspace_id, "member": membership.pk, "token": prefix},
        )
        return token, f"{TOKEN_SCHEME}_{prefix}_{secret}"
    raise ApiTokenError("Could not create a token just now; try again.")


def revoke_api_token(token: ApiToken, *, by: Membership) -> bool:
    """Revoke a token at once; requests with it get 401 from then on.

    `by` is the token's own member or someone who manages the team in its workspace.
    Returns False when it was already revoked.
    """
    own = by.pk == token.membership_id
    if by.workspace_id != token.workspace_id or not (own or by.can(roles.MANAGE_TEAM)):
        raise TokenNotAllowed("You can only revoke your own tokens.")
    now = timezone.now()
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if revoked:
        token.revoked_at = now
        logger.info(
            "api token revoked",
            extra={"workspace": token.workspace_id, "token": token.prefix, "by": by.pk},
        )
    return bool(revoked)


def touch_token(token: ApiToken) -> None:
    """Record that the token was used, at most once per LAST_USED_RESOLUTION."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).exclude(
        last_used_at__gte=now - LAST_USED_RESOLUTION
    ).update(last_used_at=now)
    token.last_used_at = now
