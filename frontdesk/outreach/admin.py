"""Outreach in the back office: read and fix rows. Sending state is shown, not edited:
a delivery's state machine belongs to the sending engine."""

from __future__ import annotations

from django.contrib import admin

from frontdesk.core.admin import WorkspaceScopedAdmin
from frontdesk.outreach.models import (
    Campaign,
    ContactData,
    Delivery,
    ImportRun,
    Notice,
    OutreachSettings,
    SenderIdentity,
    Subscription,
    Suppression,
    Template,
    Topic,
)


@admin.register(SenderIdentity)
class SenderIdentityAdmin(WorkspaceScopedAdmin):
    list_display = ("__str__", "workspace", "from_address_verified", "archived_at")
    raw_id_fields = ("member", "email_channel", "sms_channel")


@admin.register(Topic)
class TopicAdmin(WorkspaceScopedAdmin):
    list_display = ("__str__", "workspace")


@admin.register(Subscription)
class SubscriptionAdmin(WorkspaceScopedAdmin):
    list_display = ("contact", "topic", "status", "workspace")
    raw_id_fields = ("contact", "topic")


@admin.register(Template)
class TemplateAdmin(WorkspaceScopedAdmin):
    list_display = ("__str__", "workspace")


@admin.register(Campaign)
class CampaignAdmin(WorkspaceScopedAdmin):
    list_display = ("name", "workspace", "status")
    list_filter = ("status",)
    raw_id_fields = ("sender", "template", "topic", "created_by")


@admin.register(Notice)
class NoticeAdmin(WorkspaceScopedAdmin):
    list_display = ("__str__", "workspace")
    raw_id_fields = ("sender", "template", "contact", "topic")


@admin.register(Delivery)
class DeliveryAdmin(WorkspaceScopedAdmin):
    list_display = ("__str__", "workspace", "state")
    list_filter = ("state",)
    raw_id_fields = ("campaign", "notice", "contact", "reply_conversation")
    readonly_fields = ("state", "idempotency_key", "provider_message_id")


@admin.register(Suppression)
class SuppressionAdmin(WorkspaceScopedAdmin):
    list_display = ("address", "reason", "workspace")
    list_filter = ("reason",)


@admin.register(ContactData)
class ContactDataAdmin(WorkspaceScopedAdmin):
    list_display = ("contact", "workspace")
    raw_id_fields = ("contact",)


@admin.register(OutreachSettings)
class OutreachSettingsAdmin(WorkspaceScopedAdmin):
    list_display = ("workspace", "track_opens_and_clicks", "default_sender")
    raw_id_fields = ("default_sender",)


@admin.register(ImportRun)
class ImportRunAdmin(WorkspaceScopedAdmin):
    """CSV imports: their progress and report, read; the run itself is the worker's."""

    list_display = ("filename", "workspace", "kind", "status", "processed", "total", "invalid")
    list_filter = ("kind", "status")
    raw_id_fields = ("template", "sender", "created_by", "started_by")
    readonly_fields = ("status", "processed", "total", "created", "updated", "unchanged")
