"""Per-workspace inbox policy, saved replies and staff notifications."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from frontdesk.core.models import Membership
from frontdesk.core.scoping import WorkspaceScoped
from frontdesk.inbox.models.conversations import Conversation
from frontdesk.inbox.models.messages import Message

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def default_business_hours() -> dict[str, list[list[str]]]:
    weekday = [["09:00", "17:00"]]
    return {day: (weekday if day not in ("sat", "sun") else []) for day in WEEKDAYS}


class InboxSettings(WorkspaceScoped):
    """How one workspace runs its inbox (one row per workspace, made on first use).

    `business_hours` maps "mon".."sun" to opening intervals, [["09:00", "17:00"]],
    in the workspace's time zone; an empty list is a closed day, and an empty mapping
    means always open. An optional "closed": ["2026-12-25", ...] lists whole dates
    (holidays) when it is shut. Service-level clocks only run during these hours.
    """

    first_response_target_minutes = models.PositiveIntegerField(
        default=240, help_text="Reply to a new conversation within this many business minutes."
    )
    resolution_target_minutes = models.PositiveIntegerField(
        default=2 * 24 * 60, help_text="Resolve a conversation within this many business minutes."
    )
    business_hours = models.JSONField(default=default_business_hours, blank=True)
    sms_sign_with_first_name = models.BooleanField(
        default=False, help_text="End text replies with the staff member's first name."
    )
    # The counter behind per-workspace conversation numbers.
    last_conversation_number = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="inbox_settings_one_per_workspace")
        ]
        verbose_name_plural = "inbox settings"

    def __str__(self) -> str:
        return f"Inbox settings of {self.workspace_id}"


class SavedReply(WorkspaceScoped):
    """A reusable answer. `body` may use {{ contact.first_name }}, {{ me.first_name }}, ...

    Staff write these, so they are rendered by a small allow-list renderer
    (`frontdesk.inbox.saved_replies`), never by the Django template engine.
    """

    title = models.CharField(max_length=120)
    body = models.TextField()
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "title"], name="saved_reply_by_title")]
        ordering = ("title", "id")
        verbose_name_plural = "saved replies"

    def __str__(self) -> str:
        return self.title


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned to you"
    MENTIONED = "mentioned", "Mentioned you"
    ROUTED = "routed", "A routing rule flagged"


class Notification(WorkspaceScoped):
    """Something one staff member should know: a conversation assigned, a mention."""

    recipient = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["workspace", "recipient", "-created_at"], name="notification_inbox"
            ),
        ]
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"
