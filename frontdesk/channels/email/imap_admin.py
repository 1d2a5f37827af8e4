"""The back office's view of IMAP mailboxes: secrets are never shown or edited here
(change them on the mailbox's settings page); the watermark is read-only."""

from __future__ import annotations

from django.contrib import admin

from frontdesk.channels.email.imap_models import ImapMailbox
from frontdesk.core.admin import WorkspaceScopedAdmin


@admin.register(ImapMailbox)
class ImapMailboxAdmin(WorkspaceScopedAdmin):
    list_display = ("username", "host", "folder", "channel", "state", "last_polled_at")
    list_filter = ("workspace", "state", "auth")
    search_fields = ("username", "host", "folder")
    exclude = (
        "password",
        "oauth_client_secret",
        "oauth_refresh_token",
        "oauth_access_token",
    )
    readonly_fields = (
        "channel",
        "uidvalidity",
        "last_uid",
        "previous_uidvalidity",
        "uidvalidity_changed_at",
        "poll_claimed_at",
        "last_polled_at",
        "last_success_at",
        "imported_count",
    )
