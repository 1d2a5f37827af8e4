"""Replying on Bluesky from a staff member's own account (never automatically).

A session comes from the member's handle and an app password
(`com.atproto.server.createSession`); the post replied to is read
(`app.bsky.feed.getPosts`) for its `cid` and, when it is itself a reply, its
thread's root; the reply is a record made with `com.atproto.repo.createRecord`:
an `app.bsky.feed.post` whose `reply` names the root and the parent (uri + cid),
which notifies the author. Bluesky has no private replies: a reply is public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from frontdesk.connectors import http
from frontdesk.connectors.base import ConnectorError
from frontdesk.connectors.bluesky.adapter import DEFAULT_SERVER, post_url
from frontdesk.connectors.social_post import Posted, call

__all__ = ["DEFAULT_SERVER", "MAX_LENGTH", "BlueskyPoster", "post_reply", "verify"]

NETWORK = "Bluesky"
# A post is at most 300 graphemes; counted as characters here, which is never fewer.
MAX_LENGTH = 300
REFUSED = "check the handle and make a new app password under Settings → App passwords."


@dataclass(frozen=True)
class BlueskyPoster:
    """`url` is the member's PDS (https://bsky.social for most people)."""

    handle: str
    app_password: str
    url: str = DEFAULT_SERVER


def _session(client: Any, poster: BlueskyPoster) -> tuple[str, str, str]:
    """(access JWT, did, handle) of a fresh session."""
    session = call(
        client,
        "POST",
        "/xrpc/com.atproto.server.createSession",
        network=NETWORK,
        refused=REFUSED,
        json={"identifier": poster.handle.lstrip("@"), "password": poster.app_password},
    )
    if not isinstance(session, dict) or not session.get("accessJwt") or not session.get("did"):
        raise ConnectorError("Bluesky made no session for this account.", permanent=True)
    return str(session["accessJwt"]), str(session["did"]), str(session.get("handle") or "")


def verify(poster: BlueskyPoster) -> str:
    """The account's handle (@maya.bsky.social), or ConnectorError."""
    with http.client("bluesky-reply", base_url=poster.url or DEFAULT_SERVER) as client:
        _, _, handle = _session(client, poster)
    return f"@{handle or poster.handle.lstrip('@')}"


def _ref(value: Any) -> dict[str, str] | None:
    if isinstance(value, dict) and value.get("uri") and value.get("cid"):
        return {"uri": str(value["uri"]), "cid": str(value["cid"])}
    return None


def post_reply(poster: BlueskyPoster, *, post_uri: str, text: str) -> Posted:
    """Reply to the post `post_uri` (at://…) as the member; returns where it is."""
    text = text.strip()
    if len(text) > MAX_LENGTH:
        raise ConnectorError(
            f"Bluesky posts are at most {MAX_LENGTH} characters; this reply has {len(text)}. "
            "Shorten it and send again.",
            permanent=True,
            code="too_long",
        )
    with http.client("bluesky-reply", base_url=poster.url or DEFAULT_SERVER) as client:
        token, did, handle = _session(client, poster)
        auth = {"Authorization": f"Bearer {token}"}
        found = call(
            client,
            "GET",
            "/xrpc/app.bsky.feed.getPosts",
            network=NETWORK,
            refused=REFUSED,
            params={"uris": post_uri},
            headers=auth,
        )
        posts = found.get("posts") if isinstance(found, dict) else None
        post = posts[0] if isinstance(posts, list) and posts else None
        parent = _ref(post)
        if post is None or parent is None:
            raise ConnectorError(
                "Bluesky could not find the post: it may have been deleted.",
                permanent=True,
                code="not_found",
            )
        record = post.get("record") or {}
        root = _ref((record.get("reply") or {}).get("root")) or parent
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        made = call(
            client,
            "POST",
            "/xrpc/com.atproto.repo.createRecord",
            network=NETWORK,
            refused=REFUSED,
            json={
                "repo": did,
                "collection": "app.bsky.feed.post",
                "record": {
                    "$type": "app.bsky.feed.post",
                    "text": text,
                    "createdAt": now,
                    "reply": {"root": root, "parent": parent},
                },
            },
            headers=auth,
        )
    uri = str(made.get("uri") or "") if isinstance(made, dict) else ""
    if not uri:
        raise ConnectorError("Bluesky did not say it made the post.", permanent=False)
    return Posted(id=uri, url=post_url(uri, handle) or uri)
