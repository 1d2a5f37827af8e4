"""Polling sources: claim the due ones, fetch them, store what they found.

`poll_due_sources()` is what the periodic task runs (tasks.py). It claims due
sources with one conditional UPDATE (a claim token and time on rows still due and
unclaimed, or claimed by a worker that died), so two workers never poll one source.
Fetching runs in a small thread pool with a per-host limit and a delay between
requests to one host (feeds often share a host); storing runs in the calling
thread, one transaction per source. A failure backs the source off exponentially
with the reason kept for staff; it is retried for ever, never disabled.
"""

from __future__ import annotations

import logging
import queue
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from frontdesk.connectors.base import PollResult
from frontdesk.listening import fetcher, live
from frontdesk.listening.adapters import NoAdapter, connector_for
from frontdesk.listening.fetcher import Answer
from frontdesk.listening.ingest import (
    IngestReport,
    RecentStories,
    compiled_watches,
    ingest,
    rules_of,
)
from frontdesk.listening.models import MAX_BACKOFF, MIN_POLL_SECONDS, Source, Watch
from frontdesk.listening.query import Query
from frontdesk.listening.reading import Post, Rule, read_posts, screen

logger = logging.getLogger(__name__)

CLAIM_BATCH = 50
# At most this many fetched polls are stored in one transaction (see poll_due_sources).
STORE_TOGETHER = 8
CLAIM_TIMEOUT = timedelta(minutes=10)
# The periodic poll (tasks.poll_sources, every minute) claims more due sources for this
# long: 50 a minute would not keep up with a few thousand feeds polled every 15 minutes.
ROUND_SECONDS = 50.0


def claim_due(*, now: datetime | None = None, limit: int = CLAIM_BATCH) -> list[Source]:
    """Claim up to `limit` due sources for this caller (one UPDATE) and return them."""
    now = now or timezone.now()
    token = secrets.token_hex(8)
    claimable = Q(is_active=True, next_poll_at__lte=now) & (
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT)
    )
    due = Source.objects.filter(claimable).order_by("next_poll_at").values("pk")[:limit]
    # The claim's WHERE repeats the conditions: a row another worker claimed between
    # the sub-select and the update is not taken twice (PostgreSQL re-checks the
    # updated row; SQLite runs one writer at a time).
    Source.objects.filter(claimable, pk__in=list(due.values_list("pk", flat=True))).update(
        claimed_at=now, claim_token=token
    )
    return list(
        Source.objects.filter(claim_token=token, claimed_at=now).select_related("workspace")
    )


def backoff_for(source: Source) -> timedelta:
    """After `failures` failures in a row: the interval doubled each time, at most MAX_BACKOFF."""
    base = timedelta(seconds=max(MIN_POLL_SECONDS, source.interval_seconds))
    return min(base * (2 ** max(0, source.failures - 1)), MAX_BACKOFF)


def next_interval(source: Source, result: PollResult) -> timedelta:
    """The source's interval, or longer when the source asked (Cache-Control, TTL, ...)."""
    wanted = source.interval_seconds
    hint = result.next_poll_after
    if hint is None:  # an adapter that only keeps the hint in its cursor
        hint = (result.cursor or {}).get("poll_after_seconds")
    if isinstance(hint, int | float) and hint > wanted:
        wanted = int(min(hint, MAX_BACKOFF.total_seconds()))
    return timedelta(seconds=max(MIN_POLL_SECONDS, wanted))


@dataclass
class Outcome:
    source: Source
    result: PollResult | None = None
    error: str = ""
    permanent: bool = False
    retry_after: float | None = None
    # What each candidate is, when it was read where it was fetched (the feed reader).
    posts: list[Post | None] | None = None

    @classmethod
    def of(cls, source: Source, answer: Answer) -> Outcome:
        return cls(
            source,
            result=answer.result,
            error=answer.error,
            permanent=answer.permanent,
            retry_after=answer.retry_after,
            posts=answer.posts,
        )


Keep = Callable[[str], bool]


def fetch(source: Source, keep: Keep | None = None, lane: int = 0) -> Outcome:
    """One poll of one source through its connector, in this process (no database
    access). `keep`: for an adapter whose account takes one (feeds), the test that
    spares it reading posts no watch can match (reading.screen); `lane`: the host
    gate's lane it runs in (fetcher.HostGate)."""
    try:
        connector, account = connector_for(source)
    except NoAdapter as error:
        return Outcome(source, error=str(error), permanent=True)
    answer = fetcher.poll_once(connector, account, dict(source.cursor or {}), keep, lane)
    return Outcome.of(source, answer)


def record(
    outcome: Outcome,
    *,
    now: datetime | None = None,
    watches: dict[int, list[tuple[Watch, Query]]] | None = None,
    recent: dict[int, RecentStories] | None = None,
    updates: list[tuple[int, dict[str, Any]]] | None = None,
    alone: bool = True,
) -> IngestReport | None:
    """Store one poll's outcome: mentions, cursor, next poll, or the failure.

    `watches`: the workspaces' compiled watches already read in this round of polls
    (by workspace id; filled as needed), so each source does not read them again;
    `recent`: likewise their recent stories' SimHashes (ingest.RecentStories).
    `updates`: where to leave the source's own row update (its pk and fields) for the
    caller to write with the others of its transaction (`update_sources`); without
    it the row is written here, in one transaction with the mentions. `alone`: the
    mentions in a transaction of their own, a savepoint inside the caller's (False:
    in the caller's, which a failure here leaves to be rolled back whole)."""
    source, now = outcome.source, now or timezone.now()
    fields: dict[str, Any] = {"claimed_at": None, "claim_token": "", "last_polled_at": now}
    report = None
    storing = outcome.result is not None and bool(outcome.result.candidates)
    # Mentions are stored in a transaction (a savepoint in the caller's) of their own;
    # a poll that found nothing new (a 304, a failure) has only its row to write.
    with transaction.atomic(savepoint=alone) if updates is None or storing else nullcontext():
        if outcome.result is not None:
            candidates = outcome.result.candidates
            # Nothing new (a 304, an empty feed): nothing to match, not even the watches.
            report = IngestReport()
            if candidates:
                known = None
                if watches is not None:
                    known = watches.get(source.workspace_id)
                    if known is None:
                        known = watches[source.workspace_id] = compiled_watches(source)
                report = ingest(
                    source, candidates, now=now, watches=known, recent=recent, posts=outcome.posts
                )
            cursor = dict(outcome.result.cursor)
            moved = outcome.result.moved_to or cursor.get("moved_to")
            if isinstance(moved, str) and moved.startswith(("http://", "https://")):
                fields["url"] = moved[:1000]  # a permanent redirect: follow it from now on
            if cursor != source.cursor:  # a 304 leaves it as it was: not written again
                fields["cursor"] = cursor
            fields |= {
                "failures": 0,
                "last_error": "",
                "last_ok_at": now,
                "next_poll_at": now + next_interval(source, outcome.result),
            }
        else:
            source.failures += 1
            wait = backoff_for(source)
            if outcome.retry_after:  # the source said when to come back (Retry-After)
                wait = max(wait, timedelta(seconds=min(outcome.retry_after, 86_400)))
            kind = "Refused or gone" if outcome.permanent else "Failed"
            fields |= {
                "failures": source.failures,
                "last_error": f"{kind}: {outcome.error}"[:2000],
                "next_poll_at": now + wait,
            }
            logger.warning(
                "source poll failed",
                extra={"source": source.pk, "failures": source.failures, "error": outcome.error},
            )
        if updates is None:
            Source.objects.filter(pk=source.pk).update(**fields)
        else:
            updates.append((source.pk, fields))
    for name, value in fields.items():
        setattr(source, name, value)
    return report


def _host(source: Source) -> str:
    return (urlsplit(source.url).hostname or source.kind).lower()


Ready = Callable[[], Outcome]


More = Callable[[int], list[Source]]


def fetched_together(
    sources: list[Source],
    most: int,
    *,
    rules: dict[int, list[Rule]] | None = None,
    more: More | None = None,
) -> Iterator[list[Outcome]]:
    """Fetch `sources` concurrently, per-host limited; yields, as soon as one fetch is
    done, it and every other one already done (at most `most`; in no set order), so
    the caller stores them while the others are still on their way. Never waits for
    a fetch to have company. `more(n)`: asked, once at most half of the fetches given
    are still on their way, for up to n more sources to fetch alongside (none: no
    more), so the fetchers are not idle while the last of a batch come in, nor while
    the caller stores those done (unless a whole batch of them waits).

    `rules`: by workspace id, its watches as reading.Rule (read when `more` returns);
    they give the screen (reading.screen: a feed's entries none can match are not read
    past their id). In the feed reader (fetcher.py) when it is in use, which also reads
    each poll's posts with them; otherwise in a pool of this process's threads, and the
    posts are read when stored."""
    if not sources:
        return
    done: queue.SimpleQueue[Ready] = queue.SimpleQueue()
    with ExitStack() as stack:
        share: Callable[[bool], None] | None = None
        if fetcher.in_use():
            reader = fetcher.reader()
            reader.configure()
            share = reader.share

            def submit(found: list[Source]) -> None:
                polls = [
                    _poll_for_reader(source, (rules or {}).get(source.workspace_id), done)
                    for source in found
                ]
                reader.submit([poll for poll in polls if poll is not None])

        else:
            gate = fetcher.HostGate(
                settings.LISTENING_HOST_CONCURRENCY, settings.LISTENING_HOST_DELAY_SECONDS
            )
            workers = max(1, min(settings.LISTENING_POLL_THREADS, len(sources)))
            pool = stack.enter_context(
                ThreadPoolExecutor(max_workers=workers, thread_name_prefix="listening")
            )

            screens: dict[int, Keep | None] = {}

            def submit(found: list[Source]) -> None:
                for source in found:
                    if source.workspace_id not in screens:
                        watching = (rules or {}).get(source.workspace_id) or []
                        screens[source.workspace_id] = (
                            screen(rule.compiled for rule in watching) if watching else None
                        )
                    keep = screens[source.workspace_id]
                    future = pool.submit(gate.run, _host(source), partial(fetch, source, keep))
                    future.add_done_callback(lambda f: done.put(f.result))

        submit(sources)
        batch = left = len(sources)
        while left:
            if share is not None:
                # About to wait with nothing to store: this thread reads the posts of
                # the polls that end meanwhile (the reader leaves them unread); a
                # whole batch of answers waiting: the reader reads them again.
                waiting = done.qsize()
                if waiting == 0 or waiting >= most:
                    share(waiting == 0)
            ready = [_next(done)]
            while len(ready) < most:
                try:
                    ready.append(done.get_nowait())
                except queue.Empty:
                    break
            left -= len(ready)
            yield [outcome() for outcome in ready]
            # Those still on their way, not those done and waiting to be stored: the
            # fetchers are kept busy while this thread stores a backlog (at most a
            # batch of outcomes waits here).
            away = left - done.qsize()
            if more is not None and away <= batch // 2 and left - away < batch:
                found = more(batch - away)
                if not found:
                    more = None
                submit(found)
                left += len(found)


def _poll_for_reader(
    source: Source, rules: list[Rule] | None, done: queue.SimpleQueue[Ready]
) -> fetcher.Poll | None:
    """What the reader is asked for `source` (None: no adapter; its failure is
    told at once)."""
    try:
        connector, account = connector_for(source)
    except NoAdapter as error:
        reason = str(error)
        done.put(lambda: Outcome(source, error=reason, permanent=True))
        return None

    def then(answer: fetcher.Answer | fetcher.ReaderGone) -> None:
        if isinstance(answer, fetcher.ReaderGone):
            reason = str(answer).capitalize() + "."
            done.put(lambda: Outcome(source, error=reason))
        else:
            done.put(lambda: Outcome.of(source, answer))

    return fetcher.Poll(
        connector,
        account,
        dict(source.cursor or {}),
        rules,
        source.pk,
        _host(source),
        (settings.LISTENING_HOST_CONCURRENCY, settings.LISTENING_HOST_DELAY_SECONDS),
        then,
    )


def _next(done: queue.SimpleQueue[Ready]) -> Ready:
    """The next fetch done; a reader that answers nothing for too long is replaced
    (its polls come back failed)."""
    while True:
        try:
            return done.get(timeout=fetcher.STALL_SECONDS)
        except queue.Empty:
            if fetcher.in_use():
                fetcher.reader().stall()


def fetched(sources: list[Source]) -> Iterator[Outcome]:
    """Each outcome of `fetched_together`, one by one."""
    for ready in fetched_together(sources, 1):
        yield from ready


def poll_due_sources(
    *, now: datetime | None = None, limit: int = CLAIM_BATCH, seconds: float | None = None
) -> list[Outcome]:
    """Claim, fetch and record due sources, `limit` at a time; each is stored (in
    this thread) as soon as its own fetch is done. `seconds`: for that long, more due
    sources are claimed as those in hand are done (fetched_together's `more`), so a
    worker keeps up with thousands of feeds; None (or a given `now`, which would
    make the same sources due again): the first claim only.

    The outcomes already fetched when storing comes round (up to STORE_TOGETHER) are
    stored in one transaction (store_together): one commit for them, and a source
    that fails to store is rolled back alone. The watches of
    a workspace, and its recent stories' SimHashes (for near copies; the mentions
    stored meanwhile are added), are read once per call. The watches are read before
    the fetches: a feed's entries that none of them can match are not read past their
    id (reading.screen), and they are matched where they are fetched."""
    outcomes: list[Outcome] = []
    watches: dict[int, list[tuple[Watch, Query]]] = {}
    recent: dict[int, RecentStories] = {}
    rules: dict[int, list[Rule]] = {}
    until = None if seconds is None or now is not None else time.monotonic() + seconds

    def claim(most: int) -> list[Source]:
        if until is not None and time.monotonic() > until and outcomes:  # the round is over
            return []
        claimed = claim_due(now=now, limit=most)
        for source in claimed:
            if source.workspace_id not in watches:
                watches[source.workspace_id] = compiled_watches(source)
                rules[source.workspace_id] = rules_of(watches[source.workspace_id])
        return claimed

    together = fetched_together(
        claim(limit),
        STORE_TOGETHER,
        rules=rules,
        more=claim if until is not None else None,
    )
    for ready in together:
        outcomes.extend(ready)
        read_unread(ready, rules)
        store_together(ready, watches, recent)
    return outcomes


def store_together(
    ready: list[Outcome],
    watches: dict[int, list[tuple[Watch, Query]]],
    recent: dict[int, RecentStories],
) -> None:
    """Record `ready` in one transaction, with one hand-over of their live events to
    open pages (live.batched). First all in one go; if one fails, the transaction is
    rolled back and they are recorded again, each in a savepoint of its own, so the
    one that fails is rolled back and released alone. (A savepoint for each from the
    start would cost two more round trips a poll, on PostgreSQL, for a failure that
    is rare.)"""
    sources = [(outcome.source, dict(outcome.source.__dict__)) for outcome in ready]
    try:
        with transaction.atomic(), live.batched():
            updates: list[tuple[int, dict[str, Any]]] = []
            for outcome in ready:
                record(outcome, watches=watches, recent=recent, updates=updates, alone=False)
            update_sources(updates)
        return
    except Exception:  # which one is found below, alone
        logger.info("storing polls together failed: again one by one", exc_info=True)
    # What the rolled-back transaction changed in memory is read or worked out again:
    # the sources as they were, the workspaces' watches (a spike's time) and stories.
    for source, state in sources:
        source.__dict__.clear()
        source.__dict__.update(state)
    watches.clear()
    recent.clear()
    try:
        with transaction.atomic(), live.batched():
            updates = []
            for outcome in ready:
                _record_or_release(outcome, watches, recent, updates)
            update_sources(updates)
    except Exception:  # the commit itself failed: these are polled again
        logger.exception("storing polls failed", extra={"sources": len(ready)})
        _release([outcome.source.pk for outcome in ready])
        recent.clear()  # it may hold mentions that were not stored


def read_unread(outcomes: list[Outcome], rules: dict[int, list[Rule]]) -> None:
    """Read the posts of outcomes the reader left unread (fetcher.SHARING), before
    their transaction: matching and triage need no database, and a write
    transaction held open while they run would keep others waiting on SQLite."""
    for outcome in outcomes:
        result, watching = outcome.result, rules.get(outcome.source.workspace_id)
        if outcome.posts is None and result is not None and result.candidates and watching:
            try:
                outcome.posts = read_posts(result.candidates, watching, source_id=outcome.source.pk)
            except Exception:  # ingest reads them again, and says what failed
                logger.exception(
                    "reading a poll's posts failed", extra={"source": outcome.source.pk}
                )


def _record_or_release(
    outcome: Outcome,
    watches: dict[int, list[tuple[Watch, Query]]],
    recent: dict[int, RecentStories],
    updates: list[tuple[int, dict[str, Any]]],
) -> None:
    try:
        record(outcome, watches=watches, recent=recent, updates=updates)
    except Exception:  # one source's bad data must not block the rest; retried later
        logger.exception("storing a poll failed", extra={"source": outcome.source.pk})
        # What was read for its workspace may have been changed in memory by the
        # rolled-back storing (a spike's time, a mention not stored): read it again.
        watches.pop(outcome.source.workspace_id, None)
        recent.pop(outcome.source.workspace_id, None)
        _release([outcome.source.pk])


def update_sources(updates: list[tuple[int, dict[str, Any]]]) -> None:
    """Write sources' rows after their polls: one statement, run once per row with its
    values (executemany: one round trip), for each set of fields. The values are
    prepared as the ORM prepares them for an update (`get_db_prep_save`)."""
    groups: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for pk, fields in updates:
        groups[tuple(sorted(fields))].append((pk, fields))
    connection = connections[Source.objects.db]
    quote = connection.ops.quote_name
    meta = Source._meta
    concrete = {field.name: field for field in meta.concrete_fields}
    for names, rows in groups.items():
        columns = [concrete[name] for name in names]
        assignments = ", ".join(f"{quote(str(column.column))} = %s" for column in columns)
        table, key = quote(meta.db_table), quote("id")
        sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"  # noqa: S608 - our names
        params = [
            [column.get_db_prep_save(fields[column.name], connection) for column in columns] + [pk]
            for pk, fields in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _release(pks: list[int]) -> None:
    Source.objects.filter(pk__in=pks).update(claimed_at=None, claim_token="")
