"""What the demo's pretend phone network carried: texts to and from simulated phones.

In `make demo` there is no Twilio: the phone simulator plays the customer's phone and
the in-app stand-in of Twilio's REST API plays the carrier. Both record every text
here, in the database, because the web server runs several processes (granian
workers) and the worker is another one: a row is what they all see.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from frontdesk.core.scoping import WorkspaceScoped
from frontdesk.inbox.models import Channel


class TextDirection(models.TextChoices):
    TO_LIBRARY = "to_library", "Sent by the phone"
    TO_PHONE = "to_phone", "Received by the phone"


class TextStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Not delivered"


class SimulatedText(WorkspaceScoped):
    """One text between a simulated customer phone and an SMS channel's number.

    `sid` is the Twilio message SID (SM + 32 hex) the text had on the wire: the
    MessageSid of the inbound webhook the simulator signed, or the sid the stand-in
    gave a message the workspace sent. `detail` says why a text failed. For a text
    the phone sent, `status` is what the workspace's webhook answered; for one it
    received, whether its delivery report reached the workspace.
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=12, choices=TextDirection.choices)
    phone = models.CharField(max_length=32, help_text="The simulated customer phone (E.164).")
    channel_number = models.CharField(max_length=32, help_text="The workspace's number.")
    body = models.TextField(blank=True)
    media_urls = models.JSONField(default=list, blank=True)
    sid = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=12, choices=TextStatus.choices, default=TextStatus.SENDING)
    detail = models.CharField(max_length=255, blank=True)
    # Where the stand-in reports the delivery of a text the workspace sent (Twilio's
    # StatusCallback parameter); empty for texts the phone sent.
    status_callback = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["workspace", "phone", "channel_number", "created_at"],
                name="simulated_text_thread",
            )
        ]
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.sid} ({self.get_direction_display()})"
