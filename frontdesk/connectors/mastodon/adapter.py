"""Mastodon: a hashtag's public timeline, or full-text search of opted-in posts.

`query` is a hashtag ("#riversidelibrary" or "riversidelibrary") for the tag
timeline (`GET /api/v1/timelines/tag/:tag`, public, no token needed), or words for
`GET /api/v2/search?type=statuses` (needs the account's token; Mastodon only
searches posts whose authors opted in, and we keep only statuses whose account says
`indexable: true`). Authors who asked search engines not to index them
(`noindex: true`) are skipped in both. Boosts are skipped (the original is what was
said). The cursor keeps the newest status id seen (`since_id` / `min_id`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from frontdesk.connectors import http
from frontdesk.connectors.base import Candidate, Connector, ConnectorError, PollResult
from frontdesk.connectors.listening_common import crawler_user_agent, html_to_text
from frontdesk.connectors.listening_http import parse_time, reach_of, request_json

DEFAULT_SERVER = "https://mastodon.social"
PAGE = 40


@dataclass(frozen=True)
class MastodonAccount:
    """`url` is the server (https://mastodon.social); `mode` "tag" (default when the
    query is one word) or "search"; `access_token` is needed for search."""

    url: str = DEFAULT_SERVER
    query: str = ""
    access_token: str = ""
    mode: str = ""
    user_agent: str = ""
    contact: str = ""


def _newer(a: str, b: str) -> bool:
    """Whether status id `a` is newer than `b` (ids are numbers as strings)."""
    if a.isdigit() and b.isdigit():
        return int(a) > int(b)
    return (len(a), a) > (len(b), b)


def status_candidate(status: Mapping[str, Any]) -> Candidate | None:
    """One status as a candidate, or None for a boost or an author who opted out."""
    if status.get("reblog"):
        return None
    account = status.get("account") or {}
    if account.get("noindex") is True:
        return None
    if status.get("visibility") not in (None, "public"):
        return None
    text = html_to_text(str(status.get("content") or ""))
    warning = str(status.get("spoiler_text") or "").strip()
    if warning:
        text = f"[{warning}]\n{text}"
    return Candidate(
        source_id=str(status.get("id") or status.get("uri") or ""),
        url=str(status.get("url") or status.get("uri") or ""),
        body=text,
        author_name=str(account.get("display_name") or account.get("username") or "")[:200],
        author_handle="@" + str(account.get("acct") or "").lstrip("@")
        if account.get("acct")
        else "",
        author_url=str(account.get("url") or ""),
        language=str(status.get("language") or "")[:16],
        published_at=parse_time(status.get("created_at")),
        reach=reach_of(
            followers=account.get("followers_count"),
            reblogs=status.get("reblogs_count"),
            favourites=status.get("favourites_count"),
            replies=status.get("replies_count"),
        ),
        raw={"id": status.get("id"), "uri": status.get("uri"), "account_id": account.get("id")},
    )


class MastodonConnector(Connector[MastodonAccount]):
    kind = "mastodon"
    label = "Mastodon"
    sign_off = "none"
    sends_attachments = "none"

    def poll(self, account: MastodonAccount, cursor: Mapping[str, Any]) -> PollResult:
        query = " ".join(account.query.split())
        mode = account.mode or ("tag" if len(query.split()) == 1 else "search")
        if mode == "search" and not account.access_token:
            raise ConnectorError(
                "Mastodon full-text search needs the account's access token "
                "(a one-word hashtag does not).",
                permanent=True,
                code="no_credentials",
            )
        since = str(cursor.get("since_id") or "")
        newest_any = ""
        headers = {"User-Agent": account.user_agent or crawler_user_agent(account.contact)}
        if account.access_token:
            headers["Authorization"] = f"Bearer {account.access_token}"
        with http.client("mastodon", base_url=account.url or DEFAULT_SERVER, headers=headers) as c:
            if mode == "tag":
                tag = query.lstrip("#")
                params: dict[str, Any] = {"limit": PAGE}
                if since:
                    params["since_id"] = since
                payload = request_json(
                    c, "GET", f"/api/v1/timelines/tag/{tag}", network="Mastodon", params=params
                )
                statuses = payload if isinstance(payload, list) else []
            else:
                params = {"q": query, "type": "statuses", "limit": PAGE, "resolve": "false"}
                if since:
                    params["min_id"] = since
                payload = request_json(
                    c, "GET", "/api/v2/search", network="Mastodon", params=params
                )
                found = payload.get("statuses") if isinstance(payload, dict) else None
                found = [s for s in found or () if isinstance(s, dict)]
                # Full-text search: only authors who opted in to being found.
                statuses = [s for s in found if (s.get("account") or {}).get("indexable") is True]
                ids = [str(s["id"]) for s in found if s.get("id")]
                newest_any = max(ids, key=lambda i: (len(i), i), default="")
        candidates = []
        newest = since
        for status in statuses:
            if not isinstance(status, dict):
                continue
            sid = str(status.get("id") or "")
            if sid and (not newest or _newer(sid, newest)):
                newest = sid
            if since and sid and not _newer(sid, since):
                continue
            candidate = status_candidate(status)
            if candidate is not None and candidate.source_id:
                candidates.append(candidate)
        if mode != "tag" and newest_any and (not newest or _newer(newest_any, newest)):
            newest = newest_any  # skipped (not indexable) posts need not be read again
        state = {**dict(cursor), "since_id": newest} if newest else dict(cursor)
        return PollResult(tuple(candidates), state)
