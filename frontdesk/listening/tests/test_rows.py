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
        title=key,
        **fields,
    )


def test_stories_among_finds_by_key_or_address_in_this_workspace_only(
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

    found = rows.stories_among(
        riverside.pk, ["key-a", "key-x", "key-a"], ["https://blog.example/same", "https://no/"]
    )
    assert found == [
        (a.pk, "key-a", "https://blog.example/a"),
        (b.pk, "key-b", "https://blog.example/same"),
        (c.pk, "key-c", "https://blog.example/same"),
    ]
    # A mention both by key and by address comes once.
    assert rows.stories_among(riverside.pk, ["key-a"], ["https://blog.example/a"]) == [
        (a.pk, "key-a", "https://blog.example/a")
    ]
    assert rows.stories_among(riverside.pk, [], []) == []
    assert rows.stories_among(riverside.pk, [], ["https://blog.example/d"])[0][1] == "key-d"


def test_sighted_tells_which_keys_a_source_has_seen(make_source):
    source, other = make_source(), make_source(url="http://127.0.0.1:9/other.xml")
    mention = _mention(source, "story")
    for src, key in ((source, "seen-1"), (source, "seen-2"), (other, "seen-3")):
        Sighting.objects.create(
            workspace=src.workspace, source=src, external_id=key, external_key=key, mention=mention
        )
    assert rows.sighted(source.pk, ["seen-1", "seen-3", "new", "seen-2"]) == {"seen-1", "seen-2"}
    assert rows.sighted(source.pk, []) == set()


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
