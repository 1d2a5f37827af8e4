"""API tokens: how a script or another system acts as one staff member."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone

from frontdesk.core.models import Membership
from frontdesk.core.scoping import WorkspaceScoped

TOKEN_SCHEME = "fd"  # noqa: S105 (a public marker, not a secret)


class ApiToken(WorkspaceScoped):
    """One bearer token that acts as `membership` in its workspace.

    Only the SHA-256 of the secret is stored: the full token (`fd_<prefix>_<secret>`)
    is shown once when it is created. The prefix is public, shown in lists so people
    can tell their tokens apart, and is how a request finds its row.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text="What uses it, e.g. “catalogue sync”.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "membership", "-created_at"])]
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        return f"{TOKEN_SCHEME}_{self.prefix}_…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def hash_secret(secret: str) -> str:
        # The secret is 256 random bits, so a plain fast hash is enough: there is
        # nothing to brute-force as there would be with a password.
        return hashlib.sha256(secret.encode()).hexdigest()
