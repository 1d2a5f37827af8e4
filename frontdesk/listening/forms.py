"""Forms of listening's pages: they read fields; the actions check the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from frontdesk.listening.actions import SourceSettings, WatchSettings
from frontdesk.listening.models import (
    DEFAULT_POLL_SECONDS,
    SocialNetwork,
    Source,
    SourceKind,
    Watch,
)

INTERVALS = [
    (5 * 60, "Every 5 minutes"),
    (DEFAULT_POLL_SECONDS, "Every 15 minutes"),
    (60 * 60, "Every hour"),
    (6 * 60 * 60, "Every 6 hours"),
]


class WatchForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="e.g. “Our library’s names”.")
    query = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text='Words and "quoted phrases"; AND, OR, NOT, (parentheses), -exclusions. '
        "Case and accents do not matter; librar* matches a word's start.",
    )
    language = forms.CharField(
        max_length=8, required=False, help_text="Two letters (en, es); empty for any language."
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    alert_negative = forms.BooleanField(
        required=False, initial=True, label="Alert on unhappy posts"
    )
    alert_needs_reply = forms.BooleanField(
        required=False, initial=True, label="Alert on questions and complaints"
    )
    alert_spike = forms.BooleanField(
        required=False, initial=True, label="Alert when mentions come much faster than usual"
    )
    digest_email = forms.BooleanField(
        required=False, initial=True, label="Email a digest of alerts"
    )
    quiet_start = forms.TimeField(
        required=False, label="Quiet from", widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_end = forms.TimeField(
        required=False, label="Quiet until", widget=forms.TimeInput(attrs={"type": "time"})
    )

    @classmethod
    def for_watch(cls, watch: Watch, data: Any = None) -> WatchForm:
        initial = {name: getattr(watch, name) for name in cls.base_fields}
        return cls(data, initial=initial)

    def settings(self) -> WatchSettings:
        return WatchSettings(**{name: self.cleaned_data[name] for name in self.base_fields})


class SourceForm(forms.Form):
    kind = forms.ChoiceField(choices=SourceKind.choices, label="Where to listen")
    url = forms.CharField(
        max_length=1000,
        required=False,
        label="Address",
        help_text="A feed, or any page that links to one (a blog, a news search). For a "
        "network: its server, e.g. https://mastodon.social (empty: the public one).",
    )
    query = forms.CharField(
        max_length=300,
        required=False,
        label="Search for",
        help_text="Mastodon: a hashtag. Bluesky, Reddit, Hacker News: words to search.",
    )
    name = forms.CharField(max_length=120, required=False, help_text="How staff see it.")
    interval_seconds = forms.TypedChoiceField(
        choices=INTERVALS, coerce=int, initial=DEFAULT_POLL_SECONDS, label="Check"
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    access_token = forms.CharField(
        required=False, label="Mastodon access token", widget=forms.PasswordInput
    )
    handle = forms.CharField(required=False, label="Bluesky handle")
    app_password = forms.CharField(
        required=False, label="Bluesky app password", widget=forms.PasswordInput
    )
    client_id = forms.CharField(required=False, label="Reddit client id")
    client_secret = forms.CharField(
        required=False, label="Reddit client secret", widget=forms.PasswordInput
    )

    TOKENS = ("access_token", "handle", "app_password", "client_id", "client_secret")

    @classmethod
    def for_source(cls, source: Source, data: Any = None) -> SourceForm:
        initial = {
            "kind": source.kind,
            "url": source.url,
            "query": source.query,
            "name": source.name,
            "interval_seconds": source.interval_seconds,
            "is_active": source.is_active,
            "handle": (source.settings or {}).get("handle", ""),
            "client_id": (source.settings or {}).get("client_id", ""),
        }
        return cls(data, initial=initial)

    def settings(self) -> SourceSettings:
        data = self.cleaned_data
        return SourceSettings(
            kind=data["kind"],
            url=data["url"],
            query=data["query"],
            name=data["name"],
            interval_seconds=data["interval_seconds"],
            is_active=data["is_active"],
            settings={name: data[name] for name in self.TOKENS if data.get(name)},
        )


class SocialAccountForm(forms.Form):
    """Connect one's own Mastodon or Bluesky account, to reply to posts as oneself."""

    network = forms.ChoiceField(
        choices=SocialNetwork.choices, widget=forms.RadioSelect, initial=SocialNetwork.MASTODON
    )
    server = forms.CharField(
        max_length=300,
        required=False,
        label="Your server",
        help_text="Mastodon: where your account lives, e.g. https://mastodon.social. "
        "Bluesky: leave empty (bsky.social) unless you host your own.",
    )
    handle = forms.CharField(
        max_length=200, required=False, label="Bluesky handle", help_text="e.g. maya.bsky.social"
    )
    secret = forms.CharField(
        max_length=512,
        label="Access token or app password",
        widget=forms.PasswordInput,
        help_text="Mastodon: Preferences → Development → New application, scopes read and "
        "write:statuses, then its access token. Bluesky: Settings → App passwords. "
        "Kept secret; used only when you press Send on a reply.",
    )
