"""The feed reader (listening/fetcher.py): polls fetched and read in a process of their
own, stored by the worker; what happens when that process dies or hangs; the settings
it is given."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from frontdesk.listening import fetcher, polling
from frontdesk.listening.models import Mention, Source
from frontdesk.listening.tests.feedserver import FeedServer, Route, rss

pytestmark = pytest.mark.django_db

UNHAPPY = {
    "guid": "tag:blog.example,2026:hold",
    "title": "Third time my hold vanished",
    "link": "https://blog.example/2026/12/hold?utm_source=rss",
    "text": "Third time this month my hold at Riverside Library vanished. I waited two "
    "weeks and nobody answered the phone. Really frustrating.",
}
OTHER = {
    "guid": "tag:blog.example,2026:rain",
    "title": "Rain",
    "link": "https://blog.example/2026/12/rain",
    "text": "Rain all weekend, and the river is high.",
}


@pytest.fixture
def feeds(settings):
    settings.LISTENING_HOST_DELAY_SECONDS = 0
    settings.LISTENING_FETCH_PROCESS = True
    server = FeedServer()
    yield server
    server.close()


def due_again():
    Source.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))


def asked(feeds) -> list[str]:
    """The feeds the server was asked for, in order (robots.txt aside)."""
    return [path for path, _, _ in feeds.requests if path.endswith(".xml")]


def poll_once_asked(feeds, hold: threading.Event, then) -> list[polling.Outcome]:
    """poll_due_sources, with `then()` run once the server has been asked for a feed
    (whose answer `hold` keeps back; it is set when the round is over in any case)."""

    def once_asked() -> None:
        deadline = time.monotonic() + 30
        while not asked(feeds) and time.monotonic() < deadline:
            time.sleep(0.05)
        then()

    helper = threading.Thread(target=once_asked)
    helper.start()
    try:
        return polling.poll_due_sources()
    finally:
        hold.set()
        helper.join(30)


def test_polls_are_fetched_and_read_in_the_reader_and_stored_here(
    feeds, make_watch, make_source, monkeypatch
):
    make_watch("riverside")
    feeds.routes["/a.xml"] = Route(body=rss([UNHAPPY, OTHER]))
    source = make_source(url=feeds.url("/a.xml"))
    stored = []
    real_ingest = polling.ingest

    def ingest(source, candidates, **options):  # what reached the storing side
        stored.append((os.getpid(), options.get("posts")))
        return real_ingest(source, candidates, **options)

    monkeypatch.setattr(polling, "ingest", ingest)
    polling.poll_due_sources()
    reader = fetcher.reader()
    assert reader.pid is not None and reader.pid != os.getpid()
    ((pid, posts),) = stored
    assert pid == os.getpid()
    # The reader screened out the post no watch can match and read the other.
    ((post),) = posts
    assert post.title == "Third time my hold vanished" and post.matched
    assert post.analysis is not None and "sentiment" in post.analysis.__dict__
    mention = Mention.objects.get()
    assert mention.sentiment_label == "negative" and mention.alert_reasons
    assert mention.canonical_url == "https://blog.example/2026/12/hold"
    source.refresh_from_db()
    assert source.failures == 0 and source.cursor.get("etag")
    due_again()
    polling.poll_due_sources()
    assert feeds.statuses("/a.xml") == [200, 304]
    assert Mention.objects.count() == 1


def test_the_reader_is_given_the_settings_connectors_read(feeds, make_watch, make_source, settings):
    make_watch("riverside")
    feeds.routes["/a.xml"] = Route(body=rss([UNHAPPY]))
    make_source(url=feeds.url("/a.xml"))
    polling.poll_due_sources()
    settings.LISTENING_CRAWLER_CONTACT = "listening-ops@riverside.example"
    due_again()
    polling.poll_due_sources()
    agents = [h.get("User-Agent", "") for path, h, _ in feeds.requests if path == "/a.xml"]
    assert len(agents) == 2
    assert "listening-ops@riverside.example" not in agents[0]
    assert "listening-ops@riverside.example" in agents[1]


def test_a_reader_behind_leaves_posts_for_a_worker_with_nothing_to_store(
    feeds, make_watch, make_source, monkeypatch, settings
):
    """The worker waits with nothing to store and says so; the reader, with a poll
    still waiting for one of its threads, sends the poll it finished with its posts
    unread, and the worker reads them itself: the same mentions, triaged. The last
    poll, with none waiting behind it, the reader reads."""
    make_watch("riverside")
    hold = threading.Event()  # both feeds answer once it is set
    feeds.routes["/a.xml"] = Route(body=rss([UNHAPPY]), hold=hold)
    other = {
        "guid": "b-1",
        "title": "Hold lost",
        "link": "https://b.example/1",
        "text": "Riverside Library lost my hold again and nobody called back. Terrible.",
    }
    feeds.routes["/b.xml"] = Route(body=rss([other]), hold=hold)
    make_source(url=feeds.url("/a.xml"))
    make_source(url=feeds.url("/b.xml"))
    settings.LISTENING_POLL_THREADS = 1  # the second poll waits while the first is fetched
    one_thread = fetcher.reader()
    read_here = []
    real_read_posts = polling.read_posts

    def read_posts(candidates, rules, *, source_id):
        read_here.append(source_id)
        return real_read_posts(candidates, rules, source_id=source_id)

    monkeypatch.setattr(polling, "read_posts", read_posts)

    try:
        outcomes = poll_once_asked(feeds, hold, hold.set)
    finally:
        one_thread.stop()
    assert [o.error for o in outcomes] == ["", ""]
    first = next(o for o in outcomes if o.source.url.endswith(asked(feeds)[0]))
    assert read_here == [first.source.pk]  # the reader read the other one
    mentions = Mention.objects.order_by("title")
    assert [(m.title, m.sentiment_label) for m in mentions] == [
        ("Hold lost", "negative"),
        ("Third time my hold vanished", "negative"),
    ]
    assert all(m.alert_reasons for m in mentions)


def test_the_settings_list_covers_what_connectors_and_triage_read():
    root = Path(fetcher.__file__).resolve().parent.parent
    named: set[str] = set()
    for package in ("connectors", "triage"):
        for path in (root / package).rglob("*.py"):
            if "tests" in path.parts:
                continue
            text = path.read_text()
            named |= set(re.findall(r"settings\.([A-Z][A-Z0-9_]+)", text))
            named |= set(re.findall(r"getattr\(settings, \"([A-Z][A-Z0-9_]+)\"", text))
    assert named and named <= set(fetcher.READER_SETTINGS), named - set(fetcher.READER_SETTINGS)


def test_a_reader_that_dies_fails_its_polls_and_the_next_round_starts_another(
    feeds, make_watch, make_source
):
    make_watch("riverside")
    hold = threading.Event()
    feeds.routes["/hung.xml"] = Route(body=rss([UNHAPPY]), hold=hold)
    source = make_source(url=feeds.url("/hung.xml"))
    reader = fetcher.reader()
    assert reader.start(wait=60)
    started = reader.started
    killed = []

    def kill() -> None:  # the reader is killed with the poll in its hands
        if reader.pid is not None:
            os.kill(reader.pid, signal.SIGKILL)
            killed.append(True)

    outcomes = poll_once_asked(feeds, hold, kill)
    assert killed, "the reader never asked for the feed"
    ((outcome),) = outcomes
    assert outcome.result is None and "feed reader stopped" in outcome.error
    source.refresh_from_db()
    assert source.failures == 1 and "feed reader stopped" in source.last_error
    assert source.claimed_at is None and source.next_poll_at > timezone.now()
    # The next round starts a new reader and the feed is read.
    due_again()
    polling.poll_due_sources()
    assert reader.started == started + 1 and reader.pid is not None
    source.refresh_from_db()
    assert source.failures == 0 and Mention.objects.count() == 1


def test_a_reader_that_answers_nothing_is_replaced(feeds, make_watch, make_source, monkeypatch):
    make_watch("riverside")
    hold = threading.Event()
    feeds.routes["/ok.xml"] = Route(body=rss([{**UNHAPPY, "guid": "other"}]))
    ok = make_source(url=feeds.url("/ok.xml"))
    reader = fetcher.reader()
    polling.poll_due_sources()  # started, so that its start-up is not taken for a stall
    started = reader.started
    feeds.routes["/hung.xml"] = Route(body=rss([UNHAPPY]), hold=hold)
    hung = make_source(url=feeds.url("/hung.xml"))
    monkeypatch.setattr(fetcher, "STALL_SECONDS", 1.0)
    due_again()
    try:
        outcomes = {o.source.pk: o for o in polling.poll_due_sources()}
    finally:
        hold.set()
    assert outcomes[ok.pk].result is not None
    assert outcomes[hung.pk].result is None and "answered nothing" in outcomes[hung.pk].error
    assert reader.pid is None  # stopped; the next poll starts another
    due_again()
    polling.poll_due_sources()
    assert reader.started == started + 1


def test_a_watch_changed_between_rounds_is_what_the_reader_matches(feeds, make_watch, make_source):
    """The reader is sent a workspace's watches once, not with each poll; a watch
    edited later is sent again and the next round matches with it."""
    watch = make_watch("riverside")
    feeds.routes["/a.xml"] = Route(body=rss([UNHAPPY]))
    feeds.routes["/b.xml"] = Route(
        body=rss([{**UNHAPPY, "guid": "b-1", "link": "https://b.example/1"}])
    )
    make_source(url=feeds.url("/a.xml"))
    make_source(url=feeds.url("/b.xml"))
    reader = fetcher.reader()
    reader.stop()  # a fresh reader: nothing sent to it yet
    polling.poll_due_sources()
    assert Mention.objects.count() == 1  # one story from two feeds
    assert len(reader._rule_sets) == 1  # one set sent for the two polls
    watch.query = "river"
    watch.save()
    feeds.routes["/a.xml"] = Route(body=rss([UNHAPPY, OTHER]))
    due_again()
    polling.poll_due_sources()
    assert set(Mention.objects.values_list("title", flat=True)) == {
        "Third time my hold vanished",
        "Rain",
    }


def test_the_reader_exits_when_its_worker_dies(tmp_path):
    """A worker killed outright leaves no reader behind: the reader sees it is gone."""
    script = (
        "import os, sys, django\n"
        "django.setup()\n"
        "from frontdesk.listening import fetcher\n"
        "reader = fetcher.reader()\n"
        "assert reader.start(wait=60)\n"
        "print(reader.pid, flush=True)\n"
        "os._exit(0)\n"
    )
    worker = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=90,
        env=os.environ | {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
    )
    assert worker.returncode == 0, worker.stderr
    pid = int(worker.stdout.split()[-1])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            break  # a zombie: exited, waiting for its new parent to reap it
        time.sleep(0.2)
    alive = Path(f"/proc/{pid}").exists() and not Path(f"/proc/{pid}/stat").read_text().split(
        ") ", 1
    )[1].startswith("Z")
    assert not alive, f"the reader {pid} outlived its worker"


def test_a_poll_runs_with_its_screen_and_lane_where_its_account_takes_them():
    """The gate's lane and the watches' screen reach a feed account (its connection
    pool, its entries read); an account without such fields is polled as it is."""
    from dataclasses import dataclass

    from frontdesk.connectors.base import PollResult
    from frontdesk.connectors.rss.adapter import FeedAccount

    @dataclass(frozen=True)
    class Plain:
        query: str

    seen = []

    class Recording:
        def poll(self, account, cursor):
            seen.append(account)
            return PollResult((), {})

    def keep(text):
        return True

    fetcher.poll_once(Recording(), FeedAccount(url="https://a.example/f"), {}, keep, 3)
    fetcher.poll_once(Recording(), Plain("library"), {}, keep, 3)
    assert seen[0] == FeedAccount(url="https://a.example/f", keep=keep, lane=3)
    assert seen[1] == Plain("library")
