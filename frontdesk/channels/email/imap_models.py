"""A mailbox an email channel reads by IMAP: where it is, how to sign in, how far it got.

The watermark is the folder's UIDVALIDITY plus the highest UID stored under it, and
nothing else (never \\Seen, "the last N" or a date window): it only moves forward after
the message with that UID is durable, so an outage is followed by a backfill from
exactly there. Secrets (the password, the OAuth2 tokens and client secret) are never
shown back on a page or written to a log.
"""

from __future__ import annotations

from datetime import datetime

from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from frontdesk.core.scoping import WorkspaceScoped
from frontdesk.inbox.models import Channel

URL = URLValidator(schemes=["https", "http"])


class ImapSecurity(models.TextChoices):
    SSL = "ssl", "TLS from the start (port 993)"
    STARTTLS = "starttls", "STARTTLS (port 143)"
    NONE = "none", "None (a server on this machine only)"


class ImapAuth(models.TextChoices):
    PASSWORD = "password", "Password (or app password)"
    OAUTH2 = "oauth2", "OAuth2 (Gmail, Microsoft 365)"


class ImapState(models.TextChoices):
    ACTIVE = "active", "Working"
    FAILING = "failing", "Failing, retrying"
    NEEDS_REAUTH = "needs_reauth", "Needs re-authorisation"
    PAUSED = "paused", "Paused"


class ImapMailbox(WorkspaceScoped):
    """One IMAP folder whose mail becomes customer messages on `channel`.

    `uidvalidity` + `last_uid` is the watermark (None/0: never read). `state` says
    whether the poller reads it: a mailbox that needs re-authorisation (the server or
    the token endpoint refused its credentials) waits for an admin.
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="imap_mailboxes")
    host = models.CharField(max_length=255, help_text="e.g. imap.gmail.com")
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(
        max_length=12, choices=ImapSecurity.choices, default=ImapSecurity.SSL
    )
    username = models.CharField(max_length=320, help_text="Usually the full email address.")
    auth = models.CharField(max_length=12, choices=ImapAuth.choices, default=ImapAuth.PASSWORD)
    password = models.CharField(max_length=512, blank=True, help_text="Kept secret.")
    # OAuth2 (XOAUTH2): the client registration and the tokens it was granted.
    # Plain text columns checked as URLs (the forms are URLFields).
    oauth_token_url = models.CharField(max_length=500, blank=True, validators=[URL])
    oauth_authorize_url = models.CharField(max_length=500, blank=True, validators=[URL])
    oauth_client_id = models.CharField(max_length=255, blank=True)
    oauth_client_secret = models.CharField(max_length=512, blank=True, help_text="Kept secret.")
    oauth_scope = models.CharField(max_length=500, blank=True)
    oauth_refresh_token = models.TextField(blank=True)
    oauth_access_token = models.TextField(blank=True)
    oauth_access_token_expires_at = models.DateTimeField(null=True, blank=True)
    folder = models.CharField(max_length=255, default="INBOX")
    delete_after_import = models.BooleanField(
        default=False,
        help_text="Delete each message from the server once it is safely stored here. "
        "Off: the server's mail and its read/unread flags are left exactly as they were.",
    )
    import_existing = models.BooleanField(
        default=True,
        help_text="Import the mail already in the folder when it is first read. Off: "
        "only mail arriving from then on becomes conversations.",
    )
    # The watermark.
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    # The last time the server announced a new UIDVALIDITY (the folder was recreated
    # or restored) and what it was before: shown to admins, the mail was re-read.
    uidvalidity_changed_at = models.DateTimeField(null=True, blank=True)
    previous_uidvalidity = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=ImapState.choices, default=ImapState.ACTIVE)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # A poll in progress (a conditional UPDATE claims it, so two workers never read
    # the same mailbox at once); a claim older than the poll timeout is stale.
    poll_claimed_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    imported_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "email"
        verbose_name = "IMAP mailbox"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "host", "username", "folder"], name="imap_mailbox_unique"
            )
        ]
        indexes = [models.Index(fields=["state", "last_polled_at"], name="imap_mailbox_due")]

    def __str__(self) -> str:
        return f"{self.username} on {self.host} ({self.folder})"

    @property
    def uses_oauth(self) -> bool:
        return self.auth == ImapAuth.OAUTH2

    @property
    def needs_reauth(self) -> bool:
        return self.state == ImapState.NEEDS_REAUTH

    def token_expired(self, now: datetime) -> bool:
        expires = self.oauth_access_token_expires_at
        return not self.oauth_access_token or expires is None or expires <= now
