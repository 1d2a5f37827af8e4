"""The servers under test (started with benchmarks.common.Service, each in its own
process group and stopped after):

- `frontdesk serve` (granian WSGI web workers, the websocket server, and the task
  worker unless --no-worker): what an install runs.
- granian WSGI started with exactly the arguments `frontdesk serve` gives its web
  server (taken from serve's own code), pointed at another WSGI application: the
  floor project or a bare WSGI callable.
- `frontdesk worker` alone, to drain the task queue after a run.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def granian_argv(app: str, port: int, *, workers: int, threads: int) -> list[str]:
    """The web server's command line as `frontdesk serve` builds it, serving `app`."""
    from frontdesk.core.management.commands.serve import Command

    options = {"web_workers": workers, "web_threads": threads, "no_worker": True}
    web = Command()._children("127.0.0.1", port, port + 1, options)[0]
    if "--interface" not in web.argv or web.argv[-1] != "frontdesk.wsgi:application":
        raise RuntimeError(f"unexpected web server command line: {web.argv}")
    return [*web.argv[:-1], app]


def worker_argv() -> list[str]:
    return [sys.executable, "-m", "frontdesk.cli", "worker"]


REQUEST_LINE = re.compile(r"frontdesk\.request (\w+) (\S+) (\d{3})\b.*?\bms=([\d.]+)")


def app_milliseconds(log_path: Path, offset: int, method: str) -> dict | None:
    """Frontdesk's own time per request (RequestLogMiddleware's `ms`, from the first
    middleware in to the response out: no waiting for a worker) for `method` requests
    logged after byte `offset` of the server's log; None when there are none."""
    with log_path.open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode(errors="replace")
    values = sorted(
        float(match.group(4))
        for match in REQUEST_LINE.finditer(text)
        if match.group(1) == method and match.group(3).startswith("2")
    )
    if not values:
        return None
    return {
        "requests": len(values),
        "mean_ms": round(sum(values) / len(values), 2),
        "p50_ms": values[len(values) // 2],
        "p99_ms": values[min(len(values) - 1, int(len(values) * 0.99))],
    }
