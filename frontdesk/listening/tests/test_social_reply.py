"""Reaching out from one's own Mastodon or Bluesky account: the draft waits in the
composer, and only the person's Send posts it, through a loopback stand-in speaking
the network's real wire format; refusals come back to the composer, losing nothing."""

from __future__ import annotations

import html
import json
import re

import pytest

from frontdesk.connectors.tests.loopback import fixture, serve
from frontdesk.inbox.models import Channel, ComposerDraft, Message
from frontdesk.listening.ingest import ingest
from frontdesk.listening.models import Mention, SocialAccount, SourceKind

pytestmark = pytest.mark.django_db

JSON = {"Content-Type": "application/json; charset=utf-8"}
POST_URL = "https://social.example/@kai/113554410122334456"
DANA = "at://did:plc:abcd1234efgh5678ijkl9012/app.bsky.feed.post/3lbwq2zkxyz2a"
HX = {"HTTP_HX_REQUEST": "true"}


def ok(name: str):
    return lambda seen: (200, JSON, fixture(name))


def mastodon_routes(**overrides):
    return {
        "/api/v1/accounts/verify_credentials": ok("mastodon_verify_credentials.json"),
        "/api/v2/search": ok("mastodon_resolve.json"),
        "/api/v1/statuses": ok("mastodon_status_created.json"),
        **overrides,
    }


def composer_text(page: str) -> str:
    found = re.search(r'<textarea id="composer-body"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "no composer on the page"
    return html.unescape(found.group(1))


@pytest.fixture
def webform(riverside):
    return Channel.objects.create(workspace=riverside, kind="webform", name="Web form")


@pytest.fixture
def kai_on_mastodon(make_watch, make_source, make_candidate, webform):
    make_watch("riverside")
    source = make_source(kind=SourceKind.MASTODON, url="https://social.example", query="#riverside")
    ingest(
        source,
        [
            make_candidate(
                "The Riverside Library makerspace is closed again and nobody says why. Terrible.",
                source_id="113554410122334456",
                url=POST_URL,
                author_name="Kai Moreno",
                author_handle="@kai@social.example",
                author_url="https://social.example/@kai",
            )
        ],
    )
    return Mention.objects.get()


def own_account(member, network="mastodon", **fields):
    defaults = {
        "server": "http://127.0.0.1:9",
        "handle": "@maya@toot.riverside.example",
        "access_token": "maya-own-token",
    }
    return SocialAccount.objects.create(
        workspace=member.workspace, membership=member, network=network, **(defaults | fields)
    )


def test_connecting_my_mastodon_account_asks_the_server_and_keeps_the_token_secret(
    client_for, cast
):
    client = client_for(cast["agent"])
    with serve(mastodon_routes()) as peer:
        response = client.post(
            "/w/riverside/listening/accounts/",
            {"network": "mastodon", "server": peer.url, "secret": "sekret-token-4711"},
        )
        (check,) = peer.seen
    assert response.status_code == 302
    assert check.path == "/api/v1/accounts/verify_credentials"
    assert check.headers["authorization"] == "Bearer sekret-token-4711"
    account = SocialAccount.objects.get(membership=cast["agent"])
    assert (account.handle, account.access_token) == ("@maya@127.0.0.1", "sekret-token-4711")
    page = client.get("/w/riverside/listening/accounts/").content.decode()
    assert "@maya@127.0.0.1" in page and "sekret-token-4711" not in page
    # A refused token is said on the form, and nothing is stored.
    refuse = {
        "/api/v1/accounts/verify_credentials": lambda s: (
            401,
            JSON,
            b'{"error":"The access token is invalid"}',
        )
    }
    client_for(cast["admin"])
    with serve(refuse) as peer:
        again = client.post(
            "/w/riverside/listening/accounts/",
            {"network": "mastodon", "server": peer.url, "secret": "wrong"},
        )
    assert again.status_code == 200
    assert "The access token is invalid" in html.unescape(again.content.decode())
    assert not SocialAccount.objects.filter(membership=cast["admin"]).exists()


def test_reach_out_on_mastodon_drafts_a_reply_in_my_composer_and_send_posts_it_as_me(
    client_for, cast, kai_on_mastodon
):
    mention = kai_on_mastodon
    client = client_for(cast["agent"])
    with serve(mastodon_routes()) as peer:
        own_account(cast["agent"], server=peer.url)
        listing = client.get("/w/riverside/listening/").content.decode()
        assert "Reply as @maya@toot.riverside.example on Mastodon" in listing
        response = client.post(f"/w/riverside/listening/mentions/{mention.pk}/reach-out/")
        assert peer.seen == []  # reaching out posts nothing: only Send does
        page = client.get(response["Location"]).content.decode()
        draft = composer_text(page)
        assert draft.startswith(
            "Hi Kai — I'm Maya Patel from Riverside Public Library. I saw your post about “The"
        )
        assert "I'm sorry it didn't go well" in draft and len(draft) <= 300
        route = f"elsewhere:mastodon:{mention.pk}"
        assert re.search(
            rf'<option value="{route}" selected[^>]*>Reply as @maya@toot.riverside.example '
            "on Mastodon</option>",
            page,
        )
        assert '<option value="direct" selected>Only @kai@social.example (private mention)' in (
            page
        )
        assert 'data-reply-blocked="true"' not in page
        number = response["Location"].rstrip("/").rsplit("/", 1)[1]
        sent = client.post(
            f"/w/riverside/inbox/{number}/reply/",
            {"body": draft + " (edited)", "mode": "reply", "channel": route, "choice": "direct"},
            **HX,
        )
        assert sent.status_code == 200, sent.content
        search, create = peer.seen
    assert search.query["q"] == [POST_URL]
    assert create.path == "/api/v1/statuses"
    assert create.headers["authorization"] == "Bearer maya-own-token"
    body = json.loads(create.body)
    assert body["in_reply_to_id"] == "113554999000000777"
    assert body["visibility"] == "direct"
    assert body["status"] == f"@kai@social.example {draft} (edited)"
    reply = Message.objects.get(kind="reply")
    assert (reply.status, reply.channel, reply.author) == ("sent", None, cast["agent"])
    assert reply.provider_message_id == "https://toot.riverside.example/@maya/113560123000000001"
    assert not ComposerDraft.objects.exists()  # sent: the draft has done its job
    page = client.get(f"/w/riverside/inbox/{number}/").content.decode()
    assert 'href="https://toot.riverside.example/@maya/113560123000000001"' in page
    assert composer_text(page) == ""


@pytest.mark.parametrize(
    ("status", "headers", "answer", "said"),
    [
        (
            422,
            {},
            b'{"error":"Validation failed: Text character limit of 500 exceeded"}',
            "Mastodon did not accept the reply: Validation failed: Text character limit of "
            "500 exceeded.",
        ),
        (401, {}, b'{"error":"The access token was revoked"}', "The access token was revoked"),
        (429, {"Retry-After": "120"}, b'{"error":"Too many requests"}', "posting too fast"),
    ],
)
def test_a_refused_reply_comes_back_to_the_composer_and_loses_nothing(
    client_for, cast, kai_on_mastodon, status, headers, answer, said
):
    mention = kai_on_mastodon
    client = client_for(cast["agent"])
    routes = mastodon_routes(**{"/api/v1/statuses": lambda s: (status, JSON | headers, answer)})
    with serve(routes) as peer:
        own_account(cast["agent"], server=peer.url)
        response = client.post(f"/w/riverside/listening/mentions/{mention.pk}/reach-out/")
        number = response["Location"].rstrip("/").rsplit("/", 1)[1]
        refused = client.post(
            f"/w/riverside/inbox/{number}/reply/",
            {
                "body": "My careful words",
                "mode": "reply",
                "channel": f"elsewhere:mastodon:{mention.pk}",
                "choice": "direct",
            },
            **HX,
        )
    assert refused.status_code == 422
    assert said in html.unescape(refused.content.decode())
    assert not Message.objects.filter(kind="reply").exists()
    # The draft is still waiting (the page's composer also keeps what was typed).
    assert ComposerDraft.objects.get(membership=cast["agent"]).body.startswith("Hi Kai")


def test_only_my_own_account_is_offered_and_usable(client_for, cast, kai_on_mastodon):
    mention = kai_on_mastodon
    own_account(cast["agent"])
    maya = client_for(cast["agent"])
    location = maya.post(f"/w/riverside/listening/mentions/{mention.pk}/reach-out/")["Location"]
    amir = client_for(cast["admin"])
    page = amir.get(location).content.decode()
    assert "elsewhere:" not in page and "data-choice-for" not in page
    number = location.rstrip("/").rsplit("/", 1)[1]
    refused = amir.post(
        f"/w/riverside/inbox/{number}/reply/",
        {"body": "Hi", "mode": "reply", "channel": f"elsewhere:mastodon:{mention.pk}"},
        **HX,
    )
    assert refused.status_code == 422
    assert "not available to you" in html.unescape(refused.content.decode())


def test_reach_out_on_bluesky_sends_a_public_reply_with_root_and_parent_refs(
    client_for, cast, make_watch, make_source, make_candidate, webform
):
    make_watch("riverside")
    source = make_source(kind=SourceKind.BLUESKY, url="https://bsky.social", query="riverside")
    ingest(
        source,
        [
            make_candidate(
                "The wifi at Riverside Library has been down all week. Awful.",
                source_id=DANA,
                url="https://bsky.app/profile/dana.bsky.social/post/3lbwq2zkxyz2a",
                author_name="Dana",
                author_handle="@dana.bsky.social",
            )
        ],
    )
    mention = Mention.objects.get()
    routes = {
        "/xrpc/com.atproto.server.createSession": ok("bluesky_session.json"),
        "/xrpc/app.bsky.feed.getPosts": ok("bluesky_get_posts.json"),
        "/xrpc/com.atproto.repo.createRecord": ok("bluesky_create_record.json"),
    }
    client = client_for(cast["agent"])
    with serve(routes) as peer:
        own_account(
            cast["agent"],
            network="bluesky",
            server=peer.url,
            handle="@riverside-library.bsky.social",
            access_token="",
            app_password="abcd-efgh-ijkl-mnop",
        )
        location = client.post(f"/w/riverside/listening/mentions/{mention.pk}/reach-out/")[
            "Location"
        ]
        page = client.get(location).content.decode()
        assert "A public reply to @dana.bsky.social’s post" in html.unescape(page)
        draft = composer_text(page)
        number = location.rstrip("/").rsplit("/", 1)[1]
        sent = client.post(
            f"/w/riverside/inbox/{number}/reply/",
            {"body": draft, "mode": "reply", "channel": f"elsewhere:bluesky:{mention.pk}"},
            **HX,
        )
        assert sent.status_code == 200, sent.content
        login, _read, create = peer.seen
    assert json.loads(login.body)["password"] == "abcd-efgh-ijkl-mnop"
    record = json.loads(create.body)["record"]
    assert record["text"] == draft
    assert record["reply"]["parent"] == {
        "uri": DANA,
        "cid": "bafyreihd7pwqbxvd6zq6pzqgkq3h3pm7lbl5xawq4n6l2gq3ujq2x4yqsu",
    }
    assert record["reply"]["root"]["uri"].endswith("/3lbwp0root0000")
    reply = Message.objects.get(kind="reply")
    assert reply.provider_message_id == (
        "https://bsky.app/profile/riverside-library.bsky.social/post/3lbx7maya2222"
    )
