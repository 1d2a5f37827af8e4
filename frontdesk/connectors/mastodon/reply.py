"""Replying on Mastodon from a staff member's own account (never automatically).

The member's account is on their own server, which may not be the one the post was
found on, and status ids are per server: the post is first looked up on the
member's server by its address (`GET /api/v2/search?q=<url>&resolve=true`, which
fetches a remote post), then the reply is `POST /api/v1/statuses` with
`in_reply_to_id` and the visibility the person chose, starting with the author's
@handle so they are notified (and, for a "direct" reply, so they can see it). An
`Idempotency-Key` makes a Send pressed twice one post.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from frontdesk.connectors import http
from frontdesk.connectors.base import ConnectorError
from frontdesk.connectors.social_post import Posted, call

NETWORK = "Mastodon"
# Who sees the reply: Mastodon's own words for the three a stranger can be sent.
VISIBILITIES = ("direct", "unlisted", "public")
REFUSED = "connect your Mastodon account again (the token needs the write:statuses scope)."


@dataclass(frozen=True)
class MastodonPoster:
    """`url` is the member's own server (https://mastodon.social)."""

    url: str
    access_token: str


def _client(poster: MastodonPoster) -> Any:
    headers = {"Authorization": f"Bearer {poster.access_token}"}
    return http.client("mastodon-reply", base_url=poster.url, headers=headers)


def verify(poster: MastodonPoster) -> str:
    """The account's full handle (@maya@mastodon.social), or ConnectorError."""
    with _client(poster) as client:
        me = call(
            client, "GET", "/api/v1/accounts/verify_credentials", network=NETWORK, refused=REFUSED
        )
    acct = str(me.get("acct") or "") if isinstance(me, dict) else ""
    if not acct:
        raise ConnectorError("Mastodon did not say whose account this is.", permanent=True)
    host = urlsplit(poster.url).hostname or ""
    return f"@{acct}" if "@" in acct or not host else f"@{acct}@{host}"


def post_reply(
    poster: MastodonPoster,
    *,
    status_url: str,
    text: str,
    visibility: str,
    idempotency_key: str,
) -> Posted:
    """Reply to the post at `status_url` as the member; returns where the reply is."""
    if visibility not in VISIBILITIES:
        raise ConnectorError(
            f"Choose who sees the reply: {', '.join(VISIBILITIES)}.", permanent=True
        )
    with _client(poster) as client:
        found = call(
            client,
            "GET",
            "/api/v2/search",
            network=NETWORK,
            refused=REFUSED,
            params={"q": status_url, "type": "statuses", "resolve": "true", "limit": 1},
        )
        statuses = found.get("statuses") if isinstance(found, dict) else None
        status = statuses[0] if statuses and isinstance(statuses[0], dict) else None
        if status is None or not status.get("id"):
            raise ConnectorError(
                "Your Mastodon server could not find the post: it may have been deleted, "
                "or its server does not answer.",
                permanent=True,
                code="not_found",
            )
        acct = str((status.get("account") or {}).get("acct") or "")
        mention = f"@{acct}" if acct else ""
        body = text.strip()
        if mention and mention.lower() not in body.lower():
            body = f"{mention} {body}"
        posted = call(
            client,
            "POST",
            "/api/v1/statuses",
            network=NETWORK,
            refused=REFUSED,
            missing="The post you are replying to is gone.",
            json={"status": body, "in_reply_to_id": str(status["id"]), "visibility": visibility},
            headers={"Idempotency-Key": idempotency_key},
        )
    if not isinstance(posted, dict) or not posted.get("id"):
        raise ConnectorError("Mastodon did not say it posted the reply.", permanent=False)
    return Posted(id=str(posted["id"]), url=str(posted.get("url") or posted.get("uri") or ""))
