"""Listening's pages: the mentions list, actions on a mention, watches and sources."""

from __future__ import annotations

from datetime import timedelta

import pytest

from frontdesk.listening.ingest import ingest
from frontdesk.listening.models import Mention, Source, Watch

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentions(make_watch, make_source, make_candidate):
    make_watch('"riverside library"', name="Our name")
    source = make_source(name="Town blog")
    ingest(
        source,
        [
            make_candidate(
                "Riverside Library lost my hold again and nobody answers. Terrible.",
                author_name="Dana Reader",
            ),
            make_candidate("Storytime at Riverside Library was wonderful!", author_name="Sam Lee"),
        ],
    )
    return list(Mention.objects.order_by("id"))


def test_mentions_page_says_who_what_where_mood_and_what_to_do(
    client_for, cast, mentions, django_assert_max_num_queries
):
    client = client_for(cast["agent"])
    # 13: the page also reads the member's own network accounts once (Reply as …).
    with django_assert_max_num_queries(13):
        page = client.get("/w/riverside/listening/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Dana Reader" in html and "Town blog" in html
    assert "<mark>Riverside Library</mark> lost my hold" in html
    assert "Unhappy" in html and "Happy" in html and "Needs a reply" in html
    assert "Why you were alerted" in html
    assert "Reach out" in html and "Ignore" in html


def test_filters_by_mood_status_and_watch(client_for, cast, mentions, make_watch):
    client = client_for(cast["agent"])
    unhappy = client.get("/w/riverside/listening/?sentiment=negative").content.decode()
    assert "Dana Reader" in unhappy and "Sam Lee" not in unhappy
    other = make_watch("hillview", name="Other")
    none = client.get(f"/w/riverside/listening/?watch={other.pk}").content.decode()
    assert "Dana Reader" not in none and "Nothing here yet" in none
    ignored = client.get("/w/riverside/listening/?status=ignored").content.decode()
    assert "Dana Reader" not in ignored


def test_needs_attention_first_ranks_by_the_explained_score(client_for, cast, mentions):
    client = client_for(cast["agent"])
    happy = Mention.objects.get(author_name="Sam Lee")
    # Sam's happy post was found a day ago and nobody has looked at it; Dana's
    # unhappy one just now. Newest first puts Dana first; the score, Sam.
    Mention.objects.filter(pk=happy.pk).update(
        found_at=happy.found_at - timedelta(days=1), reach={"followers": 5000}
    )
    newest = client.get("/w/riverside/listening/").content.decode()
    assert newest.index("Dana Reader") < newest.index("Sam Lee")
    ranked = client.get("/w/riverside/listening/?order=attention").content.decode()
    assert ranked.index("Sam Lee") < ranked.index("Dana Reader")
    assert 'title="Priority 55: unseen 24 h, reaches 5k followers"' in ranked
    assert '<option value="attention" selected>Priority first</option>' in ranked
    # Looked at: no longer waiting, so it drops below the unhappy one.
    client.post(f"/w/riverside/listening/mentions/{happy.pk}/status/", {"status": "seen"})
    ranked = client.get("/w/riverside/listening/?order=attention").content.decode()
    assert ranked.index("Dana Reader") < ranked.index("Sam Lee")
    # An unknown order is the default, not an error.
    assert client.get("/w/riverside/listening/?order=bogus").status_code == 200


def test_marking_seen_and_ignored(client_for, cast, mentions):
    client = client_for(cast["agent"])
    mention = mentions[0]
    response = client.post(
        f"/w/riverside/listening/mentions/{mention.pk}/status/",
        {"status": "ignored"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Undo ignore" in response.content.decode()
    mention.refresh_from_db()
    assert mention.status == "ignored" and mention.status_by == cast["agent"]
    bad = client.post(f"/w/riverside/listening/mentions/{mention.pk}/status/", {"status": "x"})
    assert bad.status_code == 400


def test_a_moderator_reads_but_cannot_act(client_for, cast, mentions):
    client = client_for(cast["moderator"])
    assert client.get("/w/riverside/listening/").status_code == 200
    mention = mentions[0]
    response = client.post(
        f"/w/riverside/listening/mentions/{mention.pk}/status/", {"status": "seen"}
    )
    assert response.status_code == 403
    assert client.get("/w/riverside/listening/sources/new/").status_code == 403
    mention.refresh_from_db()
    assert mention.status == "new"


def test_outsider_sees_nothing_of_riverside(client_for, cast, mentions):
    client = client_for(cast["outsider"])
    assert client.get("/w/riverside/listening/").status_code == 404
    page = client.get("/w/hillview/listening/").content.decode()
    assert "Dana Reader" not in page
    response = client.post(
        f"/w/hillview/listening/mentions/{mentions[0].pk}/status/", {"status": "ignored"}
    )
    assert response.status_code == 404


def test_watch_create_with_a_bad_query_says_where(client_for, cast):
    client = client_for(cast["agent"])
    page = client.post(
        "/w/riverside/listening/watches/new/", {"name": "Us", "query": '("riverside library"'}
    )
    assert page.status_code == 200
    assert "This ( is never closed" in page.content.decode()
    assert not Watch.objects.exists()
    done = client.post(
        "/w/riverside/listening/watches/new/",
        {"name": "Us", "query": '"riverside library" -california', "alert_negative": "on"},
    )
    assert done.status_code == 302
    watch = Watch.objects.get()
    assert watch.alert_negative and not watch.alert_spike and watch.created_by == cast["agent"]


def test_watch_preview_is_live_against_recent_mentions(client_for, cast, mentions):
    client = client_for(cast["agent"])
    preview = client.post(
        "/w/riverside/listening/watches/preview/", {"query": "storytime"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<strong>1</strong> of the last 2 mentions" in preview
    assert "<mark>Storytime</mark>" in preview
    broken = client.post(
        "/w/riverside/listening/watches/preview/", {"query": "riverside AND"}
    ).content.decode()
    assert "Can’t read this query" in broken and "at character 14" in broken


def test_suggested_exclusions_learn_from_ignored_mentions(
    client_for, cast, make_watch, make_source, make_candidate
):
    watch = make_watch('"central library"', name="Central")
    source = make_source()
    posts = [
        "Central Library in Springfield closes early for renovation",
        "Springfield's Central Library hosts a chess night",
        "Central Library of Springfield wins an award",
        "I returned my books at Central Library today, lovely staff",
        "Central Library storytime was fun",
    ]
    ingest(source, [make_candidate(p) for p in posts])
    for mention in Mention.objects.filter(text__contains="Springfield"):
        mention.status = "ignored"
        mention.save()
    client = client_for(cast["agent"])
    page = client.get("/w/riverside/listening/watches/").content.decode()
    assert "−springfield" in page
    client.post(f"/w/riverside/listening/watches/{watch.pk}/exclude/", {"word": "springfield"})
    watch.refresh_from_db()
    assert watch.query == '"central library" -springfield'


def test_admin_adds_a_feed_source_and_an_agent_cannot(client_for, cast):
    agent = client_for(cast["agent"])
    assert (
        agent.post(
            "/w/riverside/listening/sources/new/", {"kind": "feed", "url": "https://x.example/"}
        ).status_code
        == 403
    )
    admin = client_for(cast["admin"])
    bad = admin.post(
        "/w/riverside/listening/sources/new/",
        {"kind": "feed", "url": "ftp://x", "interval_seconds": 900},
    )
    assert "starting with https://" in bad.content.decode()
    admin.post(
        "/w/riverside/listening/sources/new/",
        {
            "kind": "feed",
            "url": "https://blog.example/",
            "interval_seconds": 900,
            "is_active": "on",
        },
    )
    source = Source.objects.get()
    assert source.url == "https://blog.example/" and source.workspace == cast["admin"].workspace
    bluesky = admin.post(
        "/w/riverside/listening/sources/new/",
        {"kind": "bluesky", "query": "riverside library", "interval_seconds": 900},
    )
    assert "app password" in bluesky.content.decode()
    source.failures, source.last_error = 3, "Failed: HTTP 503 from blog.example"
    source.save()
    page = admin.get("/w/riverside/listening/sources/").content.decode()
    assert "Failing (3×)" in page and "HTTP 503 from blog.example" in page
    assert "never switched off" in page
