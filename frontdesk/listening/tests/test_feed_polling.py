"""Polling real feeds from a loopback server through the feed adapter: mentions,
conditional GET, one mention per story across re-polls and syndication, backoff with
the reason, autodiscovery, and isolation between workspaces."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from frontdesk.listening.models import Mention, Sighting, Source
from frontdesk.listening.polling import poll_due_sources
from frontdesk.listening.tests.feedserver import FeedServer, Route, atom, rss

pytestmark = pytest.mark.django_db

UNHAPPY = {
    "guid": "tag:blog.example,2026:hold",
    "title": "Third time my hold vanished",
    "link": "https://blog.example/2026/12/hold?utm_source=rss&amp;utm_medium=feed",
    "text": "Third time this month my hold at Riverside Library vanished. I waited two "
    "weeks and nobody answered the phone. Really frustrating, and nobody seems to care "
    "about fixing the catalogue either.",
}
HAPPY = {
    "guid": "tag:blog.example,2026:storytime",
    "title": "Storytime",
    "link": "https://blog.example/2026/12/storytime",
    "text": "Storytime at Riverside Library was wonderful!",
}
OTHER = {
    "guid": "tag:blog.example,2026:weather",
    "title": "Rain",
    "link": "https://blog.example/2026/12/rain",
    "text": "Rain all weekend.",
}


@pytest.fixture
def feeds(settings):
    settings.LISTENING_HOST_DELAY_SECONDS = 0
    server = FeedServer()
    yield server
    server.close()


def due_again():
    Source.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))


def test_a_feed_poll_stores_matching_posts_and_a_repoll_is_a_304(feeds, make_watch, make_source):
    make_watch("riverside", name="Us")
    feeds.routes["/feed.xml"] = feeds_route = Route(body=rss([UNHAPPY, HAPPY, OTHER]))
    source = make_source(url=feeds.url("/feed.xml"))
    poll_due_sources()
    source.refresh_from_db()
    assert source.failures == 0 and source.last_error == "" and source.last_ok_at
    assert source.next_poll_at > timezone.now() + timedelta(minutes=14)
    mentions = {m.title: m for m in Mention.objects.all()}
    assert set(mentions) == {"Third time my hold vanished", "Storytime"}
    unhappy = mentions["Third time my hold vanished"]
    assert unhappy.sentiment_label == "negative" and unhappy.alert_reasons
    assert unhappy.canonical_url == "https://blog.example/2026/12/hold"
    assert unhappy.author_email == "dana@example.org"
    assert source.cursor.get("etag")
    due_again()
    poll_due_sources()
    assert feeds.statuses("/feed.xml") == [200, 304]
    assert Mention.objects.count() == 2
    # The feed changes: only the new entry is stored.
    fresh = {**OTHER, "guid": "n", "title": "Riverside Library wifi", "text": "Wifi at Riverside"}
    feeds_route.body = rss([fresh, UNHAPPY, HAPPY])
    due_again()
    poll_due_sources()
    assert Mention.objects.count() == 3


def test_a_syndicated_copy_in_another_feed_is_the_same_mention(feeds, make_watch, make_source):
    make_watch("riverside")
    feeds.routes["/feed.xml"] = Route(body=rss([UNHAPPY]))
    copy = {
        **UNHAPPY,
        "guid": "urn:planet:1234",
        "link": "https://www.blog.example/2026/12/hold/",
        # The planet re-wraps the text in markup and adds a footer.
        "text": "&lt;p&gt;" + UNHAPPY["text"] + "&lt;/p&gt;&lt;p&gt;via Planet Libraries&lt;/p&gt;",
    }
    feeds.routes["/planet.atom"] = Route(
        body=atom([copy]), content_type="application/atom+xml; charset=utf-8"
    )
    make_source(url=feeds.url("/feed.xml"))
    make_source(url=feeds.url("/planet.atom"))
    poll_due_sources()
    due_again()
    poll_due_sources()
    assert Mention.objects.count() == 1
    assert Sighting.objects.count() == 2
    assert Mention.objects.get().alert_reasons  # alerted once, for the one story


def test_a_near_copy_under_another_address_is_the_same_mention(feeds, make_watch, make_source):
    make_watch("riverside")
    near = {
        **UNHAPPY,
        "guid": "elsewhere-1",
        "link": "https://aggregator.example/items/99",
        "text": UNHAPPY["text"] + " Shared from the town blog.",
    }
    feeds.routes["/a.xml"] = Route(body=rss([UNHAPPY]))
    feeds.routes["/b.xml"] = Route(body=rss([near]))
    make_source(url=feeds.url("/a.xml"))
    poll_due_sources()
    make_source(url=feeds.url("/b.xml"))
    poll_due_sources()
    assert Mention.objects.count() == 1


def test_a_failing_feed_backs_off_with_the_reason_and_recovers(feeds, make_watch, make_source):
    make_watch("riverside")
    route = Route(status=503, body=b"busy", headers={"Retry-After": "7200"})
    feeds.routes["/feed.xml"] = route
    source = make_source(url=feeds.url("/feed.xml"), interval_seconds=900)
    before = timezone.now()
    poll_due_sources()
    source.refresh_from_db()
    assert source.failures == 1 and source.is_active
    assert "503" in source.last_error and source.last_error.startswith("Failed")
    assert source.next_poll_at >= before + timedelta(hours=2)  # Retry-After honoured
    route.status, route.headers, route.body = 200, {}, rss([UNHAPPY])
    due_again()
    poll_due_sources()
    source.refresh_from_db()
    assert (source.failures, source.last_error) == (0, "")
    assert Mention.objects.count() == 1


def test_a_gone_feed_says_so_and_is_still_retried(feeds, make_source):
    source = make_source(url=feeds.url("/missing.xml"))
    poll_due_sources()
    source.refresh_from_db()
    assert source.last_error.startswith("Refused or gone") and "404" in source.last_error
    assert source.is_active and source.next_poll_at > timezone.now()


def test_a_page_url_finds_its_feed_and_a_moved_feed_is_followed(feeds, make_watch, make_source):
    make_watch("riverside")
    feeds.routes["/blog/"] = Route(
        body=b'<html><head><link rel="alternate" type="application/rss+xml" '
        b'href="/blog/feed.xml"></head><body>Blog</body></html>',
        content_type="text/html; charset=utf-8",
    )
    feeds.routes["/blog/feed.xml"] = Route(body=rss([HAPPY]))
    source = make_source(url=feeds.url("/blog/"))
    poll_due_sources()
    source.refresh_from_db()
    assert source.url == feeds.url("/blog/feed.xml")
    assert Mention.objects.count() == 1
    feeds.routes["/old.xml"] = Route(status=301, headers={"Location": "/blog/feed.xml"})
    moved = make_source(url=feeds.url("/old.xml"))
    poll_due_sources()
    moved.refresh_from_db()
    assert moved.url == feeds.url("/blog/feed.xml")


def test_another_workspaces_feed_makes_nothing_here(feeds, make_watch, make_source, cast):
    hillview = cast["outsider"].workspace
    make_watch("riverside")  # Riverside's watch
    feeds.routes["/feed.xml"] = Route(body=rss([UNHAPPY]))
    make_source(url=feeds.url("/feed.xml"), workspace=hillview)  # Hillview's source
    poll_due_sources()
    assert not Mention.objects.exists()


def test_near_copies_in_feeds_polled_together_are_one_mention(feeds, make_watch, make_source):
    """The recent stories' SimHashes are read once for all the sources claimed together
    and the mentions stored meanwhile are added: a near copy in another feed of the
    same round of polls is still that mention."""
    make_watch("riverside")
    copies = [
        {
            **UNHAPPY,
            "guid": f"copy-{n}",
            "link": f"https://aggregator{n}.example/items/{n}",
            "text": UNHAPPY["text"] + f" Shared from planet number {n}.",
        }
        for n in range(4)
    ]
    for n, copy in enumerate(copies):
        feeds.routes[f"/{n}.xml"] = Route(body=rss([copy]))
        make_source(url=feeds.url(f"/{n}.xml"))
    assert len(poll_due_sources()) == 4
    mention = Mention.objects.get()
    assert Sighting.objects.filter(mention=mention).count() == 4
