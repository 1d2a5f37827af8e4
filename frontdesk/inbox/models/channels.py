"""Channels (where customers reach a workspace) and the inbound events they deliver."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from frontdesk.core.models import IdentityKind
from frontdesk.core.scoping import WorkspaceScoped

DEFAULT_THREADING_WINDOW_HOURS = 24


def _kind_choices() -> list[tuple[str, str]]:
    from frontdesk.inbox.kinds import kind_choices

    return kind_choices()


class Channel(WorkspaceScoped):
    """One way customers reach a workspace: its web form, an SMS number, a mailbox.

    `settings` holds non-secret options (`threading_window_hours`, `auto_acknowledge`);
    credentials live on the connector's own configuration model, never here.
    """

    # Choices come from the installed channel apps (frontdesk/inbox/kinds.py).
    kind = models.CharField(max_length=32, choices=_kind_choices)
    name = models.CharField(max_length=120, help_text="e.g. “Main desk texts”.")
    is_active = models.BooleanField(default=True)
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "kind"])]
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name

    def _option(self, name: str, default: Any) -> Any:
        options = self.settings if isinstance(self.settings, dict) else {}
        return options.get(name, default)

    @property
    def threading_window_hours(self) -> int:
        """A resolved conversation reopens if the customer writes again within this."""
        try:
            return max(0, int(self._option("threading_window_hours", 24)))
        except (TypeError, ValueError):
            return DEFAULT_THREADING_WINDOW_HOURS

    @property
    def auto_acknowledge(self) -> bool:
        return bool(self._option("auto_acknowledge", False))


class InboundEventStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be processed"
    PROCESSING = "processing", "Being processed"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"


class InboundEvent(WorkspaceScoped):
    """One message as a channel delivered it, stored before anything else happens.

    Unique per (channel, provider message id), so a provider's retry or a replayed
    webhook finds this row instead of making another. Processing (contact, thread,
    message) happens in a task that claims the row; `sweep_inbound_events` picks up
    rows a crash left behind. The message it became is `message` (Message.inbound_event).
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="inbound_events")
    provider_message_id = models.CharField(max_length=255)
    sender_kind = models.CharField(max_length=16, choices=IdentityKind.choices)
    sender_address = models.CharField(max_length=320)
    sender_name = models.CharField(max_length=160, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    thread_key = models.CharField(max_length=255, null=True, blank=True)
    # [{"filename", "content_type", "size", "stored_name" | "url"}]: bytes that came
    # with the event are saved to storage when the event is stored, so the row plus
    # storage is everything processing needs.
    attachments = models.JSONField(default=list, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=InboundEventStatus.choices, default=InboundEventStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_message_id"], name="inbound_event_unique_per_channel"
            )
        ]
        indexes = [
            # The sweep looks across workspaces for rows left pending or claimed too long.
            models.Index(fields=["status", "created_at"], name="inbound_event_sweep"),
            # The intake's claims (frontdesk/inbox/intake.py) read only rows not yet
            # finished, in id order: a small index, however many rows are processed.
            models.Index(
                fields=["id"],
                condition=models.Q(status__in=["pending", "processing"]),
                name="inbound_event_unfinished",
            ),
            models.Index(fields=["workspace", "-created_at"]),
        ]
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.provider_message_id} ({self.status})"

    @property
    def message(self) -> Any:
        """The Message this event became, or None (the link lives on Message, unique)."""
        return self.messages.first()
