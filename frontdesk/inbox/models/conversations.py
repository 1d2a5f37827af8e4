"""Conversations: one thread with one customer on one channel, and how staff sort them."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from frontdesk.core.models import Contact, Membership
from frontdesk.core.scoping import WorkspaceScoped
from frontdesk.inbox.models.channels import Channel


class Team(WorkspaceScoped):
    """A group of staff a conversation can be routed to (e.g. “Youth services”)."""

    name = models.CharField(max_length=80)
    members = models.ManyToManyField(Membership, related_name="teams", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="team_unique_name")
        ]
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Tag(WorkspaceScoped):
    """A label on conversations, created on the fly by name; unique per workspace."""

    name = models.CharField(max_length=50)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "workspace", Lower("name"), name="tag_unique_name_per_workspace"
            )
        ]
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


# How far ahead a conversation may be snoozed: a year and a day covers "after next
# year's summer reading"; further is a typo or a probe, and far enough (year 9999)
# overflows date arithmetic in the wake-up sweep and in time zones.
MAX_SNOOZE = timedelta(days=366)


class ConversationStatus(models.TextChoices):
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    SNOOZED = "snoozed", "Snoozed"
    RESOLVED = "resolved", "Resolved"


# Which status may follow which. A customer message moves pending and snoozed back
# to open and may reopen a resolved conversation (intake); staff do the rest.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    ConversationStatus.OPEN: frozenset({"pending", "snoozed", "resolved"}),
    ConversationStatus.PENDING: frozenset({"open", "snoozed", "resolved"}),
    ConversationStatus.SNOOZED: frozenset({"open", "pending", "resolved"}),
    ConversationStatus.RESOLVED: frozenset({"open"}),
}

# Statuses in which a customer's next message continues the conversation.
ACTIVE_STATUSES = (
    ConversationStatus.OPEN,
    ConversationStatus.PENDING,
    ConversationStatus.SNOOZED,
)


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


def _points(condition: Q, points: int) -> Case:
    return Case(When(condition, then=Value(points)), default=Value(0))


# How much a conversation needs someone now; the inbox's default order sorts on it.
# A customer waiting for a reply counts most (2), then an unhappy customer (1) and a
# high or urgent priority (1). Stored and computed by the database itself, so no
# action has to remember to keep it right, and indexable like any column.
ATTENTION = (
    _points(Q(waiting_since__isnull=False), 2)
    + _points(Q(sentiment_label="negative"), 1)
    + _points(Q(priority__in=["high", "urgent"]), 1)
)


class Conversation(WorkspaceScoped):
    """One thread with one customer on one channel: their messages, replies and notes.

    People name it by `number`, counted per workspace (“conversation 42”). The
    timestamps feed service levels: `waiting_since` is when the customer started
    waiting for a staff reply (null once answered), `first_response_at` is stamped
    once, by the first staff reply.
    """

    number = models.PositiveIntegerField(editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="conversations")
    status = models.CharField(
        max_length=10, choices=ConversationStatus.choices, default=ConversationStatus.OPEN
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    tags = models.ManyToManyField(Tag, related_name="conversations", blank=True)
    subject = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    # When the newest reply a person wrote here failed for good (no address, opted
    # out, refused by the provider); null once a reply goes through or is retried.
    # The list marks such rows: the customer only looks answered.
    reply_failed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    sentiment_label = models.CharField(max_length=16, blank=True)
    # What triage found in the customer's newest message (frontdesk/triage/hooks.py):
    # its language, how urgent it sounds, and the sentiment's reason in a few words.
    language = models.CharField(max_length=8, blank=True)
    urgency_label = models.CharField(max_length=8, blank=True)
    urgency_score = models.FloatField(null=True, blank=True)
    triage_reason = models.CharField(max_length=255, blank=True)
    attention = models.GeneratedField(
        expression=ATTENTION, output_field=models.PositiveSmallIntegerField(), db_persist=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "number"], name="conversation_unique_number"
            )
        ]
        # Every inbox list reads one of these in order and stops after a page: each
        # starts with the workspace and ends with the keyset (last_message_at, id).
        indexes = [
            models.Index(
                fields=["workspace", "status", "-last_message_at", "-id"],
                name="conv_ws_status_recent",
            ),
            models.Index(
                fields=["workspace", "assignee", "status", "-last_message_at", "-id"],
                name="conv_ws_assignee_recent",
            ),
            models.Index(
                fields=["workspace", "channel", "status", "-last_message_at", "-id"],
                name="conv_ws_channel_recent",
            ),
            models.Index(fields=["workspace", "-last_message_at", "-id"], name="conv_ws_recent"),
            # The default order, people who need someone first (queries.inbox_page):
            # customers waiting for a reply, the longest wait first, read from an
            # index of the waiting rows only; then the others by attention and
            # recency. Each for the whole inbox, one member's and one channel's.
            models.Index(
                fields=["workspace", "status", "waiting_since", "id"],
                name="conv_ws_status_waiting",
                condition=Q(waiting_since__isnull=False),
            ),
            models.Index(
                fields=["workspace", "assignee", "status", "waiting_since", "id"],
                name="conv_ws_assignee_waiting",
                condition=Q(waiting_since__isnull=False),
            ),
            models.Index(
                fields=["workspace", "channel", "status", "waiting_since", "id"],
                name="conv_ws_channel_waiting",
                condition=Q(waiting_since__isnull=False),
            ),
            models.Index(
                fields=["workspace", "status", "-attention", "-last_message_at", "-id"],
                name="conv_ws_status_attention",
                condition=Q(waiting_since__isnull=True),
            ),
            models.Index(
                fields=["workspace", "assignee", "status", "-attention", "-last_message_at", "-id"],
                name="conv_ws_assignee_attention",
                condition=Q(waiting_since__isnull=True),
            ),
            models.Index(
                fields=["workspace", "channel", "status", "-attention", "-last_message_at", "-id"],
                name="conv_ws_channel_attention",
                condition=Q(waiting_since__isnull=True),
            ),
            # Threading: this customer's latest conversation on this channel.
            models.Index(
                fields=["contact", "channel", "-last_message_at"], name="conv_contact_channel"
            ),
            # The wake-up sweep, across workspaces.
            models.Index(fields=["status", "snoozed_until"], name="conv_snoozed_due"),
            # Sidebar counts read only this (covering) index: the workspace's active
            # rows, not all of its conversations (benchmarks/inbox_at_scale.py).
            models.Index(
                fields=["workspace", "status", "assignee"], name="conv_ws_status_assignee"
            ),
            # The customer's other conversations, newest first, without a sort; without
            # it SQLite walks the whole workspace by recency to find a contact's rows.
            models.Index(
                fields=["workspace", "contact", "-last_message_at", "-id"],
                name="conv_ws_contact_recent",
            ),
        ]
        ordering = ("-last_message_at", "-id")

    def __str__(self) -> str:
        return f"#{self.number} {self.subject or self.contact_id}"

    def can_transition_to(self, status: str) -> bool:
        return status in STATUS_TRANSITIONS.get(self.status, frozenset())

    @property
    def is_waiting(self) -> bool:
        return self.waiting_since is not None

    @property
    def has_failed_reply(self) -> bool:
        return self.reply_failed_at is not None
