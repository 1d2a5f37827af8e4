from django.contrib import admin

from frontdesk.core.admin import WorkspaceScopedAdmin
from frontdesk.triage.models import (
    Availability,
    Correction,
    LearnedClassifier,
    RoutingDecision,
    RoutingRule,
)


@admin.register(Correction)
class CorrectionAdmin(WorkspaceScopedAdmin):
    """What staff said a message's sentiment or urgency really was."""

    list_display = ("message", "kind", "label", "predicted", "by", "created_at")
    list_filter = ("workspace", "kind", "label")
    raw_id_fields = ("message", "by")
    readonly_fields = ("text",)


@admin.register(LearnedClassifier)
class LearnedClassifierAdmin(WorkspaceScopedAdmin):
    """A workspace's classifier trained from its corrections (`frontdesk triage train`)."""

    list_display = ("workspace", "kind", "examples", "accuracy", "default_accuracy", "trained_at")
    list_filter = ("workspace", "kind")
    exclude = ("model",)
    readonly_fields = ("kind", "examples", "accuracy", "default_accuracy", "trained_at")


@admin.register(RoutingRule)
class RoutingRuleAdmin(WorkspaceScopedAdmin):
    """A workspace's routing rules; people edit them under Settings → Inbox → Routing."""

    list_display = ("name", "workspace", "position", "is_active", "assign_mode", "set_priority")
    list_filter = ("workspace", "is_active")
    raw_id_fields = ("assign_member", "assign_team", "saved_reply", "last_assignee")


@admin.register(Availability)
class AvailabilityAdmin(WorkspaceScopedAdmin):
    """Who is away from routed work."""

    list_display = ("membership", "workspace", "is_available", "changed_at")
    list_filter = ("workspace", "is_available")
    raw_id_fields = ("membership",)


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(WorkspaceScopedAdmin):
    """Which rule routed a customer message, and why."""

    list_display = ("message", "rule_name", "why", "did", "created_at")
    list_filter = ("workspace",)
    raw_id_fields = ("message", "conversation", "rule")
