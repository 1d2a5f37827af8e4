"""Polling feeds from a loopback HTTP server speaking real HTTP: conditional GET,
gzip and brotli, redirects, Retry-After, timeouts, robots signals, autodiscovery."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime, timedelta

import brotli
import pytest

from frontdesk import __version__
from frontdesk.connectors import http
from frontdesk.connectors.base import ConnectorError
from frontdesk.connectors.listening_http import request_json
from frontdesk.connectors.rss.adapter import FeedAccount, FeedConnector, next_poll_hint
from frontdesk.connectors.tests.loopback import Seen, fixture, serve

RSS = fixture("rss2.xml")
ETAG = '"v1"'
MODIFIED = "Wed, 25 Nov 2026 10:00:00 GMT"


def conditional(body: bytes, **extra: str):
    def route(seen: Seen):
        if seen.headers.get("if-none-match") == ETAG:
            return 304, {"ETag": ETAG, **extra}, b""
        headers = {"Content-Type": "application/rss+xml", "ETag": ETAG, "Last-Modified": MODIFIED}
        return 200, {**headers, **extra}, body

    return route


def poll(url: str, cursor=None, **account):
    return FeedConnector().poll(FeedAccount(url=url, **account), cursor or {})


def test_conditional_get_returns_new_entries_once_then_304(settings):
    settings.PUBLIC_BASE_URL = "https://frontdesk.riverside.example"
    with serve({"/feed.xml": conditional(RSS)}) as peer:
        first = poll(peer.url + "/feed.xml", contact="web@riverside.example")
        assert [c.source_id for c in first.candidates] == [
            "maple-2026-11-self-checkout",
            first.candidates[1].source_id,
        ]
        assert first.cursor["etag"] == ETAG and first.cursor["last_modified"] == MODIFIED
        assert not first.not_modified
        second = poll(peer.url + "/feed.xml", first.cursor, contact="web@riverside.example")
        assert second.not_modified and second.candidates == ()
        request = peer.requests_to("/feed.xml")[-1]
        assert request.headers["if-none-match"] == ETAG
        assert request.headers["if-modified-since"] == MODIFIED
        agent = request.headers["user-agent"]
        assert agent.startswith(f"Frontdesk/{__version__} (listening crawler")
        assert "https://frontdesk.riverside.example" in agent and "web@riverside.example" in agent
        assert "br" in request.headers["accept-encoding"]


def test_304s_and_errors_leave_the_connection_open_for_the_next_poll():
    """A host serving many feeds answers them over one kept-alive connection: the
    bodies of 304s, redirects and errors are read, not left to close it."""
    with serve(
        {
            "/feed.xml": conditional(RSS),
            "/gone.xml": lambda seen: (410, {"Content-Type": "text/plain"}, b"gone for good"),
            "/moved.xml": lambda seen: (302, {"Location": "/feed.xml"}, b"see /feed.xml"),
        }
    ) as peer:
        url = peer.url + "/feed.xml"
        cursor = poll(url, check_robots=False).cursor
        for _ in range(3):
            assert poll(url, cursor, check_robots=False).not_modified
        with pytest.raises(ConnectorError):
            poll(peer.url + "/gone.xml", check_robots=False)
        assert poll(peer.url + "/moved.xml", cursor, check_robots=False).not_modified
        assert len(peer.seen) == 7
        assert peer.connections == 1


def test_each_lane_keeps_its_own_connection_to_a_host():
    """Polls in one lane of the host gate reuse that lane's connection; another lane
    has a pool (and a connection) of its own, so a pool holds few connections."""
    with serve({"/feed.xml": conditional(RSS)}) as peer:
        url = peer.url + "/feed.xml"
        cursor = poll(url, check_robots=False, lane=0).cursor
        assert poll(url, cursor, check_robots=False, lane=0).not_modified
        assert peer.connections == 1
        for _ in range(2):
            assert poll(url, cursor, check_robots=False, lane=1).not_modified
        assert poll(url, cursor, check_robots=False, lane=0).not_modified
        assert len(peer.seen) == 5
        assert peer.connections == 2


def test_feeds_are_fetched_through_the_proxy_the_environment_names(monkeypatch):
    """HTTP_PROXY (as httpx reads it) is honoured: the request goes to the proxy, for
    the feed's own address."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with serve({"/feed.xml": conditional(RSS)}) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        # A timeout no other test uses: a client of its own, made with this environment.
        found = poll("http://feeds.invalid/feed.xml", check_robots=False, timeout_seconds=17.25)
        assert len(found.candidates) == 2
        assert [seen.headers["host"] for seen in proxy.seen] == ["feeds.invalid"]


def test_the_crawler_keeps_no_cookie_from_one_feed_to_the_next():
    def with_cookie(seen):
        return 200, {"Content-Type": "application/rss+xml", "Set-Cookie": "visitor=1; Path=/"}, RSS

    with serve({"/a.xml": with_cookie, "/b.xml": conditional(RSS)}) as peer:
        poll(peer.url + "/a.xml", check_robots=False)
        poll(peer.url + "/b.xml", check_robots=False)
        poll(peer.url + "/a.xml", check_robots=False)
        assert len(peer.seen) == 3
        assert all("cookie" not in seen.headers for seen in peer.seen)


def test_only_unseen_entries_come_back_and_an_edit_does_not_re_alert():
    feed = {"body": RSS}
    with serve({"/f": lambda s: (200, {"Content-Type": "text/xml"}, feed["body"])}) as peer:
        first = poll(peer.url + "/f")
        assert len(first.candidates) == 2
        # The cursor remembers ids as short hashes, not the (possibly long) ids themselves.
        assert [len(k) for k in first.cursor["seen"]] == [16, 16]
        feed["body"] = RSS.replace(b"Short version: it is slow.", b"Edited: it is slow.")
        assert poll(peer.url + "/f", first.cursor).candidates == ()
        feed["body"] = RSS.replace(
            b"<item>",
            b'<item><title>Brand new</title><guid isPermaLink="false">new-1</guid></item><item>',
            1,
        )
        third = poll(peer.url + "/f", first.cursor)
        assert [c.source_id for c in third.candidates] == ["new-1"]
        # A feed that repeats a GUID gives its entry once.
        twice = b'<item><title>Twice</title><guid isPermaLink="false">dup</guid></item>'
        feed["body"] = RSS.replace(b"<item>", twice + twice + b"<item>", 1)
        fourth = poll(peer.url + "/f", third.cursor)
        assert [c.source_id for c in fourth.candidates] == ["dup"]


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_compressed_responses_are_read(encoding):
    packed = gzip.compress(RSS) if encoding == "gzip" else brotli.compress(RSS)
    with serve(
        {
            "/z": lambda s: (
                200,
                {"Content-Type": "application/rss+xml", "Content-Encoding": encoding},
                packed,
            )
        }
    ) as peer:
        assert len(poll(peer.url + "/z").candidates) == 2


def test_a_permanent_redirect_is_reported_and_a_temporary_one_is_not():
    with serve(
        {
            "/old": lambda s: (301, {"Location": "/new"}, b""),
            "/hop": lambda s: (302, {"Location": "/new"}, b""),
            "/new": conditional(RSS),
            "/loop": lambda s: (308, {"Location": "/loop"}, b""),
        }
    ) as peer:
        moved = poll(peer.url + "/old")
        assert moved.moved_to == peer.url + "/new" == moved.cursor["moved_to"]
        assert len(moved.candidates) == 2
        hop = poll(peer.url + "/hop")
        assert hop.moved_to is None and "moved_to" not in hop.cursor
        with pytest.raises(ConnectorError) as caught:
            poll(peer.url + "/loop")
        assert caught.value.permanent and "redirected more than" in caught.value.message


def test_503_with_retry_after_is_temporary_and_says_how_long():
    busy = {"/busy": lambda s: (503, {"Retry-After": "120"}, b"busy")}
    with serve(busy) as peer, pytest.raises(ConnectorError) as caught:
        poll(peer.url + "/busy")
    error = caught.value
    assert not error.permanent and error.retry_after == 120 and error.code == "503"
    assert "failed on its side" in error.message


@pytest.mark.parametrize("status, words", [(404, "was not found"), (410, "is gone for good")])
def test_missing_feeds_are_permanent_failures(status, words):
    routes = {"/x": lambda s: (status, {}, b"")}
    with serve(routes) as peer, pytest.raises(ConnectorError) as caught:
        poll(peer.url + "/gone" if status == 404 else peer.url + "/x")
    assert caught.value.permanent and words in caught.value.message


def test_a_slow_server_times_out_as_a_temporary_failure():
    def slow(seen: Seen):
        time.sleep(2)
        return 200, {"Content-Type": "application/rss+xml"}, RSS

    with serve({"/slow": slow}) as peer, pytest.raises(ConnectorError) as caught:
        poll(peer.url + "/slow", timeout_seconds=0.5)
    assert not caught.value.permanent and caught.value.code == "timeout"
    assert "did not answer in time" in caught.value.message


@pytest.mark.parametrize("status", [404, 410, 429, 500, 503, "timeout"])
def test_a_feed_fails_in_the_same_words_as_the_search_sources(status):
    """One mapping for every listening source: the feed poller and the JSON sources'
    client turn the same answer into the same error (message, permanence, wait)."""

    def answer(seen: Seen):
        if status == "timeout":
            time.sleep(2)
            return 200, {}, b"{}"
        return status, {"Retry-After": "90"}, b""

    with serve({"/x": answer}) as peer:
        url = peer.url + "/x"
        with pytest.raises(ConnectorError) as feed:
            poll(url, timeout_seconds=0.5)
        with (
            http.client("source", base_url=peer.url, timeout=0.5) as client,
            pytest.raises(ConnectorError) as source,
        ):
            request_json(client, "GET", "/x", network=url)
    assert feed.value.message == source.value.message
    assert (feed.value.permanent, feed.value.code, feed.value.retry_after) == (
        source.value.permanent,
        source.value.code,
        source.value.retry_after,
    )
    assert feed.value.permanent == (status in (404, 410))


def test_a_page_url_is_read_through_its_announced_feed_and_reported_as_moved():
    page = fixture("page.html").replace(b"/blog/feed.xml", b"/feed.xml")
    with serve(
        {
            "/blog/": lambda s: (200, {"Content-Type": "text/html"}, page),
            "/feed.xml": conditional(RSS),
        }
    ) as peer:
        result = poll(peer.url + "/blog/")
    assert len(result.candidates) == 2
    assert result.moved_to == peer.url + "/feed.xml"


def test_robots_txt_and_noindex_signals_are_honoured():
    robots = b"User-agent: Frontdesk\nDisallow: /private/\n"
    with serve(
        {
            "/robots.txt": lambda s: (200, {"Content-Type": "text/plain"}, robots),
            "/private/feed.xml": conditional(RSS),
            "/public/feed.xml": conditional(RSS),
            "/tagged.xml": lambda s: (200, {"X-Robots-Tag": "noindex, nofollow"}, RSS),
            "/noai.xml": lambda s: (200, {"X-Robots-Tag": "frontdesk: noai"}, RSS),
            "/other-bot.xml": lambda s: (200, {"X-Robots-Tag": "googlebot: noindex"}, RSS),
        }
    ) as peer:
        with pytest.raises(ConnectorError) as caught:
            poll(peer.url + "/private/feed.xml")
        assert caught.value.permanent and caught.value.code == "robots"
        assert "robots.txt" in caught.value.message
        assert not peer.requests_to("/private/feed.xml")  # never fetched
        ok = poll(peer.url + "/public/feed.xml")
        assert len(ok.candidates) == 2 and ok.cursor["robots_checked"]
        # robots.txt is checked once a day, not on every poll.
        before = len(peer.requests_to("/robots.txt"))
        poll(peer.url + "/public/feed.xml", ok.cursor)
        assert len(peer.requests_to("/robots.txt")) == before
        for path, word in (("/tagged.xml", "noindex"), ("/noai.xml", "noai")):
            with pytest.raises(ConnectorError) as caught:
                poll(peer.url + path)
            assert caught.value.code == "robots" and word in caught.value.message
        assert len(poll(peer.url + "/other-bot.xml").candidates) == 2


def test_a_page_with_noindex_meta_is_not_followed_to_its_feed():
    page = (
        fixture("page.html")
        .replace(b"<head>", b'<head><meta name="robots" content="noindex">')
        .replace(b"/blog/feed.xml", b"/feed.xml")
    )
    with serve(
        {"/p": lambda s: (200, {"Content-Type": "text/html"}, page), "/feed.xml": conditional(RSS)}
    ) as peer:
        with pytest.raises(ConnectorError) as caught:
            poll(peer.url + "/p")
        assert caught.value.code == "robots" and not peer.requests_to("/feed.xml")


def test_the_next_poll_hint_follows_the_feeds_signals():
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert next_poll_hint(headers={}, now=now) == 900  # the 15-minute floor
    assert next_poll_hint(headers={"cache-control": "public, max-age=60"}, now=now) == 900
    assert next_poll_hint(headers={"cache-control": "max-age=3600", "age": "600"}, now=now) == 3000
    expires = "Thu, 26 Nov 2026 14:00:00 GMT"
    assert next_poll_hint(headers={"expires": expires}, now=now) == 7200
    assert next_poll_hint(headers={"retry-after": "5400"}, now=now) == 5400
    assert next_poll_hint(headers={}, ttl_seconds=3600, now=now) == 3600
    assert next_poll_hint(headers={"cache-control": "max-age=999999"}, now=now) == 86400
    assert next_poll_hint(headers={}, minimum=60, now=now) == 60


def test_a_feed_that_changes_rarely_is_polled_less_often():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    items = "".join(
        f"<item><guid>g{i}</guid><title>t{i}</title><pubDate>"
        f"{start - timedelta(days=2 * i):%a, %d %b %Y %H:%M:%S} GMT</pubDate></item>"
        for i in range(6)
    )
    body = f'<rss version="2.0"><channel><title>slow</title>{items}</channel></rss>'.encode()
    with serve({"/s": lambda s: (200, {"Content-Type": "application/rss+xml"}, body)}) as peer:
        result = poll(peer.url + "/s")
    # Entries two days apart: half the gap, capped at six hours.
    assert result.next_poll_after == 6 * 3600 == result.cursor["poll_after_seconds"]


def test_a_body_that_is_no_feed_is_a_permanent_error_saying_so():
    with (
        serve(
            {"/n": lambda s: (200, {"Content-Type": "text/plain"}, b"hello, not a feed")}
        ) as peer,
        pytest.raises(ConnectorError) as caught,
    ):
        poll(peer.url + "/n")
    assert caught.value.permanent and caught.value.code == "not_a_feed"
