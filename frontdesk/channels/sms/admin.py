from django.contrib import admin

from frontdesk.channels.sms.models import SmsChannelConfig, SmsKeyword
from frontdesk.core.admin import WorkspaceScopedAdmin


@admin.register(SmsChannelConfig)
class SmsChannelConfigAdmin(WorkspaceScopedAdmin):
    """The auth token is never shown here; change it on the channel's settings page."""

    list_display = ("phone_number", "channel", "provider", "workspace", "updated_at")
    list_filter = ("workspace", "provider")
    search_fields = ("phone_number", "account_sid")
    exclude = ("auth_token",)
    readonly_fields = ("channel", "webhook_key", "token_set")

    @admin.display(description="Auth token", boolean=True)
    def token_set(self, obj: SmsChannelConfig) -> bool:
        return bool(obj.auth_token)


@admin.register(SmsKeyword)
class SmsKeywordAdmin(WorkspaceScopedAdmin):
    list_display = ("keyword", "channel", "is_active", "workspace")
    list_filter = ("workspace", "is_active")
    search_fields = ("keyword", "reply")
