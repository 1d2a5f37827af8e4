"""Messages in a conversation (from the customer, staff replies, private notes) and files."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.text import get_valid_filename

from frontdesk.core.models import Membership
from frontdesk.core.scoping import WorkspaceScoped
from frontdesk.inbox.models.channels import Channel, InboundEvent
from frontdesk.inbox.models.conversations import Conversation

# Failure codes that say the recipient opted out (ours, and Twilio's 21610).
OPTED_OUT_FAILURE_CODES = frozenset({"opted_out", "21610"})


class MessageKind(models.TextChoices):
    INCOMING = "incoming", "From the customer"
    REPLY = "reply", "Reply"
    NOTE = "note", "Private note"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    NOT_APPLICABLE = "not_applicable", "—"


class AutomaticReason(models.TextChoices):
    """Why Frontdesk itself wrote a message (no person did): shown as “Automatic reply”."""

    HELP = "help", "Help text"
    OPT_IN = "opt_in", "Opt-in confirmation"
    OPT_OUT = "opt_out", "Opt-out"
    KEYWORD = "keyword", "Keyword reply"
    ACKNOWLEDGEMENT = "ack", "Acknowledgement"
    AFTER_HOURS = "after_hours", "After hours"


# Automatic replies that may still go to a number that texted STOP: carriers require
# an answer to HELP, and the START confirmation follows the re-grant.
REPLIES_ALLOWED_AFTER_OPT_OUT = frozenset({AutomaticReason.HELP, AutomaticReason.OPT_IN})
# Automatic messages that settle the text they answer: a keyword asked for its
# answer (HOURS, HELP) and got it, an opt-in or opt-out needs nothing more. Such a
# text leaves no one waiting for a person. An acknowledgement ("Maya will text you
# back") settles nothing: the customer still waits.
SETTLING_AUTOMATIC_REASONS = frozenset(
    {
        AutomaticReason.HELP,
        AutomaticReason.OPT_IN,
        AutomaticReason.OPT_OUT,
        AutomaticReason.KEYWORD,
    }
)
# Automatic messages that promise a person's answer.
ACKNOWLEDGING_AUTOMATIC_REASONS = frozenset(
    {AutomaticReason.ACKNOWLEDGEMENT, AutomaticReason.AFTER_HOURS}
)


class Message(WorkspaceScoped):
    """One entry in a conversation's timeline.

    Incoming messages come from an InboundEvent (at most one message per event: a
    unique constraint, so processing an event twice cannot make two). Replies are
    delivered through the channel's adapter and track `status`; a reply is claimed
    (queued -> sending) before it is handed over, so it is sent once. Notes are
    staff-only and never leave Frontdesk.
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    author = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(blank=True)
    subject = models.CharField(max_length=255, blank=True)
    channel = models.ForeignKey(
        Channel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provider_message_id = models.CharField(max_length=255, null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.NOT_APPLICABLE
    )
    failure_reason = models.CharField(max_length=500, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # A temporary failure waits until then before the next attempt (backoff).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    inbound_event = models.ForeignKey(
        InboundEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    mentions = models.ManyToManyField(Membership, related_name="mentioned_in", blank=True)
    # Set when Frontdesk wrote this itself (a keyword reply, an acknowledgement, an
    # opt-out note); empty when a person did. `automatic_for` is the customer message
    # that triggered it: unique, so a task run twice answers once.
    automatic = models.CharField(max_length=16, choices=AutomaticReason.choices, blank=True)
    automatic_for = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Triage of a customer's message (frontdesk/triage/): set as intake stores it, or
    # by a staff correction (`triage_corrected` then names what a person set).
    sentiment_label = models.CharField(max_length=16, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    intent = models.CharField(max_length=12, blank=True)  # question, complaint, praise, ...
    needs_reply = models.BooleanField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    abuse_score = models.FloatField(null=True, blank=True)
    urgency_label = models.CharField(max_length=8, blank=True)
    urgency_score = models.FloatField(null=True, blank=True)
    triage_reasons = models.JSONField(default=dict, blank=True)
    triage_corrected = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["inbound_event"], name="message_one_per_inbound_event"),
            models.UniqueConstraint(fields=["automatic_for"], name="message_one_automatic_answer"),
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="message_timeline"),
            # Delivery reports and email threading find a message by the provider's id.
            models.Index(fields=["workspace", "provider_message_id"], name="message_provider_id"),
            # The delivery sweep, across workspaces.
            models.Index(fields=["status", "claimed_at"], name="message_delivery_sweep"),
            models.Index(fields=["workspace", "-id"], name="message_ws_recent"),
        ]
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.kind} in {self.conversation_id}: {self.body[:40]}"

    @property
    def is_from_customer(self) -> bool:
        return self.kind == MessageKind.INCOMING

    @property
    def can_retry(self) -> bool:
        """A failed reply a person may send again: not one refused because the
        customer opted out (sending it again cannot help; the composer says so)."""
        return (
            self.kind == MessageKind.REPLY
            and self.status == DeliveryStatus.FAILED
            and self.failure_code not in OPTED_OUT_FAILURE_CODES
        )


class MessagePart(WorkspaceScoped):
    """One piece of a reply the provider took in several (a long SMS in numbered
    parts), with its own id and delivery state: reports arrive per part, and the
    reply is delivered only once every part is, failed as soon as one fails."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveSmallIntegerField()
    provider_message_id = models.CharField(max_length=255)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.SENT
    )
    failure_reason = models.CharField(max_length=500, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "number"], name="message_part_number"),
        ]
        indexes = [
            models.Index(
                fields=["workspace", "provider_message_id"], name="message_part_provider_id"
            ),
        ]
        ordering = ("message", "number")

    def __str__(self) -> str:
        return f"part {self.number} of {self.message_id}"


def attachment_path(instance: Attachment | None, filename: str) -> str:
    """attachments/2026/11/<random>/<name>: a customer's file is never at a guessable path.

    Attachments are served only by the signed-in view (inbox:attachment, with a
    sandbox CSP) and, for a reply's pictures, the signed expiring MMS URL; never from
    /media/. The random folder is a second line: a path that leaks names nothing.
    """
    now = timezone.now()
    name = get_valid_filename(filename)[-120:] or "file"
    return f"attachments/{now:%Y/%m}/{secrets.token_urlsafe(16)}/{name}"


class Attachment(WorkspaceScoped):
    """A file on a message, kept through Django's storage API.

    An inbound attachment the provider only linked to (an MMS picture) starts with
    no file and `pending_fetch` set; the connector's fetch task fills it in. A
    temporary failure (a timeout, the provider's 5xx or 429) is tried again with
    backoff (`next_fetch_at`); a refusal, or running out of tries, ends the fetch
    with `fetch_error` saying why, which staff see on the message.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255, blank=True)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    source_url = models.URLField(max_length=1000, blank=True)
    pending_fetch = models.BooleanField(default=False)
    fetch_attempts = models.PositiveSmallIntegerField(default=0)
    # Why the last fetch failed: while `pending_fetch`, the temporary error it will
    # retry after; once not pending and without a file, why it never will.
    fetch_error = models.CharField(max_length=500, blank=True)
    next_fetch_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["message", "id"], name="attachment_by_message"),
            # The fetch sweep, across workspaces: retries that are due.
            models.Index(
                fields=["next_fetch_at"],
                name="attachment_fetch_due",
                condition=models.Q(pending_fetch=True),
            ),
        ]
        ordering = ("id",)

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def fetch_failed(self) -> bool:
        """The provider's copy could not be fetched and will not be tried again."""
        return not self.file and not self.pending_fetch and bool(self.fetch_error)
