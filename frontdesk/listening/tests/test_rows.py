"""The statements storing a poll runs (listening/rows.py), on the engine under test:
what they read and write is what the ORM reads and writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from frontdesk.core.actions.workspaces import create_workspace
from frontdesk.listening import rows
from frontdesk.listening.models import Mention, Sighting

pytestmark = pytest.mark.django_db

_Link = Mention.watches.through


def _mention(source, key: str, url: str = "", **fields) -> Mention:
    return Mention.objects.create(
        workspace=source.workspace,
        source=source,
        external_id=key,
        story_key=key,
        canonical_url=url,
        **({"title": key} | fields),
    )


def test_known_finds_stories_by_key_or_address_in_this_workspace_only(
    make_source, riverside, make_user
):
    source = make_source()
    a = _mention(source, "key-a", "https://blog.example/a")
    b = _mention(source, "key-b", "https://blog.example/same")
    c = _mention(source, "key-c", "https://blog.example/same")
    _mention(source, "key-d", "https://blog.example/d")
    owner = make_user("owner@elsewhere.example", "Eli Else")
    elsewhere = create_workspace(
        name="Elsewhere", slug="elsewhere", owner=owner, owner_display_name="Eli Else"
    )
    theirs = make_source(workspace=elsewhere)
    _mention(theirs, "key-a", "https://blog.example/same")  # the same story, not ours

    found = rows.known(
        source, [], ["key-a", "key-x", "key-a"], ["https://blog.example/same", "https://no/"]
    )
    assert found.stories == [
        (a.pk, "key-a", "https://blog.example/a"),
        (b.pk, "key-b", "https://blog.example/same"),
        (c.pk, "key-c", "https://blog.example/same"),
    ]
    assert found.sighted == set()
    # A mention both by key and by address comes once.
    assert rows.known(source, [], ["key-a"], ["https://blog.example/a"]).stories == [
        (a.pk, "key-a", "https://blog.example/a")
    ]
    assert rows.known(source, [], [], []) == rows.Known(set(), [])
    assert rows.known(source, [], [], ["https://blog.example/d"]).stories[0][1] == "key-d"
    assert rows.known(theirs, [], ["key-a", "key-b"], []).stories[0][1:] == (
        "key-a",
        "https://blog.example/same",
    )


def test_known_tells_which_posts_a_source_has_sighted_with_the_stories(make_source):
    source, other = make_source(), make_source(url="http://127.0.0.1:9/other.xml")
    mention = _mention(source, "story", "https://blog.example/story")
    for src, key in ((source, "seen-1"), (source, "seen-2"), (other, "seen-3")):
        Sighting.objects.create(
            workspace=src.workspace, source=src, external_id=key, external_key=key, mention=mention
        )
    found = rows.known(source, ["seen-1", "seen-3", "new", "seen-2"], [], [])
    assert found == rows.Known({"seen-1", "seen-2"}, [])
    # Sightings and stories in the one statement; a post's key is not a story key.
    found = rows.known(source, ["seen-1", "story"], ["story", "seen-2"], ["https://no/"])
    assert found == rows.Known({"seen-1"}, [(mention.pk, "story", "https://blog.example/story")])
    assert rows.known(other, ["seen-1", "seen-3"], [], []).sighted == {"seen-3"}


def test_insert_new_stores_what_is_not_there_and_gives_the_ids_back(make_source):
    """More rows than one statement takes on SQLite (bulk_create's batches): all
    stored, each with the id the database gave it; a story already stored is skipped
    and keeps its row."""
    source = make_source()
    there = _mention(source, "key-7", title="the first one")
    at = timezone.now() - timedelta(minutes=3)
    new = [
        Mention(
            workspace=source.workspace,
            source=source,
            external_id=f"post-{n}",
            story_key=f"key-{n}",
            title=f"Post {n}",
            found_at=at,
            reach={"points": n},
            matched_terms=["riverside"],
            sentiment_score=-0.5,
        )
        for n in range(80)
    ]
    stored = rows.insert_new(Mention, new, "story_key")
    assert len(stored) == 79 and new[7] not in stored
    assert new[7].pk is None and new[7]._state.adding
    assert {m.pk for m in stored} == set(
        Mention.objects.exclude(pk=there.pk).values_list("pk", flat=True)
    )
    for mention in stored:
        again = Mention.objects.get(pk=mention.pk)
        assert (again.story_key, again.title, again.reach) == (
            mention.story_key,
            mention.title,
            mention.reach,
        )
        assert again.found_at == at and again.matched_terms == ["riverside"]
        assert not mention._state.adding
    assert Mention.objects.get(story_key="key-7").title == "the first one"
    assert rows.insert_new(Mention, [], "story_key") == []
    with pytest.raises(ValueError, match="must differ"):
        rows.insert_new(Mention, [new[0], new[0]], "story_key")


def test_insert_ignoring_writes_what_the_orm_reads_back_and_skips_what_is_there(
    make_source, make_watch
):
    source = make_source()
    first, second = _mention(source, "one"), _mention(source, "two")
    watch = make_watch("riverside")
    at = timezone.now() - timedelta(minutes=5)
    Sighting.objects.create(
        workspace=source.workspace,
        source=source,
        external_id="old",
        external_key="k-1",
        mention=second,
        seen_at=at - timedelta(days=1),
    )
    names = ("workspace_id", "source_id", "external_key", "external_id", "mention_id", "seen_at")
    rows.insert_ignoring(
        Sighting,
        names,
        [
            (source.workspace_id, source.pk, "k-1", "again", first.pk, at),  # already there
            (source.workspace_id, source.pk, "k-2", "post-2", first.pk, at),
            (source.workspace_id, source.pk, "k-3", "x" * 1000, second.pk, at),
        ],
    )
    stored = {s.external_key: s for s in Sighting.objects.filter(source=source)}
    assert set(stored) == {"k-1", "k-2", "k-3"}
    assert (stored["k-1"].external_id, stored["k-1"].mention_id) == ("old", second.pk)
    assert (stored["k-2"].external_id, stored["k-2"].mention_id) == ("post-2", first.pk)
    assert stored["k-2"].seen_at == at  # an aware time, stored and read back as the ORM does
    assert stored["k-3"].external_id == "x" * 1000
    rows.insert_ignoring(_Link, ("mention_id", "watch_id"), [(first.pk, watch.pk)] * 2)
    rows.insert_ignoring(_Link, ("mention_id", "watch_id"), [(first.pk, watch.pk)])
    rows.insert_ignoring(_Link, ("mention_id", "watch_id"), [])
    assert list(first.watches.all()) == [watch]
    assert list(watch.mentions.all()) == [first]
