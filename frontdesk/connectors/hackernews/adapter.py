"""Hacker News through Algolia's search API: `GET /api/v1/search_by_date`.

Stories and comments matching `query`, newest first, only those created after the
cursor (`numericFilters=created_at_i>=N`; the ids already seen in that second are
kept in the cursor so none is returned twice). Comment text is HTML; it is read
into plain text. Reach is the story's points and comment count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from frontdesk.connectors import http
from frontdesk.connectors.base import Candidate, Connector, PollResult
from frontdesk.connectors.listening_common import crawler_user_agent, html_to_text, tidy_text
from frontdesk.connectors.listening_http import parse_time, reach_of, request_json

DEFAULT_SERVER = "https://hn.algolia.com"
ITEM_URL = "https://news.ycombinator.com/item?id="
USER_URL = "https://news.ycombinator.com/user?id="
PAGE = 100


@dataclass(frozen=True)
class HackerNewsAccount:
    url: str = DEFAULT_SERVER
    query: str = ""
    tags: str = "(story,comment)"
    user_agent: str = ""
    contact: str = ""


def hit_candidate(hit: Mapping[str, Any]) -> Candidate | None:
    """One Algolia hit (a story or a comment) as a candidate."""
    object_id = str(hit.get("objectID") or "")
    if not object_id:
        return None
    tags = hit.get("_tags") or []
    is_comment = "comment" in tags or (hit.get("comment_text") and not hit.get("title"))
    author = str(hit.get("author") or "")
    if is_comment:
        story = tidy_text(str(hit.get("story_title") or ""))
        title = f"Comment on: {story}" if story else "Comment"
        body = html_to_text(str(hit.get("comment_text") or ""))
    else:
        title = tidy_text(str(hit.get("title") or ""))
        body = html_to_text(str(hit.get("story_text") or ""))
    published = parse_time(hit.get("created_at"))
    if published is None and isinstance(hit.get("created_at_i"), int):
        published = datetime.fromtimestamp(hit["created_at_i"], UTC)
    return Candidate(
        source_id=object_id,
        url=ITEM_URL + object_id,
        title=title[:500],
        body=body,
        author_name=author,
        author_handle=author,
        author_url=USER_URL + author if author else "",
        published_at=published,
        reach=reach_of(points=hit.get("points"), comments=hit.get("num_comments")),
        raw={
            "objectID": object_id,
            "story_id": hit.get("story_id"),
            "story_url": hit.get("url") or hit.get("story_url"),
            "kind": "comment" if is_comment else "story",
        },
    )


class HackerNewsConnector(Connector[HackerNewsAccount]):
    kind = "hackernews"
    label = "Hacker News"
    sign_off = "none"
    sends_attachments = "none"

    def poll(self, account: HackerNewsAccount, cursor: Mapping[str, Any]) -> PollResult:
        since = cursor.get("since")
        since = int(since) if isinstance(since, int | float) else 0
        edge = {str(i) for i in cursor.get("edge") or ()}
        params: dict[str, Any] = {
            "query": " ".join(account.query.split()),
            "tags": account.tags,
            "hitsPerPage": PAGE,
        }
        if since:
            params["numericFilters"] = f"created_at_i>={since}"
        headers = {"User-Agent": account.user_agent or crawler_user_agent(account.contact)}
        with http.client(
            "hackernews", base_url=account.url or DEFAULT_SERVER, headers=headers
        ) as c:
            payload = request_json(
                c, "GET", "/api/v1/search_by_date", network="Hacker News", params=params
            )
        hits = payload.get("hits") if isinstance(payload, dict) else None
        candidates: list[Candidate] = []
        newest, at_newest = since, set(edge)
        for hit in hits or ():
            if not isinstance(hit, dict):
                continue
            stamp = hit.get("created_at_i")
            stamp = int(stamp) if isinstance(stamp, int | float) else 0
            object_id = str(hit.get("objectID") or "")
            if stamp < since or (stamp == since and object_id in edge):
                continue
            candidate = hit_candidate(hit)
            if candidate is None:
                continue
            candidates.append(candidate)
            if stamp > newest:
                newest, at_newest = stamp, {object_id}
            elif stamp == newest:
                at_newest.add(object_id)
        state = (
            {**dict(cursor), "since": newest, "edge": sorted(at_newest)} if newest else dict(cursor)
        )
        return PollResult(tuple(candidates), state)
