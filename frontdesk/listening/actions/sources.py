"""Sources: add, change, delete, poll now. Admins set them up (they may hold tokens)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.utils import timezone

from frontdesk.core.models import Membership, Workspace
from frontdesk.listening.actions.common import ListeningError, require_to_set_up
from frontdesk.listening.models import DEFAULT_POLL_SECONDS, MIN_POLL_SECONDS, Source, SourceKind

# The public server a search kind talks to unless the source names another.
DEFAULT_SERVERS: dict[str, str] = {
    SourceKind.MASTODON: "https://mastodon.social",
    SourceKind.BLUESKY: "https://bsky.social",
    SourceKind.REDDIT: "https://oauth.reddit.com",
    SourceKind.HACKERNEWS: "https://hn.algolia.com",
}
# Settings each kind keeps (tokens); anything else a form sends is dropped.
SETTING_NAMES: dict[str, tuple[str, ...]] = {
    SourceKind.FEED: (),
    SourceKind.MASTODON: ("access_token",),
    SourceKind.BLUESKY: ("handle", "app_password"),
    SourceKind.REDDIT: ("client_id", "client_secret"),
    SourceKind.HACKERNEWS: (),
}


@dataclass(frozen=True, kw_only=True)
class SourceSettings:
    kind: str
    url: str = ""
    query: str = ""
    name: str = ""
    interval_seconds: int = DEFAULT_POLL_SECONDS
    is_active: bool = True
    settings: dict[str, Any] = field(default_factory=dict)


def _web_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ListeningError("Enter a web address starting with https://", field="url")
    return url


def _checked(values: SourceSettings, current: Source | None = None) -> dict[str, Any]:
    if values.kind not in SourceKind.values:
        raise ListeningError("Choose what kind of source this is.", field="kind")
    query = " ".join(values.query.split())
    if values.kind == SourceKind.FEED:
        if not values.url.strip():
            raise ListeningError(
                "Enter the feed's address, or a page that links to it.", field="url"
            )
        url = _web_url(values.url)
    else:
        url = _web_url(values.url) if values.url.strip() else DEFAULT_SERVERS[values.kind]
        if not query:
            raise ListeningError("Say what to search for.", field="query")
    kept = dict(current.settings) if current else {}
    for name in SETTING_NAMES[values.kind]:
        given = str(values.settings.get(name, "") or "").strip()
        if given:  # an empty field on the edit form keeps the stored token
            kept[name] = given
    kept = {k: v for k, v in kept.items() if k in SETTING_NAMES[values.kind]}
    if values.kind == SourceKind.MASTODON and " " in query and not kept.get("access_token"):
        # One word is a hashtag timeline (public); words are a full-text search, which
        # Mastodon answers only to an account (and only for authors who opted in).
        raise ListeningError(
            "Searching words on Mastodon needs an access token; a single #hashtag does not.",
            field="access_token",
        )
    if values.kind == SourceKind.BLUESKY and not (kept.get("handle") and kept.get("app_password")):
        raise ListeningError(
            "Bluesky search needs your account's handle and an app password.", field="handle"
        )
    if values.kind == SourceKind.REDDIT and not (
        kept.get("client_id") and kept.get("client_secret")
    ):
        raise ListeningError(
            "Reddit needs an approved app's client id and secret.", field="client_id"
        )
    return {
        "kind": values.kind,
        "url": url[:1000],
        "query": query[:300],
        "name": " ".join(values.name.split())[:120],
        "interval_seconds": max(MIN_POLL_SECONDS, int(values.interval_seconds)),
        "is_active": values.is_active,
        "settings": kept,
    }


def create_source(workspace: Workspace, values: SourceSettings, *, by: Membership) -> Source:
    """Add a source; it is polled at once (by the next run of the poller)."""
    require_to_set_up(by, workspace.pk)
    return Source.objects.create(
        workspace=workspace, next_poll_at=timezone.now(), **_checked(values)
    )


def update_source(source: Source, values: SourceSettings, *, by: Membership) -> Source:
    """Change a source. A new address or query starts afresh (cursor cleared, polled soon)."""
    require_to_set_up(by, source.workspace_id)
    checked = _checked(values, source)
    restart = checked["url"] != source.url or checked["query"] != source.query
    for name, value in checked.items():
        setattr(source, name, value)
    if restart:
        source.cursor = {}
        source.next_poll_at = timezone.now()
        source.failures = 0
        source.last_error = ""
    source.save()
    return source


def poll_soon(source: Source, *, by: Membership) -> Source:
    """Ask for the next poll now (and clear the backoff): "Try again" on a failing source."""
    require_to_set_up(by, source.workspace_id)
    Source.objects.filter(pk=source.pk).update(next_poll_at=timezone.now())
    source.refresh_from_db()
    return source


def delete_source(source: Source, *, by: Membership) -> None:
    """Delete a source and the sightings it made; mentions only it found go too."""
    require_to_set_up(by, source.workspace_id)
    source.delete()
