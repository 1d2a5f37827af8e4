"""The poller: claims, backoff with the reason, the per-host gate."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from frontdesk.connectors.base import PollResult
from frontdesk.listening import fetcher, polling
from frontdesk.listening.models import MAX_BACKOFF, Source

pytestmark = pytest.mark.django_db


def test_a_due_source_is_claimed_once(make_source):
    now = timezone.now()
    due = make_source(next_poll_at=now - timedelta(minutes=1))
    make_source(next_poll_at=now + timedelta(hours=1))  # not due
    make_source(next_poll_at=now - timedelta(minutes=1), is_active=False)  # paused
    first = polling.claim_due(now=now)
    second = polling.claim_due(now=now)
    assert [s.pk for s in first] == [due.pk]
    assert second == []
    # A claim left by a worker that died is taken again once stale.
    later = now + polling.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert [s.pk for s in polling.claim_due(now=later)] == [due.pk]


def test_failures_back_off_exponentially_with_the_reason_and_are_never_disabled(make_source):
    source = make_source(kind="feed", interval_seconds=900)
    waits = []
    for _ in range(8):
        now = timezone.now()
        outcome = polling.Outcome(source, error="HTTP 503 from blog.example")
        polling.record(outcome, now=now)
        source.refresh_from_db()
        waits.append(source.next_poll_at - now)
    assert waits[:3] == [timedelta(minutes=15), timedelta(minutes=30), timedelta(minutes=60)]
    assert waits[-1] == MAX_BACKOFF
    assert source.failures == 8 and source.is_active
    assert source.last_error == "Failed: HTTP 503 from blog.example"
    assert source.claimed_at is None
    # One good poll clears it.
    polling.record(polling.Outcome(source, result=PollResult((), {"etag": '"x"'})))
    source.refresh_from_db()
    assert (source.failures, source.last_error, source.cursor) == (0, "", {"etag": '"x"'})


def test_a_source_without_an_adapter_shows_why(make_source):
    source = make_source(kind="feed")
    Source.objects.filter(pk=source.pk).update(kind="pigeon")
    source.refresh_from_db()
    polling.poll_due_sources()
    source.refresh_from_db()
    assert source.last_error.startswith("Refused or gone: No adapter")
    assert source.failures == 1


def test_the_source_may_ask_for_slower_polls_and_a_moved_feed_is_followed(make_source):
    source = make_source(interval_seconds=900)
    now = timezone.now()
    result = PollResult((), {"poll_after_seconds": 3600, "moved_to": "https://new.example/f"})
    polling.record(polling.Outcome(source, result=result), now=now)
    source.refresh_from_db()
    assert source.next_poll_at - now == timedelta(hours=1)
    assert source.url == "https://new.example/f"


def test_the_host_gate_limits_concurrent_requests_per_host():
    """At most `limit` at once to one host, each in a lane of its own (a feed poll
    keeps a connection pool per lane): two requests to one host never share a lane."""
    gate = fetcher.HostGate(limit=2, delay=0)
    running: dict[str, set[int]] = {"a": set(), "b": set()}
    most: dict[str, int] = {"a": 0, "b": 0}
    shared_a_lane = []
    lock = threading.Lock()
    release = threading.Event()

    def call(host, lane):
        with lock:
            if lane in running[host]:
                shared_a_lane.append((host, lane))
            running[host].add(lane)
            most[host] = max(most[host], len(running[host]))
        release.wait(5)
        with lock:
            running[host].discard(lane)
        return polling.Outcome(None)  # type: ignore[arg-type]

    threads = [
        threading.Thread(target=gate.run, args=(host, lambda lane, h=host: call(h, lane)))
        for host in "aaaaabb"
    ]
    for thread in threads:
        thread.start()
    # Release them once both hosts are at their limit (a condition, not a sleep).
    deadline = threading.Event()
    for _ in range(1000):
        with lock:
            if running == {"a": {0, 1}, "b": {0, 1}}:
                break
        deadline.wait(0.01)
    with lock:
        at_limit = {host: set(lanes) for host, lanes in running.items()}
    release.set()
    for thread in threads:
        thread.join(10)
    assert at_limit == {"a": {0, 1}, "b": {0, 1}}
    assert most == {"a": 2, "b": 2}  # never a third request to one host at once
    assert shared_a_lane == []
    # Lanes come back: the next request takes the lowest free one.
    assert gate.run("a", lambda lane: lane) == 0


def test_polls_stored_together_keep_each_other_when_one_fails(
    make_source, make_watch, make_candidate, monkeypatch, settings
):
    """Polls already fetched are stored in one transaction; when one fails, they are
    stored again each in its own savepoint: the one that fails is rolled back and
    released, the others are kept as if nothing had happened (a failed fetch among
    them counted once, cursors written)."""
    settings.LISTENING_FETCH_PROCESS = False  # polling.fetch is replaced: in this process
    from frontdesk.listening.models import Mention

    make_watch("riverside")
    sources = [make_source(url=f"http://127.0.0.1:9/f{n}.xml") for n in range(5)]
    down, bad = sources[1], sources[2]
    posts = {s.pk: make_candidate(f"Riverside Library post from source {s.pk}") for s in sources}

    def fetch(source, keep=None, lane=0):
        if source.pk == down.pk:
            return polling.Outcome(source, error="HTTP 503")
        return polling.Outcome(source, result=PollResult((posts[source.pk],), {"etag": '"e"'}))

    real_ingest = polling.ingest

    def ingest(source, candidates, **kwargs):
        report = real_ingest(source, candidates, **kwargs)  # its mention is written...
        if source.pk == bad.pk:
            raise RuntimeError("bad data")  # ...then rolled back with its savepoint
        return report

    def together(found, most, **options):  # all in one go, the failed fetch before the bad one
        yield [polling.fetch(source) for source in sorted(found, key=lambda s: s.pk)]

    monkeypatch.setattr(polling, "fetch", fetch)
    monkeypatch.setattr(polling, "ingest", ingest)
    monkeypatch.setattr(polling, "fetched_together", together)
    outcomes = polling.poll_due_sources()
    assert len(outcomes) == 5
    stored = set(Mention.objects.values_list("source_id", flat=True))
    assert stored == {s.pk for s in sources} - {bad.pk, down.pk}
    for source in sources:
        source.refresh_from_db()
        assert source.claimed_at is None and source.claim_token == ""
        assert (source.last_ok_at is None) is (source.pk in (bad.pk, down.pk))
        if source.pk not in (bad.pk, down.pk):
            assert source.cursor == {"etag": '"e"'} and source.failures == 0
    assert (down.failures, down.last_error) == (1, "Failed: HTTP 503")
    assert bad.failures == 0 and bad.cursor == {}  # polled again next round


def test_polls_stored_together_open_no_savepoint_each_when_all_is_well(
    make_source, make_watch, make_candidate, monkeypatch, settings
):
    """On PostgreSQL a savepoint is a round trip the storing thread waits for: polls
    stored together run in their one transaction (a savepoint here, inside the test's)
    and open none of their own unless one fails; each poll's new mentions are one
    INSERT, its sightings and watch links one statement each."""
    settings.LISTENING_FETCH_PROCESS = False  # polling.fetch is replaced: in this process
    from django.db import connection

    from frontdesk.listening.models import Mention, Sighting

    make_watch("riverside")
    sources = [make_source(url=f"http://127.0.0.1:9/g{n}.xml") for n in range(4)]
    posts = {
        s.pk: (
            make_candidate(f"Riverside Library post {s.pk}", source_id=f"{s.pk}-a"),
            make_candidate(f"Riverside Library another {s.pk}", source_id=f"{s.pk}-b"),
        )
        for s in sources
    }

    def fetch(source, keep=None, lane=0):
        return polling.Outcome(source, result=PollResult(posts[source.pk], {"etag": '"e"'}))

    def together(found, most, **options):
        yield [polling.fetch(source) for source in found]

    monkeypatch.setattr(polling, "fetch", fetch)
    monkeypatch.setattr(polling, "fetched_together", together)
    statements: list[str] = []

    def seen(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(seen):
        polling.poll_due_sources()
    assert Mention.objects.count() == 8 and Sighting.objects.count() == 8
    savepoints = [sql for sql in statements if sql.startswith("SAVEPOINT")]
    assert len(savepoints) == 1  # the batch's transaction, inside the test's
    inserts = [sql.split("(")[0] for sql in statements if sql.startswith("INSERT")]
    tables = [
        Mention._meta.db_table,
        Sighting._meta.db_table,
        Mention.watches.through._meta.db_table,
    ]
    assert [sum(f'"{table}"' in sql for sql in inserts) for table in tables] == [4, 4, 4]


def test_a_story_rolled_back_with_its_source_is_new_for_the_next_one(
    make_source, make_watch, make_candidate, monkeypatch, settings
):
    """A source whose storing fails is rolled back: the near copies known to the round
    forget what it stored, and the same story from the next source is a new mention."""
    settings.LISTENING_FETCH_PROCESS = False  # polling.fetch is replaced: in this process
    from frontdesk.listening.models import Mention

    make_watch("riverside")
    first, second = (
        make_source(url="http://127.0.0.1:9/a.xml"),
        make_source(url="http://127.0.0.1:9/b.xml"),
    )
    text = (
        "Riverside Library lost my hold for the third time this month and nobody "
        "answered the phone when I called about it"
    )
    posts = {
        first.pk: make_candidate(text, source_id="a-1", url="https://a.example/1"),
        second.pk: make_candidate(text + " (shared)", source_id="b-1", url="https://b.example/1"),
    }

    def fetch(source, keep=None, lane=0):
        return polling.Outcome(source, result=PollResult((posts[source.pk],), {"etag": '"e"'}))

    real_ingest = polling.ingest

    def ingest(source, candidates, **kwargs):
        report = real_ingest(source, candidates, **kwargs)
        if source.pk == first.pk:
            raise RuntimeError("bad data")
        return report

    def in_order(found, most, **options):  # the failing source is stored first
        for source in sorted(found, key=lambda s: s.pk):
            yield [polling.fetch(source)]

    monkeypatch.setattr(polling, "fetch", fetch)
    monkeypatch.setattr(polling, "ingest", ingest)
    monkeypatch.setattr(polling, "fetched_together", in_order)
    polling.poll_due_sources()
    mention = Mention.objects.get()
    assert mention.source_id == second.pk and mention.external_id == "b-1"


def test_sources_rows_written_together_read_as_the_orm_writes_them(make_source):
    """poll_due_sources writes its sources' rows with one statement per set of fields
    (update_sources): the same values as QuerySet.update, a moved URL, a cursor with
    quotes and accents, no time, a failure's reason among them."""
    now = timezone.now()
    ok = {
        "claimed_at": None,
        "claim_token": "",
        "last_polled_at": now,
        "cursor": {"etag": '"v1"', "seen": ["a", "é"], "newest": None, "n": 3},
        "failures": 0,
        "last_error": "",
        "last_ok_at": now,
        "next_poll_at": now + timedelta(minutes=15),
        "url": "https://moved.example/feed.xml",
    }
    failed = {
        "claimed_at": None,
        "claim_token": "",
        "last_polled_at": now,
        "failures": 3,
        "last_error": "Failed: it's down (HTTP 503); trying again later.",
        "next_poll_at": now + timedelta(hours=1),
    }
    rows = []
    for n, fields in enumerate((ok, failed, ok)):
        ours = make_source(claim_token="t", url=f"http://127.0.0.1:9/ours{n}.xml")
        theirs = make_source(claim_token="t", url=f"http://127.0.0.1:9/theirs{n}.xml")
        rows.append((ours, theirs, fields, ours.url))
    polling.update_sources([(ours.pk, fields) for ours, _, fields, _ in rows])
    for ours, theirs, fields, url in rows:
        kept = (ours.kind, ours.workspace_id, ours.is_active, ours.interval_seconds)
        Source.objects.filter(pk=theirs.pk).update(**fields)
        ours.refresh_from_db()
        theirs.refresh_from_db()
        assert {n: getattr(ours, n) for n in fields} == {n: getattr(theirs, n) for n in fields}
        assert (ours.kind, ours.workspace_id, ours.is_active, ours.interval_seconds) == kept
        assert ours.claim_token == "" and ours.next_poll_at == fields["next_poll_at"]
        assert ours.url == fields.get("url", url)


def test_a_round_of_polls_claims_more_as_the_first_are_done(make_source, settings, monkeypatch):
    """poll_due_sources(seconds=...) as the periodic task runs it: more due sources
    are claimed while those in hand come in, so one round polls more than `limit`;
    without `seconds`, one claim."""
    settings.LISTENING_FETCH_PROCESS = False  # polling.fetch is replaced: in this process
    sources = [make_source(url=f"http://127.0.0.1:9/f{n}.xml") for n in range(7)]

    def fetch(source, keep=None, lane=0):
        return polling.Outcome(source, result=PollResult((), {}))

    monkeypatch.setattr(polling, "fetch", fetch)
    assert len(polling.poll_due_sources(limit=2)) == 2
    polled = polling.poll_due_sources(limit=2, seconds=polling.ROUND_SECONDS)
    assert len(polled) == 5
    assert len({o.source.pk for o in polled} | {s.pk for s in sources}) == 7
    assert polling.poll_due_sources(limit=2, seconds=polling.ROUND_SECONDS) == []
    # Past the round's time, no more are claimed than the first `limit`.
    Source.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))
    assert len(polling.poll_due_sources(limit=2, seconds=0)) == 2
