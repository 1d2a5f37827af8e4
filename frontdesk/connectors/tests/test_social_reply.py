"""Replying from a person's own Mastodon or Bluesky account, against loopback
stand-ins answering in each network's documented JSON (fixtures/listening/): the
exact requests (auth, the post replied to, the text) and each refusal in words."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from frontdesk.connectors.base import ConnectorError
from frontdesk.connectors.bluesky import reply as bluesky
from frontdesk.connectors.mastodon import reply as mastodon
from frontdesk.connectors.tests.loopback import fixture, serve

JSON = {"Content-Type": "application/json; charset=utf-8"}
POST_URL = "https://social.example/@kai/113554410122334456"
DANA = "at://did:plc:abcd1234efgh5678ijkl9012/app.bsky.feed.post/3lbwq2zkxyz2a"


def ok(name: str):
    return lambda seen: (200, JSON, fixture(name))


def mastodon_routes(**overrides):
    return {
        "/api/v1/accounts/verify_credentials": ok("mastodon_verify_credentials.json"),
        "/api/v2/search": ok("mastodon_resolve.json"),
        "/api/v1/statuses": ok("mastodon_status_created.json"),
        **overrides,
    }


def test_mastodon_reply_finds_the_post_on_my_server_and_replies_to_it_privately():
    with serve(mastodon_routes()) as peer:
        poster = mastodon.MastodonPoster(peer.url, "my-token")
        posted = mastodon.post_reply(
            poster,
            status_url=POST_URL,
            text="Hi Kai — I'm Maya from Riverside Public Library.",
            visibility="direct",
            idempotency_key="k1",
        )
        search, create = peer.seen
    # The post is looked up on the member's own server by its address (ids are per server).
    assert (search.method, search.path) == ("GET", "/api/v2/search")
    assert search.query["q"] == [POST_URL] and search.query["resolve"] == ["true"]
    assert search.headers["authorization"] == "Bearer my-token"
    assert (create.method, create.path) == ("POST", "/api/v1/statuses")
    assert create.headers["authorization"] == "Bearer my-token"
    assert create.headers["idempotency-key"] == "k1"
    assert json.loads(create.body) == {
        # The author's handle first, so they are notified (and can see a direct reply).
        "status": "@kai@social.example Hi Kai — I'm Maya from Riverside Public Library.",
        "in_reply_to_id": "113554999000000777",  # the id on the member's server
        "visibility": "direct",
    }
    assert posted.url == "https://toot.riverside.example/@maya/113560123000000001"


def test_mastodon_verify_names_the_account_and_a_refused_token_says_what_to_do():
    with serve(mastodon_routes()) as peer:
        assert mastodon.verify(mastodon.MastodonPoster(peer.url, "t")) == "@maya@127.0.0.1"
    refuse = {"/api/v2/search": lambda s: (401, JSON, b'{"error":"The access token is invalid"}')}
    with serve(refuse) as peer, pytest.raises(ConnectorError) as caught:
        mastodon.post_reply(
            mastodon.MastodonPoster(peer.url, "old"),
            status_url=POST_URL,
            text="Hi",
            visibility="direct",
            idempotency_key="k",
        )
    assert caught.value.permanent
    assert "The access token is invalid" in caught.value.message
    assert "connect your Mastodon account again" in caught.value.message


def test_mastodon_422_and_rate_limit_come_back_in_the_networks_words():
    too_long = b'{"error":"Validation failed: Text character limit of 500 exceeded"}'
    routes = mastodon_routes(**{"/api/v1/statuses": lambda s: (422, JSON, too_long)})
    with serve(routes) as peer, pytest.raises(ConnectorError) as caught:
        mastodon.post_reply(
            mastodon.MastodonPoster(peer.url, "t"),
            status_url=POST_URL,
            text="x" * 600,
            visibility="public",
            idempotency_key="k",
        )
    assert caught.value.message == (
        "Mastodon did not accept the reply: Validation failed: Text character limit of 500 "
        "exceeded."
    )
    reset = (datetime.now(UTC) + timedelta(minutes=20)).isoformat().replace("+00:00", "Z")
    limited = {**JSON, "X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0"}
    limited["X-RateLimit-Reset"] = reset
    body = b'{"error":"Too many requests"}'
    routes = mastodon_routes(**{"/api/v1/statuses": lambda s: (429, limited, body)})
    with serve(routes) as peer, pytest.raises(ConnectorError) as caught:
        mastodon.post_reply(
            mastodon.MastodonPoster(peer.url, "t"),
            status_url=POST_URL,
            text="Hi",
            visibility="unlisted",
            idempotency_key="k",
        )
    assert not caught.value.permanent and caught.value.code == "rate_limited"
    assert "posting too fast: try again in about 20 minutes" in caught.value.message


def test_mastodon_post_gone_from_the_network_is_said_plainly():
    empty = {
        "/api/v2/search": lambda s: (200, JSON, b'{"accounts":[],"statuses":[],"hashtags":[]}')
    }
    with serve(empty) as peer:
        with pytest.raises(ConnectorError) as caught:
            mastodon.post_reply(
                mastodon.MastodonPoster(peer.url, "t"),
                status_url=POST_URL,
                text="Hi",
                visibility="direct",
                idempotency_key="k",
            )
        assert [s.path for s in peer.seen] == ["/api/v2/search"]  # nothing was posted
    assert "could not find the post" in caught.value.message


def bluesky_routes(**overrides):
    return {
        "/xrpc/com.atproto.server.createSession": ok("bluesky_session.json"),
        "/xrpc/app.bsky.feed.getPosts": ok("bluesky_get_posts.json"),
        "/xrpc/com.atproto.repo.createRecord": ok("bluesky_create_record.json"),
        **overrides,
    }


def test_bluesky_reply_names_the_thread_root_and_the_parent_by_uri_and_cid():
    with serve(bluesky_routes()) as peer:
        poster = bluesky.BlueskyPoster("riverside-library.bsky.social", "abcd-efgh", peer.url)
        posted = bluesky.post_reply(poster, post_uri=DANA, text="Hi Dana — sorry about the wifi.")
        login, read, create = peer.seen
    assert json.loads(login.body) == {
        "identifier": "riverside-library.bsky.social",
        "password": "abcd-efgh",
    }
    token = json.loads(fixture("bluesky_session.json"))["accessJwt"]
    assert read.query["uris"] == [DANA] and read.headers["authorization"] == f"Bearer {token}"
    assert create.method == "POST" and create.headers["authorization"] == f"Bearer {token}"
    sent = json.loads(create.body)
    assert sent["repo"] == "did:plc:riversidelib0000000000001"
    assert sent["collection"] == "app.bsky.feed.post"
    record = sent["record"]
    assert record["$type"] == "app.bsky.feed.post"
    assert record["text"] == "Hi Dana — sorry about the wifi."
    assert record["createdAt"].endswith("Z")
    # Dana's post is itself a reply: the root is its thread's root, the parent Dana's post.
    assert record["reply"] == {
        "root": {
            "uri": "at://did:plc:rootauthor00000000000001/app.bsky.feed.post/3lbwp0root0000",
            "cid": "bafyreirootcid0000000000000000000000000000000000000000000",
        },
        "parent": {
            "uri": DANA,
            "cid": "bafyreihd7pwqbxvd6zq6pzqgkq3h3pm7lbl5xawq4n6l2gq3ujq2x4yqsu",
        },
    }
    assert posted.url == (
        "https://bsky.app/profile/riverside-library.bsky.social/post/3lbx7maya2222"
    )


def test_bluesky_wrong_app_password_and_too_long_text_are_refused_clearly():
    refused = b'{"error":"AuthenticationRequired","message":"Invalid identifier or password"}'
    routes = {"/xrpc/com.atproto.server.createSession": lambda s: (401, JSON, refused)}
    with serve(routes) as peer, pytest.raises(ConnectorError) as caught:
        bluesky.post_reply(
            bluesky.BlueskyPoster("me.bsky.social", "x", peer.url), post_uri=DANA, text="Hi"
        )
    assert "Invalid identifier or password" in caught.value.message
    assert "app password" in caught.value.message
    with serve(bluesky_routes()) as peer:
        with pytest.raises(ConnectorError) as caught:
            bluesky.post_reply(
                bluesky.BlueskyPoster("me.bsky.social", "x", peer.url),
                post_uri=DANA,
                text="y" * 301,
            )
        assert peer.seen == []  # refused before any request
    assert "at most 300 characters" in caught.value.message


def test_bluesky_rate_limit_gives_the_wait_from_its_epoch_reset_header():
    reset = str(int(datetime.now(UTC).timestamp()) + 300)
    headers = {
        **JSON,
        "ratelimit-limit": "5000",
        "ratelimit-remaining": "0",
        "ratelimit-reset": reset,
    }
    body = b'{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}'
    routes = bluesky_routes(
        **{"/xrpc/com.atproto.repo.createRecord": lambda s: (429, headers, body)}
    )
    with serve(routes) as peer, pytest.raises(ConnectorError) as caught:
        bluesky.post_reply(
            bluesky.BlueskyPoster("me.bsky.social", "x", peer.url), post_uri=DANA, text="Hi"
        )
    assert caught.value.code == "rate_limited" and 240 < (caught.value.retry_after or 0) <= 300
    assert "try again in about 5 minutes" in caught.value.message
