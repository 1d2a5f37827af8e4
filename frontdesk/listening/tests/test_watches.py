"""Watch actions: the rules a form cannot see."""

from __future__ import annotations

from datetime import time

import pytest

from frontdesk.listening.actions import (
    ListeningError,
    NotAllowed,
    WatchSettings,
    add_exclusion,
    create_watch,
    update_watch,
)
from frontdesk.listening.query import parse

pytestmark = pytest.mark.django_db


def test_exclusions_apply_to_the_whole_query(riverside, cast):
    watch = create_watch(
        riverside, WatchSettings(name="Us", query="riverside OR hillview"), by=cast["agent"]
    )
    add_exclusion(watch, "California", by=cast["agent"])
    assert watch.query == "(riverside OR hillview) -California"
    query = parse(watch.query)
    assert not query.matches("Hillview, California")
    assert query.matches("Hillview library")
    add_exclusion(watch, "san diego", by=cast["agent"])
    assert watch.query.endswith('-"san diego"')


def test_watch_rules(riverside, cast):
    agent = cast["agent"]
    create_watch(riverside, WatchSettings(name="Us", query="riverside"), by=agent)
    with pytest.raises(ListeningError, match="exists"):
        create_watch(riverside, WatchSettings(name=" Us ", query="x"), by=agent)
    with pytest.raises(ListeningError, match="start and an end"):
        create_watch(riverside, WatchSettings(name="Q", query="x", quiet_start=time(22)), by=agent)
    with pytest.raises(ListeningError, match="two-letter"):
        create_watch(riverside, WatchSettings(name="L", query="x", language="english"), by=agent)
    with pytest.raises(ListeningError, match="never closed") as caught:
        create_watch(riverside, WatchSettings(name="B", query="(x"), by=agent)
    assert caught.value.field == "query"
    with pytest.raises(NotAllowed):
        create_watch(riverside, WatchSettings(name="M", query="x"), by=cast["moderator"])
    with pytest.raises(NotAllowed):
        create_watch(riverside, WatchSettings(name="O", query="x"), by=cast["outsider"])


def test_update_keeps_the_name_unique(riverside, cast):
    agent = cast["agent"]
    create_watch(riverside, WatchSettings(name="A", query="a"), by=agent)
    b = create_watch(riverside, WatchSettings(name="B", query="b"), by=agent)
    with pytest.raises(ListeningError, match="exists"):
        update_watch(b, WatchSettings(name="A", query="b"), by=agent)
