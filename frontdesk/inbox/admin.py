from django.contrib import admin

from frontdesk.core.admin import WorkspaceScopedAdmin
from frontdesk.inbox.models import (
    Attachment,
    Channel,
    ComposerDraft,
    Conversation,
    ConversationRead,
    InboundEvent,
    InboxSettings,
    Message,
    MessagePart,
    SavedReply,
    Tag,
    Team,
)


@admin.register(Channel)
class ChannelAdmin(WorkspaceScopedAdmin):
    list_display = ("name", "kind", "workspace", "is_active", "created_at")
    list_filter = ("workspace", "kind", "is_active")


@admin.register(InboundEvent)
class InboundEventAdmin(WorkspaceScopedAdmin):
    """Stored inbound events: useful to see why something did not arrive."""

    list_display = ("provider_message_id", "channel", "sender_address", "status", "attempts")
    list_filter = ("workspace", "status", "channel__kind")
    search_fields = ("provider_message_id", "sender_address")
    readonly_fields = ("channel", "provider_message_id", "sender_kind", "sender_address", "raw")


@admin.register(Conversation)
class ConversationAdmin(WorkspaceScopedAdmin):
    list_display = ("number", "contact", "channel", "status", "assignee", "last_message_at")
    list_filter = ("workspace", "status", "priority")
    raw_id_fields = ("contact", "channel", "assignee", "team")
    search_fields = ("subject", "contact__name")


@admin.register(Message)
class MessageAdmin(WorkspaceScopedAdmin):
    list_display = ("id", "conversation", "kind", "author", "status", "created_at")
    list_filter = ("workspace", "kind", "status")
    raw_id_fields = ("conversation", "author", "channel", "inbound_event")
    filter_horizontal = ()
    exclude = ("mentions",)


@admin.register(Attachment)
class AttachmentAdmin(WorkspaceScopedAdmin):
    list_display = ("filename", "content_type", "size", "message")
    raw_id_fields = ("message",)


@admin.register(MessagePart)
class MessagePartAdmin(WorkspaceScopedAdmin):
    list_display = ("message", "number", "provider_message_id", "status")
    raw_id_fields = ("message",)


@admin.register(ComposerDraft)
class ComposerDraftAdmin(WorkspaceScopedAdmin):
    list_display = ("membership", "conversation", "created_at")
    raw_id_fields = ("membership", "conversation")


@admin.register(ConversationRead)
class ConversationReadAdmin(WorkspaceScopedAdmin):
    list_display = ("membership", "conversation", "read_at")
    raw_id_fields = ("membership", "conversation")


for model in (Tag, Team, SavedReply, InboxSettings):
    admin.site.register(model, WorkspaceScopedAdmin)
