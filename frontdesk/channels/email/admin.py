from django.contrib import admin

from frontdesk.channels.email import imap_admin  # noqa: F401 - registers ImapMailbox
from frontdesk.channels.email.models import (
    EmailChannelConfig,
    EmailDetail,
    EmailParticipant,
    RawEmail,
    SnsMessageReceipt,
    UndeliverableAddress,
)
from frontdesk.core.admin import WorkspaceScopedAdmin


@admin.register(EmailChannelConfig)
class EmailChannelConfigAdmin(WorkspaceScopedAdmin):
    """Secrets are never shown here; change them on the channel's settings page."""

    list_display = ("address", "channel", "inbound_provider", "outbound_backend", "workspace")
    list_filter = ("workspace", "inbound_provider", "outbound_backend")
    search_fields = ("address", "other_addresses")
    exclude = ("webhook_secret", "smtp_password", "api_key")
    readonly_fields = ("channel", "webhook_key")


@admin.register(RawEmail)
class RawEmailAdmin(WorkspaceScopedAdmin):
    """The bytes as received (not shown: a customer's mail), for their size and path."""

    list_display = ("event", "via", "size", "created_at", "workspace")
    list_filter = ("workspace", "via")
    exclude = ("data",)
    readonly_fields = ("event", "sha256", "size", "via", "envelope_recipients", "created_at")


@admin.register(EmailDetail)
class EmailDetailAdmin(WorkspaceScopedAdmin):
    list_display = ("header_message_id", "message", "thread_signal", "workspace")
    list_filter = ("workspace", "thread_signal", "is_auto_reply", "is_list_mail")
    search_fields = ("header_message_id", "in_reply_to")
    readonly_fields = ("event", "message")


@admin.register(EmailParticipant)
class EmailParticipantAdmin(WorkspaceScopedAdmin):
    list_display = ("address", "name", "conversation", "workspace")
    list_filter = ("workspace",)
    search_fields = ("address", "name")
    readonly_fields = ("conversation",)


@admin.register(UndeliverableAddress)
class UndeliverableAddressAdmin(WorkspaceScopedAdmin):
    list_display = ("address", "reason", "bounced_at", "workspace")
    list_filter = ("workspace",)
    search_fields = ("address",)


@admin.register(SnsMessageReceipt)
class SnsMessageReceiptAdmin(WorkspaceScopedAdmin):
    list_display = ("message_id", "channel", "received_at", "workspace")
    list_filter = ("workspace",)
    search_fields = ("message_id",)
    readonly_fields = ("channel",)
