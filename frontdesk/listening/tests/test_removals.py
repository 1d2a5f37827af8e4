"""Posts Reddit removed, found by a poll or by the half-hourly check against a
loopback Reddit stand-in (OAuth token, search and /api/info in Reddit's Listing
JSON): the mention leaves the list, its text goes, it alerts no more, and an open
conversation started from it gets a note."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.utils import timezone

from frontdesk.connectors.reddit import adapter as reddit
from frontdesk.connectors.tests.loopback import serve
from frontdesk.inbox.models import Channel, Message
from frontdesk.listening import tasks
from frontdesk.listening.actions import reach_out
from frontdesk.listening.alerts import send_digests
from frontdesk.listening.models import Mention, Source, SourceKind
from frontdesk.listening.polling import poll_due_sources
from frontdesk.listening.removals import check_removed_posts

pytestmark = pytest.mark.django_db

JSON = {"Content-Type": "application/json; charset=utf-8"}
TOKEN = b'{"access_token": "app-token", "token_type": "bearer", "expires_in": 86400, "scope": "*"}'


@pytest.fixture(autouse=True)
def fresh_reddit_state(monkeypatch):
    monkeypatch.setattr(reddit, "BUDGET", reddit.QueryBudget())
    monkeypatch.setattr(reddit, "_TOKENS", {})


def post(short: str, title: str, text: str, created: float, **fields) -> dict:
    return {
        "subreddit": "Riverside",
        "selftext": text,
        "title": title,
        "name": f"t3_{short}",
        "id": short,
        "author": "bookworm_77",
        "score": 12,
        "num_comments": 3,
        "removed_by_category": None,
        "created_utc": created,
        "permalink": f"/r/Riverside/comments/{short}/post/",
        "subreddit_subscribers": 25310,
        "is_self": True,
        **fields,
    }


def removed(data: dict) -> dict:
    return data | {"selftext": "[removed]", "removed_by_category": "moderator"}


class Reddit:
    """The stand-in's posts: what search lists and what /api/info answers."""

    def __init__(self) -> None:
        self.listed: list[dict] = []
        self.known: dict[str, dict] = {}

    def listing(self, posts: list[dict]) -> bytes:
        children = [{"kind": "t3", "data": p} for p in posts]
        return json.dumps(
            {"kind": "Listing", "data": {"after": None, "before": None, "children": children}}
        ).encode()

    def routes(self):
        def info(seen):
            ids = seen.query["id"][0].split(",")
            return 200, JSON, self.listing([self.known[i] for i in ids if i in self.known])

        return {
            "/api/v1/access_token": lambda s: (200, JSON, TOKEN),
            "/search.json": lambda s: (200, JSON, self.listing(self.listed)),
            "/api/info.json": info,
        }


@pytest.fixture
def reddit_source(riverside, make_watch):
    make_watch()
    Channel.objects.create(workspace=riverside, kind="webform", name="Web form")

    def make(url: str) -> Source:
        return Source.objects.create(
            workspace=riverside,
            kind=SourceKind.REDDIT,
            url=url,
            query="Riverside Library",
            settings={"client_id": "app-id", "client_secret": "app-secret"},
        )

    return make


def poll_now() -> None:
    Source.objects.update(next_poll_at=timezone.now())
    poll_due_sources()


def test_a_post_removed_on_reddit_leaves_the_list_loses_its_text_and_notes_its_conversation(
    client_for, cast, reddit_source
):
    stand_in = Reddit()
    holds = post(
        "1h0abce",
        "Holds cancelled at Riverside Library?",
        "Riverside Library cancelled my holds twice without notice. Terrible service.",
        1764150000.0,
    )
    stand_in.listed = [holds]
    with serve(stand_in.routes()) as peer:
        reddit_source(peer.url)
        poll_now()
        mention = Mention.objects.get()
        assert mention.alerted_at is not None  # unhappy: it alerted when found
        conversation = reach_out(mention, by=cast["agent"])
        client = client_for(cast["agent"])
        assert "Holds cancelled" in client.get("/w/riverside/listening/").content.decode()
        # The moderators remove it; the next poll sees it again, removed.
        stand_in.listed = [removed(holds)]
        poll_now()
    mention.refresh_from_db()
    assert mention.removed_at is not None
    assert (mention.title, mention.excerpt, mention.text) == ("", "", "")
    listing = client.get("/w/riverside/listening/").content.decode()
    assert f'id="mention-{mention.pk}"' not in listing and "Holds cancelled" not in listing
    asked = client.get("/w/riverside/listening/?status=removed").content.decode()
    assert f'id="mention-{mention.pk}"' in asked and "Reddit removed this post" in asked
    assert "cancelled my holds" not in asked and "Reach out" not in asked
    note = Message.objects.get(conversation=conversation, kind="note", author=None)
    assert "Reddit removed the post this conversation started from" in note.body
    assert mention.url in note.body
    # No digest line for it either.
    assert send_digests() == 0 and not mail.outbox


def test_the_half_hourly_check_asks_reddit_about_posts_seen_earlier(reddit_source):
    stand_in = Reddit()
    kept = post(
        "aaa111",
        "Riverside Library story time",
        "Riverside Library story time was lovely.",
        1764150000.0,
    )
    gone = post(
        "bbb222",
        "Riverside Library rant",
        "Riverside Library staff were rude to me today.",
        1764150100.0,
    )
    stand_in.listed = [kept, gone]
    stand_in.known = {"t3_aaa111": kept}  # bbb222 is gone from Reddit altogether
    with serve(stand_in.routes()) as peer:
        reddit_source(peer.url)
        poll_now()
        assert Mention.objects.count() == 2
        stand_in.listed = []  # search no longer lists them: only /api/info can tell
        assert check_removed_posts() == 1
        (info,) = peer.requests_to("/api/info.json")
        assert sorted(info.query["id"][0].split(",")) == ["t3_aaa111", "t3_bbb222"]
        assert info.headers["authorization"] == "Bearer app-token"
        # Removed once: the next check does not ask about it again.
        stand_in.known["t3_aaa111"] = removed(kept)
        assert check_removed_posts() == 1
        assert peer.requests_to("/api/info.json")[-1].query["id"] == ["t3_aaa111"]
    assert Mention.objects.filter(removed_at__isnull=False).count() == 2
    assert not Mention.objects.exclude(text="").exists()
    # The check runs by itself, every half hour.
    check = tasks.check_removed_posts.task_class()
    at = timezone.now().replace(second=0, microsecond=0)
    assert check.validate_datetime(at.replace(minute=30))
    assert check.validate_datetime(at.replace(minute=0))
    assert not check.validate_datetime(at.replace(minute=17))
