"""Setup forms of email channels."""

from __future__ import annotations

from typing import Any

from django import forms

from frontdesk.channels.email.actions import SETUP_FIELDS
from frontdesk.channels.email.models import DEFAULT_MAX_MESSAGE_BYTES, EmailChannelConfig

MB = 1024 * 1024
# Sending choices that use the channel's own SMTP server, and those that use an API key.
SMTP_BACKENDS = ("smtp",)
API_BACKENDS = ("mailgun", "postmark", "sendgrid", "amazon_ses", "brevo")


class EmailChannelForm(forms.ModelForm):
    """A new email channel (with `name`) or the settings of one."""

    name = forms.CharField(max_length=120, help_text="e.g. “Front desk email”.")
    auto_acknowledge = forms.BooleanField(
        required=False,
        label="Acknowledge new conversations",
        help_text="Answer a new conversation's first mail at once (never an "
        "auto-reply or list mail; at most once a day per sender).",
    )
    max_message_mb = forms.IntegerField(
        label="Largest message (MB)",
        min_value=1,
        max_value=100,
        initial=DEFAULT_MAX_MESSAGE_BYTES // MB,
        help_text="Larger mail is refused by the SMTP receiver and kept as failed from webhooks.",
    )

    class Meta:
        model = EmailChannelConfig
        fields = [name for name in SETUP_FIELDS if name != "max_message_bytes"]
        labels = {
            "address": "Address",
            "other_addresses": "Other addresses",
            "display_name": "Display name",
            "from_address": "Send from",
            "plus_addressing": "Reply addresses (desk+code@…)",
            "inbound_provider": "Mail comes in by",
            "webhook_secret": "Webhook secret",
            "tracking_verification_key": "SendGrid verification key",
            "sns_topic_arns": "Amazon SNS topics",
            "outbound_backend": "Replies go out through",
            "smtp_host": "SMTP server",
            "smtp_port": "SMTP port",
            "smtp_username": "SMTP user name",
            "smtp_password": "SMTP password",
            "smtp_use_tls": "Use STARTTLS",
            "api_key": "Provider API key",
            "auto_ack_text": "Acknowledgement text",
        }
        widgets = {
            "other_addresses": forms.Textarea(attrs={"rows": 2}),
            "auto_ack_text": forms.Textarea(attrs={"rows": 3}),
            "tracking_verification_key": forms.Textarea(attrs={"rows": 2}),
            "sns_topic_arns": forms.Textarea(attrs={"rows": 2}),
            "webhook_secret": forms.PasswordInput(render_value=False),
            "smtp_password": forms.PasswordInput(render_value=False),
            "api_key": forms.PasswordInput(render_value=False),
        }

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        initial = dict(kwargs.get("initial") or {})
        if initial.get("max_message_bytes"):
            initial.setdefault("max_message_mb", max(1, int(initial["max_message_bytes"]) // MB))
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        # The address's uniqueness is checked by the action (one message for people).
        self.fields["address"].validators = []
        if editing:
            for name in ("webhook_secret", "smtp_password", "api_key"):
                self.fields[name].help_text = "Leave empty to keep the saved one."

    def validate_unique(self) -> None:
        """The action checks the address (with a message people understand)."""

    def setup(self) -> dict[str, Any]:
        values = {name: self.cleaned_data.get(name) for name in SETUP_FIELDS}
        values["max_message_bytes"] = int(self.cleaned_data["max_message_mb"]) * MB
        return values
