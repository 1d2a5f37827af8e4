from django.contrib import admin

from frontdesk.api.models import ApiToken
from frontdesk.core.admin import WorkspaceScopedAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(WorkspaceScopedAdmin):
    list_display = (
        "name",
        "prefix",
        "membership",
        "workspace",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    exclude = ("secret_hash",)
    raw_id_fields = ("membership",)
