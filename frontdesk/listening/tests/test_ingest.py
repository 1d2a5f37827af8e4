"""From candidates to mentions: matching, one mention per story, triage, alerts."""

from __future__ import annotations

import random
from datetime import time, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from frontdesk.listening import alerts
from frontdesk.listening.ingest import ingest
from frontdesk.listening.models import Mention, Sighting

pytestmark = pytest.mark.django_db


def test_only_posts_a_watch_matches_become_mentions(make_watch, make_source, make_candidate):
    watch = make_watch('"riverside library" -california')
    source = make_source()
    report = ingest(
        source,
        [
            make_candidate("Loved storytime at Riverside Library today!"),
            make_candidate("The Riverside Library, California, hosts a sale."),
            make_candidate("Nothing about us at all."),
        ],
    )
    assert report.seen == 3 and report.unmatched == 2
    mention = Mention.objects.get()
    assert mention.workspace_id == source.workspace_id
    assert list(mention.watches.all()) == [watch]
    assert mention.matched_terms == ["riverside library"]
    assert mention.sentiment_label == "positive"
    assert mention.status == "new"


def test_repolling_and_syndication_make_one_mention(make_watch, make_source, make_candidate):
    make_watch("riverside")
    blog, planet = make_source(), make_source(url="http://127.0.0.1:9/planet.xml")
    original = make_candidate(
        "Riverside Library's new maker space is open.",
        source_id="tag:blog,2026:1",
        url="https://blog.example/maker?utm_source=rss",
    )
    ingest(blog, [original])
    ingest(blog, [original])  # re-polled
    # The same story syndicated: other markup and case, another id, tracking-free URL.
    copy = make_candidate(
        "<p>RIVERSIDE LIBRARY'S new <b>maker space</b> is open.</p>",
        source_id="planet-77",
        url="https://www.blog.example/maker/",
    )
    report = ingest(planet, [copy])
    assert report.duplicates == 1 and not report.new_mentions
    assert Mention.objects.count() == 1
    assert Sighting.objects.count() == 2
    # Shared elsewhere under the same canonical URL with other text: still one story.
    ingest(planet, [make_candidate("Riverside shared this", url="http://blog.example/maker")])
    assert Mention.objects.count() == 1


def test_an_edited_post_does_not_alert_again(
    make_watch, make_source, make_candidate, listen, django_capture_on_commit_callbacks
):
    make_watch("riverside")
    source = make_source()
    listener = listen(source.workspace_id)
    first = make_candidate("Riverside Library lost my hold. Terrible.", source_id="entry-1")
    edited = make_candidate(
        "Riverside Library lost my hold, twice. Terrible!!", source_id="entry-1"
    )
    with django_capture_on_commit_callbacks(execute=True):
        ingest(source, [first])
        ingest(source, [edited])
    assert Mention.objects.count() == 1
    assert len([e for e in listener.events() if e["type"] == "listening.alert"]) == 1


def test_unhappy_mention_alerts_live_with_its_reasons(
    make_watch, make_source, make_candidate, listen, django_capture_on_commit_callbacks
):
    make_watch("riverside", name="Our name")
    source = make_source()
    listener = listen(source.workspace_id)
    with django_capture_on_commit_callbacks(execute=True):
        ingest(source, [make_candidate("Riverside Library lost my hold again. Terrible.")])
    mention = Mention.objects.get()
    assert mention.sentiment_label == "negative" and mention.needs_reply
    assert any(r.startswith("Unhappy") for r in mention.alert_reasons)
    events = [e for e in listener.events() if e["type"] == "listening.alert"]
    assert len(events) == 1
    assert events[0]["data"]["watch"] == "Our name"
    assert events[0]["data"]["reasons"] == mention.alert_reasons
    assert events[0]["data"]["page"].endswith(f"#mention-{mention.pk}")


def test_quiet_hours_hold_the_live_alert_but_keep_it_for_the_digest(
    make_watch, make_source, make_candidate, listen, django_capture_on_commit_callbacks, cast
):
    now = timezone.now()
    start = (now - timedelta(hours=1)).time().replace(microsecond=0)
    end = (now + timedelta(hours=1)).time().replace(microsecond=0)
    watch = make_watch("riverside", quiet_start=start, quiet_end=end)
    source = make_source()
    listener = listen(source.workspace_id)
    with django_capture_on_commit_callbacks(execute=True):
        ingest(source, [make_candidate("Riverside Library was rude to me. Awful.")], now=now)
    assert Mention.objects.get().alert_reasons
    assert not [e for e in listener.events() if e["type"] == "listening.alert"]
    assert alerts.send_digests(now=now) == 0  # still quiet
    later = now + timedelta(hours=2)
    assert alerts.send_digests(now=later) == 1
    sent = mail.outbox[-1]
    assert watch.name in sent.subject
    assert "Unhappy" in sent.body and "rude" in sent.body
    assert cast["agent"].user.email in sent.to
    assert cast["moderator"].user.email not in sent.to  # cannot answer customers
    assert alerts.send_digests(now=later + timedelta(hours=1)) == 0  # nothing new


def test_quiet_hours_over_midnight(make_watch):
    watch = make_watch("riverside", quiet_start=time(22, 0), quiet_end=time(7, 0))
    day = timezone.now().replace(hour=12, minute=0)
    assert not watch.is_quiet(day)
    assert watch.is_quiet(day.replace(hour=23))
    assert watch.is_quiet(day.replace(hour=3))


def test_a_spike_alerts_once_with_the_rate(
    make_watch, make_source, make_candidate, listen, django_capture_on_commit_callbacks
):
    make_watch("riverside", name="Spiky")
    source = make_source()
    listener = listen(source.workspace_id)
    with django_capture_on_commit_callbacks(execute=True):
        ingest(source, [make_candidate(f"Riverside fact number {n} is neutral") for n in range(6)])
        ingest(source, [make_candidate("Riverside fact number seven is neutral")])
    spikes = [e for e in listener.events() if e["type"] == "listening.spike"]
    assert len(spikes) == 1
    assert spikes[0]["data"]["count"] == 6
    assert "6 mentions in the last hour" in spikes[0]["data"]["reasons"][0]


def test_language_filter(make_watch, make_source, make_candidate):
    make_watch("riverside", language="fr")
    source = make_source()
    ingest(source, [make_candidate("The Riverside library is closed today for the holiday")])
    assert not Mention.objects.exists()
    ingest(
        source, [make_candidate("La bibliothèque Riverside est fermée aujourd'hui.", language="fr")]
    )
    assert Mention.objects.count() == 1


def test_other_workspaces_watches_do_not_match(make_watch, make_source, make_candidate, cast):
    hillview = cast["outsider"].workspace
    make_watch("riverside", workspace=hillview)
    ingest(make_source(), [make_candidate("Riverside library is great")])
    assert not Mention.objects.exists()


def test_different_posts_about_the_same_thing_stay_apart(make_watch, make_source, make_candidate):
    make_watch("riverside")
    ingest(
        make_source(),
        [
            make_candidate(
                "Riverside Library lost my hold again and nobody answered the phone when I "
                "called twice this week about it."
            ),
            make_candidate(
                "Riverside Library cancelled the chess club again and nobody told the kids "
                "who turned up on Saturday morning."
            ),
        ],
    )
    assert Mention.objects.count() == 2


def test_a_post_the_network_removed_leaves_the_list(
    make_watch, make_source, make_candidate, client_for, cast
):
    make_watch("riverside")
    source = make_source(kind="reddit", url="https://oauth.reddit.com", query="riverside")
    post = make_candidate("Riverside Library is hiring pages", source_id="t3_abc")
    ingest(source, [post])
    mention = Mention.objects.get()
    page = client_for(cast["agent"]).get("/w/riverside/listening/").content.decode()
    assert "hiring pages" in page
    removed = make_candidate("[removed]", source_id="t3_abc", removed=True)
    report = ingest(source, [removed])
    assert report.removed == 1
    mention.refresh_from_db()
    assert mention.removed_at is not None
    page = client_for(cast["agent"]).get("/w/riverside/listening/").content.decode()
    assert "hiring pages" not in page


def test_the_screen_stores_what_matching_every_post_stores(
    make_watch, make_source, make_candidate, monkeypatch
):
    """Posts the cheap screen turns away (listening/query.py `may_match`) are exactly
    posts no watch matches: the same mentions with it as with every post matched."""
    from frontdesk.listening.query import Query

    make_watch('"riverside library" -california')
    make_watch("bibliothèque OR librar*", language="fr")
    make_watch("makerspace OR -riverside")  # matches posts without any of its words
    make_watch('(fines OR fees) AND library NOT "riverside library"')
    posts = [
        ("Loved storytime at RIVERSIDE Library today!", ""),
        ("The Riverside Library, California, hosts a sale.", ""),
        ("La Bibliothèque Riverside est fermée.", "fr"),
        ("Les LIBRAIRIES ferment tôt.", "fr"),
        ("the library charges late fees again", ""),
        ("Riverside parks are nice", ""),
        ("Riverside Library late fines", ""),
        ("Nothing about us at all.", ""),
    ]

    def stored() -> tuple[list[tuple[str, list[str], list[str], str]], tuple[int, int]]:
        source = make_source()
        report = ingest(
            source,
            [
                make_candidate(body, source_id=f"post-{n}", title=f"Post {n}", language=lang)
                for n, (body, lang) in enumerate(posts)
            ],
        )
        rows = [
            (m.external_id, m.matched_terms, sorted(w.name for w in m.watches.all()), m.excerpt)
            for m in Mention.objects.filter(source=source).order_by("external_id")
        ]
        Sighting.objects.all().delete()
        Mention.objects.all().delete()
        return rows, (report.unmatched, len(report.new_mentions))

    screened = stored()
    monkeypatch.setattr(Query, "may_match", lambda self, folded: True)
    assert stored() == screened
    assert screened[0]  # some posts matched, some did not
    assert screened[1][0] > 0


def test_a_polls_alerts_reach_open_pages_together_after_commit(
    make_watch, make_source, make_candidate, listen, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from frontdesk.listening import live

    make_watch("riverside", name="Our name")
    source = make_source()
    listener = listen(source.workspace_id)
    posts = [
        make_candidate(f"Riverside Library lost my hold {n} times. Terrible.") for n in (2, 3, 4)
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        ingest(source, posts)
    assert len(callbacks) == 1  # one hand-over to the channel layer for the poll
    assert listener.events() == []  # nothing before commit
    callbacks[0]()
    events = [e for e in listener.events() if e["type"] == "listening.alert"]
    ids = list(Mention.objects.order_by("pk").values_list("pk", flat=True))
    assert [e["data"]["id"] for e in events] == ids and len(ids) == 3  # in order

    # An event made in a savepoint that is rolled back is not sent.
    mention = Mention.objects.get(pk=ids[0])
    with django_capture_on_commit_callbacks(execute=True), live.batched():
        live.mention_changed(mention)
        try:
            with transaction.atomic():
                live.mention_changed(Mention.objects.get(pk=ids[1]))
                raise RuntimeError
        except RuntimeError:
            pass
    assert [e["data"]["id"] for e in listener.events()] == [ids[0]]


def test_polls_stored_together_hand_their_events_over_once(
    make_watch, make_source, make_candidate, listen, monkeypatch, django_capture_on_commit_callbacks
):
    """As polling stores a round's polls (one transaction, a savepoint each): their
    events reach open pages in one hand-over after the commit, in order, without
    those of a poll whose savepoint was rolled back."""
    from django.db import transaction

    from frontdesk.listening import live

    make_watch("riverside", name="Our name")
    sources = [make_source(url=f"https://s{n}.example/feed.xml") for n in range(3)]
    listener = listen(sources[0].workspace_id)
    handed = []
    publish_all = live._publish_all
    monkeypatch.setattr(
        live, "_publish_all", lambda events: handed.append(len(events)) or publish_all(events)
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic(), live.batched():
        for n, source in enumerate(sources):
            try:
                with transaction.atomic(), live.batched():
                    ingest(source, [make_candidate(f"Riverside Library lost my hold {n}. Awful.")])
                    if n == 2:  # failing in its batch, the last: what was joined stays
                        raise RuntimeError("this poll is rolled back")
            except RuntimeError:
                pass
    kept = list(Mention.objects.order_by("pk").values_list("pk", flat=True))
    assert len(kept) == 2
    assert handed == [2]
    alerts = [e["data"]["id"] for e in listener.events() if e["type"] == "listening.alert"]
    assert alerts == kept


def test_a_polls_new_mentions_are_stored_in_one_insert_and_copies_within_it_are_one(
    make_watch, make_source, make_candidate
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    watch = make_watch("riverside")
    source = make_source()
    story = (
        "Riverside Library opened its new makerspace this week with two 3D printers, "
        "a laser cutter and volunteers who show newcomers how it all works"
    )
    posts = [
        make_candidate(f"Riverside Library post number {n} about something else entirely.")
        for n in range(5)
    ]
    posts += [
        make_candidate(story, url="https://blog.example/maker?utm_source=rss"),
        make_candidate(story.upper() + "!", source_id="copy-exact"),  # the same words
        make_candidate(story + " (via our planet)", source_id="copy-near"),  # a near copy
        make_candidate("Riverside again", url="https://blog.example/maker"),  # the same page
    ]
    with CaptureQueriesContext(connection) as queries:
        report = ingest(source, posts)
    inserts = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("INSERT") and 'INTO "listening_mention" ' in q["sql"]
    ]
    assert len(inserts) == 1
    assert len(report.new_mentions) == 6 and report.duplicates == 3
    assert Mention.objects.count() == 6
    maker = Mention.objects.get(canonical_url="https://blog.example/maker")
    assert sorted(maker.sightings.values_list("external_id", flat=True)) == sorted(
        [posts[5].source_id, "copy-exact", "copy-near", posts[8].source_id]
    )
    assert Sighting.objects.count() == 9
    assert all(list(m.watches.all()) == [watch] for m in Mention.objects.all())


def test_a_story_another_poller_stored_a_moment_before_is_not_new(
    make_watch, make_source, make_candidate, listen, django_capture_on_commit_callbacks
):
    """Between reading which stories exist and inserting, another worker stores one of
    them (a write at the database right after our read of existing stories): the
    others are stored, that one is sighted as the story it is and alerts nobody again."""
    from django.db import connection

    from frontdesk.listening import stories
    from frontdesk.listening.ingest import plain

    make_watch("riverside")
    source, other = make_source(), make_source(url="http://127.0.0.1:9/other.xml")
    raced = make_candidate("Riverside Library lost my hold again. Terrible.", title="Hold")
    calm = make_candidate("Riverside Library lost my card. Terrible service.", title="Card")
    listener = listen(source.workspace_id)
    theirs: list[Mention] = []
    raced_once: list[bool] = []

    read: list[bool] = []

    def another_worker_first(execute, sql, params, many, context):
        if read and not raced_once:  # the next statement after our read of stories
            raced_once.append(True)
            theirs.append(
                Mention.objects.create(
                    workspace=source.workspace,
                    source=other,
                    external_id="elsewhere",
                    story_key=stories.fingerprint(plain(raced.title), plain(raced.body)),
                    title="Hold",
                    text=raced.body,
                )
            )
        if '"story_key" IN' in sql:
            read.append(True)
        return execute(sql, params, many, context)

    with (
        django_capture_on_commit_callbacks(execute=True),
        connection.execute_wrapper(another_worker_first),
    ):
        report = ingest(source, [raced, calm])
    assert theirs
    (new,) = report.new_mentions
    assert Mention.objects.get(pk=new).title == "Card"
    assert Mention.objects.count() == 2
    assert Sighting.objects.get(external_id=raced.source_id).mention_id == theirs[0].pk
    alerted = [e["data"]["id"] for e in listener.events() if e["type"] == "listening.alert"]
    assert alerted == [new]


def test_the_near_copy_pool_keeps_the_newest_only(make_watch, make_source, monkeypatch):
    """A poller keeps one RecentStories per workspace for a whole round of polls; the
    mentions stored through it join the pool and push the oldest out, so each post is
    compared with at most NEAR_POOL stories however many the round stores (it grew
    with every mention stored before)."""
    from frontdesk.listening import ingest as ingesting

    monkeypatch.setattr(ingesting, "NEAR_POOL", 3)
    recent = ingesting.RecentStories(make_source(), timezone.now())
    assert recent.find(12345, "A title", "a text") is None  # reads the (empty) pool
    # Unrelated SimHashes (about 32 bits apart), some with the top bit set (stored
    # signed, kept unsigned).
    rng = random.Random(5)
    hashes = {pk: rng.getrandbits(64) - (1 << 63) for pk in range(1, 13)}
    for pk in range(1, 11):
        recent.add(pk, hashes[pk])
    assert {pk: recent.close_to(hashes[pk]) for pk in range(1, 11)} == {
        pk: [pk] if pk >= 8 else [] for pk in range(1, 11)
    }
    recent.add(11, hashes[11])
    recent.add(12, hashes[12])
    assert [pk for pk in range(1, 13) if recent.close_to(hashes[pk])] == [10, 11, 12]
    # A near copy (a few bits flipped) is found; an unrelated one is not.
    assert recent.close_to(hashes[12] ^ 0b1011) == [12]
    assert recent.close_to(hashes[3] ^ 0b1011) == []
