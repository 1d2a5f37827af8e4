"""Network sources through the poller, against loopback stand-ins answering in each
provider's documented JSON (the connectors' recorded fixtures): Mastodon's hashtag
timeline and Hacker News' Algolia search become mentions with their reach, and
reaching out to a Mastodon author keeps their handle."""

from __future__ import annotations

import pytest

from frontdesk.connectors.tests.loopback import fixture, serve
from frontdesk.inbox.models import Channel
from frontdesk.listening.actions import reach_out
from frontdesk.listening.models import Mention, SourceKind
from frontdesk.listening.polling import poll_due_sources

pytestmark = pytest.mark.django_db

JSON = {"Content-Type": "application/json; charset=utf-8"}


def ok(name):
    return lambda seen: (200, JSON, fixture(name))


def test_a_mastodon_hashtag_becomes_mentions_and_reach_out_keeps_the_handle(
    make_watch, make_source, cast, riverside
):
    make_watch('riversidelibrary OR "riverside library"')
    Channel.objects.create(workspace=riverside, kind="webform", name="Web form")
    with serve({"/api/v1/timelines/tag/riversidelibrary": ok("mastodon_tag.json")}) as peer:
        source = make_source(kind=SourceKind.MASTODON, url=peer.url, query="riversidelibrary")
        poll_due_sources()
    source.refresh_from_db()
    assert source.last_error == "" and source.cursor.get("since_id")
    # The opted-out author (noindex) and the boost are not mentions.
    mention = Mention.objects.get()
    assert mention.author_name == "Kai Moreno"
    assert mention.reach == {"followers": 812, "reblogs": 5, "favourites": 11, "replies": 2}
    assert mention.sentiment_label == "negative" and mention.alert_reasons
    conversation = reach_out(mention, by=cast["agent"])
    kinds = {i.kind for i in conversation.contact.identities.all()}
    assert kinds & {"mastodon", "web"}


def test_hacker_news_search_becomes_mentions(make_watch, make_source):
    make_watch("riverside")
    with serve({"/api/v1/search_by_date": ok("hn_search.json")}) as peer:
        make_source(kind=SourceKind.HACKERNEWS, url=peer.url, query="riverside library")
        poll_due_sources()
    mention = Mention.objects.get()
    assert mention.author_handle or mention.author_name
    assert "accents" in mention.text
