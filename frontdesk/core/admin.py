"""Back-office admin (superusers only): look up and correct rows.

Rows of a workspace are created by the product's actions (which keep counters,
consent history and live updates right), so the admin edits and deletes them but
does not add them; the workspace of a row is shown, never changed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from frontdesk.core.models import (
    ConsentChange,
    Contact,
    ContactIdentity,
    Invitation,
    Membership,
    User,
    Workspace,
)


class WorkspaceScopedAdmin(admin.ModelAdmin):
    list_select_related = ("workspace",)
    list_filter: ClassVar[Any] = ("workspace",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("workspace", *super().get_readonly_fields(request, obj))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "last_login")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        ("Back office", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "time_zone", "default_country", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Membership)
class MembershipAdmin(WorkspaceScopedAdmin):
    list_display = ("display_name", "user", "workspace", "role", "is_active")
    list_filter = ("workspace", "role", "is_active")
    search_fields = ("display_name", "user__email")
    raw_id_fields = ("user",)


class IdentityInline(admin.TabularInline):
    model = ContactIdentity
    fields = ("kind", "value", "label", "verified")
    extra = 0
    can_delete = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Contact)
class ContactAdmin(WorkspaceScopedAdmin):
    list_display = ("__str__", "workspace", "sms_consent", "email_consent", "updated_at")
    search_fields = ("name", "identities__value")
    raw_id_fields = ("merged_into",)
    inlines = [IdentityInline]
    # Consent changes go through set_consent so each keeps its audit row.
    readonly_fields = ("sms_consent", "email_consent", "community_consent", "created_at")


@admin.register(ConsentChange)
class ConsentChangeAdmin(WorkspaceScopedAdmin):
    list_display = ("contact", "topic", "status", "source", "created_at")
    list_filter = ("workspace", "topic", "status")
    raw_id_fields = ("contact", "changed_by")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an audit trail is not edited


@admin.register(Invitation)
class InvitationAdmin(WorkspaceScopedAdmin):
    list_display = ("email", "workspace", "role", "created_at", "expires_at", "accepted_at")
    exclude = ("token_hash",)
    raw_id_fields = ("invited_by",)
