#!/usr/bin/env python
"""The SMS webhook under load: Frontdesk's real webhook beside the floor and bare views.

On loopback, wrk with 32 connections sends signed Twilio inbound-SMS webhooks (every
request a distinct MessageSid, signed by the `twilio` package) to

  webhook  Frontdesk's /hooks/sms/<key>/ as `frontdesk serve` runs it (granian WSGI)
  floor    a minimal Django project: the same signature check and one INSERT, served
           by granian with the same arguments and worker count
and GETs to
  ok       a view answering "ok" inside Frontdesk's settings (all its middleware)
  bare     a plain WSGI callable answering "ok" on the same granian setup

then counts what was stored against what wrk saw answered, lets a task worker drain
the queue and counts again. One table per engine (SQLite; PostgreSQL + Redis) and
JSON in benchmarks/results/. See benchmarks/README.md.

    .venv/bin/python benchmarks/sms_webhook.py --engine both
    .venv/bin/python benchmarks/sms_webhook.py --engine sqlite --seconds 5 --warmup 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - after the path above
    Service,
    free_port_pair,
    frontdesk_env,
    log,
    run_engines,
    serve_argv,
)

RESULTS = ROOT / "benchmarks" / "results"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"  # inbox_at_scale uses /13, the tests /14
TARGETS = ("bare", "ok", "floor", "webhook")
# Not run unless asked for (--targets): an experiment on the SQLite task queue.
EXPERIMENTS = ("webhook-nosync",)
REDIS_CLAIM = "frontdesk:sms-bench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--targets",
        default=",".join(TARGETS),
        help=f"comma-separated, in this order each round (default {','.join(TARGETS)})",
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=15, help="measured seconds per target")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per target")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every target this often")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=1)
    parser.add_argument(
        "--worker",
        choices=("after", "during"),
        default="after",
        help="run the task worker only after each webhook run to drain the queue (default), "
        "or during it too, as `frontdesk serve` does on one machine",
    )
    parser.add_argument("--drain-timeout", type=float, default=900.0)
    parser.add_argument(
        "--drain-workers",
        type=int,
        default=1,
        help="`frontdesk worker` processes draining the backlog after the run (--worker after)",
    )
    parser.add_argument("--senders", type=int, default=5000, help="distinct customer numbers")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each engine, wait up to this long for the 1-minute load average to "
        "drop below --quiet-load",
    )
    parser.add_argument("--quiet-load", type=float, default=(os.cpu_count() or 2) * 0.5)
    parser.add_argument("--data-dir", type=Path, default=RESULTS)
    parser.add_argument("--pg-server", default=PG_SERVER, help="PostgreSQL server URL, no database")
    parser.add_argument("--pg-database", default="frontdesk_sms_bench")
    parser.add_argument(
        "--redis-url",
        default=None,
        help=f"Redis for the PostgreSQL run (default {DEFAULT_REDIS} when it answers; '' for "
        "none). It must be empty; it is flushed afterwards.",
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.target_list = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(args.target_list) - set(TARGETS) - set(EXPERIMENTS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    return args


# --- the parent: one child process per engine ------------------------------------------------


def engine_env(engine: str, args: argparse.Namespace) -> dict[str, str]:
    return frontdesk_env(
        engine,
        (args.data_dir / f"sms-data-{engine}").resolve(),
        pg_url=f"{args.pg_server}/{args.pg_database}",
        redis_url=args.redis_url,
        default_redis=DEFAULT_REDIS,
        also_cleared=("FRONTDESK_PUBLIC_URL", "DJANGO_SETTINGS_MODULE"),
        # Plain HTTP on loopback: an install behind TLS sets FRONTDESK_HTTPS=true, whose
        # redirect to https a loopback client cannot follow.
        extra={"FRONTDESK_HTTPS": "false"},
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return run_engine(args)
    from benchmarks.sms_bench.loadgen import wrk_path
    from benchmarks.sms_bench.report import table

    wrk_path()
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
        print(table(result))
        print()
    combined = RESULTS / "sms_webhook-latest.json"
    combined.write_text(json.dumps(results, indent=2))
    print(f"Results: {combined}")
    return 0


# --- the child: one engine -----------------------------------------------------------------


class Engine:
    """One engine's run: its data folder, database, channel and the targets measured."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.data_dir = Path(os.environ["FRONTDESK_DATA_DIR"])
        self.work = self.data_dir / "bench"
        self.work.mkdir(parents=True, exist_ok=True)
        self.wrk_log = self.data_dir / "wrk.log"
        self.serve_log = self.data_dir / "serve.log"
        self.run_id = secrets.token_hex(4)
        self.batches = 0
        self.channel = None
        # Per target, over every round: what wrk saw and every sid sent (the rows in
        # the database accumulate over the rounds too).
        self.seen: dict[str, object] = {}
        self.sent: dict[str, set[str]] = {}

    # servers

    def env(self, port: int, **extra: str) -> dict[str, str]:
        # The URL Twilio would be given: the signature covers it.
        return {**os.environ, "FRONTDESK_PUBLIC_URL": f"http://127.0.0.1:{port}", **extra}

    def service(self, target: str, port: int):
        from benchmarks.sms_bench import servers

        args = self.args
        sizes = {"workers": args.web_workers, "threads": args.web_threads}
        if target == "bare":
            argv = servers.granian_argv("benchmarks.sms_bench.bare_wsgi:application", port, **sizes)
            return Service(
                "granian (bare WSGI)", argv, env=self.env(port), log_path=self.serve_log, port=port
            )
        if target == "floor":
            argv = servers.granian_argv(
                "benchmarks.sms_bench.floor_wsgi:application", port, **sizes
            )
            env = self.env(port, SMS_BENCH_AUTH_TOKEN=self.channel.auth_token)
            return Service(
                "granian (floor project)",
                argv,
                env=env,
                log_path=self.serve_log,
                port=port,
                ready_path="/floor/sms/",
                ready_statuses=(405,),
            )
        worker = target.startswith("webhook") and args.worker == "during"
        argv = serve_argv(port, worker=worker, **sizes)
        env = self.env(port)
        if target == "ok":
            env["DJANGO_SETTINGS_MODULE"] = "benchmarks.sms_bench.frontdesk_ok_settings"
        elif target == "webhook-nosync":
            env["DJANGO_SETTINGS_MODULE"] = "benchmarks.sms_bench.huey_nosync_settings"
        return Service(
            "frontdesk serve",
            argv,
            env=env,
            log_path=self.serve_log,
            port=port,
            ready_path="/healthz",
        )

    def log_offset(self) -> int:
        return self.serve_log.stat().st_size if self.serve_log.exists() else 0

    # load

    def batch(self, endpoint, per_thread: int):
        from benchmarks.sms_bench.signed import write_batch

        self.batches += 1
        started = time.perf_counter()
        batch = write_batch(
            self.work / f"batch-{self.batches}",
            endpoint,
            run=self.run_id,
            number=self.batches,
            threads=self.args.connections,
            per_thread=per_thread,
            senders=self.args.senders,
            seed=self.args.seed,
        )
        log(
            f"  signed {per_thread * self.args.connections:,} requests "
            f"in {time.perf_counter() - started:.1f} s"
        )
        return batch

    def wrk(self, url: str, seconds: int, name: str, batch=None) -> dict:
        from benchmarks.sms_bench.loadgen import run_wrk

        return run_wrk(
            url,
            connections=self.args.connections,
            seconds=seconds,
            out=self.work / f"{name}.json",
            batch=batch,
            log=self.wrk_log,
        )

    def measure_get(self, target: str, path: str) -> dict:
        from benchmarks.sms_bench.loadgen import summarise
        from benchmarks.sms_bench.servers import app_milliseconds

        port = free_port_pair()
        url = f"http://127.0.0.1:{port}{path}"
        offset = self.log_offset()
        with self.service(target, port):
            self.wrk(url, self.args.warmup, f"{target}-warmup")
            raw = self.wrk(url, self.args.seconds, target)
        return {
            "summary": summarise(raw),
            "app_ms": app_milliseconds(self.serve_log, offset, "GET"),
        }

    def measure_signed(self, target: str, path: str) -> dict:
        """Warm up and measure with signed POSTs; count what was stored."""
        from benchmarks.sms_bench import data
        from benchmarks.sms_bench.loadgen import Accounting, account, summarise
        from benchmarks.sms_bench.servers import app_milliseconds, worker_argv
        from benchmarks.sms_bench.signed import Endpoint

        args = self.args
        port = free_port_pair()
        channel = self.channel
        endpoint = Endpoint(
            path=path,
            public_url=f"http://127.0.0.1:{port}{path}",
            host=f"127.0.0.1:{port}",
            auth_token=channel.auth_token,
            account_sid=channel.account_sid,
            to_number=channel.phone_number,
        )
        url = f"http://127.0.0.1:{port}/"
        # Enough for 150 requests/s per connection during the warm-up.
        warm_batch = self.batch(endpoint, max(200, args.warmup * 150))
        # Both webhook targets store into the channel's events: one account for both.
        key = "webhook" if target.startswith("webhook") else target
        seen = self.seen.setdefault(key, Accounting())
        sent = self.sent.setdefault(key, set())
        offset = self.log_offset()
        with self.service(target, port):
            warm_raw = self.wrk(url, args.warmup, f"{target}-warmup", warm_batch)
            warm = account(warm_raw, warm_batch)
            seen.merge(warm)
            sent |= warm_batch.all_sids()
            warm_rate = len(warm.ok) / (warm_raw["duration_us"] / 1e6)
            # Three times the warm-up's rate (at least 1,000/s) for the measured seconds.
            per_thread = math.ceil(max(warm_rate * 3, 1000) * args.seconds / args.connections)
            log(f"  warm-up: {warm_rate:,.0f} req/s answered 2xx")
            batch = self.batch(endpoint, per_thread)
            raw = self.wrk(url, args.seconds, target, batch)
            measured = account(raw, batch)
            seen.merge(measured)
            sent |= batch.all_sids()
            result = {"summary": summarise(raw, accounting=measured)}
            webhook = target.startswith("webhook")
            if webhook and args.worker == "during":
                log("  waiting for the worker in `frontdesk serve` to drain the queue…")
                drain_started = time.monotonic()
                data.wait_for_drain(channel.channel_id, timeout_s=args.drain_timeout, log=log)
                drain_seconds = time.monotonic() - drain_started
        # The server has stopped, after finishing every request it had accepted: the
        # rows are final.
        if webhook:
            queued = data.queued_tasks()
            rows, stored = data.event_sids(channel.channel_id)
        else:
            rows, stored = data.floor_sids()
        shutil.rmtree(warm_batch.folder, ignore_errors=True)
        shutil.rmtree(batch.folder, ignore_errors=True)
        if measured.exhausted:
            log(f"  WARNING: {measured.exhausted} requests wanted after the batch ran out")
        result["stored"] = data.check_stored(
            rows, stored, ok=seen.ok, sent=sent, unanswered=seen.unanswered
        )
        result["warmup"] = summarise(warm_raw, accounting=warm)
        result["app_ms"] = app_milliseconds(self.serve_log, offset, "POST")
        if webhook and args.worker == "during":
            result["drained"] = data.drained_counts(channel.channel_id, drain_seconds)
            # Only the tail after the run is timed here: no rate over the whole backlog.
            del result["drained"]["events_per_s"]
            result["stored_to_message"] = data.stored_to_processed_ms(channel.channel_id)
        elif webhook:
            result["queued_after_run"] = queued
            workers = args.drain_workers
            log(f"  starting {workers} `frontdesk worker` to drain the backlog…")
            services = [
                Service(
                    f"frontdesk worker {n}",
                    worker_argv() + ([] if n == 0 else ["--no-periodic"]),
                    env=dict(os.environ),
                    log_path=self.data_dir / f"worker-{n}.log",
                )
                for n in range(workers)
            ]
            drain_started = time.monotonic()
            try:
                for service in services:
                    service.__enter__()
                data.wait_for_drain(channel.channel_id, timeout_s=args.drain_timeout, log=log)
                drain_seconds = time.monotonic() - drain_started
            finally:
                for service in services:
                    service.__exit__(None, None, None)
            result["drained"] = data.drained_counts(channel.channel_id, drain_seconds)
            result["drained"]["workers"] = workers
        if webhook and "events_per_s" in result["drained"]:
            drained = result["drained"]
            log(
                f"  intake drain: {drained['events_per_s']:,.0f} events/s "
                f"({drained['workers']} worker{'s' * (drained['workers'] > 1)})"
            )
        return result


LABELS = {
    "bare": ('bare WSGI callable, "ok"', "granian WSGI"),
    "ok": ('Frontdesk view, "ok" (all middleware)', "frontdesk serve"),
    "floor": ("floor: signature + one INSERT (Django, no middleware)", "granian WSGI"),
    "webhook": ("Frontdesk SMS webhook: signature + durable store", "frontdesk serve"),
    "webhook-nosync": (
        "experiment: the webhook, SQLite task queue without fsync",
        "frontdesk serve",
    ),
}


def run_engine(args: argparse.Namespace) -> int:
    from django.db import connection

    from benchmarks.inbox_at_scale import wait_for_quiet
    from benchmarks.inbox_scale import load as loading
    from benchmarks.inbox_scale.report import machine
    from benchmarks.sms_bench import data
    from benchmarks.sms_bench.loadgen import wrk_version
    from benchmarks.sms_bench.report import verdict

    # Stopped by SIGTERM or Ctrl-C, the run still stops its servers and drops its database.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    signal.signal(signal.SIGINT, signal.default_int_handler)

    engine = args.engine
    bench = Engine(args)
    if engine == "postgres":
        loading.recreate_postgres_database(f"{args.pg_server}/postgres", args.pg_database)
    else:
        loading.clear_sqlite_files(bench.data_dir)
    redis = _claim_redis(os.environ.get("REDIS_URL", ""))
    try:
        log("frontdesk setup…")
        subprocess.run(
            [sys.executable, "-m", "frontdesk.cli", "setup", "-v", "0"], check=True, env=os.environ
        )
        import django

        django.setup()
        from django.conf import settings
        from django.urls import NoReverseMatch, reverse

        bench.channel = data.create_channel()
        data.create_floor_table()
        try:
            webhook_path = reverse("sms:inbound", kwargs={"key": bench.channel.webhook_key})
        except NoReverseMatch:
            webhook_path = None
        if connection.vendor == "sqlite":
            import sqlite3

            engine_version = f"SQLite {sqlite3.sqlite_version} (WAL)"
        else:
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                engine_version = f"PostgreSQL {cursor.fetchone()[0]}"
            if settings.REDIS_URL:
                engine_version += " + Redis (task queue, cache)"
        intake_text = (
            "poll (the stored event row is the queue; the worker picks it up)"
            if settings.INBOX_INTAKE == "poll"
            else "push (a task per event, enqueued after commit)"
        )
        connection.close()
        wait_for_quiet(args.wait_quiet, args.quiet_load)
        load_before = os.getloadavg()
        runs = []
        for round_number in range(1, args.rounds + 1):
            for target in args.target_list:
                label, served_by = LABELS[target]
                log(f"{target} (round {round_number})…")
                if target == "bare":
                    result = bench.measure_get(target, "/")
                elif target == "ok":
                    result = bench.measure_get(target, "/bench/ok")
                elif target == "floor":
                    result = bench.measure_signed(target, "/floor/sms/")
                elif webhook_path is None:
                    log("  no `sms:inbound` URL yet: the webhook is not measured")
                    continue
                else:
                    result = bench.measure_signed(target, webhook_path)
                s = result["summary"]
                log(
                    f"  {s.get('ok_per_s', s['requests_per_s']):,.0f} req/s, "
                    f"p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms, non-2xx {s['non_2xx']}"
                )
                runs.append(
                    {
                        "target": target,
                        "label": label,
                        "served_by": served_by,
                        "round": round_number,
                        "kind": "get" if target in ("bare", "ok") else "signed",
                        **result,
                    }
                )
        floors = [r["summary"]["ok_per_s"] for r in runs if r["target"] == "floor"]
        for run in runs:
            # Against the floor of the same round (the machine drifts between rounds).
            same_round = [
                r["summary"]["ok_per_s"]
                for r in runs
                if r["target"] == "floor" and r["round"] == run["round"]
            ]
            floor = same_round[0] if same_round else (statistics.median(floors) if floors else 0)
            if run["kind"] == "signed" and floor:
                run["vs_floor"] = round(run["summary"]["ok_per_s"] / floor, 3)
        result = {
            "engine": engine,
            "engine_version": engine_version,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "wrk": wrk_version(),
            "serving": (
                f"granian WSGI, {args.web_workers} workers x {args.web_threads} blocking thread"
                f"{'s' if args.web_threads > 1 else ''} (the arguments `frontdesk serve` uses)"
            ),
            "connections": args.connections,
            "seconds": args.seconds,
            "warmup_seconds": args.warmup,
            "rounds": args.rounds,
            "intake": intake_text,
            "worker_mode": args.worker,
            "worker_mode_text": (
                "not running during the webhook run; `frontdesk worker` drains the queue after"
                if args.worker == "after"
                else "running during the webhook run (`frontdesk serve` with its worker)"
            ),
            "webhook_path": webhook_path
            and webhook_path.replace(bench.channel.webhook_key, "<key>"),
            "load_average": {
                "before": [round(x, 2) for x in load_before],
                "after": [round(x, 2) for x in os.getloadavg()],
            },
            "floor_rps": statistics.median(floors) if floors else None,
            "runs": runs,
        }
        result["verdict"] = verdict(result)
    finally:
        if redis is not None:
            redis.flushdb()
            redis.close()
        if engine == "postgres" and not args.keep:
            from django.db import connections

            connections.close_all()
            loading.drop_postgres_database(f"{args.pg_server}/postgres", args.pg_database)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


def _claim_redis(url: str):
    """The Redis database of the run, which must be empty (or ours from a stopped run)."""
    if not url:
        return None
    import redis

    client = redis.Redis.from_url(url)
    keys = client.dbsize()
    if keys and not client.exists(REDIS_CLAIM):
        raise SystemExit(f"Redis database {url} holds {keys} keys; give an empty one (--redis-url)")
    client.flushdb()
    client.set(REDIS_CLAIM, "1", ex=6 * 3600)
    return client


if __name__ == "__main__":
    sys.exit(main())
