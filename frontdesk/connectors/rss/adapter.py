"""Polling one feed: conditional GET, redirects, robots signals, next-poll hints.

`FeedConnector.poll(account, cursor)` fetches `account.url` through the shared
client (our crawler User-Agent, timeouts), asks only for what changed (ETag /
Last-Modified from the cursor), accepts gzip and brotli, follows up to five
redirects itself (a chain of 301/308 only is a permanent move, reported in
`PollResult.moved_to`), reads a web page's announced feed when given a page
(autodiscovery, also reported as a move), and returns the entries it had not seen
before (ids kept in the cursor), so an edited entry does not come back.

A site's wishes are honoured: robots.txt (checked once a day, kept in the cursor),
an `X-Robots-Tag` or `<meta name="robots">` saying noindex/none/noai.

Failures are ConnectorErrors: temporary for timeouts, connection errors, 5xx and
429 (with `retry_after` from Retry-After), permanent for 4xx, a page that is no
feed, or a robots refusal; the message says why in words staff understand.
"""

from __future__ import annotations

import hashlib
import itertools
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from frontdesk.connectors import http
from frontdesk.connectors.base import Candidate, Connector, ConnectorError, PollResult
from frontdesk.connectors.listening_common import (
    crawler_user_agent,
    forbids_reading,
    meta_robots,
    robots_allows,
    robots_directives,
)
from frontdesk.connectors.listening_http import status_error, transport_error
from frontdesk.connectors.rss.parse import MAX_FEED_BYTES, NotAFeed, ParsedFeed, parse_feed

DEFAULT_MIN_INTERVAL = 15 * 60
MAX_HINT = 24 * 3600
MAX_REDIRECTS = 5
# Ids of entries already returned, kept in the cursor as short hashes: the feed's own
# entries plus earlier ones up to this many (an entry that drops out of the feed and
# comes back later than that is returned again; the caller's dedupe catches it).
SEEN_KEPT = 300
ROBOTS_RECHECK = 24 * 3600
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json,"
    " application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.1"
)


@dataclass(frozen=True)
class FeedAccount:
    """What polling one feed needs: its URL (or a page announcing it); `user_agent`
    overrides the published crawler User-Agent, `contact` only its contact part;
    `min_interval_seconds` floors the next-poll hint; `check_robots` may be turned off
    only for a feed the library itself runs. `keep`: a test of each new entry's
    text as written (parse.screen_text); the entries it turns away are not returned
    (nor read past their id), and are remembered as seen like the others. `lane`:
    which of its host's concurrent lanes the poll runs in (the poller's host gate);
    each lane has a connection pool of its own (`_client`)."""

    url: str
    query: str = ""
    user_agent: str = ""
    contact: str = ""
    min_interval_seconds: int = DEFAULT_MIN_INTERVAL
    check_robots: bool = True
    timeout_seconds: float = 20.0
    keep: Callable[[str], bool] | None = None
    lane: int = 0


@dataclass(frozen=True)
class FetchedFeed:
    """One fetch: the final response (or None after a 304), where it ended up."""

    url: str
    status: int
    body: bytes
    headers: httpx.Headers
    moved_to: str | None


def seen_key(source_id: str) -> str:
    """The short hash a returned entry's id is remembered by in the cursor."""
    return hashlib.blake2b(source_id.encode(), digest_size=8).hexdigest()


def _user_agent(account: FeedAccount) -> str:
    return account.user_agent or crawler_user_agent(account.contact)


class NoCookies(CookieJar):
    """A cookie jar that keeps nothing: a crawler carries no cookie from one feed (or
    host) to the next, and parsing each response's Set-Cookie is work for nothing."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: Any) -> None:
        return None


_CLIENTS: dict[tuple[str, float, int], httpx.Client] = {}
_CLIENTS_LOCK = threading.Lock()


def _client(account: FeedAccount) -> httpx.Client:
    """The process's client for this User-Agent, timeout and lane, shared by the feed
    polls that run in that lane (httpx clients are thread-safe; making one per poll
    costs a TLS context each time and loses keep-alive connections to hosts serving
    many feeds). One per lane: a host's next poll in a lane finds the connection its
    last one there left, and each pool stays small. httpcore looks through every
    connection of a pool, asking the system whether each idle one is still open,
    under the pool's one lock, twice for each request: with one pool for 16 threads
    polling one host, that was about 23 such calls a request and 20 % more CPU."""
    key = (_user_agent(account), float(account.timeout_seconds), account.lane)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None or client.is_closed:
            client = http.client(
                "feeds",
                base_url="",
                timeout=account.timeout_seconds,
                headers={"User-Agent": key[0], "Accept-Encoding": "gzip, deflate, br"},
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
                cookies=NoCookies(),
            )
            _CLIENTS[key] = client
        return client


def _seconds_until(value: str, now: datetime) -> float | None:
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (at - now).total_seconds())


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), or None."""
    return _seconds_until(headers.get("retry-after", ""), now or datetime.now(UTC))


def _max_age(headers: Mapping[str, str], now: datetime) -> float | None:
    cache = headers.get("cache-control", "").lower()
    ages = []
    for part in cache.split(","):
        name, _, value = part.strip().partition("=")
        if name in ("max-age", "s-maxage") and value.strip().strip('"').isdigit():
            ages.append(float(value.strip().strip('"')))
    if ages:
        age = headers.get("age", "").strip()
        return max(0.0, max(ages) - (float(age) if age.isdigit() else 0.0))
    expires = headers.get("expires", "")
    return _seconds_until(expires, now) if expires else None


def _change_interval(entries: tuple[Candidate, ...]) -> float | None:
    """Half the typical gap between the newest entries' dates (how often it changes)."""
    stamps = sorted((c.published_at for c in entries if c.published_at), reverse=True)[:20]
    if len(stamps) < 3:
        return None
    gaps = [(a - b).total_seconds() for a, b in itertools.pairwise(stamps)]
    gaps = [g for g in gaps if g > 0]
    return statistics.median(gaps) / 2 if gaps else None


def next_poll_hint(
    *,
    headers: Mapping[str, str],
    ttl_seconds: int | None = None,
    entries: tuple[Candidate, ...] = (),
    minimum: int = DEFAULT_MIN_INTERVAL,
    now: datetime | None = None,
) -> float:
    """Seconds until polling again is worth it: the longest of what the server and feed
    asked (Cache-Control max-age / Expires, Retry-After, TTL) and half the feed's
    typical gap between entries, never under `minimum`, at most a day."""
    now = now or datetime.now(UTC)
    asked = [
        s
        for s in (_max_age(headers, now), retry_after_seconds(headers, now), ttl_seconds)
        if s is not None
    ]
    rate = _change_interval(entries)
    hint = max([float(minimum), *asked, *([min(rate, 6 * 3600)] if rate else [])])
    return min(hint, float(max(MAX_HINT, minimum)))


# A feed is fetched without credentials: a 401/403 is the site's door, not our token.
FEED_STATUS_WORDS = {401: "needs a login", 403: "refused us (forbidden)"}


def fetch(
    account: FeedAccount,
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    client: httpx.Client | None = None,
) -> FetchedFeed:
    """GET `url` conditionally, following redirects ourselves; raises ConnectorError."""
    session = client or _client(account)
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current, permanent = url, True
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            with _sent(session, current, headers) as response:
                if response.status_code != 200:
                    _drain(response)
                if response.status_code in (301, 302, 303, 307, 308):
                    location = response.headers.get("location", "")
                    if not location:
                        raise ConnectorError(
                            f"{current} redirected nowhere (HTTP {response.status_code}).",
                            permanent=True,
                            code="bad_redirect",
                        )
                    permanent = permanent and response.status_code in (301, 308)
                    current = urljoin(current, location)
                    if urlsplit(current).scheme not in ("http", "https"):
                        raise ConnectorError(
                            f"{url} redirected to {current}, which is no web address.",
                            permanent=True,
                            code="bad_redirect",
                        )
                    continue
                body = b""
                if response.status_code == 200:
                    chunks, size = [], 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > MAX_FEED_BYTES:
                            raise ConnectorError(
                                f"{current} is larger than {MAX_FEED_BYTES // 2**20} MB.",
                                permanent=True,
                                code="too_large",
                            )
                        chunks.append(chunk)
                    body = b"".join(chunks)
                elif response.status_code != 304:
                    if response.status_code < 400:
                        raise ConnectorError(
                            f"{current} answered HTTP {response.status_code}, not a feed.",
                            permanent=True,
                            code=str(response.status_code),
                        )
                    raise status_error(
                        response.status_code,
                        response.headers,
                        who=current,
                        words=FEED_STATUS_WORDS,
                    )
                moved = current if permanent and current != url else None
                return FetchedFeed(current, response.status_code, body, response.headers, moved)
        except httpx.DecodingError as error:
            raise ConnectorError(
                f"{current} sent a body that could not be decompressed ({error}).",
                permanent=False,
                code="decoding",
            ) from None
        except httpx.HTTPError as error:
            raise transport_error(error, who=current) from None
    raise ConnectorError(
        f"{url} redirected more than {MAX_REDIRECTS} times.", permanent=True, code="loop"
    )


@contextmanager
def _sent(client: httpx.Client, url: str, headers: dict[str, str]) -> Iterator[httpx.Response]:
    """GET `url` through `client`'s transport for it (its connection pool, and a proxy
    from the environment where one is set), the response streamed and closed after.
    Not through `client.send`: its auth, redirect (`fetch` follows them itself),
    cookie (a crawler keeps none) and event-hook layers were a quarter of a 304's CPU.
    `_transport_for_url` is httpx's own choice of transport (private; httpx is pinned
    below 0.29, and every feed test goes through it)."""
    request = client.build_request("GET", url, headers=headers)
    response = client._transport_for_url(request.url).handle_request(request)
    response.request = request
    try:
        yield response
    finally:
        response.close()


# A redirect's, a 304's or an error's body is read up to this much (and dropped) so its
# connection goes back to the pool: closed unread, it is closed for good, and the next
# request to the host (a feed host often serves many) opens another.
DRAIN_BYTES = 64 * 1024


def _drain(response: httpx.Response) -> None:
    read = 0
    for chunk in response.iter_raw():
        read += len(chunk)
        if read > DRAIN_BYTES:
            return  # too much to be worth it: the connection is closed with the response


def _robots_refusal(headers: Mapping[str, str], body: bytes = b"", *, page: bool = False) -> str:
    values = [v for k, v in headers.items() if k.lower() == "x-robots-tag"]
    directive = forbids_reading(robots_directives(values))
    if not directive and page and body:
        directive = forbids_reading(meta_robots(body[:300_000].decode("utf-8", "replace")))
    return directive


ROBOTS_CACHE_SECONDS = 3600.0
_ROBOTS: dict[str, tuple[float, str | None]] = {}
_ROBOTS_LOCK = threading.Lock()


def robots_txt_allows(account: FeedAccount, url: str, client: httpx.Client) -> bool:
    """Whether the site's robots.txt lets us read `url` (unreachable or absent: yes).
    One robots.txt per site is kept for an hour in the process (many feeds share a host)."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    now = time.monotonic()
    with _ROBOTS_LOCK:
        cached = _ROBOTS.get(origin)
    if cached is None or cached[0] < now:
        rules: str | None = ""
        try:
            response = client.get(origin + "/robots.txt")
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code in (401, 403):
            rules = None  # the robots.txt convention: a refused robots.txt refuses all
        elif response is not None and response.status_code == 200:
            rules = response.text[:500_000]
        with _ROBOTS_LOCK:
            _ROBOTS[origin] = cached = (now + ROBOTS_CACHE_SECONDS, rules)
    rules = cached[1]
    if rules is None:
        return False
    return not rules or robots_allows(rules, url)


def read_feed(
    account: FeedAccount, cursor: Mapping[str, Any] | None = None
) -> tuple[FetchedFeed, ParsedFeed | None, dict[str, Any]]:
    """Fetch and parse `account.url` (a page: the feed it announces). Returns the fetch,
    the parsed feed (None after a 304) and the robots bookkeeping for the cursor."""
    cursor = cursor or {}
    now = datetime.now(UTC)
    notes: dict[str, Any] = {}
    client = _client(account)
    url = account.url
    if account.check_robots:
        checked = float(cursor.get("robots_checked", 0) or 0)
        if now.timestamp() - checked > ROBOTS_RECHECK or cursor.get("robots_url") != url:
            if not robots_txt_allows(account, url, client):
                raise ConnectorError(
                    f"The site's robots.txt asks crawlers not to read {url}.",
                    permanent=True,
                    code="robots",
                )
            notes = {"robots_checked": int(now.timestamp()), "robots_url": url}
    fetched = fetch(
        account,
        url,
        etag=str(cursor.get("etag") or ""),
        last_modified=str(cursor.get("last_modified") or ""),
        client=client,
    )
    if fetched.status == 304:
        return fetched, None, notes
    content_type = fetched.headers.get("content-type")
    refusal = _robots_refusal(fetched.headers)
    if refusal:
        raise ConnectorError(
            f"{fetched.url} asks not to be indexed (X-Robots-Tag: {refusal}).",
            permanent=True,
            code="robots",
        )
    try:
        return (
            fetched,
            parse_feed(fetched.body, url=fetched.url, content_type=content_type, keep=account.keep),
            notes,
        )
    except NotAFeed as error:
        if not error.feed_links:
            raise
        refusal = _robots_refusal(fetched.headers, fetched.body, page=True)
        if refusal:
            raise ConnectorError(
                f"{fetched.url} asks not to be indexed ({refusal}).",
                permanent=True,
                code="robots",
            ) from None
        feed_url = error.feed_links[0]
        if account.check_robots and not robots_txt_allows(account, feed_url, client):
            raise ConnectorError(
                f"The site's robots.txt asks crawlers not to read {feed_url}.",
                permanent=True,
                code="robots",
            ) from None
        found = fetch(account, feed_url, client=client)
        if found.status == 304:  # cannot happen without validators; be safe
            raise ConnectorError(
                f"{feed_url} answered 304 to a plain request.", permanent=False
            ) from None
        refusal = _robots_refusal(found.headers)
        if refusal:
            raise ConnectorError(
                f"{found.url} asks not to be indexed (X-Robots-Tag: {refusal}).",
                permanent=True,
                code="robots",
            ) from None
        parsed = parse_feed(
            found.body,
            url=found.url,
            content_type=found.headers.get("content-type"),
            keep=account.keep,
        )
        # The page is not the feed: from now on, poll the feed it announced.
        moved = FetchedFeed(found.url, found.status, found.body, found.headers, found.url)
        return moved, parsed, notes


class FeedConnector(Connector[FeedAccount]):
    """An RSS / Atom / RDF / JSON Feed source."""

    kind = "feed"
    label = "Feed"
    sign_off = "none"
    sends_attachments = "none"

    def poll(self, account: FeedAccount, cursor: Mapping[str, Any]) -> PollResult:
        previous = dict(cursor or {})
        previous.pop("moved_to", None)
        fetched, parsed, notes = read_feed(account, previous)
        minimum = max(1, int(account.min_interval_seconds))
        state: dict[str, Any] = {**previous, **notes}
        if fetched.moved_to:  # validators of the old address mean nothing at the new one
            state.pop("etag", None)
            state.pop("last_modified", None)
        for name, header in (("etag", "etag"), ("last_modified", "last-modified")):
            if fetched.headers.get(header):
                state[name] = fetched.headers[header]
        if parsed is None:
            hint = next_poll_hint(
                headers=fetched.headers,
                ttl_seconds=previous.get("ttl_seconds"),
                minimum=max(minimum, int(previous.get("change_seconds") or 0)),
            )
            state["poll_after_seconds"] = int(hint)
            return PollResult((), state, next_poll_after=hint, not_modified=True)
        seen = [str(i) for i in previous.get("seen") or ()]
        known = set(seen)
        fresh_by_id: dict[str, Candidate] = {}
        for candidate in parsed.entries:  # a feed repeating a GUID yields it once
            key = seen_key(candidate.source_id)
            if key not in known and key not in fresh_by_id:
                fresh_by_id[key] = candidate
        fresh = tuple(c for c in fresh_by_id.values() if c.source_id not in parsed.screened_out)
        current = list(dict.fromkeys(seen_key(c.source_id) for c in parsed.entries))
        listed = set(current)
        kept = current + [i for i in seen if i not in listed]
        state["seen"] = kept[: max(SEEN_KEPT, 2 * len(current))]
        newest = max((c.published_at for c in parsed.entries if c.published_at), default=None)
        if newest is not None:
            state["newest"] = newest.isoformat()
        rate = _change_interval(parsed.entries)
        if rate:
            state["change_seconds"] = int(min(rate, 6 * 3600))
        if parsed.ttl_seconds:
            state["ttl_seconds"] = parsed.ttl_seconds
        hint = next_poll_hint(
            headers=fetched.headers,
            ttl_seconds=parsed.ttl_seconds,
            entries=parsed.entries,
            minimum=minimum,
        )
        state["poll_after_seconds"] = int(hint)
        if fetched.moved_to:
            state["moved_to"] = fetched.moved_to
        return PollResult(fresh, state, next_poll_after=hint, moved_to=fetched.moved_to)
