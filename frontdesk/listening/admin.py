"""Listening in the back office: read and fix rows (tokens never shown)."""

from __future__ import annotations

from django.contrib import admin

from frontdesk.core.admin import WorkspaceScopedAdmin
from frontdesk.listening.models import Mention, Sighting, SocialAccount, Source, Watch


@admin.register(Watch)
class WatchAdmin(WorkspaceScopedAdmin):
    list_display = ("name", "workspace", "query", "is_active")
    list_filter = ("is_active",)


@admin.register(Source)
class SourceAdmin(WorkspaceScopedAdmin):
    list_display = ("label", "kind", "workspace", "next_poll_at", "failures")
    list_filter = ("kind",)
    exclude = ("settings",)  # tokens
    readonly_fields = ("cursor", "claimed_at", "claim_token")


@admin.register(Mention)
class MentionAdmin(WorkspaceScopedAdmin):
    list_display = ("__str__", "workspace", "source", "status", "sentiment_label", "found_at")
    list_filter = ("status", "sentiment_label")
    raw_id_fields = ("source", "conversation", "status_by")


@admin.register(Sighting)
class SightingAdmin(WorkspaceScopedAdmin):
    list_display = ("external_id", "source", "mention", "seen_at")
    raw_id_fields = ("source", "mention")


@admin.register(SocialAccount)
class SocialAccountAdmin(WorkspaceScopedAdmin):
    list_display = ("handle", "network", "membership", "workspace", "created_at")
    list_filter = ("network",)
    exclude = ("access_token", "app_password")  # secrets
    raw_id_fields = ("membership",)
