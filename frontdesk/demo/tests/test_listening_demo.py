"""The listening demo: a watch, a locally served feed, mentions some of them unhappy."""

from __future__ import annotations

import pytest

from frontdesk.demo.core import load_demo
from frontdesk.listening.models import Mention, Sighting, Source, Watch

pytestmark = pytest.mark.django_db


def test_demo_has_a_watch_a_feed_and_mentions_some_unhappy(mailoutbox):
    workspace = load_demo()
    watch = Watch.objects.get(workspace=workspace)
    source = Source.objects.get(workspace=workspace)
    assert source.url.endswith("/demo/listening/feed.xml")
    mentions = Mention.objects.filter(workspace=workspace)
    assert mentions.count() == 5  # the California post is left out by the exclusion
    assert not mentions.filter(text__icontains="california").exists()
    assert mentions.filter(sentiment_label="negative").count() >= 2
    assert mentions.filter(needs_reply=True, sentiment_label="neutral").exists()  # a question
    assert all(watch in m.watches.all() for m in mentions)
    load_demo()
    assert Mention.objects.filter(workspace=workspace).count() == 5
    assert Sighting.objects.filter(workspace=workspace).count() == 5


def test_the_demo_feed_is_served_with_an_etag(client, settings):
    settings.FRONTDESK_DEMO = True
    response = client.get("/demo/listening/feed.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    body = response.content.decode()
    assert body.count("<item>") == 6 and "Third time my hold vanished" in body
    again = client.get("/demo/listening/feed.xml", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_the_demo_feed_is_not_served_outside_demo_mode(client, settings):
    settings.FRONTDESK_DEMO = False
    assert client.get("/demo/listening/feed.xml").status_code == 404


def test_polling_the_served_demo_feed_finds_the_same_stories(mailoutbox, settings):
    from django.utils import timezone

    from frontdesk.demo.listening_posts import feed_xml
    from frontdesk.listening.polling import poll_due_sources
    from frontdesk.listening.tests.feedserver import FeedServer, Route

    workspace = load_demo()
    server = FeedServer()
    try:
        server.routes["/demo/listening/feed.xml"] = Route(
            body=feed_xml(settings.PUBLIC_BASE_URL, now=timezone.now()).encode()
        )
        source = Source.objects.get(workspace=workspace)
        source.url = server.url("/demo/listening/feed.xml")
        source.next_poll_at = timezone.now()
        source.save()
        poll_due_sources()
    finally:
        server.close()
    source.refresh_from_db()
    assert source.last_error == "" and source.last_ok_at is not None
    assert Mention.objects.filter(workspace=workspace).count() == 5
