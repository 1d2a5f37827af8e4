"""Forms of the IMAP mailbox pages: syntax and presets here, rules in imap_actions.

Secret fields never render their value: left empty when editing, the stored secret
is kept.
"""

from __future__ import annotations

from typing import Any

from django import forms

from frontdesk.channels.email.imap_actions import MailboxSettings
from frontdesk.channels.email.imap_models import ImapAuth, ImapSecurity

# Providers' published OAuth2 endpoints and the scope that allows IMAP.
OAUTH_PRESETS: dict[str, dict[str, str]] = {
    "google": {
        "oauth_authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "oauth_token_url": "https://oauth2.googleapis.com/token",
        "oauth_scope": "https://mail.google.com/",
        "host": "imap.gmail.com",
    },
    "microsoft": {
        "oauth_authorize_url": "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        "oauth_token_url": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        "oauth_scope": "https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
        "host": "outlook.office365.com",
    },
}

KEEP_STORED_HELP = "Leave empty to keep the stored one (it is never shown)."


def _secret(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=4000,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=help_text,
    )


class ImapMailboxForm(forms.Form):
    host = forms.CharField(max_length=255, label="IMAP server", help_text="e.g. imap.gmail.com")
    port = forms.IntegerField(min_value=1, max_value=65535, initial=993)
    security = forms.ChoiceField(choices=ImapSecurity.choices, initial=ImapSecurity.SSL)
    username = forms.CharField(max_length=320, help_text="Usually the full email address.")
    folder = forms.CharField(max_length=255, initial="INBOX")
    auth = forms.ChoiceField(
        label="Sign in with", choices=ImapAuth.choices, initial=ImapAuth.PASSWORD
    )
    password = _secret(
        "Password", "For Gmail or Microsoft 365 with 2-step sign-in, an app password."
    )
    oauth_provider = forms.ChoiceField(
        label="OAuth2 provider",
        required=False,
        choices=[
            ("", "Other (give the endpoints)"),
            ("google", "Google"),
            ("microsoft", "Microsoft"),
        ],
        help_text="Fills in the endpoints and scope you leave empty.",
    )
    oauth_client_id = forms.CharField(label="OAuth2 client id", max_length=255, required=False)
    oauth_client_secret = _secret("OAuth2 client secret")
    oauth_token_url = forms.URLField(
        label="Token endpoint", max_length=500, required=False, assume_scheme="https"
    )
    oauth_authorize_url = forms.URLField(
        label="Authorization endpoint", max_length=500, required=False, assume_scheme="https"
    )
    oauth_scope = forms.CharField(label="Scope", max_length=500, required=False)
    oauth_refresh_token = _secret(
        "Refresh token", "Optional: paste one, or sign in with the provider after saving."
    )
    import_existing = forms.BooleanField(
        required=False,
        initial=True,
        label="Import the mail already in the folder",
        help_text="Off: only mail arriving from now on becomes conversations.",
    )
    delete_after_import = forms.BooleanField(
        required=False,
        label="Delete each message from the server once it is stored here",
        help_text="Off (recommended): server mail and its read/unread flags stay as they are.",
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            for name in ("password", "oauth_client_secret", "oauth_refresh_token"):
                self.fields[name].help_text = KEEP_STORED_HELP

    def clean_host(self) -> str:
        host = self.cleaned_data["host"].strip().lower()
        if any(c.isspace() for c in host) or "/" in host:
            raise forms.ValidationError("Give the server's name only, e.g. imap.example.org.")
        return host

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        preset = OAUTH_PRESETS.get(data.get("oauth_provider") or "")
        if preset and data.get("auth") == ImapAuth.OAUTH2:
            for name, value in preset.items():
                if name != "host" and not data.get(name):
                    data[name] = value
        return data

    def mailbox_settings(self) -> MailboxSettings:
        data = self.cleaned_data
        oauth2 = data["auth"] == ImapAuth.OAUTH2
        return MailboxSettings(
            host=data["host"],
            port=data["port"],
            security=data["security"],
            username=data["username"].strip(),
            auth=data["auth"],
            folder=data["folder"].strip() or "INBOX",
            delete_after_import=data["delete_after_import"],
            import_existing=data["import_existing"],
            oauth_token_url=(data.get("oauth_token_url") or "") if oauth2 else "",
            oauth_authorize_url=(data.get("oauth_authorize_url") or "") if oauth2 else "",
            oauth_client_id=(data.get("oauth_client_id") or "").strip() if oauth2 else "",
            oauth_scope=(data.get("oauth_scope") or "").strip() if oauth2 else "",
            password=data["password"] or None,
            oauth_client_secret=data["oauth_client_secret"] or None,
            oauth_refresh_token=data["oauth_refresh_token"] or None,
        )


class ReauthoriseForm(forms.Form):
    refresh_token = forms.CharField(
        label="New refresh token",
        max_length=4000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="From your provider's consent flow; it is checked before it is kept.",
    )
