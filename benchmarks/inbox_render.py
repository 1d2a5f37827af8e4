#!/usr/bin/env python
"""Rendering the inbox pages in-process, without a server: milliseconds per page.

A quick loop for page code: loads a small synthetic inbox once (the same generator
as inbox_at_scale.py, 50,000 messages by default) into its own SQLite data folder,
signs in with Django's test client and requests the list (page 1, a deep keyset
page) and a 15-message conversation N times each, printing ms per page beside the
SQL those requests ran (replayed on a raw cursor) and, with --profile, the time per
template. --dump writes each page's HTML, to diff a change's output against the
previous code's.

    .venv/bin/python benchmarks/inbox_render.py                 # ~1 min the first time
    .venv/bin/python benchmarks/inbox_render.py --repeat 200 --profile
    .venv/bin/python benchmarks/inbox_render.py --dump /tmp/pages-after
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=RESULTS / "data-render")
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--conversations", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--repeat", type=int, default=200, help="timed renders per page")
    parser.add_argument("--deep-page", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="time per template")
    parser.add_argument("--dump", type=Path, help="write each page's HTML into this folder")
    return parser.parse_args()


def prepare(args: argparse.Namespace) -> dict:
    """Django configured on the data folder; the data loaded unless it already is."""
    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in ("DATABASE_URL", "REDIS_URL", "FRONTDESK_HUEY_IMMEDIATE"):
        os.environ.pop(name, None)
    os.environ |= {
        "DJANGO_SETTINGS_MODULE": "frontdesk.settings",
        "FRONTDESK_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'frontdesk.sqlite3'}",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "testserver",
    }
    meta_path = data_dir / "bench-meta.json"
    wanted = {"messages": args.messages, "conversations": args.conversations, "seed": args.seed}
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else None
    fresh = not meta or any(meta.get(k) != v for k, v in wanted.items())
    from benchmarks.inbox_scale import load as loading

    if fresh:
        meta_path.unlink(missing_ok=True)
        loading.clear_sqlite_files(data_dir)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # Migrations a newer checkout brings apply to the loaded data as an upgrade would.
    subprocess.run([sys.executable, "-m", "frontdesk.cli", "setup", "-v", "0"], check=True, env=env)
    import django

    django.setup()
    if fresh:
        meta = loading.load(
            messages=args.messages, conversations=args.conversations, workspaces=2, seed=args.seed
        )
        meta_path.write_text(json.dumps(meta, indent=2))
    assert meta is not None
    return meta


def cpu_ms(client, path: str, *, repeat: int) -> float:
    """Median CPU time of this process per request: on a machine shared with other
    work, wall time includes waiting for a core; CPU time mostly does not (SQLite
    runs in this process, so it is all of a request's work)."""
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        client.get(path)
        samples.append((time.process_time() - started) * 1000)
    return sorted(samples)[len(samples) // 2]


def main() -> int:
    args = parse_args()
    meta = prepare(args)
    from django.test import Client
    from django.urls import reverse

    from benchmarks.inbox_scale import measure
    from benchmarks.inbox_scale.profile import describe, profile_page
    from frontdesk.core.models import User

    logging.getLogger("frontdesk.request").setLevel(logging.WARNING)
    slug = meta["workspace_slug"]
    client = Client()
    client.force_login(User.objects.get(email=meta["email"]))
    list_path = reverse("inbox:list", kwargs={"ws": slug})
    deep = list_path
    for _ in range(args.deep_page - 1):
        body = client.get(deep).content.decode()
        links = measure.CURSOR_LINK.findall(body)
        if not links:
            break
        deep = links[-1].replace("&amp;", "&")
    pages = {
        "list_first": list_path,
        "list_deep": deep,
        "conversation": reverse(
            "inbox:conversation", kwargs={"ws": slug, "number": meta["detail_number"]}
        ),
    }
    print(
        f"{'page':<14} {'ms p50':>8} {'ms p95':>8} {'CPU ms':>8} {'SQL p50':>8} "
        f"{'queries':>8} {'bytes':>8}"
    )
    for key, path in pages.items():
        statements, status = measure.capture_request(client, path)
        if status != 200:
            print(f"{key}: GET {path} answered {status}", file=sys.stderr)
            return 1
        timed = measure.time_inprocess(client, path, warmup=10, repeat=args.repeat)
        cpu = cpu_ms(client, path, repeat=args.repeat)
        sql, _ = measure.time_statements(statements, warmup=5, repeat=max(20, args.repeat // 4))
        body = client.get(path).content
        print(
            f"{key:<14} {timed['p50']:8.2f} {timed['p95']:8.2f} {cpu:8.2f} {sql['p50']:8.2f} "
            f"{len(statements):8d} {len(body):8d}",
            flush=True,
        )
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            (args.dump / f"{key}.html").write_bytes(body)
        if args.profile:
            print(describe(key, profile_page(client, path)))
    print(
        f"({args.repeat} renders per page; load average {os.getloadavg()[0]:.2f}; {time.ctime()})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
