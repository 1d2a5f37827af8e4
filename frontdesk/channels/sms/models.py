"""An SMS channel's own configuration: the number, the provider credentials, keywords.

Generic channel options (`threading_window_hours`, `auto_acknowledge`) stay in
`Channel.settings`; what only SMS has lives here. The auth token is a secret: pages
never show it back, and the webhook URLs carry an unguessable `webhook_key` so the
channel is found by URL (never by the `To` number, which differs for numbers in a
Messaging Service pool).
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from frontdesk.core.models import Membership
from frontdesk.core.scoping import WorkspaceScoped
from frontdesk.inbox.models import Channel

DEFAULT_HELP_TEXT = (
    "{workspace}: text us your question and a person will answer. "
    "Reply STOP to stop texts, START to get them again."
)
DEFAULT_AUTO_ACK_TEXT = "Thanks! {staff_first_name} from {workspace} will text you back soon."
DEFAULT_AFTER_HOURS_TEXT = (
    "Thanks for your text! {workspace} is closed right now; "
    "{staff_first_name} will text you back when we open."
)


def new_webhook_key() -> str:
    return secrets.token_urlsafe(24)


class SmsProviderKind(models.TextChoices):
    TWILIO = "twilio", "Twilio"


class SmsChannelConfig(WorkspaceScoped):
    """How one SMS channel reaches its provider, and what it answers on its own."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="sms_config")
    provider = models.CharField(
        max_length=16, choices=SmsProviderKind.choices, default=SmsProviderKind.TWILIO
    )
    phone_number = models.CharField(
        max_length=32, help_text="The number customers text, in international form (+1…)."
    )
    account_sid = models.CharField(max_length=64, help_text="Twilio Account SID (AC…).")
    auth_token = models.CharField(max_length=128, help_text="Twilio Auth Token (kept secret).")
    messaging_service_sid = models.CharField(
        max_length=64,
        blank=True,
        help_text="Optional Messaging Service SID (MG…): replies go out through its number pool.",
    )
    webhook_key = models.CharField(max_length=64, unique=True, default=new_webhook_key)
    help_text = models.TextField(default=DEFAULT_HELP_TEXT, max_length=1600)
    auto_ack_text = models.TextField(default=DEFAULT_AUTO_ACK_TEXT, max_length=1600)
    after_hours_text = models.TextField(default=DEFAULT_AFTER_HOURS_TEXT, max_length=1600)
    on_duty = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The person the automatic acknowledgement names.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SMS channel configuration"

    def __str__(self) -> str:
        return f"{self.phone_number} ({self.get_provider_display()})"


class SmsKeyword(WorkspaceScoped):
    """A word a customer can text (HOURS, ADDRESS) that gets an instant reply.

    The text still lands in the inbox; the reply is recorded as an automatic reply.
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="sms_keywords")
    keyword = models.CharField(max_length=32, help_text="One word, e.g. HOURS.")
    reply = models.TextField(max_length=1600)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "keyword"], name="sms_keyword_unique")
        ]
        ordering = ("keyword",)

    def __str__(self) -> str:
        return self.keyword

    def save(self, *args, **kwargs) -> None:
        self.keyword = self.keyword.strip().upper()
        super().save(*args, **kwargs)
