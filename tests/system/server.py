"""Real Frontdesk processes for the system tests: a data folder, a database, a server.

Everything runs as the `frontdesk` command would on a real install, in subprocesses
with their own environment; nothing here touches pytest's test database. In the
PostgreSQL + Redis mode (frontdesk/testing/services.py) each run gets a fresh,
uniquely named PostgreSQL database and an empty Redis database number of its own,
removed afterwards.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STARTUP_DEADLINE = 90.0  # seconds; generous for a loaded CI machine, never waited out when healthy
COMMAND_TIMEOUT = 300.0  # a guard against a hung command; a healthy one takes seconds
PASSWORD = "system-test-password-1"  # a throwaway account in a throwaway database


def wait_until(condition: Callable[[], Any], *, deadline: float, what: str) -> Any:
    """Poll `condition` until it returns something truthy, failing after `deadline` s."""
    give_up = time.monotonic() + deadline
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up after {deadline:.0f} s waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def frontdesk_command(
    *args: str, env: dict[str, str], timeout: float = COMMAND_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run `frontdesk <args>` to completion; fail with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"`frontdesk {' '.join(args)}` exited with {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def set_up(env: dict[str, str]) -> None:
    """`frontdesk setup` for a new install, without migrating an empty database again.

    The first install of a run (per database engine, Redis or not, and demo mode) is set
    up in full into a template of its own; every later one starts from a copy of that
    freshly migrated database (the SQLite files, or CREATE DATABASE … TEMPLATE on
    PostgreSQL), and then `frontdesk setup` runs as an operator would run it, finding
    nothing to migrate or collect. Installs that test `setup` itself call it directly.
    """
    root = os.environ.get("FRONTDESK_TEST_TEMPLATE_DIR")
    if not root:
        frontdesk_command("setup", env=env)
        return
    import fcntl

    postgres = env.get("DATABASE_URL", "").startswith("postgres")
    key = "-".join(
        (
            "postgres" if postgres else "sqlite",
            "redis" if env.get("REDIS_URL") else "noredis",
            "demo" if env.get("FRONTDESK_DEMO") == "true" else "plain",
        )
    )
    folder = Path(root) / key
    folder.mkdir(exist_ok=True)
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        template_db = f"frontdesk_template_{Path(root).name[-8:]}_{key}".replace("-", "_")
        if not (folder / "ready").exists():
            template_env = env | {"FRONTDESK_DATA_DIR": str(folder / "data")}
            if postgres:
                parsed = urllib.parse.urlsplit(env["DATABASE_URL"])
                _postgres_admin(env["DATABASE_URL"], f'CREATE DATABASE "{template_db}"')
                template_env["DATABASE_URL"] = parsed._replace(path=f"/{template_db}").geturl()
                with (Path(root) / "postgres-templates").open("a") as listed:
                    listed.write(f"{parsed._replace(path='/postgres').geturl()} {template_db}\n")
            frontdesk_command("setup", env=template_env)
            (folder / "ready").touch()
        if postgres:
            name = urllib.parse.urlsplit(env["DATABASE_URL"]).path.strip("/")
            server = env["DATABASE_URL"]
            _postgres_admin(server, f'DROP DATABASE IF EXISTS "{name}"')
            _postgres_admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
        else:
            data_dir = Path(env["FRONTDESK_DATA_DIR"])
            data_dir.mkdir(parents=True, exist_ok=True)
            for path in (folder / "data").glob("*.sqlite3*"):
                # The task queue starts empty by itself; -shm is rebuilt from the WAL.
                if not path.name.startswith("tasks.") and not path.name.endswith("-shm"):
                    shutil.copyfile(path, data_dir / path.name)
    frontdesk_command("setup", env=env)


def _postgres_admin(server_url: str, sql: str) -> None:
    import psycopg

    admin = urllib.parse.urlsplit(server_url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def drop_postgres_templates(root: str) -> None:
    """Drop the template databases `set_up` made in this run (at its end)."""
    listed = Path(root) / "postgres-templates"
    if not listed.exists():
        return
    for line in listed.read_text().splitlines():
        server, name = line.rsplit(" ", 1)
        with contextlib.suppress(Exception):
            _postgres_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def frontdesk_shell(code: str, *, env: dict[str, str]) -> str:
    """Run Python inside a `frontdesk shell` (Django set up) and return what it printed."""
    return frontdesk_command("shell", "--no-imports", "-c", code, env=env).stdout.strip()


def start_frontdesk(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a long-running `frontdesk <args>`, its output going to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "frontdesk.cli", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


# --- Processes ------------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a live process, None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[0], int(fields[1])


def is_alive(pid: int) -> bool:
    stat = _proc_stat(pid)
    return stat is not None and stat[0] != "Z"


def command_line(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    return raw.decode(errors="replace").rstrip("\0").split("\0")


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (children, their workers, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat is not None and stat[0] != "Z":
                parents.setdefault(stat[1], []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


# --- HTTP -------------------------------------------------------------------------------


def http_get(url: str, *, opener: urllib.request.OpenerDirector | None = None) -> tuple[int, str]:
    opener = opener or urllib.request.build_opener()
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def sign_in(base_url: str, email: str, password: str) -> tuple[str, urllib.request.OpenerDirector]:
    """Sign in through the /login/ form as a browser does; return the session id and
    an opener that carries the cookies."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, page = http_get(f"{base_url}/login/", opener=opener)
    assert status == 200, page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": email, "password": password}
    ).encode()
    request = urllib.request.Request(
        f"{base_url}/login/", data=form, headers={"Origin": base_url, "Referer": f"{base_url}/"}
    )
    with opener.open(request, timeout=30) as response:
        assert response.status == 200
    cookies = {cookie.name: cookie.value for cookie in jar}
    assert "sessionid" in cookies, "signing in did not set a session cookie"
    return cookies["sessionid"], opener


# --- Databases ----------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """Create a uniquely named database on the server of `server_url`; drop it after."""
    import psycopg

    parsed = urllib.parse.urlsplit(server_url)
    name = f"frontdesk_system_{secrets.token_hex(4)}"
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parsed._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            # FORCE: a server killed mid-test may still hold connections.
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def empty_redis_database(redis_url: str) -> Iterator[str]:
    """Claim an empty Redis database number on the server of `redis_url`; flush it after.

    A database of its own keeps this run's task queue and cache apart from the
    in-process tests and from other runs; the claim key makes a concurrent run
    skip it.
    """
    import redis

    parsed = urllib.parse.urlsplit(redis_url)
    taken = parsed.path.strip("/") or "0"
    candidates = [n for n in range(1, 16) if str(n) != taken]
    random.shuffle(candidates)
    for number in candidates:
        url = parsed._replace(path=f"/{number}").geturl()
        client = redis.Redis.from_url(url)
        if client.dbsize() == 0 and client.set("frontdesk:system-test", "1", nx=True, ex=3600):
            break
        client.close()
    else:
        raise AssertionError(f"no empty Redis database left on {parsed.netloc}")
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


# --- The server ---------------------------------------------------------------------------


@dataclass
class FrontdeskServer:
    """A running `frontdesk serve` with its own data folder and database."""

    base_url: str
    ws_url: str
    data_dir: Path
    env: dict[str, str]
    workspace_id: int
    workspace_slug: str
    email: str
    password: str
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    children: set[int] = field(default_factory=set)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log else ""

    def shell(self, code: str, **env: str) -> str:
        return frontdesk_shell(code, env={**self.env, **env})


def subprocess_env(data_dir: Path) -> dict[str, str]:
    """The environment of a real install: what the operator would export, no test knobs."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FRONTDESK_", "PYTEST_")) and key != "DJANGO_SETTINGS_MODULE"
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "frontdesk.settings",
        "FRONTDESK_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
        # Outgoing mail in these processes goes nowhere.
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    if shared := os.environ.get("FRONTDESK_TEST_STATIC_DIR"):
        # One folder of collected static files for every install of the run.
        env["FRONTDESK_STATIC_DIR"] = shared
    return env


def start_serve(
    env: dict[str, str], log: Path, *extra: str
) -> tuple[subprocess.Popen[bytes], str, str]:
    """Start `frontdesk serve` on free ports and wait until it answers /healthz and the
    websocket port; return the process and its web and websocket URLs."""
    port, ws_port = free_port(), free_port()
    process = start_frontdesk(
        "serve",
        "--port",
        str(port),
        "--ws-port",
        str(ws_port),
        "--web-workers",
        "1",
        *extra,
        env=env,
        log=log,
    )
    base_url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(
                f"frontdesk serve exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            status, body = http_get(f"{base_url}/healthz")
        except OSError:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", ws_port), 1):
            return status == 200 and json.loads(body)["status"] == "ok"
        return False

    wait_until(ready, deadline=STARTUP_DEADLINE, what=f"frontdesk serve on {base_url}")
    ws_url = f"ws://127.0.0.1:{ws_port}/ws/"
    # A signed-out socket is accepted and closed with 4403 by the consumer itself, so
    # the websocket worker has started too.
    assert refused_code(ws_url, origin=base_url) == 4403
    # The banner comes once both ports answer; after it, every child has started.
    wait_until(
        lambda: "Press Ctrl-C to stop" in log.read_text(),
        deadline=STARTUP_DEADLINE,
        what="the serve banner",
    )
    return process, base_url, ws_url


def refused_code(ws_url: str, *, origin: str, cookie: str | None = None) -> int | None:
    """Open the live socket and return the close code the server ends it with."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    headers = {"Cookie": cookie} if cookie else {}
    with connect(
        f"{ws_url}?workspace=system-test",
        origin=origin,
        additional_headers=headers,
        open_timeout=STARTUP_DEADLINE,
    ) as socket_:
        try:
            socket_.recv(timeout=STARTUP_DEADLINE)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
    return None


def stop_with(process: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> int:
    if process.poll() is None:
        process.send_signal(sig)
    return process.wait(timeout=60)


@contextlib.contextmanager
def serving(server: FrontdeskServer, what: str) -> Iterator[FrontdeskServer]:
    """Hand out a started server; afterwards stop it with SIGINT, wait for every
    process it started to exit, and check that it exited cleanly."""
    try:
        yield server
    finally:
        code = stop_with(server.process, signal.SIGINT)
        wait_until(
            lambda: not any(is_alive(pid) for pid in server.children),
            deadline=30,
            what=f"every process of {what} to exit",
        )
    assert code == 0, f"frontdesk serve exited with {code}:\n{server.output()}"


CREATE_MEMBER = """
from frontdesk.core.actions.workspaces import create_workspace
from frontdesk.core.models import User
user = User.objects.create_user({email!r}, {password!r}, first_name="Sam", last_name="Tester")
workspace = create_workspace(
    name="System Test Library", slug="system-test", owner=user, owner_display_name="Sam Tester"
)
print(workspace.pk)
"""
