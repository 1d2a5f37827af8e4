"""Forms of the channel settings pages: syntax and normalising here, rules in actions."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from frontdesk.channels.sms import actions, poster
from frontdesk.channels.sms.actions import REPLY_MAX, THREADING_WINDOW_CHOICES
from frontdesk.core.models import IdentityKind, Membership, Workspace, normalise_identity

ACCOUNT_SID = re.compile(r"^AC[0-9a-f]{32}$")
MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-f]{32}$")
AUTH_TOKEN = re.compile(r"^[0-9a-f]{32}$")

THREADING_LABELS = {
    0: "Never: every text starts a new conversation",
    1: "1 hour",
    3: "3 hours",
    6: "6 hours",
    12: "12 hours",
    24: "24 hours",
}
THREADING_HELP = (
    "A text within this many hours of the customer’s last conversation continues it; "
    "later texts start a new one."
)
VARIABLES_HELP = (
    "You can use {staff_first_name}, {staff_name} and {workspace}; "
    "they are filled in when the text is sent."
)


def _compact(value: str) -> str:
    return "".join((value or "").split())


class SmsConnectionForm(forms.Form):
    """The number and the Twilio credentials (the token is write-only)."""

    phone_number = forms.CharField(
        label="Phone number",
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text="The Twilio number customers text. A local number is read for your "
        "workspace’s country; start with + for another country.",
    )
    account_sid = forms.CharField(
        label="Twilio Account SID",
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="On your Twilio console’s home page: AC followed by 32 letters and digits.",
    )
    auth_token = forms.CharField(
        label="Auth Token",
        max_length=128,
        # render_value=False: the stored token never travels back to a browser.
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password", "spellcheck": "false"}
        ),
        help_text="Below the Account SID (press “Show”). Frontdesk keeps it secret: "
        "it is never shown again.",
    )
    messaging_service_sid = forms.CharField(
        label="Messaging Service SID",
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Only if your number is in a Messaging Service: MG followed by 32 letters "
        "and digits. Replies then go out through the service.",
    )

    def __init__(self, *args: Any, workspace: Workspace, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        if editing:
            token = self.fields["auth_token"]
            token.required = False
            token.help_text = "Leave blank to keep the current token."

    def clean_phone_number(self) -> str:
        value = self.cleaned_data["phone_number"]
        try:
            return normalise_identity(
                IdentityKind.PHONE, value, default_country=self.workspace.default_country
            )
        except ValidationError:
            raise ValidationError(
                f"“{value}” doesn’t look like a phone number. Type it as on your Twilio "
                "console, e.g. +1 555 010 4477."
            ) from None

    def clean_account_sid(self) -> str:
        value = _compact(self.cleaned_data["account_sid"])
        value = value[:2].upper() + value[2:].lower()
        if not ACCOUNT_SID.match(value):
            raise ValidationError(
                "An Account SID is AC followed by 32 letters a–f and digits "
                f"({len(value)} characters typed, 34 expected)."
            )
        return value

    def clean_auth_token(self) -> str:
        value = _compact(self.cleaned_data["auth_token"]).lower()
        if value and not AUTH_TOKEN.match(value):
            raise ValidationError(
                "An Auth Token is 32 letters a–f and digits "
                f"({len(value)} characters typed). Copy it again from the console."
            )
        return value

    def clean_messaging_service_sid(self) -> str:
        value = _compact(self.cleaned_data["messaging_service_sid"])
        if not value:
            return ""
        value = value[:2].upper() + value[2:].lower()
        if not MESSAGING_SERVICE_SID.match(value):
            raise ValidationError(
                "A Messaging Service SID is MG followed by 32 letters a–f and digits."
            )
        return value

    def connection(self) -> actions.SmsConnection:
        data = self.cleaned_data
        return actions.SmsConnection(
            phone_number=data["phone_number"],
            account_sid=data["account_sid"],
            messaging_service_sid=data["messaging_service_sid"],
            auth_token=data["auth_token"] or None,
        )


class NewSmsChannelForm(SmsConnectionForm):
    name = forms.CharField(
        label="Name",
        max_length=120,
        help_text="What staff see in the inbox, e.g. “Main desk texts”.",
    )
    field_order = ("name", "phone_number", "account_sid", "auth_token", "messaging_service_sid")


class ChannelOptionsForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    is_active = forms.BooleanField(
        label="Active: take in new texts",
        required=False,
        help_text="Switched off, texts to "
        "this number are refused and nothing new reaches the inbox.",
    )
    threading_window_hours = forms.TypedChoiceField(
        label="Continue a conversation for",
        coerce=int,
        choices=[(hours, THREADING_LABELS[hours]) for hours in THREADING_WINDOW_CHOICES],
        help_text=THREADING_HELP,
    )


class RepliesForm(forms.Form):
    auto_acknowledge = forms.BooleanField(
        label="Acknowledge the first text of a new conversation",
        required=False,
        help_text="The customer gets a friendly reply at once, naming who will answer.",
    )
    on_duty = forms.ModelChoiceField(
        label="Staff member named",
        queryset=Membership.objects.none(),
        required=False,
        empty_label="Nobody: say “someone from” the workspace",
    )
    auto_ack_text = forms.CharField(
        label="Acknowledgement (open hours)",
        max_length=REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=VARIABLES_HELP,
    )
    after_hours_text = forms.CharField(
        label="Acknowledgement (closed)",
        max_length=REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Sent instead outside your business hours.",
    )
    help_text = forms.CharField(
        label="Reply to HELP",
        max_length=REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Carriers require an answer to HELP: who you are and how to stop texts.",
    )

    def __init__(self, *args: Any, on_duty_choices: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        on_duty = self.fields["on_duty"]
        assert isinstance(on_duty, forms.ModelChoiceField)
        on_duty.queryset = on_duty_choices
        on_duty.label_from_instance = lambda obj: str(obj.display_name)  # type: ignore[method-assign]


class KeywordForm(forms.Form):
    keyword = forms.CharField(
        label="Keyword",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"}
        ),
        help_text="One word, e.g. HOURS. Customers may type it in any case.",
    )
    reply = forms.CharField(
        label="Reply",
        max_length=REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="You can use {workspace}.",
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def clean_keyword(self) -> str:
        try:
            return actions.clean_keyword(self.cleaned_data["keyword"])
        except actions.ChannelSetupError as exc:
            raise ValidationError(str(exc)) from None


class PosterForm(forms.Form):
    """The poster's words, size and format (a GET form: downloading changes nothing)."""

    headline = forms.CharField(label="Headline", max_length=60, initial=poster.DEFAULT_HEADLINE)
    line = forms.CharField(
        label="One line under the number", max_length=120, initial=poster.DEFAULT_LINE
    )
    size = forms.ChoiceField(
        label="Paper",
        choices=list(poster.PAGE_LABELS.items()),
        initial="a4",
        widget=forms.RadioSelect,
    )
    format = forms.ChoiceField(
        label="Format",
        choices=list(poster.FORMATS.items()),
        initial="pdf",
        widget=forms.RadioSelect,
    )
