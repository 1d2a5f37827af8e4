"""A reply waiting in one member's composer, written for them (a first-contact draft)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from frontdesk.core.models import Membership
from frontdesk.core.scoping import WorkspaceScoped
from frontdesk.inbox.models.conversations import Conversation


class ComposerDraft(WorkspaceScoped):
    """The text one member's composer opens with on one conversation, until they send.

    Something that prepares a reply for a person (listening's reach out) stores it
    here; the conversation page puts it in that member's composer, unsent, and it
    goes when they send a reply. Nothing ever sends a draft by itself.
    """

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="composer_drafts"
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="composer_drafts"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "conversation"], name="composer_draft_unique"
            )
        ]

    def __str__(self) -> str:
        return f"draft of {self.membership_id} on {self.conversation_id}"
