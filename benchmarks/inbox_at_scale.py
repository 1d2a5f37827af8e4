#!/usr/bin/env python
"""The inbox at a million messages: whole HTTP responses beside the SQL they need.

Loads N messages in M conversations (default 1,000,000 in 100,000; 90 % in one
workspace) into SQLite and/or PostgreSQL, serves them with the production setup
(`frontdesk serve --no-worker`: granian WSGI, 2 workers), signs in as a staff
member through /login/ and times each page's whole response, sequentially; in the
same run it replays the SQL each page ran on a raw cursor. Prints one table per
engine and writes JSON to benchmarks/results/. See benchmarks/README.md.

    .venv/bin/python benchmarks/inbox_at_scale.py --engine both
    .venv/bin/python benchmarks/inbox_at_scale.py --engine sqlite --quick
    .venv/bin/python benchmarks/inbox_at_scale.py --engine postgres --keep   # then --reuse
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import frontdesk_env, run_engines  # noqa: E402 - after the path above

RESULTS = ROOT / "benchmarks" / "results"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"  # the tests use /14


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument(
        "--quick", action="store_true", help="50,000 messages in 5,000 conversations (smoke run)"
    )
    parser.add_argument("--workspaces", type=int, default=10, help="90 %% of rows in the first")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--repeat", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page first")
    parser.add_argument(
        "--deep-page", type=int, default=None, help="which keyset page to time (20; 5 if --quick)"
    )
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=0,
        help="also run this many concurrent keep-alive clients over every page",
    )
    parser.add_argument("--concurrency-seconds", type=float, default=20.0)
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before measuring, wait up to this long for the 1-minute load average to "
        "drop below --quiet-load (a shared machine's other work shows in the tails)",
    )
    parser.add_argument("--quiet-load", type=float, default=(os.cpu_count() or 2) * 0.5)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also print each page's template time, per template (in-process)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=RESULTS,
        help="where each engine's data folder goes (default benchmarks/results/, git-ignored)",
    )
    parser.add_argument("--pg-server", default=PG_SERVER, help="PostgreSQL server URL, no database")
    parser.add_argument("--pg-database", default="frontdesk_bench")
    parser.add_argument(
        "--redis-url",
        default=None,
        help=f"Redis for the PostgreSQL run (default {DEFAULT_REDIS} when it answers; "
        "'' for none). SQLite runs use the embedded setup, without Redis.",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep a loaded database of the same size and seed"
    )
    parser.add_argument(
        "--keep", action="store_true", help="do not drop the PostgreSQL database at the end"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.conversations = 50_000, 5_000
    if args.deep_page is None:
        args.deep_page = 5 if args.quick else 20
    if args.messages < args.conversations:
        parser.error("--messages must be at least --conversations")
    return args


def engine_env(engine: str, args: argparse.Namespace) -> dict[str, str]:
    return frontdesk_env(
        engine,
        (args.data_dir / f"data-{engine}").resolve(),
        pg_url=f"{args.pg_server}/{args.pg_database}",
        redis_url=args.redis_url,
        default_redis=DEFAULT_REDIS,
        # testserver: the in-process client that captures each page's SQL.
        allowed_hosts="127.0.0.1,localhost,testserver",
    )


# --- the parent: one child process per engine (Django is configured once per process) ---------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return run_engine(args)
    from benchmarks.inbox_scale.report import slowest_statements, table

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
    print("Slowest statements per page (SQL p95):")
    for result in results:
        print(f"[{result['engine']}]")
        print(slowest_statements(result))
    combined = RESULTS / "inbox_at_scale-latest.json"
    combined.write_text(json.dumps(results, indent=2))
    print(f"\nResults: {combined}")
    return 0


# --- the child: one engine ---------------------------------------------------------------


def run_engine(args: argparse.Namespace) -> int:
    from benchmarks.inbox_scale import load as loading

    # Stopped by SIGTERM or Ctrl-C (even when started in the background, where the
    # shell ignores SIGINT), the run still stops its server and drops its database.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    signal.signal(signal.SIGINT, signal.default_int_handler)

    engine = args.engine
    data_dir = Path(os.environ["FRONTDESK_DATA_DIR"])
    meta_path = data_dir / "bench-meta.json"
    wanted = {
        "messages": args.messages,
        "conversations": args.conversations,
        "workspaces": args.workspaces,
        "seed": args.seed,
    }
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else None
    reuse = bool(
        args.reuse
        and meta
        and all(meta.get(k) == v for k, v in wanted.items())
        and (engine == "sqlite" or _pg_database_exists(args))
        and (engine == "postgres" or (data_dir / "frontdesk.sqlite3").exists())
    )
    if not reuse:
        meta_path.unlink(missing_ok=True)
        if engine == "postgres":
            loading.recreate_postgres_database(f"{args.pg_server}/postgres", args.pg_database)
        else:
            loading.clear_sqlite_files(data_dir)
    loading.log(f"frontdesk setup ({'existing data' if reuse else 'empty database'})…")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "setup", "-v", "0"], check=True, env=os.environ
    )
    setup_s = time.perf_counter() - started

    import django

    django.setup()
    if not reuse:
        meta = loading.load(
            messages=args.messages,
            conversations=args.conversations,
            workspaces=args.workspaces,
            seed=args.seed,
        )
        meta["setup_s"] = round(setup_s, 1)
        meta_path.write_text(json.dumps(meta, indent=2))
        loading.log(f"Loaded in {meta['load_timings']['total_s']:.0f} s.")
    else:
        loading.log("Reusing the loaded data.")
    assert meta is not None
    try:
        result = measure_engine(args, meta)
    finally:
        if engine == "postgres" and not args.keep:
            from django.db import connections

            connections.close_all()
            loading.drop_postgres_database(f"{args.pg_server}/postgres", args.pg_database)
            meta_path.unlink(missing_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    from benchmarks.inbox_scale.report import table

    print()
    print(table(result), flush=True)
    if args.profile:
        from benchmarks.inbox_scale.profile import describe

        for page in result["pages"]:
            if page.get("profile"):
                print(describe(page["key"], page["profile"]))
    return 0


def measure_page_http(args: argparse.Namespace, page, session, client) -> list[str]:
    """Time one page over HTTP and in-process; returns the SQL it ran."""
    from benchmarks.inbox_scale import load as loading
    from benchmarks.inbox_scale import measure

    loading.log(f"{page.key}: HTTP…")
    # Each worker warms up (templates, database connection) on its own socket.
    for _ in range(args.web_workers):
        session.reconnect()
        measure.time_http(session, page.path, warmup=3, repeat=1)
    page.http, page.response_bytes = measure.time_http(
        session, page.path, warmup=args.warmup, repeat=args.repeat
    )
    statements, status = measure.capture_request(client, page.path)
    if status != 200:
        raise RuntimeError(f"in-process GET {page.path} answered {status}")
    page.app = measure.time_inprocess(client, page.path, warmup=5, repeat=max(20, args.repeat // 4))
    return statements


def wait_for_quiet(seconds: float, threshold: float) -> None:
    from benchmarks.inbox_scale.load import log

    deadline = time.monotonic() + seconds
    load = os.getloadavg()[0]
    if seconds > 0 and load >= threshold:
        log(
            f"Load average {load:.2f}; waiting up to {seconds:.0f} s "
            f"for it to fall below {threshold}…"
        )
    while seconds > 0 and load >= threshold and time.monotonic() < deadline:
        time.sleep(5)
        load = os.getloadavg()[0]
    if seconds > 0:
        log(f"Load average now {load:.2f}.")


def _pg_database_exists(args: argparse.Namespace) -> bool:
    import psycopg

    with psycopg.connect(f"{args.pg_server}/postgres", autocommit=True) as admin:
        row = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [args.pg_database]
        ).fetchone()
    return row is not None


def measure_engine(args: argparse.Namespace, meta: dict) -> dict:
    import sqlite3

    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from benchmarks.common import free_port_pair
    from benchmarks.inbox_scale import load as loading
    from benchmarks.inbox_scale import measure
    from benchmarks.inbox_scale.corpus import COMMON_WORD, PHRASE_TEXT, RARE_WORD
    from benchmarks.inbox_scale.profile import profile_page
    from benchmarks.inbox_scale.report import machine
    from benchmarks.inbox_scale.serving import HttpSession, frontdesk_server
    from frontdesk.core.models import User
    from frontdesk.inbox.search import search_conversations

    log = loading.log
    # The in-process client's requests would log a line each; the server's go to serve.log.
    logging.getLogger("frontdesk.request").setLevel(logging.WARNING)
    counts = {
        "rare": loading.count_matches(meta["workspace_id"], RARE_WORD),
        "phrase": loading.count_matches(meta["workspace_id"], f'"{PHRASE_TEXT}"'),
        "common": loading.count_matches(meta["workspace_id"], COMMON_WORD),
    }
    log(f"Matches in the measured workspace: {counts}")
    if connection.vendor == "sqlite":
        engine_version = f"SQLite {sqlite3.sqlite_version}"
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            engine_version = f"PostgreSQL {cursor.fetchone()[0]}"
        if settings.REDIS_URL:
            engine_version += " + Redis"

    pages = measure.pages(meta, counts, args.deep_page)
    # Other work on the machine shows in the tails: the load is saved with the result.
    wait_for_quiet(args.wait_quiet, args.quiet_load)
    load_before = os.getloadavg()
    ready = measure.inbox_urls_ready()
    client = Client()
    client.force_login(User.objects.get(email=meta["email"]))
    concurrency = None
    port = free_port_pair()
    env = dict(os.environ)
    with frontdesk_server(
        port=port,
        workers=args.web_workers,
        log_path=Path(os.environ["FRONTDESK_DATA_DIR"]) / "serve.log",
        env=env,
    ):
        session = HttpSession(port)
        session.login(meta["email"], meta["password"])
        log(f"Signed in over HTTP on port {port}.")
        by_key = {page.key: page for page in pages}
        if ready:
            try:
                by_key["list_deep"].path = measure.follow_cursor_links(
                    session, by_key["list_first"].path, args.deep_page
                )
            except RuntimeError as exc:
                by_key["list_deep"].notes.append(f"page {args.deep_page} not reached: {exc}")
        calls = measure.queries_py_calls(meta, args.deep_page)
        for page in pages:
            statements = None
            if page.path:
                try:
                    statements = measure_page_http(args, page, session, client)
                except RuntimeError as exc:
                    page.http = page.app = None
                    page.notes.append(f"HTTP not measured: {exc}")
                    session.reconnect()
            if statements is None:
                if page.key not in calls:
                    continue
                statements = measure.capture_call(calls[page.key])
                page.notes.append("SQL captured from queries.py/search.py calls, not the page")
            page.queries = len(statements)
            page.skipped_writes = sum(1 for sql in statements if not measure.is_read(sql))
            log(f"{page.key}: SQL ({page.queries} statements)…")
            page.sql, page.statements = measure.time_statements(
                statements, warmup=5, repeat=args.repeat
            )
            if args.profile and page.app is not None:
                page.profile = profile_page(client, page.path)
        if args.concurrency and ready:
            log(f"Concurrency: {args.concurrency} clients for {args.concurrency_seconds:.0f} s…")
            concurrency = measure.concurrent_http(
                port,
                session.cookies,
                [p.path for p in pages if p.path and p.target],
                clients=args.concurrency,
                seconds=args.concurrency_seconds,
            )
            concurrency["seconds"] = args.concurrency_seconds
        session.close()

    from frontdesk.core.models import Workspace

    workspace = Workspace.objects.get(slug=meta["workspace_slug"])
    hits = {
        name: len(search_conversations(workspace, text, limit=30))
        for name, text in (
            ("rare", RARE_WORD),
            ("phrase", f'"{PHRASE_TEXT}"'),
            ("common", COMMON_WORD),
        )
    }
    return {
        "engine": args.engine,
        "engine_version": engine_version,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "serving": f"frontdesk serve --no-worker --web-workers {args.web_workers} (granian WSGI)",
        "load_average": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
        "inbox_pages_present": ready,
        "repeat": args.repeat,
        "warmup": args.warmup,
        "dataset": meta,
        "matches": counts,
        "search_hits_shown": hits,
        "pages": [page.as_json() for page in pages],
        "concurrency": concurrency,
    }


if __name__ == "__main__":
    sys.exit(main())
