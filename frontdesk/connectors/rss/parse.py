"""Feeds into records: RSS 0.9x/2.0, RDF (RSS 1.0), Atom, CDF and JSON Feed.

feedparser reads every dialect and recovers from most broken XML ("bozo" feeds are
kept when entries were still read). Around it: gzip bodies served without a
Content-Encoding, a second try with the text re-decoded and control characters
removed, entry text sanitised into readable plain text, dates made aware UTC, and
an id for every entry (the GUID, else a key from stable fields, so an edited entry
keeps its id and does not alert again).
"""

from __future__ import annotations

import calendar
import functools
import gzip
import hashlib
import html
import json
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import feedparser
import feedparser.mixin
import feedparser.urls

from frontdesk.connectors.base import Candidate, ConnectorError
from frontdesk.connectors.listening_common import canonical_url, html_to_text, tidy_text

MAX_FEED_BYTES = 20 * 1024 * 1024

FORMATS = {
    "rss090": "rdf",
    "rss10": "rdf",
    "rss091n": "rss",
    "rss091u": "rss",
    "rss092": "rss",
    "rss093": "rss",
    "rss094": "rss",
    "rss20": "rss",
    "rss": "rss",
    "atom01": "atom",
    "atom02": "atom",
    "atom03": "atom",
    "atom10": "atom",
    "atom": "atom",
    "cdf": "cdf",
    "json1": "json",
    "json11": "json",
}


class NotAFeed(ConnectorError):
    """The body is no feed (a web page, an error document, garbage)."""

    def __init__(self, message: str, *, feed_links: tuple[str, ...] = ()) -> None:
        super().__init__(message, permanent=True, code="not_a_feed")
        self.feed_links = feed_links


@dataclass(frozen=True)
class ParsedFeed:
    """A feed as read: its format ("rss", "rdf", "atom", "json", "cdf"), title, home
    page link, the entries as candidates (newest first as the feed ordered them),
    `ttl_seconds` from RSS <ttl> / sy:updatePeriod, and `warning` when feedparser
    recovered from a broken document (bozo) but still read entries. `screened_out`:
    the ids of entries the caller's `keep` test turned away (parse_feed): they are
    among `entries` with their id, link, title and dates, but their body is not read
    (empty)."""

    url: str
    format: str
    version: str
    title: str
    link: str
    entries: tuple[Candidate, ...]
    ttl_seconds: int | None = None
    warning: str = ""
    language: str = ""
    screened_out: frozenset[str] = frozenset()


# What a `keep` test (parse_feed) is given: an entry's title and body as written, and
# twice over with their tags removed, entities decoded (see `screen_text`).
Keep = Callable[[str], bool]

# A tag, its quoted attribute values read whole (a ">" inside one does not end it).
_TAG = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def screen_text(*raw: str) -> str:
    """A text holding every run of letters and digits that the readable text of `raw`
    (markup or plain text, as a feed gives title and body) can hold, once tidied and,
    as the listening app does again, freed of markup and entities: each value with its
    entities decoded (tags kept: an image's alt text, a "<" that is no tag), with its
    tags removed and then decoded (a word split by a tag, "Li<b>brary</b>"), and
    decoded, stripped and decoded again (markup written as entities). Cheaper than
    reading the HTML, for a test that may keep more than needed but never less."""
    parts = []
    for value in raw:
        if not value:
            continue
        decoded = html.unescape(value) if "&" in value else value
        parts.append(decoded)
        if "<" in value:
            parts.append(html.unescape(_TAG.sub("", value)))
        if "<" in decoded or "&" in decoded:
            parts.append(html.unescape(_TAG.sub("", decoded)))
    return _CONTROLS.sub("", "\n".join(parts))


def _decompress(body: bytes) -> bytes:
    if body[:2] == b"\x1f\x8b":  # gzip bytes served (or saved) without saying so
        try:
            out = zlib.decompressobj(16 + zlib.MAX_WBITS)
            data = out.decompress(body, MAX_FEED_BYTES)
            return data
        except (OSError, zlib.error, EOFError):
            try:
                return gzip.decompress(body)[:MAX_FEED_BYTES]
            except (OSError, EOFError):
                return body
    return body


_BAD_XML_CHARS = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _second_try(body: bytes, content_type: str | None) -> bytes | None:
    """The body re-encoded as UTF-8 with what breaks XML parsers removed, or None."""
    cleaned = _BAD_XML_CHARS.sub(b"", body)
    text: str | None = None
    try:
        text = cleaned.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(cleaned).best()
        text = str(best) if best is not None else None
    if text is None:
        return None
    # The declaration may name a charset the text no longer is in.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", '<?xml version="1.0" encoding="utf-8"?>', text, count=1)
    fixed = text.encode("utf-8")
    return fixed if fixed != body else None


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]


def _when(entry: Any, *names: str) -> datetime | None:
    for name in names:
        parsed = entry.get(name)
        if parsed:
            try:
                at = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (OverflowError, ValueError, TypeError, OSError):
                continue
            if at.year >= 1990 and at <= datetime.now(UTC) + timedelta(days=2):
                return at
    return None


def _text_of(detail: Any, fallback: str = "") -> str:
    if not detail:
        return html_to_text(fallback) if "<" in fallback else tidy_text(fallback)
    value = detail.get("value", "") if isinstance(detail, dict) else str(detail)
    kind = (detail.get("type") or "") if isinstance(detail, dict) else ""
    if "html" in kind or (not kind and "<" in value):
        return html_to_text(value)
    return tidy_text(value)


def _body_detail(entry: Any) -> Any:
    """The fullest text of an entry as written: the longest of its content parts and
    summary (None: it has none)."""
    options = [c for c in entry.get("content") or () if c.get("value")]
    summary = entry.get("summary_detail") or (
        {"value": entry.get("summary", ""), "type": ""} if entry.get("summary") else None
    )
    if summary is not None:
        options.append(summary)
    if not options:
        return None
    return max(options, key=lambda d: len(d.get("value") or ""))


def _body_of(entry: Any) -> str:
    """The fullest text of an entry read into plain text (only the one chosen is
    converted)."""
    detail = _body_detail(entry)
    return _text_of(detail) if detail is not None else ""


def _raw(detail: Any, fallback: str = "") -> str:
    if not detail:
        return fallback
    return str(detail.get("value", "") if isinstance(detail, dict) else detail)


def _stable_id(link: str, title: str, published: datetime | None, body: str) -> str:
    if link:
        basis = "link:" + (canonical_url(link) or link)
    elif title:
        basis = f"title:{title}|{published.isoformat() if published else ''}"
    else:
        basis = "text:" + body[:500]
    return "key:" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def _author(entry: Any) -> tuple[str, str, str]:
    detail = entry.get("author_detail") or {}
    name = tidy_text(str(detail.get("name") or entry.get("author") or ""))
    email = str(detail.get("email") or "")
    href = str(detail.get("href") or "")
    raw = tidy_text(str(entry.get("author") or ""))
    # RSS <author>jo@example.org (Jo Park)</author>: read the address from the text
    # itself (feedparser's split of this form is not dependable).
    match = _EMAIL.search(raw) if "@" in raw else None
    if match:
        email = match.group(0)
        rest = raw.replace(email, " ").strip(" ()<>\"',;")
        name = tidy_text(rest) or name
    if not _EMAIL.fullmatch(email) or len(email) > 254:
        email = ""
    if name == email or _EMAIL.fullmatch(name):
        name = name.split("@")[0] if not email else email.split("@")[0]
    return name[:200], email, href


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def entry_candidate(
    entry: Any, *, feed_url: str, feed_title: str, language: str, keep: Keep | None = None
) -> tuple[Candidate, bool]:
    """One feed entry as a candidate mention, and whether `keep` (if given) kept it:
    an entry it turns away is not read further than its id needs (its body is "")."""
    title = _text_of(entry.get("title_detail"), entry.get("title", ""))
    detail = _body_detail(entry)
    kept = keep is None or keep(
        screen_text(_raw(entry.get("title_detail"), entry.get("title", "")), _raw(detail))
    )
    body = _text_of(detail) if detail is not None and kept else ""
    link = str(entry.get("link") or "")
    guid = str(entry.get("id") or "").strip()
    if not link and guid.startswith(("http://", "https://")) and entry.get("guidislink", True):
        link = guid
    if link:
        link = urljoin(feed_url, link) if feed_url else link
    published = _when(entry, "published_parsed", "updated_parsed", "created_parsed")
    name, email, href = _author(entry)
    if not guid and not kept and not link and not title:  # the id is made from the text
        body = _text_of(detail) if detail is not None else ""
    source_id = guid[:500] if guid else _stable_id(link, title, published, body)
    if not kept:
        body = ""
    tags = [t.get("term") for t in entry.get("tags") or () if t.get("term")]
    return Candidate(
        source_id=source_id,
        url=link,
        title=title[:500],
        body=body,
        author_name=name,
        author_url=href,
        author_email=email,
        language=str(entry.get("language") or language or "")[:16],
        published_at=published,
        raw={"feed": feed_url, "feed_title": feed_title, "guid": guid, "tags": tags[:20]},
    ), kept


def _ttl_seconds(parsed: Any) -> int | None:
    feed = parsed.get("feed", {})
    try:
        ttl = int(str(feed.get("ttl", "")).strip())
        if ttl > 0:
            return ttl * 60
    except ValueError:
        pass
    period = str(feed.get("sy_updateperiod", "")).strip().lower()
    seconds = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000}
    if period in seconds:
        try:
            frequency = max(1, int(str(feed.get("sy_updatefrequency", "1")).strip()))
        except ValueError:
            frequency = 1
        return seconds[period] // frequency
    return None


# feedparser keeps the base address of every element: on each start tag it joins the
# current base with the element's xml:base, or with itself when there is none, through
# urllib's urljoin (about a fifth of feedparser's time on a feed with a base address,
# ours always have one: the feed's own URL). The join is a pure function of two
# strings, and nearly always the same two, so it is remembered (the same answers:
# test_cached_base_joins_read_every_corpus_feed_alike).
_uncached_safe_absolute_uri = feedparser.urls.make_safe_absolute_uri


@functools.lru_cache(maxsize=1024)
def _safe_absolute_uri(base: str, rel: str | None = None) -> str:
    return str(_uncached_safe_absolute_uri(base, rel))


def _remembered_safe_absolute_uri(base: Any, rel: Any = None) -> Any:
    if isinstance(base, str) and (rel is None or isinstance(rel, str)):
        return _safe_absolute_uri(base, rel)
    return _uncached_safe_absolute_uri(base, rel)


feedparser.mixin.make_safe_absolute_uri = _remembered_safe_absolute_uri


def _feedparser(body: bytes, url: str, content_type: str | None) -> Any:
    headers = {"content-location": url} if url else {}
    if content_type:
        headers["content-type"] = content_type
    # Entry HTML becomes plain text by our own reader (html_to_text drops scripts,
    # styles and frames, and keeps no markup at all), so feedparser's HTML sanitiser
    # and its rewriting of relative links inside content would be work thrown away.
    return feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )


def parse_feed(
    body: bytes, *, url: str = "", content_type: str | None = None, keep: Keep | None = None
) -> ParsedFeed:
    """Read a feed body. Raises NotAFeed (a permanent ConnectorError) with a clear
    message for anything that is not a feed; never lets a parser error escape.

    `keep`, when given, sees each entry's `screen_text` first; an entry it says no to
    is listed in `screened_out` and its body is not read (a poller that only wants
    entries naming something spares the HTML reading of all the others)."""
    if not body or not body.strip():
        raise NotAFeed("The response was empty: no feed there.")
    body = _decompress(body[:MAX_FEED_BYTES])
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return parse_json_feed(body, url=url)
    try:
        parsed = _feedparser(body, url, content_type)
        if not parsed.get("entries"):
            retry = _second_try(body, content_type)
            if retry is not None:
                again = _feedparser(retry, url, None)
                if again.get("entries") or (again.get("version") and not parsed.get("version")):
                    parsed = again
    except Exception as error:  # feedparser is meant not to raise; be sure
        raise NotAFeed(f"The feed could not be read ({type(error).__name__}: {error}).") from None
    entries = parsed.get("entries") or []
    version = str(parsed.get("version") or "")
    if not entries and not version:
        if _looks_like_html(body):
            from frontdesk.connectors.rss.discover import discover_feeds

            page = body[:2_000_000].decode("utf-8", "replace")
            links = tuple(discover_feeds(page, base_url=url))
            hint = f" It links to a feed: {links[0]}" if links else " It links to no feed."
            raise NotAFeed("This is a web page (HTML), not a feed." + hint, feed_links=links)
        reason = parsed.get("bozo_exception")
        detail = f" ({_reason(reason)})" if reason else ""
        raise NotAFeed(f"This is not an RSS, Atom or JSON feed{detail}.")
    feed = parsed.get("feed", {})
    title = _text_of(feed.get("title_detail"), feed.get("title", ""))
    language = str(feed.get("language") or "")
    candidates = []
    screened_out = set()
    for entry in entries:
        try:
            candidate, kept = entry_candidate(
                entry, feed_url=url, feed_title=title, language=language, keep=keep
            )
        except (ValueError, TypeError, AttributeError):
            continue  # one broken entry does not lose the others
        candidates.append(candidate)
        if not kept:
            screened_out.add(candidate.source_id)
    warning = ""
    if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        warning = f"Recovered from a malformed feed: {_reason(parsed['bozo_exception'])}"
    link = str(feed.get("link") or "")
    return ParsedFeed(
        url=url,
        format=FORMATS.get(version, "rss" if version.startswith("rss") else version or "unknown"),
        version=version,
        title=title[:500],
        link=urljoin(url, link) if url and link else link,
        entries=tuple(candidates),
        ttl_seconds=_ttl_seconds(parsed),
        warning=warning[:500],
        language=language[:16],
        screened_out=frozenset(screened_out),
    )


def _json_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


def _json_author(item: dict[str, Any], feed: dict[str, Any]) -> dict[str, Any]:
    for holder in (item, feed):
        authors = holder.get("authors")
        if isinstance(authors, list) and authors and isinstance(authors[0], dict):
            return authors[0]
        if isinstance(holder.get("author"), dict):
            return dict(holder["author"])
    return {}


def parse_json_feed(body: bytes, *, url: str = "") -> ParsedFeed:
    """A JSON Feed (1.0 / 1.1, https://jsonfeed.org/version/1.1) into a ParsedFeed."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise NotAFeed(
            f"This is not a JSON feed: the JSON is invalid ({_reason(error)})."
        ) from None
    version = str(data.get("version") or "") if isinstance(data, dict) else ""
    if not isinstance(data, dict) or "jsonfeed.org/version/" not in version:
        raise NotAFeed("This is JSON but not a JSON Feed (no jsonfeed.org version).")
    items = data.get("items")
    if not isinstance(items, list):
        raise NotAFeed("This JSON Feed has no list of items.")
    title = tidy_text(str(data.get("title") or ""))
    language = str(data.get("language") or "")[:16]
    home = str(data.get("home_page_url") or "")
    candidates = []
    for item in items:
        if not isinstance(item, dict):
            continue
        link = str(item.get("url") or item.get("external_url") or "")
        if link and url:
            link = urljoin(url, link)
        item_title = tidy_text(str(item.get("title") or ""))
        html = item.get("content_html")
        body_text = (
            html_to_text(html)
            if isinstance(html, str) and html
            else tidy_text(str(item.get("content_text") or item.get("summary") or ""))
        )
        published = _json_time(item.get("date_published")) or _json_time(item.get("date_modified"))
        item_id = str(item.get("id") or "").strip()
        author = _json_author(item, data)
        tags = [str(t) for t in item.get("tags") or () if isinstance(t, str)]
        try:
            candidates.append(
                Candidate(
                    source_id=item_id[:500] or _stable_id(link, item_title, published, body_text),
                    url=link,
                    title=item_title[:500],
                    body=body_text,
                    author_name=tidy_text(str(author.get("name") or ""))[:200],
                    author_url=str(author.get("url") or ""),
                    language=str(item.get("language") or language)[:16],
                    published_at=published,
                    raw={"feed": url, "feed_title": title, "guid": item_id, "tags": tags[:20]},
                )
            )
        except (ValueError, TypeError):
            continue
    return ParsedFeed(
        url=url,
        format="json",
        version="json" + version.rsplit("/", 1)[-1].replace(".", ""),
        title=title[:500],
        link=urljoin(url, home) if url and home else home,
        entries=tuple(candidates),
        language=language,
    )


def _reason(error: object) -> str:
    text = str(error).strip() or type(error).__name__
    text = text.splitlines()[0]
    # expat says "<unknown>:2:0: syntax error": say where in words.
    where = re.match(r"<unknown>:(\d+):(\d+): (.*)", text)
    if where:
        line, column, what = where.groups()
        text = f"{what} at line {line}, column {int(column) + 1}"
    return text[:200]
