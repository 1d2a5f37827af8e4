"""The servers under test, each started in its own process group and stopped after.

- `frontdesk serve` (granian WSGI web workers, the websocket server, and the task
  worker unless --no-worker): what an install runs.
- granian WSGI started with exactly the arguments `frontdesk serve` gives its web
  server (taken from serve's own code), pointed at another WSGI application: the
  floor project or a bare WSGI callable.
- `frontdesk worker` alone, to drain the task queue after a run.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

READY_DEADLINE_S = 90.0


def free_port_pair() -> int:
    """A port p with p and p + 1 free on 127.0.0.1 (web and websocket)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two adjacent free ports on 127.0.0.1")


def serve_argv(port: int, *, workers: int, threads: int, worker: bool) -> list[str]:
    argv = [sys.executable, "-m", "frontdesk.cli", "serve", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--ws-port", str(port + 1)]
    argv += ["--web-workers", str(workers), "--web-threads", str(threads)]
    return argv if worker else [*argv, "--no-worker"]


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


class Service:
    """A process group started from `argv`, ready once GET `ready_path` answers."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str],
        log_path: Path,
        port: int | None = None,
        ready_path: str = "/",
        ready_statuses: tuple[int, ...] = (200,),
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.port = port
        self.ready_path = ready_path
        self.ready_statuses = ready_statuses
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Service:
        with self.log_path.open("ab") as log_file:
            log_file.write(f"\n$ {' '.join(self.argv)}\n".encode())
            log_file.flush()
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                process_group=0,
            )
        if self.port is None:
            return self
        deadline = time.monotonic() + READY_DEADLINE_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self.log_path}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", self.ready_path)
                status = connection.getresponse().status
                connection.close()
                if status in self.ready_statuses:
                    return self
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"{self.name} did not answer {self.ready_path}; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


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
