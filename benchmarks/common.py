"""What the benchmark scripts share: the environment a Frontdesk process of one
engine runs with (its own data folder, SQLite or PostgreSQL + Redis, DEBUG off),
free ports, and servers started in their own process group and stopped after."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

READY_DEADLINE_S = 90.0

# Variables of the caller's environment a benchmark must not inherit.
CLEARED = ("DATABASE_URL", "REDIS_URL", "FRONTDESK_HUEY_IMMEDIATE", "DEBUG")


def log(message: str) -> None:
    """A timestamped progress line, printed at once (benchmarks run for minutes)."""
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)  # noqa: DTZ005


def redis_answers(url: str) -> bool:
    """Whether a Redis server answers PING at `url`."""
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def frontdesk_env(
    engine: str,
    data_dir: Path,
    *,
    pg_url: str,
    redis_url: str | None,
    default_redis: str,
    allowed_hosts: str = "127.0.0.1,localhost",
    also_cleared: tuple[str, ...] = (),
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a Frontdesk process for `engine` ("sqlite" or "postgres").

    SQLite: the embedded setup, a database in `data_dir`, no Redis. PostgreSQL:
    `pg_url`, plus Redis at `redis_url` when given ('' for none), else at
    `default_redis` when it answers, as an install at scale would.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for name in (*CLEARED, *also_cleared):
        env.pop(name, None)
    env |= {
        "DJANGO_SETTINGS_MODULE": "frontdesk.settings",
        "FRONTDESK_DATA_DIR": str(data_dir),
        "DEBUG": "false",
        "ALLOWED_HOSTS": allowed_hosts,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        **(extra or {}),
    }
    if engine == "postgres":
        env["DATABASE_URL"] = pg_url
        redis = default_redis if redis_url is None else redis_url
        if redis and (redis_url is not None or redis_answers(redis)):
            env["REDIS_URL"] = redis
    else:
        env["DATABASE_URL"] = f"sqlite:///{data_dir / 'frontdesk.sqlite3'}"
    return env


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


def run_engines(
    script: str,
    argv: Sequence[str],
    engines: Sequence[str],
    env_for: Callable[[str], dict[str, str]],
    results_dir: Path,
) -> list[dict] | int:
    """Run `script` once per engine in a child process (`--engine E --child --out F`,
    the caller's other options passed on; Django is configured once per process) and
    return each child's JSON result, or the exit code of the first that failed."""
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    passthrough = _without_option(list(argv), "--engine")
    results = []
    for engine in engines:
        out = results_dir / f"{Path(script).stem}-{engine}-{stamp}.json"
        command = [sys.executable, str(Path(script).resolve()), *passthrough]
        command += ["--engine", engine, "--child", "--out", str(out)]
        print(f"\n=== {engine} ===", flush=True)
        completed = subprocess.run(command, env=env_for(engine), check=False)
        if completed.returncode != 0:
            print(f"The {engine} run failed (exit {completed.returncode}).", file=sys.stderr)
            return completed.returncode
        results.append(json.loads(out.read_text()))
    return results


def _without_option(argv: list[str], name: str) -> list[str]:
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
            continue
        if item == name:
            skip = True
            continue
        if item.startswith(name + "="):
            continue
        out.append(item)
    return out
