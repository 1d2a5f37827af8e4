"""Mastodon, Bluesky, Reddit and Hacker News adapters against loopback stand-ins
answering in each provider's documented JSON (fixtures/listening/)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from frontdesk.connectors.base import ConnectorError
from frontdesk.connectors.bluesky.adapter import BlueskyAccount, BlueskyConnector
from frontdesk.connectors.hackernews.adapter import HackerNewsAccount, HackerNewsConnector
from frontdesk.connectors.mastodon.adapter import MastodonAccount, MastodonConnector
from frontdesk.connectors.reddit import adapter as reddit
from frontdesk.connectors.reddit.adapter import RedditAccount, RedditConnector
from frontdesk.connectors.tests.loopback import fixture, serve

JSON = {"Content-Type": "application/json; charset=utf-8"}


def ok(name: str):
    return lambda seen: (200, JSON, fixture(name))


# ---- Mastodon --------------------------------------------------------------------


def test_mastodon_hashtag_timeline_skips_boosts_and_opted_out_authors():
    with serve({"/api/v1/timelines/tag/riversidelibrary": ok("mastodon_tag.json")}) as peer:
        account = MastodonAccount(url=peer.url, query="#riversidelibrary")
        result = MastodonConnector().poll(account, {})
        (kai,) = result.candidates
        assert kai.source_id == "113554410122334456"
        assert kai.url == "https://social.example/@kai/113554410122334456"
        assert kai.body == (
            "The #RiversideLibrary makerspace is closed again & nobody says why.\n\nThird week now."
        )
        assert (kai.author_name, kai.author_handle) == ("Kai Moreno", "@kai")
        assert kai.reach == {"followers": 812, "reblogs": 5, "favourites": 11, "replies": 2}
        assert kai.published_at == datetime(2026, 11, 25, 14, 2, 11, tzinfo=UTC)
        assert result.cursor["since_id"] == "113554410122334456"
        MastodonConnector().poll(account, result.cursor)
        assert peer.seen[-1].query["since_id"] == ["113554410122334456"]
        assert "authorization" not in peer.seen[-1].headers  # public timeline, no token


def test_mastodon_search_keeps_only_indexable_authors_and_sends_the_token():
    with serve({"/api/v2/search": ok("mastodon_search.json")}) as peer:
        account = MastodonAccount(url=peer.url, query="Riverside Library", access_token="tok")
        result = MastodonConnector().poll(account, {})
        assert [c.author_handle for c in result.candidates] == ["@mia"]
        assert (
            result.candidates[0].body
            == "[library rant]\nRiverside Library late fees are back?\nReally?"
        )
        request = peer.seen[-1]
        assert request.headers["authorization"] == "Bearer tok"
        assert request.query["type"] == ["statuses"] and request.query["q"] == ["Riverside Library"]
        # The not-indexable post is newer: it is not fetched again either.
        assert result.cursor["since_id"] == "113560000000000030"


def test_mastodon_search_without_a_token_says_it_needs_one():
    with pytest.raises(ConnectorError) as caught:
        MastodonConnector().poll(MastodonAccount(url="http://127.0.0.1:9", query="two words"), {})
    assert caught.value.permanent and "needs the account's access token" in caught.value.message


def test_mastodon_refusing_the_token_is_permanent():
    refuse = {"/api/v2/search": lambda s: (401, JSON, b'{"error":"The access token is invalid"}')}
    with serve(refuse) as peer, pytest.raises(ConnectorError) as caught:
        MastodonConnector().poll(MastodonAccount(url=peer.url, query="a b", access_token="x"), {})
    assert caught.value.permanent and "The access token is invalid" in caught.value.message


# ---- Bluesky ---------------------------------------------------------------------


def test_bluesky_search_logs_in_with_the_app_password_and_skips_opted_out_authors():
    with serve(
        {
            "/xrpc/com.atproto.server.createSession": ok("bluesky_session.json"),
            "/xrpc/app.bsky.feed.searchPosts": ok("bluesky_search.json"),
        }
    ) as peer:
        account = BlueskyAccount(
            url=peer.url,
            query="Riverside Library",
            handle="riverside-library.bsky.social",
            app_password="abcd-efgh-ijkl-mnop",
        )
        result = BlueskyConnector().poll(account, {})
        login, search = peer.seen[0], peer.seen[1]
        assert json.loads(login.body) == {
            "identifier": "riverside-library.bsky.social",
            "password": "abcd-efgh-ijkl-mnop",
        }
        token = json.loads(fixture("bluesky_session.json"))["accessJwt"]
        assert search.headers["authorization"] == f"Bearer {token}"
        assert search.query["q"] == ["Riverside Library"] and search.query["sort"] == ["latest"]
        (dana,) = result.candidates
        assert dana.url == "https://bsky.app/profile/dana.bsky.social/post/3lbwq2zkxyz2a"
        assert dana.author_handle == "@dana.bsky.social" and dana.language == "en"
        assert dana.reach == {"likes": 9, "reposts": 1, "replies": 3, "quotes": 0}
        assert result.cursor["since"] == "2026-11-26T10:15:00Z"
        again = BlueskyConnector().poll(account, result.cursor)
        assert peer.seen[-1].query["since"] == ["2026-11-26T10:15:00Z"]
        assert again.candidates == ()  # the post at the edge is not returned twice


def test_bluesky_without_credentials_or_with_an_expired_token_fails_clearly():
    with pytest.raises(ConnectorError) as caught:
        BlueskyConnector().poll(BlueskyAccount(url="http://127.0.0.1:9", query="x"), {})
    assert caught.value.permanent and "app password" in caught.value.message
    expired = b'{"error":"ExpiredToken","message":"Token has expired"}'
    routes = {"/xrpc/app.bsky.feed.searchPosts": lambda s: (400, JSON, expired)}
    with serve(routes) as peer, pytest.raises(ConnectorError) as caught:
        BlueskyConnector().poll(BlueskyAccount(url=peer.url, query="x", access_token="old"), {})
    assert "Token has expired" in caught.value.message


# ---- Reddit ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_reddit_state(monkeypatch):
    monkeypatch.setattr(reddit, "BUDGET", reddit.QueryBudget())
    monkeypatch.setattr(reddit, "_TOKENS", {})


def reddit_routes(search=None):
    return {
        "/api/v1/access_token": ok("reddit_token.json"),
        "/search.json": search or ok("reddit_search.json"),
    }


def test_reddit_gets_an_app_token_then_searches_new_posts_and_flags_removals():
    with serve(reddit_routes()) as peer:
        account = RedditAccount(
            url=peer.url, query="Riverside Library", client_id="cid", client_secret="sec"
        )
        result = RedditConnector().poll(account, {})
        token_request, search = peer.seen[0], peer.seen[1]
        assert (
            token_request.method == "POST"
            and token_request.body == b"grant_type=client_credentials"
        )
        assert (
            token_request.headers["authorization"]
            == "Basic " + base64.b64encode(b"cid:sec").decode()
        )
        assert search.headers["authorization"].startswith("Bearer eyJ")
        assert search.headers["user-agent"].startswith("server:frontdesk-listening:")
        assert search.query["sort"] == ["new"] and search.query["raw_json"] == ["1"]
        holds, removed = result.candidates
        assert holds.source_id == "t3_1h0abce" and not holds.removed
        assert holds.url.startswith("https://www.reddit.com/r/Riverside/comments/1h0abce/")
        assert holds.reach == {"points": 42, "comments": 17, "subscribers": 25310}
        assert (holds.author_handle, holds.author_url) == (
            "u/bookworm_77",
            "https://www.reddit.com/user/bookworm_77",
        )
        assert removed.removed and removed.body == "" and removed.author_handle == ""
        # The token is reused; only the search is sent again.
        again = RedditConnector().poll(account, result.cursor)
        assert len(peer.requests_to("/api/v1/access_token")) == 1
        assert [c.source_id for c in again.candidates] == ["t3_1h0abcd"]  # removal repeated


def test_reddit_stays_under_100_queries_a_minute_and_obeys_its_rate_headers():
    budget = reddit.QueryBudget(limit=100, window=60)
    assert all(budget.take("app", now=1000.0 + i * 0.1) == 0 for i in range(100))
    assert budget.take("app", now=1010.0) == pytest.approx(50.0)
    assert budget.take("other-app", now=1010.0) == 0
    assert budget.take("app", now=1060.5) == 0

    limited = {**JSON, "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "42"}
    routes = reddit_routes(lambda s: (200, limited, fixture("reddit_search.json")))
    with serve(routes) as peer:
        account = RedditAccount(url=peer.url, query="x", client_id="cid", client_secret="sec")
        RedditConnector().poll(account, {})
        with pytest.raises(ConnectorError) as caught:
            RedditConnector().poll(account, {})
        assert not caught.value.permanent and caught.value.code == "rate_limited"
        assert 0 < (caught.value.retry_after or 0) <= 42
        assert len(peer.requests_to("/search.json")) == 1  # the second never left


def test_reddit_asks_which_earlier_posts_were_removed():
    info = {
        "kind": "Listing",
        "data": {
            "children": [
                {"kind": "t3", "data": {"name": "t3_a", "selftext": "still here", "author": "x"}},
                {"kind": "t3", "data": {"name": "t3_b", "removed_by_category": "moderator"}},
            ]
        },
    }
    routes = {
        "/api/v1/access_token": ok("reddit_token.json"),
        "/api/info.json": lambda s: (200, JSON, json.dumps(info).encode()),
    }
    with serve(routes) as peer:
        account = RedditAccount(url=peer.url, query="x", client_id="cid", client_secret="sec")
        gone = RedditConnector().removed_ids(account, ["t3_a", "t3_b", "t3_c"])
        assert gone == {"t3_b", "t3_c"}
        assert peer.requests_to("/api/info.json")[0].query["id"] == ["t3_a,t3_b,t3_c"]


def test_reddit_with_a_bad_app_secret_is_permanent():
    refuse = {
        "/api/v1/access_token": lambda s: (401, JSON, b'{"message": "Unauthorized", "error": 401}')
    }
    with serve(refuse) as peer, pytest.raises(ConnectorError) as caught:
        RedditConnector().poll(
            RedditAccount(url=peer.url, query="x", client_id="c", client_secret="bad"), {}
        )
    assert caught.value.permanent and "Reddit refused our credentials" in caught.value.message


# ---- Hacker News -----------------------------------------------------------------


def test_hacker_news_reads_stories_and_comments_newer_than_the_cursor():
    with serve({"/api/v1/search_by_date": ok("hn_search.json")}) as peer:
        account = HackerNewsAccount(url=peer.url, query="riverside library")
        result = HackerNewsConnector().poll(account, {})
        comment, story = result.candidates
        assert comment.url == "https://news.ycombinator.com/item?id=42000222"
        assert comment.title == "Comment on: Open-source library catalogs in 2026"
        assert comment.body == (
            "My local library (Riverside) switched to this ILS and the search now returns "
            "nothing for author names with accents. example\n\nFiled a bug."
        )
        assert comment.author_url == "https://news.ycombinator.com/user?id=pgreer"
        assert story.reach == {"points": 128, "comments": 64} and comment.reach == {}
        assert result.cursor == {"since": 1764158465, "edge": ["42000222"]}
        again = HackerNewsConnector().poll(account, result.cursor)
        request = peer.seen[-1]
        assert request.query["numericFilters"] == ["created_at_i>=1764158465"]
        assert request.query["tags"] == ["(story,comment)"]
        assert again.candidates == ()


def test_hacker_news_server_errors_and_non_json_are_temporary():
    routes = {
        "/api/v1/search_by_date": lambda s: (
            502,
            {"Content-Type": "text/html"},
            b"<h1>Bad gateway</h1>",
        )
    }
    with serve(routes) as peer, pytest.raises(ConnectorError) as caught:
        HackerNewsConnector().poll(HackerNewsAccount(url=peer.url, query="x"), {})
    assert not caught.value.permanent and caught.value.code == "502"
    html = {"/api/v1/search_by_date": lambda s: (200, {"Content-Type": "text/html"}, b"<html>")}
    with serve(html) as peer, pytest.raises(ConnectorError) as caught:
        HackerNewsConnector().poll(HackerNewsAccount(url=peer.url, query="x"), {})
    assert not caught.value.permanent and "not JSON" in caught.value.message


def test_the_connector_base_url_override_aims_a_source_at_a_stand_in(settings):
    with serve({"/api/v1/search_by_date": ok("hn_search.json")}) as peer:
        settings.CONNECTOR_BASE_URLS = {"hackernews": peer.url}
        result = HackerNewsConnector().poll(HackerNewsAccount(query="riverside"), {})
    assert len(result.candidates) == 2
