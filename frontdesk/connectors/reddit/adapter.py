"""Reddit search through an approved OAuth app (application-only, client credentials).

A token comes from `POST https://www.reddit.com/api/v1/access_token` with the app's
client id and secret (HTTP Basic, `grant_type=client_credentials`) and is reused
until it expires; searches go to `https://oauth.reddit.com/search.json` (a Listing
of `t3` posts, newest first, `raw_json=1` so text is not HTML-escaped). Reddit asks
for a descriptive User-Agent and at most 100 queries a minute per app: a
process-wide budget per client id refuses (temporarily, with the wait) beyond that,
and `X-Ratelimit-Remaining`/`-Reset` are obeyed.

A post Reddit removed (`removed_by_category`, "[removed]" text) or its author
deleted comes back with `removed=True` so the caller drops its mention;
`removed_ids(account, ids)` asks `/api/info` about posts seen earlier.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from frontdesk import __version__
from frontdesk.connectors import http
from frontdesk.connectors.base import Candidate, Connector, ConnectorError, PollResult
from frontdesk.connectors.listening_common import tidy_text
from frontdesk.connectors.listening_http import reach_of, request_json, wait_seconds

DEFAULT_SERVER = "https://oauth.reddit.com"
DEFAULT_AUTH_SERVER = "https://www.reddit.com"
WEB_URL = "https://www.reddit.com"
PAGE = 100
QUERIES_PER_MINUTE = 100


@dataclass(frozen=True)
class RedditAccount:
    """`url` is the API host (oauth.reddit.com), `auth_url` where tokens come from
    (www.reddit.com; a loopback stand-in may serve both)."""

    url: str = DEFAULT_SERVER
    query: str = ""
    client_id: str = ""
    client_secret: str = ""
    auth_url: str = ""
    reddit_username: str = ""
    subreddit: str = ""
    user_agent: str = ""
    contact: str = ""


class QueryBudget:
    """At most `limit` queries per `window` seconds per key (an app's client id)."""

    def __init__(self, limit: int = QUERIES_PER_MINUTE, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._lock = threading.Lock()
        self._sent: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    def take(self, key: str, now: float | None = None) -> float:
        """Claim one query: 0.0 when allowed, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            blocked = self._blocked_until.get(key, 0.0) - now
            if blocked > 0:
                return blocked
            sent = self._sent.setdefault(key, deque())
            while sent and sent[0] <= now - self.window:
                sent.popleft()
            if len(sent) >= self.limit:
                return sent[0] + self.window - now
            sent.append(now)
            return 0.0

    def block(self, key: str, seconds: float, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._blocked_until[key] = max(self._blocked_until.get(key, 0.0), now + seconds)


BUDGET = QueryBudget()
_TOKENS: dict[tuple[str, str], tuple[str, float]] = {}
_TOKENS_LOCK = threading.Lock()


def reddit_user_agent(account: RedditAccount) -> str:
    """Reddit's asked-for form: <platform>:<app id>:<version> (by /u/<name>)."""
    if account.user_agent:
        return account.user_agent
    by = f"by /u/{account.reddit_username}" if account.reddit_username else "library listening"
    contact = f"; {account.contact}" if account.contact else ""
    return f"server:frontdesk-listening:{__version__} ({by}{contact})"


def _auth_base(account: RedditAccount) -> str:
    if account.auth_url:
        return account.auth_url
    api = account.url or DEFAULT_SERVER
    return DEFAULT_AUTH_SERVER if "oauth.reddit.com" in api else api


def _token(account: RedditAccount, headers: dict[str, str]) -> str:
    key = (_auth_base(account), account.client_id)
    with _TOKENS_LOCK:
        cached = _TOKENS.get(key)
    if cached and cached[1] > time.monotonic() + 60:
        return cached[0]
    with http.client("reddit-auth", base_url=_auth_base(account), headers=headers) as c:
        payload = request_json(
            c,
            "POST",
            "/api/v1/access_token",
            network="Reddit",
            data={"grant_type": "client_credentials"},
            auth=(account.client_id, account.client_secret),
        )
    token = str(payload.get("access_token") or "") if isinstance(payload, dict) else ""
    if not token:
        error = payload.get("error") if isinstance(payload, dict) else None
        raise ConnectorError(
            f"Reddit gave no token ({error or 'no access_token'}): check the app's id and secret.",
            permanent=True,
            code="no_token",
        )
    expires = payload.get("expires_in") if isinstance(payload.get("expires_in"), int) else 3600
    with _TOKENS_LOCK:
        _TOKENS[key] = (token, time.monotonic() + float(expires))
    return token


def is_removed(post: Mapping[str, Any]) -> bool:
    text = str(post.get("selftext") or "")
    return bool(
        post.get("removed_by_category")
        or text in ("[removed]", "[deleted]")
        or post.get("author") == "[deleted]"
        or post.get("removed") is True
    )


def post_candidate(post: Mapping[str, Any]) -> Candidate | None:
    """One `t3` post's data as a candidate."""
    name = str(post.get("name") or (f"t3_{post['id']}" if post.get("id") else ""))
    if not name:
        return None
    author = str(post.get("author") or "")
    created = post.get("created_utc")
    permalink = str(post.get("permalink") or "")
    removed = is_removed(post)
    body = "" if removed else tidy_text(str(post.get("selftext") or ""))
    return Candidate(
        source_id=name,
        url=WEB_URL + permalink if permalink.startswith("/") else permalink,
        title=tidy_text(str(post.get("title") or ""))[:500],
        body=body,
        author_name="" if author == "[deleted]" else author,
        author_handle=f"u/{author}" if author and author != "[deleted]" else "",
        author_url=f"{WEB_URL}/user/{author}" if author and author != "[deleted]" else "",
        published_at=(
            datetime.fromtimestamp(float(created), UTC)
            if isinstance(created, int | float)
            else None
        ),
        reach=reach_of(
            points=post.get("score"),
            comments=post.get("num_comments"),
            subscribers=post.get("subreddit_subscribers"),
        ),
        removed=removed,
        raw={
            "subreddit": post.get("subreddit"),
            "link": post.get("url"),
            "removed_by_category": post.get("removed_by_category"),
        },
    )


class RedditConnector(Connector[RedditAccount]):
    kind = "reddit"
    label = "Reddit"
    sign_off = "none"
    sends_attachments = "none"

    def _get(self, account: RedditAccount, path: str, params: dict[str, Any]) -> Any:
        if not (account.client_id and account.client_secret):
            raise ConnectorError(
                "Reddit needs an approved app's client id and secret.",
                permanent=True,
                code="no_credentials",
            )
        wait = BUDGET.take(account.client_id)
        if wait > 0:
            raise ConnectorError(
                f"Reddit allows {QUERIES_PER_MINUTE} queries a minute; waiting {wait:.0f} s.",
                permanent=False,
                code="rate_limited",
                retry_after=wait,
            )
        headers = {"User-Agent": reddit_user_agent(account)}
        token = _token(account, headers)
        headers["Authorization"] = f"Bearer {token}"

        def obey(response: httpx.Response) -> None:
            remaining = wait_seconds(response.headers.get("x-ratelimit-remaining", ""))
            reset = wait_seconds(response.headers.get("x-ratelimit-reset", ""))
            if remaining is not None and remaining < 1 and reset:
                BUDGET.block(account.client_id, reset)
            if response.status_code == 401:  # an expired or revoked token: get another
                with _TOKENS_LOCK:
                    _TOKENS.pop((_auth_base(account), account.client_id), None)

        with http.client("reddit", base_url=account.url or DEFAULT_SERVER, headers=headers) as c:
            return request_json(c, "GET", path, network="Reddit", params=params, inspect=obey)

    def poll(self, account: RedditAccount, cursor: Mapping[str, Any]) -> PollResult:
        path = f"/r/{account.subreddit}/search.json" if account.subreddit else "/search.json"
        params = {
            "q": " ".join(account.query.split()),
            "sort": "new",
            "limit": PAGE,
            "type": "link",
            "raw_json": 1,
        }
        if account.subreddit:
            params["restrict_sr"] = "on"
        payload = self._get(account, path, params)
        data = payload.get("data") if isinstance(payload, dict) else None
        children = data.get("children") if isinstance(data, dict) else None
        since = cursor.get("since")
        since = float(since) if isinstance(since, int | float) else 0.0
        edge = set(cursor.get("edge") or ())
        candidates: list[Candidate] = []
        newest, at_newest = since, set(edge)
        for child in children or ():
            post = child.get("data") if isinstance(child, dict) else None
            if not isinstance(post, dict) or child.get("kind") not in ("t3", None):
                continue
            candidate = post_candidate(post)
            if candidate is None:
                continue
            created = post.get("created_utc")
            stamp = float(created) if isinstance(created, int | float) else 0.0
            old = stamp < since or (stamp == since and candidate.source_id in edge)
            if old and not candidate.removed:
                continue  # seen before; a removal is reported again so it is acted on
            candidates.append(candidate)
            if stamp > newest:
                newest, at_newest = stamp, {candidate.source_id}
            elif stamp == newest:
                at_newest.add(candidate.source_id)
        state = dict(cursor)
        if newest:
            state |= {"since": newest, "edge": sorted(at_newest)}
        return PollResult(tuple(candidates), state)

    def removed_ids(self, account: RedditAccount, source_ids: Iterable[str]) -> set[str]:
        """Which of these posts (t3_ fullnames) Reddit has removed or lost, by /api/info."""
        ids = [i for i in dict.fromkeys(source_ids) if i.startswith("t3_")]
        gone: set[str] = set()
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            payload = self._get(account, "/api/info.json", {"id": ",".join(chunk), "raw_json": 1})
            data = payload.get("data") if isinstance(payload, dict) else None
            present = {}
            for child in (data or {}).get("children") or ():
                post = child.get("data") if isinstance(child, dict) else None
                if isinstance(post, dict) and post.get("name"):
                    present[str(post["name"])] = post
            gone |= {i for i in chunk if i not in present or is_removed(present[i])}
        return gone
