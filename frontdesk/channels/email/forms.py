"""Setup forms of email channels."""

from __future__ import annotations

from typing import Any

from django import forms

from frontdesk.channels.email.actions import SETUP_FIELDS
from frontdesk.channels.email.models import EmailChannelConfig


class EmailChannelForm(forms.ModelForm):
    """A new email channel (with `name`) or the settings of one."""

    name = forms.CharField(max_length=120, help_text="e.g. “Front desk email”.")
    auto_acknowledge = forms.BooleanField(
        required=False,
        help_text="Answer a new conversation's first mail at once (never an "
        "auto-reply or list mail; at most once a day per sender).",
    )

    class Meta:
        model = EmailChannelConfig
        fields = list(SETUP_FIELDS)
        widgets = {
            "other_addresses": forms.Textarea(attrs={"rows": 2}),
            "auto_ack_text": forms.Textarea(attrs={"rows": 3}),
            "tracking_verification_key": forms.Textarea(attrs={"rows": 2}),
            "webhook_secret": forms.PasswordInput(render_value=False),
            "smtp_password": forms.PasswordInput(render_value=False),
            "api_key": forms.PasswordInput(render_value=False),
        }

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The address's uniqueness is checked by the action (one message for people).
        self.fields["address"].validators = []
        if editing:
            for name in ("webhook_secret", "smtp_password", "api_key"):
                self.fields[name].help_text = "Leave empty to keep the saved one."

    def validate_unique(self) -> None:
        """The action checks the address (with a message people understand)."""

    def setup(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in SETUP_FIELDS}
