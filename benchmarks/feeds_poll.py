"""Polling 5,000 feeds: the whole listening path (claim, fetch and parse through the
feed connector, robots.txt, conditional GET, then storage, watch matching, story
dedupe and triage in the database) beside a plain concurrent httpx + feedparser pass
over the same feeds, in the same run, from a local HTTP server in its own process.

The feeds: 70 % small (10 entries), 25 % medium (40), 5 % large (150), RSS and Atom;
5 % fail (500 / 404 / 410), 5 % are slow (0.3 s before a full body). Every feed has an
ETag and answers a matching If-None-Match with 304 at once. Entry texts are drawn
from a Zipf-shaped vocabulary of 4,000 made-up words, so posts differ as real ones
do; about one in five names "Riverside Library" (or its makerspace, or its fines),
which three watches look for.

Passes, 16 threads each:
- the baseline (one shared httpx client, GET + feedparser.parse), run twice (the ratio
  uses the mean, as load drifts on a shared machine);
- the connector alone (FeedConnector.poll from empty cursors), for reference;
- ours, first pass: `listening.polling.poll_due_sources` as the periodic task runs it
  (claiming more as polls end) until nothing is due, on a fresh install (SQLite by
  default, `--engine postgres`) with 5,000 feed sources: every matching entry stored as
  a mention, deduplicated, triaged. The fetching, parsing and reading run in the feed
  reader process (listening/fetcher.py) where the product runs them there (two cores
  or more; `--reader on|off`), started before the timing as the worker starts it; the
  CPU of both processes is printed;
- ours, second pass: every source made due again; all 304.
Printed: seconds, feeds/s, the ratios first/baseline and second/first, the CPU of
each process, the statements the claiming and storing thread ran (each a round trip
the thread waits for on PostgreSQL), and the duplicate checks (no new mention on the
second pass; one mention per story URL).

All feeds share one loopback host here, so the per-host politeness gate
(FRONTDESK_LISTENING_HOST_CONCURRENCY / _DELAY_MS, 2 at a time 1 s apart by default)
is opened to the thread count: it stands for 5,000 different hosts.

    .venv/bin/python benchmarks/feeds_poll.py [--feeds 5000] [--threads 16] [--engine postgres]
        [--matching 0.2] [--reader on|off] [--profile N]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")

from benchmarks.common import log  # noqa: E402

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"

SLOW_SECONDS = 0.3
VOCABULARY = 4000
PHRASES = (
    "Riverside Library",
    "the Riverside Library makerspace",
    "late fines at the library",
    "the Riverside Library 3D printer",
)


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    words = sorted(
        {
            "".join(rng.choice(letters[: rng.randint(8, 26)]) for _ in range(rng.randint(2, 10)))
            for _ in range(VOCABULARY * 2)
        }
    )[:VOCABULARY]
    rng.shuffle(words)
    return words, [1.0 / (rank + 1) for rank in range(len(words))]


MATCHING = 0.2  # share of posts that name the library


def _text(rng: random.Random, words: list[str], weights: list[float], matching: float) -> str:
    picked = rng.choices(words, weights=weights, k=rng.randint(40, 120))
    if rng.random() < matching:
        picked.insert(rng.randrange(len(picked)), rng.choice(PHRASES))
    return " ".join(picked)


def _entry(rng: random.Random, feed: int, n: int, atom: bool, vocab: Any, matching: float) -> str:
    text = _text(rng, *vocab, matching)
    title = " ".join(rng.choices(vocab[0], weights=vocab[1], k=6)).capitalize()
    day = 1 + (n % 27)
    if atom:
        return (
            f"<entry><title>{title}</title><id>tag:f{feed}.example,2026:{n}</id>"
            f'<link href="https://f{feed}.example/p/{n}"/>'
            f"<updated>2026-11-{day:02d}T10:00:00Z</updated>"
            f'<content type="html">&lt;p&gt;{text}&lt;/p&gt;</content></entry>'
        )
    return (
        f"<item><title>{title}</title><guid>https://f{feed}.example/p/{n}</guid>"
        f"<link>https://f{feed}.example/p/{n}?utm_source=rss</link>"
        f"<pubDate>Tue, {day:02d} Nov 2026 10:00:00 GMT</pubDate>"
        f"<description><![CDATA[<p>{text}</p>]]></description></item>"
    )


def build_feeds(count: int, matching: float = MATCHING, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    feeds = []
    for i in range(count):
        roll = rng.random()
        entries = 10 if roll < 0.70 else 40 if roll < 0.95 else 150
        atom = rng.random() < 0.3
        body = "".join(_entry(rng, i, n, atom, vocab, matching) for n in range(entries))
        if atom:
            doc = (
                f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>Feed {i}</title><id>tag:f{i}</id>{body}</feed>"
            )
        else:
            doc = (
                f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>Feed {i}</title><link>https://f{i}.example/</link><ttl>30</ttl>"
                f"{body}</channel></rss>"
            )
        kind = rng.random()
        feeds.append(
            {
                "body": doc.encode(),
                "fail": rng.choice((500, 404, 410)) if kind < 0.05 else 0,
                "slow": 0.05 <= kind < 0.10,
                "etag": f'"f{i}-v1"',
            }
        )
    return feeds


def serve(port_out: Any, count: int, matching: float) -> None:
    feeds = build_feeds(count, matching)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
                return
            try:
                feed = feeds[int(self.path.strip("/").split("/")[-1].split(".")[0])]
            except (ValueError, IndexError):
                self._send(404, b"no", "text/plain")
                return
            if feed["fail"]:
                self._send(feed["fail"], b"failing", "text/plain")
                return
            if self.headers.get("If-None-Match") == feed["etag"]:
                self._send(304, b"", None, feed["etag"])
                return
            if feed["slow"]:
                time.sleep(SLOW_SECONDS)
            self._send(200, feed["body"], "application/rss+xml", feed["etag"])

        def _send(self, status: int, body: bytes, kind: str | None, etag: str = "") -> None:
            self.send_response(status)
            if kind:
                self.send_header("Content-Type", kind)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 512

    server = Server(("127.0.0.1", 0), Handler)
    port_out.put(server.server_address[1])
    server.serve_forever()


def baseline_pass(urls: list[str], threads: int) -> tuple[float, int, int]:
    import feedparser
    import httpx

    entries = failures = 0
    lock = threading.Lock()
    client = httpx.Client(timeout=20.0, limits=httpx.Limits(max_connections=threads * 2))

    def one(url: str) -> None:
        nonlocal entries, failures
        try:
            response = client.get(url)
            response.raise_for_status()
            found = len(feedparser.parse(response.content).entries)
            with lock:
                entries += found
        except httpx.HTTPError:
            with lock:
                failures += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, urls))
    client.close()
    return time.perf_counter() - started, entries, failures


def our_pass(
    urls: list[str], cursors: dict[str, Any], threads: int
) -> tuple[float, int, int, int, dict[str, Any]]:
    from frontdesk.connectors.base import ConnectorError
    from frontdesk.connectors.rss.adapter import FeedAccount, FeedConnector

    connector = FeedConnector()
    entries = failures = not_modified = 0
    lock = threading.Lock()
    out: dict[str, Any] = {}

    def one(url: str) -> None:
        nonlocal entries, failures, not_modified
        try:
            result = connector.poll(FeedAccount(url=url), cursors.get(url, {}))
        except ConnectorError:
            with lock:
                failures += 1
            return
        with lock:
            entries += len(result.candidates)
            not_modified += result.not_modified
            out[url] = result.cursor

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, urls))
    return time.perf_counter() - started, entries, failures, not_modified, out


WATCHES = (
    ("Our name", '"riverside library"'),
    ("Makerspace", 'makerspace OR "3d printer"'),
    ("Fines", '(fines OR fees) AND library NOT "riverside library"'),
)


def install(engine: str, data: Path) -> str:
    """Point Django at a fresh database (returns a PostgreSQL database to drop, or '')."""
    os.environ |= {"FRONTDESK_DATA_DIR": str(data), "DEBUG": "false"}
    for name in ("REDIS_URL", "FRONTDESK_HUEY_IMMEDIATE"):
        os.environ.pop(name, None)
    if engine != "postgres":
        os.environ["DATABASE_URL"] = f"sqlite:///{data / 'frontdesk.sqlite3'}"
        return ""
    import psycopg

    database = f"feeds_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as c:
        c.execute(f"CREATE DATABASE {database}")
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{database}"
    return database


def drop(database: str) -> None:
    if not database:
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as c:
        c.execute(f"DROP DATABASE {database} WITH (FORCE)")


def set_up_workspace(urls: list[str]) -> None:
    from django.core.management import call_command

    call_command("setup", verbosity=0)  # as `frontdesk setup`: every database
    from frontdesk.core.actions.workspaces import create_workspace
    from frontdesk.core.models import Membership, User
    from frontdesk.listening.actions.sources import SourceSettings, create_source
    from frontdesk.listening.actions.watches import WatchSettings, create_watch

    owner = User.objects.create_user("owner@bench.example", "x" * 20)
    ws = create_workspace(name="Bench Library", slug="bench", owner=owner, owner_display_name="A")
    member = Membership.objects.get(workspace=ws)
    for name, query in WATCHES:
        create_watch(ws, WatchSettings(name=name, query=query), by=member)
    for n, url in enumerate(urls):
        create_source(ws, SourceSettings(kind="feed", url=url, name=f"Feed {n}"), by=member)


def product_pass(threads: int) -> tuple[float, int, int, int, int]:
    """Poll every due source the way the worker's periodic task does, until none is
    due: (seconds, sources polled, new mentions, failed, not modified)."""
    from frontdesk.listening import polling

    spent = {"store": 0.0, "store_cpu": 0.0}

    def timed(name: str, function: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            began, began_cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - began
                # This thread's own CPU: what storing costs, whatever else runs.
                spent[f"{name}_cpu"] += time.thread_time() - began_cpu

        return call

    store, update = polling.record, polling.update_sources
    storing = {"polls": 0}

    def record(outcome: Any, **kwargs: Any) -> Any:
        if outcome.result is not None and outcome.result.candidates:
            storing["polls"] += 1
        return store(outcome, **kwargs)

    polling.record = timed("store", record)
    # The sources' own rows are written together after their polls (update_sources).
    polling.update_sources = timed("store", update)
    polled = failed = not_modified = 0
    from frontdesk.listening import fetcher

    reader_pid = fetcher.reader().pid if fetcher.in_use() else None
    cpu_before = time.process_time(), _process_cpu(reader_pid)
    statements = {"all": 0, "savepoints": 0}

    def counted(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # Each a round trip on PostgreSQL (an executemany one, psycopg's pipeline).
        statements["all"] += 1
        statements["savepoints"] += sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        return execute(sql, params, many, context)

    from django.db import connection

    started = time.perf_counter()
    with connection.execute_wrapper(counted):  # this thread's: claiming and storing
        while True:
            # As the periodic task polls (tasks.poll_sources), claiming more as polls end.
            outcomes = polling.poll_due_sources(limit=threads * 8, seconds=polling.ROUND_SECONDS)
            if not outcomes:
                break
            for outcome in outcomes:
                polled += 1
                if outcome.result is None:
                    failed += 1
                else:
                    not_modified += outcome.result.not_modified
    seconds = time.perf_counter() - started
    here, reader = time.process_time() - cpu_before[0], _process_cpu(reader_pid) - cpu_before[1]
    log(
        f"  CPU: this process {here:.1f} s"
        + (f", the feed reader process {reader:.1f} s" if reader_pid else "")
    )
    polling.record, polling.update_sources = store, update
    log(
        f"  of which storing {spent['store']:.1f} s (fetches go on meanwhile), "
        f"{spent['store_cpu']:.1f} s CPU of the storing thread"
    )
    log(
        f"  statements of the claiming and storing thread: {statements['all']} "
        f"({statements['savepoints']} savepoints) for {polled} polls, "
        f"{storing['polls']} of them with new posts"
    )
    return seconds, polled, count_mentions(), failed, not_modified


def _process_cpu(pid: int | None) -> float:
    """User + system CPU seconds of another process so far (Linux /proc)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count_mentions() -> int:
    from frontdesk.listening.models import Mention

    return Mention.objects.count()


def duplicate_stories() -> int:
    """Mentions sharing a canonical URL (one story must be one mention)."""
    from django.db.models import Count

    from frontdesk.listening.models import Mention

    return (
        Mention.objects.exclude(canonical_url="")
        .values("canonical_url")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )


def expected_matches(count: int, matching: float) -> int:
    """Entries of the served (not failing) feeds that a watch looks for, by plain text."""
    import feedparser

    found = 0
    for feed in build_feeds(count, matching):
        if feed["fail"]:
            continue
        for entry in feedparser.parse(feed["body"]).entries:
            text = (entry.get("title", "") + " " + entry.get("summary", "")).lower()
            named = any(w in text for w in ("riverside library", "makerspace", "3d printer"))
            found += named or ("fines" in text and "library" in text)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--matching",
        type=float,
        default=MATCHING,
        help="share of posts that name the library (default 0.2)",
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="top N of the first pass"
    )
    parser.add_argument(
        "--reader",
        choices=("on", "off", "default"),
        default="default",
        help="fetch and read in the feed reader process (FRONTDESK_LISTENING_FETCH_PROCESS)",
    )
    args = parser.parse_args()
    if args.reader != "default":
        os.environ["FRONTDESK_LISTENING_FETCH_PROCESS"] = "true" if args.reader == "on" else "false"

    import logging

    # All feeds are on one loopback host: the politeness gate stands for 5,000 hosts.
    os.environ |= {
        "FRONTDESK_LISTENING_POLL_THREADS": str(args.threads),
        "FRONTDESK_LISTENING_HOST_CONCURRENCY": str(args.threads),
        "FRONTDESK_LISTENING_HOST_DELAY_MS": "0",
    }
    database = install(args.engine, Path(tempfile.mkdtemp(prefix="feeds-bench-")))
    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # both sides log alike; not measured
    logging.getLogger("frontdesk").setLevel(logging.ERROR)  # failing feeds warn per poll

    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(
        target=serve, args=(ports, args.feeds, args.matching), daemon=True
    )
    server.start()
    port = ports.get(timeout=300)
    urls = [f"http://127.0.0.1:{port}/feeds/{i}.xml" for i in range(args.feeds)]
    log(f"{args.feeds} feeds served on port {port}; {args.threads} threads per pass")
    try:
        set_up_workspace(urls)
        from frontdesk.triage.pipeline import warm_up

        warm_up()  # as a worker does when it starts, before it takes work
        from frontdesk.listening import fetcher

        if fetcher.in_use():  # as the worker starts it (listening.fetcher.run_in_worker)
            began = time.perf_counter()
            fetcher.reader().start(wait=120)
            log(f"feed reader process started and ready in {time.perf_counter() - began:.1f} s")
        from django.urls import reverse

        reverse("login")  # the URL map, read once per process (alerts link to the page)
        log(f"{args.engine}: workspace with {len(WATCHES)} watches and {args.feeds} sources")
        base_s, base_entries, base_fail = baseline_pass(urls, args.threads)
        log(
            f"baseline httpx + feedparser: {base_s:.1f} s, {base_entries} entries, "
            f"{base_fail} failed"
        )
        conn_s, conn_entries, conn_fail, _nm, _cursors = our_pass(urls, {}, args.threads)
        log(f"connector alone: {conn_s:.1f} s, {conn_entries} entries, {conn_fail} failed")
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            first_s, polled, mentions, first_fail, _nm = profiler.runcall(
                product_pass, args.threads
            )
            stats = pstats.Stats(profiler)
            if os.environ.get("FEEDS_BENCH_PSTATS"):  # for pstats browsing
                stats.dump_stats(os.environ["FEEDS_BENCH_PSTATS"])
            stats.sort_stats("tottime").print_stats(args.profile)
            stats.sort_stats("cumulative").print_stats(args.profile)
        else:
            first_s, polled, mentions, first_fail, _nm = product_pass(args.threads)
        log(
            f"ours, first pass: {first_s:.1f} s, {polled} sources polled, {first_fail} failed, "
            f"{mentions} mentions stored"
        )
        again_s, _e, _f = baseline_pass(urls, args.threads)
        log(f"baseline again (load drifts on a shared machine): {again_s:.1f} s")
        base_s = (base_s + again_s) / 2
        from django.utils import timezone

        from frontdesk.listening.models import Source

        Source.objects.update(next_poll_at=timezone.now())  # everything due again
        second_s, polled2, mentions2, second_fail, nm = product_pass(args.threads)
        log(
            f"ours, second pass: {second_s:.1f} s, {polled2} sources polled, "
            f"{nm} not modified (304), {second_fail} failed, {mentions2 - mentions} new mentions"
        )
        duplicates = duplicate_stories()
        expected = expected_matches(args.feeds, args.matching)
    finally:
        server.terminate()
        server.join(timeout=5)
        drop(database)
    print()
    from django.conf import settings

    print(
        f"engine {args.engine}, {args.feeds} feeds, {args.threads} threads, "
        f"{args.matching:.0%} of posts name the library, feed reader process "
        f"{'on' if settings.LISTENING_FETCH_PROCESS else 'off'}"
    )
    print(
        f"feeds/s  baseline {args.feeds / base_s:.0f}, connector alone {args.feeds / conn_s:.0f}, "
        f"first {args.feeds / first_s:.0f}, second {args.feeds / second_s:.0f}"
    )
    print(f"first pass / baseline : {first_s / base_s:.2f}x   (target <= 1.5x incl. storage)")
    print(f"second pass / first   : {second_s / first_s:.1%}   (target < 10 %)")
    print(
        f"mentions {mentions} (entries a watch looks for, by plain text: {expected}); "
        f"new on the second pass {mentions2 - mentions}; stories stored twice {duplicates}"
    )


if __name__ == "__main__":
    main()
