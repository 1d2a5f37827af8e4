#!/usr/bin/env python
"""Intake drain: how fast worker processes turn a backlog of stored texts into messages.

A fresh install per engine (SQLite; PostgreSQL + Redis) gets one SMS channel and a
backlog stored through the real intake path (`store_inbound_event`, as the webhook
stores it). The mix: `--events` texts from `--senders` numbers, each number texting
once and the rest a second time, shuffled, so with the defaults (7,500 from 5,000) two
thirds of the texts start a conversation (a new contact, a new conversation, an
acknowledgement with `--acknowledge`) and a third continue the conversation the
sender's first text opened. Then `--workers` `frontdesk worker` processes drain it,
timed until no event is pending or being processed, to the moment the last event was
recorded: `intake drain: N events/s (M workers)`, and below the runs the ratio of
several workers to one. Two ways to start (`--start`, both by default):

- running: the backlog is held back until every worker has started, then released in
  one UPDATE, so the time is the drain of a burst by workers already running, as in
  service;
- cold: the backlog is there when the workers start, and their start-up (Python,
  Django, the triage models: one to two seconds, more on a loaded machine) is counted.

Below each line, the rate while working: events recorded after the first batch, over
the time from that batch's commit to the last one's.

`--profile` instead drains in this process, under cProfile, counting the SQL
statements by kind: where the time per event goes (benchmarks/README.md).

    .venv/bin/python benchmarks/intake_drain.py --engine both --workers 1,2
    .venv/bin/python benchmarks/intake_drain.py --engine sqlite --profile --acknowledge
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import Service, frontdesk_env, log, run_engines  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"  # sms_webhook uses /12, inbox_at_scale /13


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--events", type=int, default=7500)
    parser.add_argument("--senders", type=int, default=5000)
    parser.add_argument(
        "--workers", default="1", help="comma-separated worker process counts, one drain each"
    )
    parser.add_argument(
        "--start",
        choices=("running", "cold", "both"),
        default="both",
        help="the backlog lands on workers already running (held back until they have "
        "started, then released at once), or is there when they start (their start-up counted)",
    )
    parser.add_argument(
        "--acknowledge",
        action="store_true",
        help="the channel acknowledges new conversations (replies go to a closed port)",
    )
    parser.add_argument("--profile", action="store_true", help="drain in-process under cProfile")
    parser.add_argument("--profile-events", type=int, default=1500)
    parser.add_argument("--drain-timeout", type=float, default=900.0)
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--data-dir", type=Path, default=RESULTS)
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--pg-database", default="frontdesk_intake_bench")
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.worker_counts = [int(n) for n in args.workers.split(",") if n.strip()]
    args.starts = ["running", "cold"] if args.start == "both" else [args.start]
    return args


def engine_env(engine: str, args: argparse.Namespace) -> dict[str, str]:
    return frontdesk_env(
        engine,
        (args.data_dir / f"intake-data-{engine}").resolve(),
        pg_url=f"{args.pg_server}/{args.pg_database}",
        redis_url=args.redis_url,
        default_redis=DEFAULT_REDIS,
        extra={
            "FRONTDESK_HTTPS": "false",
            # Acknowledgements are delivered to a port nobody listens on: they fail
            # fast and wait for a retry, off the measured path.
            "FRONTDESK_CONNECTOR_BASE_URLS": json.dumps({"twilio": "http://127.0.0.1:9"}),
        },
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return run_engine(args)
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    results = run_engines(
        __file__,
        argv if argv is not None else sys.argv[1:],
        engines,
        lambda engine: engine_env(engine, args),
        RESULTS,
    )
    if isinstance(results, int):
        return results
    print()
    for result in results:
        print(f"## {result['engine_version']} ({result['intake']} intake)")
        for drain in result.get("drains", []):
            print(drain["line"] + f"  [{drain['detail']}]")
            if drain.get("working_line"):
                print("  " + drain["working_line"])
        for start in ("running", "cold"):
            rates = {
                d["workers"]: d["events_per_s"]
                for d in result.get("drains", [])
                if d.get("start") == start
            }
            if 1 in rates and len(rates) > 1:
                print(
                    f"{start}: "
                    + ", ".join(
                        f"{n} workers drain {rates[n] / rates[1]:.2f}× one"
                        for n in sorted(rates)
                        if n > 1
                    )
                )
        if result.get("profile"):
            print(result["profile"])
        print()
    (RESULTS / "intake_drain-latest.json").write_text(json.dumps(results, indent=2))
    return 0


# --- the child: one engine -----------------------------------------------------------------


def senders_in_order(events: int, senders: int, seed: int) -> list[int]:
    """Sender numbers for `events` texts: every sender once, then again, shuffled."""
    order = [n % senders for n in range(events)]
    random.Random(seed).shuffle(order)
    return order


def fresh_install(args: argparse.Namespace) -> None:
    from benchmarks.inbox_scale import load as loading

    if args.engine == "postgres":
        loading.recreate_postgres_database(f"{args.pg_server}/postgres", args.pg_database)
    else:
        loading.clear_sqlite_files(Path(os.environ["FRONTDESK_DATA_DIR"]))
    if os.environ.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "setup", "-v", "0"], check=True, env=os.environ
    )


def store_backlog(args: argparse.Namespace, events: int, tag: str) -> int:
    # The same mix at any size: as many senders per text as --events/--senders give.
    """Create the channel and store the backlog; returns the channel id."""
    from django.db import connection

    from benchmarks.sms_bench import data
    from benchmarks.sms_bench.signed import TEXTS, sender
    from frontdesk.connectors import base
    from frontdesk.inbox.intake import store_inbound_event
    from frontdesk.inbox.models import Channel

    bench = data.create_channel()
    channel = Channel.objects.get(pk=bench.channel_id)
    if args.acknowledge:
        channel.settings = {**channel.settings, "auto_acknowledge": True}
        channel.save(update_fields=["settings"])
    rng = random.Random(args.seed)
    start = datetime.now(UTC) - timedelta(minutes=5)
    started = time.perf_counter()
    senders = max(1, round(args.senders * events / args.events))
    for n, who in enumerate(senders_in_order(events, senders, args.seed)):
        store_inbound_event(
            channel,
            base.InboundEvent(
                channel_kind="sms",
                provider_message_id=f"SM{tag}{n:010d}",
                sender_kind="phone",
                sender_address=sender(who),
                body=rng.choice(TEXTS),
                received_at=start + timedelta(milliseconds=n),
                raw={"From": sender(who)},
            ),
        )
    log(f"  stored {events:,} events in {time.perf_counter() - started:.1f} s")
    connection.close()
    return bench.channel_id


def drain_with_workers(
    args: argparse.Namespace, channel_id: int, workers: int, *, running: bool
) -> dict:
    """Start `workers` worker processes and time the drain of the channel's backlog.

    `running`: the backlog is held back (marked failed, which no worker or sweep
    takes) until every worker has started (huey's "consumer started" line, written
    after Django, the triage models and the intake poller are up), then released in
    one UPDATE: a burst landing on workers that are already running, as it does in
    service. Otherwise the backlog is there when the workers start, and their
    start-up is part of the time.
    """
    from benchmarks.sms_bench import data
    from benchmarks.sms_bench.servers import worker_argv
    from frontdesk.inbox.models import InboundEvent, InboundEventStatus

    data_dir = Path(os.environ["FRONTDESK_DATA_DIR"])
    services = [
        Service(
            f"frontdesk worker {n}",
            # One process runs the periodic jobs, as the worker's docs ask.
            worker_argv() + ([] if n == 0 else ["--no-periodic"]),
            env=dict(os.environ),
            log_path=data_dir / f"worker-{workers}-{n}.log",
        )
        for n in range(workers)
    ]
    backlog = InboundEvent.objects.filter(channel_id=channel_id)
    if running:
        backlog.update(status=InboundEventStatus.FAILED)
    log_starts = {
        service.name: service.log_path.stat().st_size if service.log_path.exists() else 0
        for service in services
    }
    started = time.monotonic()
    started_at = datetime.now(UTC)
    for service in services:
        service.__enter__()
    sampler = WaitSampler()
    try:
        if running:
            start_up = wait_until_started(services, log_starts)
            started = time.monotonic()
            started_at = datetime.now(UTC)
            released = backlog.update(status=InboundEventStatus.PENDING)
            assert released == args.events, (released, args.events)
        sampler.start()
        drained = data.wait_for_drain(channel_id, timeout_s=args.drain_timeout, log=log)
        seconds = time.monotonic() - started
        # The drain ended when the last event was recorded (`processed_at`, stamped in
        # the transaction of its batch), not when the half-second poll above saw it.
        last = last_processed_at(channel_id)
        if drained and last is not None:
            seconds = min(seconds, (last - started_at).total_seconds())
        # On a shared machine the wall time says how busy it was; the workers' own
        # CPU seconds (start-up included) say what the drain cost.
        cpu = sum(cpu_seconds(service.process.pid) for service in services if service.process)
    finally:
        sampler.stop()
        for service in services:
            service.__exit__(None, None, None)
    counts = data.drained_counts(channel_id, seconds)
    rate = counts["statuses"].get("processed", 0) / seconds
    working = working_rate(channel_id, started_at)
    plural = "s" * (workers > 1)
    how = (
        f"workers running; they started in {start_up:.1f} s"
        if running
        else "workers started with the backlog waiting, start-up included"
    )
    return {
        "workers": workers,
        "start": "running" if running else "cold",
        "seconds": round(seconds, 2),
        "drained": drained,
        "events_per_s": round(rate, 1),
        "counts": counts,
        "cpu_seconds": round(cpu, 1),
        "line": f"intake drain: {rate:,.0f} events/s ({workers} worker{plural}) — {how}",
        "detail": f"{counts['events'] / cpu:,.0f} events per worker CPU second; "
        + mix_detail(channel_id, counts)
        + sampler.summary(),
        "waits": sampler.shares(),
        "working": working,
        "working_line": (
            f"while working: {working['events_per_s']:,.0f} events/s from the first batch "
            f"recorded ({working['first_after_s']} s after the "
            f"{'release' if running else 'start'}) to the last"
        )
        if working
        else "",
    }


def wait_until_started(services: list[Service], log_starts: dict[str, int]) -> float:
    """Seconds until every worker's log (past `log_starts`) says huey's consumer started."""
    begun = time.monotonic()
    waiting = list(services)
    while waiting:
        for service in list(waiting):
            if service.process is not None and service.process.poll() is not None:
                raise RuntimeError(f"{service.name} exited early; see {service.log_path}")
            with service.log_path.open("rb") as log_file:
                log_file.seek(log_starts[service.name])
                if b"Huey consumer started" in log_file.read():
                    waiting.remove(service)
        if time.monotonic() - begun > 120:
            raise RuntimeError(f"{waiting[0].name} did not start; see {waiting[0].log_path}")
        time.sleep(0.05)
    return time.monotonic() - begun


def last_processed_at(channel_id: int) -> datetime | None:
    from django.db.models import Max

    from frontdesk.inbox.models import InboundEvent

    return InboundEvent.objects.filter(channel_id=channel_id).aggregate(last=Max("processed_at"))[
        "last"
    ]


def working_rate(channel_id: int, started_at: datetime) -> dict:
    """The drain without the workers' start: events recorded after the first batch
    committed, over the time from that commit to the last one (`processed_at` is
    stamped once per batch, in its transaction)."""
    from django.db.models import Max, Min

    from frontdesk.inbox.models import InboundEvent, InboundEventStatus

    done = InboundEvent.objects.filter(channel_id=channel_id, status=InboundEventStatus.PROCESSED)
    span = done.aggregate(first=Min("processed_at"), last=Max("processed_at"))
    if span["first"] is None or span["last"] <= span["first"]:
        return {}
    after_first = done.filter(processed_at__gt=span["first"]).count()
    seconds = (span["last"] - span["first"]).total_seconds()
    return {
        "events_per_s": round(after_first / seconds, 1),
        "events": after_first,
        "seconds": round(seconds, 2),
        "first_after_s": round((span["first"] - started_at).total_seconds(), 1),
    }


class WaitSampler(threading.Thread):
    """What the workers' PostgreSQL sessions wait on, sampled every 20 ms during a drain.

    Each sample reads pg_stat_activity for the benchmark database's other client
    sessions (the workers); a session running counts as "CPU", one waiting as its
    wait event (Lock:transactionid is a row another transaction inserted or locked).
    The shares say where the workers spend their time on the server's side, whatever
    else loads the machine. Samples nothing on SQLite.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.counts: Counter[str] = Counter()
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        from django.db import connection

        if connection.vendor != "postgresql":
            return
        sql = (
            "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' AND state = 'active'"
        )
        try:
            with connection.cursor() as cursor:
                while not self._stop_event.wait(0.02):
                    cursor.execute(sql)
                    self.samples += 1
                    self.counts.update(wait for (wait,) in cursor.fetchall())
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(5)

    def shares(self) -> dict[str, float]:
        total = sum(self.counts.values())
        return {k: round(v / total, 3) for k, v in self.counts.most_common()} if total else {}

    def summary(self) -> str:
        shares = self.shares()
        if not shares:
            return ""
        top = ", ".join(f"{k} {v:.0%}" for k, v in list(shares.items())[:5])
        return f"; active worker sessions sampled {self.samples:,} times: {top}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mix_detail(channel_id: int, counts: dict) -> str:
    from frontdesk.inbox.models import Conversation, Message

    conversations = Conversation.objects.filter(channel_id=channel_id).count()
    automatic = Message.objects.filter(channel_id=channel_id).exclude(automatic="").count()
    return (
        f"{counts['events']:,} events in {counts['seconds']} s, {counts['messages']:,} messages "
        f"from {counts['messages_distinct_events']:,} distinct events, {conversations:,} "
        f"conversations, {automatic:,} automatic replies, statuses {counts['statuses']}, "
        f"tasks left {counts['queued_tasks']}"
    )


def drain_in_process() -> None:
    """What the worker does, in this process: its intake poller ("poll"), or each
    queued task popped and run as the consumer runs it ("push")."""
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    from frontdesk.inbox import intake

    if settings.INBOX_INTAKE == "poll":
        poller = intake.IntakePoller()
        while poller.run_once():
            pass
        return
    while (task := HUEY.dequeue()) is not None:
        HUEY.execute(task)


def profile_drain(channel_id: int) -> str:
    """Drain in this process under cProfile; statements counted by their first words."""
    import cProfile
    import io
    import pstats
    from collections import Counter

    from django.db import connection

    from frontdesk.inbox.models import InboundEvent, InboundEventStatus

    statements: Counter[str] = Counter()
    sql_seconds = 0.0

    def counting(execute, sql, params, many, context):
        nonlocal sql_seconds
        words = sql.split()
        table = next((w for w in words[1:8] if w.startswith('"') or "_" in w), "")
        statements[f"{words[0]} {table.strip(chr(34))}"] += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_seconds += time.perf_counter() - started

    from frontdesk.triage.pipeline import warm_up

    # As the worker does before it takes work: the triage models are not the drain's.
    warm_up()
    events = InboundEvent.objects.filter(channel_id=channel_id).count()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    with connection.execute_wrapper(counting):
        profiler.enable()
        drain_in_process()
        profiler.disable()
    seconds = time.perf_counter() - started
    done = InboundEvent.objects.filter(status=InboundEventStatus.PROCESSED).count()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    if os.environ.get("INTAKE_PROFILE_DUMP"):
        stats.dump_stats(os.environ["INTAKE_PROFILE_DUMP"])
    stats.sort_stats("cumulative").print_stats(45)
    lines = [
        f"profiled drain: {done:,} of {events:,} events in {seconds:.1f} s "
        f"({done / seconds:,.0f} events/s under the profiler), SQL {sql_seconds:.1f} s "
        f"({1000 * sql_seconds / max(done, 1):.2f} ms/event), "
        f"{sum(statements.values()) / max(done, 1):.1f} statements/event:",
    ]
    for statement, count in statements.most_common(25):
        lines.append(f"  {count / max(done, 1):6.2f}/event  {statement}")
    return "\n".join(lines) + "\n" + out.getvalue()


def run_engine(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    result: dict = {"engine": args.engine, "measured_at": datetime.now(UTC).isoformat()}
    result["load_before"] = os.getloadavg()
    import django

    if args.profile:
        fresh_install(args)
        django.setup()
        channel_id = store_backlog(args, args.profile_events, "p")
        from django.conf import settings

        result["intake"] = settings.INBOX_INTAKE
        result["engine_version"] = engine_version()
        result["profile"] = profile_drain(channel_id)
    else:
        result["drains"] = []
        for start in args.starts:
            for workers in args.worker_counts:
                log(f"{args.engine}: {args.events:,} events, {workers} worker(s), {start}…")
                fresh_install(args)
                django.setup()
                from django.conf import settings

                result["intake"] = settings.INBOX_INTAKE
                result["engine_version"] = engine_version()
                channel_id = store_backlog(args, args.events, f"w{workers}")
                drain = drain_with_workers(args, channel_id, workers, running=start == "running")
                log(f"  {drain['line']}  [{drain['detail']}]; {drain['working_line']}")
                result["drains"].append(drain)
                from django.db import connections

                connections.close_all()
    result["load_after"] = os.getloadavg()
    if args.engine == "postgres":
        from django.db import connections

        from benchmarks.inbox_scale import load as loading

        connections.close_all()
        loading.drop_postgres_database(f"{args.pg_server}/postgres", args.pg_database)
    args.out.write_text(json.dumps(result, indent=2, default=str))
    return 0


def engine_version() -> str:
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = f"PostgreSQL {cursor.fetchone()[0]}"
    return version + (" + Redis" if settings.REDIS_URL else "")


if __name__ == "__main__":
    sys.exit(main())
