from django.contrib import admin

from frontdesk.core.admin import WorkspaceScopedAdmin
from frontdesk.triage.models import Correction, LearnedClassifier


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
