"""Bluesky: `app.bsky.feed.searchPosts` with the workspace's own account.

The public unauthenticated mirror is not dependable, so a search runs as the
library's account: an `access_token` (an access JWT) if given, else a session made
from `handle` + `app_password` (`com.atproto.server.createSession`) for this poll.
XRPC answers are JSON; errors are `{"error": "...", "message": "..."}`.

Posts whose authors carry the `!no-unauthenticated` label (they asked not to be
shown to logged-out people) are skipped. The cursor keeps the newest post time
(`since`, which the search reads inclusively) and the URIs seen at that time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from frontdesk.connectors import http
from frontdesk.connectors.base import Candidate, Connector, ConnectorError, PollResult
from frontdesk.connectors.listening_common import crawler_user_agent, tidy_text
from frontdesk.connectors.listening_http import parse_time, reach_of, request_json

DEFAULT_SERVER = "https://bsky.social"
PAGE = 100
APP_URL = "https://bsky.app"
OPTED_OUT = "!no-unauthenticated"


@dataclass(frozen=True)
class BlueskyAccount:
    url: str = DEFAULT_SERVER
    query: str = ""
    handle: str = ""
    app_password: str = ""
    access_token: str = ""
    language: str = ""
    user_agent: str = ""
    contact: str = ""


def post_url(uri: str, handle: str) -> str:
    """The bsky.app address of an at://did/app.bsky.feed.post/rkey post."""
    parts = uri.removeprefix("at://").split("/")
    if len(parts) == 3 and parts[1] == "app.bsky.feed.post":
        return f"{APP_URL}/profile/{handle or parts[0]}/post/{parts[2]}"
    return ""


def post_candidate(post: Mapping[str, Any]) -> Candidate | None:
    """One PostView as a candidate, or None for an author who opted out."""
    author = post.get("author") or {}
    labels = {
        str(label.get("val")) for label in author.get("labels") or () if isinstance(label, dict)
    }
    if OPTED_OUT in labels:
        return None
    record = post.get("record") or {}
    uri = str(post.get("uri") or "")
    handle = str(author.get("handle") or "")
    langs = record.get("langs") or []
    return Candidate(
        source_id=uri,
        url=post_url(uri, handle),
        body=tidy_text(str(record.get("text") or "")),
        author_name=str(author.get("displayName") or handle)[:200],
        author_handle=f"@{handle}" if handle else "",
        author_url=f"{APP_URL}/profile/{handle or author.get('did', '')}",
        language=str(langs[0] if isinstance(langs, list) and langs else "")[:16],
        published_at=parse_time(record.get("createdAt")) or parse_time(post.get("indexedAt")),
        reach=reach_of(
            likes=post.get("likeCount"),
            reposts=post.get("repostCount"),
            replies=post.get("replyCount"),
            quotes=post.get("quoteCount"),
            followers=author.get("followersCount"),
        ),
        raw={"uri": uri, "cid": post.get("cid"), "did": author.get("did")},
    )


class BlueskyConnector(Connector[BlueskyAccount]):
    kind = "bluesky"
    label = "Bluesky"
    sign_off = "none"
    sends_attachments = "none"

    def poll(self, account: BlueskyAccount, cursor: Mapping[str, Any]) -> PollResult:
        headers = {"User-Agent": account.user_agent or crawler_user_agent(account.contact)}
        with http.client("bluesky", base_url=account.url or DEFAULT_SERVER, headers=headers) as c:
            token = account.access_token
            if not token:
                if not (account.handle and account.app_password):
                    raise ConnectorError(
                        "Bluesky search needs the library's handle and an app password.",
                        permanent=True,
                        code="no_credentials",
                    )
                session = request_json(
                    c,
                    "POST",
                    "/xrpc/com.atproto.server.createSession",
                    network="Bluesky",
                    json={"identifier": account.handle, "password": account.app_password},
                )
                token = str(session.get("accessJwt") or "") if isinstance(session, dict) else ""
                if not token:
                    raise ConnectorError(
                        "Bluesky made no session for this account.", permanent=True, code="session"
                    )
            params: dict[str, Any] = {"q": " ".join(account.query.split()), "sort": "latest"}
            params["limit"] = PAGE
            since = str(cursor.get("since") or "")
            if since:
                params["since"] = since
            if account.language:
                params["lang"] = account.language
            payload = request_json(
                c,
                "GET",
                "/xrpc/app.bsky.feed.searchPosts",
                network="Bluesky",
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
        posts = payload.get("posts") if isinstance(payload, dict) else None
        edge = set(cursor.get("edge") or ())
        candidates: list[Candidate] = []
        for post in posts or ():
            if not isinstance(post, dict) or not post.get("uri") or post["uri"] in edge:
                continue
            candidate = post_candidate(post)
            if candidate is not None:
                candidates.append(candidate)
        times = [(c.published_at, c.source_id) for c in candidates if c.published_at]
        state = dict(cursor)
        if times:
            newest = max(t for t, _ in times)
            stamp = newest.isoformat().replace("+00:00", "Z")
            same = [uri for t, uri in times if t == newest]
            state["edge"] = (same + list(edge)) if stamp == since else same
            state["since"] = stamp
        return PollResult(tuple(candidates), state)
