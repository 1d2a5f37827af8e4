"""`frontdesk serve`: the web server, the websocket server and a task worker, as one.

Three child processes, one per job, because DESIGN.md measured Django's ASGI handler
at a tenth of the WSGI path for ordinary pages:

    web     granian WSGI   frontdesk.wsgi:application   pages, API, webhooks  (--port)
    live    granian ASGI   frontdesk.asgi:application   the /ws/ websocket    (--ws-port)
    worker  frontdesk worker                            background tasks      (--no-worker)

One Ctrl-C (or SIGTERM) stops them all: SIGTERM to each, SIGKILL to whatever is left
after the grace period, then serve exits. If one child dies on its own, serve stops
the others and exits non-zero, so a process manager restarts the whole set. Each
child runs in its own process group (a terminal's Ctrl-C reaches serve alone, and
serve can sweep up a child's own children) and is asked by the kernel to exit if
serve itself is killed (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from subprocess import DEVNULL, Popen
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
READY_TIMEOUT_SECONDS = 60.0
logger = logging.getLogger("frontdesk.serve")
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}  # noqa: S104 - names, not binds


# A worker that dies is started again after 1 s, 2 s, 4 s, ... at most a minute; one
# that then ran for a minute counts as healthy again (the wait starts over).
RESTART_FIRST_DELAY = 1.0
RESTART_MAX_DELAY = 60.0
RESTART_HEALTHY_AFTER = 60.0


@dataclass
class Child:
    name: str  # what the operator reads: "web server", "websocket server", ...
    argv: list[str]
    process: Popen[bytes] | None = None
    # Restarted when it dies (the worker: its tasks are durable and a fresh one picks
    # them up); a server that dies stops Frontdesk, since its port would go dark.
    restartable: bool = False
    started_at: float = 0.0
    restart_at: float | None = None
    restart_delay: float = RESTART_FIRST_DELAY

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _pdeathsig_preexec() -> Callable[[], None] | None:
    """A preexec_fn asking the kernel to SIGTERM the child when serve dies (Linux).

    prctl is looked up here, before forking: the child runs only the call itself.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    prctl = libc.prctl
    pr_set_pdeathsig = 1
    parent = os.getpid()

    def preexec() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        # serve may have died between fork and prctl; the kernel would not tell us.
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def _process_group_members(pgid: int) -> set[int] | None:
    """PIDs still in a process group, where a dead child's workers would linger
    (None without Linux's /proc)."""
    members: set[int] = set()
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name: state ppid pgrp ...
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z":
            members.add(int(entry.name))
    return members


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _accepting(host: str, port: int) -> bool:
    target = "127.0.0.1" if host in WILDCARD_HOSTS else host
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:
        return False


def _url_host(host: str, *, wildcard: str = "127.0.0.1") -> str:
    if host in WILDCARD_HOSTS:
        host = wildcard
    return f"[{host}]" if ":" in host else host


class Command(BaseCommand):
    help = (
        "Serve Frontdesk: web pages and API over WSGI, the live-update websocket over "
        "ASGI, and a background task worker, stopped together by Ctrl-C or SIGTERM."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Web port (default 8000).")
        parser.add_argument(
            "--ws-port",
            type=int,
            default=None,
            help="Websocket port (default: --port + 1). Behind a proxy, send /ws/ here.",
        )
        parser.add_argument(
            "--web-workers",
            type=int,
            default=2,
            help="WSGI worker processes (default 2; about one per CPU core).",
        )
        parser.add_argument(
            "--web-threads",
            type=int,
            default=1,
            help="Blocking threads per WSGI worker (default 1, the fastest measured).",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start a task worker (run `frontdesk worker` elsewhere).",
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=10.0,
            help="Seconds the children get to stop before they are killed (default 10).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        ws_port: int = options["ws_port"] or port + 1
        if ws_port == port:
            raise CommandError("--ws-port must differ from --port.")
        if options["web_workers"] < 1 or options["web_threads"] < 1:
            raise CommandError("--web-workers and --web-threads must be at least 1.")
        for what, number in (("web", port), ("websocket", ws_port)):
            if not _port_free(host, number):
                raise CommandError(
                    f"Port {number} on {host} is already in use, so the {what} server "
                    f"cannot start. Stop whatever uses it or choose another port."
                )

        web_url = f"http://{_url_host(host)}:{port}/"
        env = self._child_env(host, ws_port)
        children = self._children(host, port, ws_port, options)
        self._supervise(children, env, options["grace"], web_url, host, port, ws_port)

    def _child_env(self, host: str, ws_port: int) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
        env["PYTHONUNBUFFERED"] = "1"
        # An operator behind a proxy sets FRONTDESK_WEBSOCKET_URL (e.g. "/ws/", same
        # origin); otherwise pages connect straight to the websocket port.
        if not env.get("FRONTDESK_WEBSOCKET_URL"):
            # Listening everywhere, the address people use is not known here: live.js
            # puts the page's own host name in place of 0.0.0.0.
            ws_host = _url_host(host, wildcard="0.0.0.0")  # noqa: S104 - a URL, not a bind
            env["FRONTDESK_WEBSOCKET_URL"] = f"ws://{ws_host}:{ws_port}/ws/"
        return env

    def _children(self, host: str, port: int, ws_port: int, options: dict[str, Any]) -> list[Child]:
        granian = [sys.executable, "-m", "granian", "--host", host, "--respawn-failed-workers"]
        children = [
            Child(
                "web server (granian WSGI)",
                [
                    *granian,
                    "--interface",
                    "wsgi",
                    "--port",
                    str(port),
                    "--workers",
                    str(options["web_workers"]),
                    "--blocking-threads",
                    str(options["web_threads"]),
                    "frontdesk.wsgi:application",
                ],
            ),
            Child(
                "websocket server (granian ASGI)",
                [
                    *granian,
                    "--interface",
                    "asgi",
                    "--port",
                    str(ws_port),
                    "--workers",
                    "1",
                    "frontdesk.asgi:application",
                ],
            ),
        ]
        if not options["no_worker"]:
            children.append(
                Child(
                    "background worker",
                    [sys.executable, "-m", "frontdesk.cli", "worker"],
                    restartable=True,
                )
            )
        return children

    def _supervise(
        self,
        children: list[Child],
        env: dict[str, str],
        grace: float,
        web_url: str,
        host: str,
        port: int,
        ws_port: int,
    ) -> None:
        wake = threading.Event()
        stop_signals: list[int] = []

        def on_stop(signum: int, frame: object) -> None:
            stop_signals.append(signum)
            wake.set()

        def on_child(signum: int, frame: object) -> None:
            wake.set()

        previous = {sig: signal.signal(sig, on_stop) for sig in STOP_SIGNALS}
        previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, on_child)
        failure: str | None = None
        try:
            preexec = _pdeathsig_preexec()

            def start(child: Child) -> None:
                child.process = Popen(  # noqa: S603 - our own interpreter and arguments
                    child.argv,
                    env=env,
                    stdin=DEVNULL,
                    process_group=0,
                    preexec_fn=preexec,
                )
                child.started_at = time.monotonic()
                child.restart_at = None

            for child in children:
                start(child)
            announced = False
            deadline = time.monotonic() + READY_TIMEOUT_SECONDS
            while not stop_signals:
                now = time.monotonic()
                for child in children:
                    if child.restart_at is not None and now >= child.restart_at:
                        start(child)
                        self.stderr.write(f"Started the {child.name} again (pid {child.pid}).")
                dead = next((c for c in children if c.restart_at is None and not c.running()), None)
                if dead is not None and dead.restartable:
                    self._schedule_restart(dead, now)
                    continue
                if dead is not None:
                    assert dead.process is not None
                    how = _describe_exit(dead.process.returncode)
                    failure = (
                        f"The {dead.name} (pid {dead.pid}) {how} unexpectedly; "
                        "stopping the rest of Frontdesk."
                    )
                    break
                if not announced and _accepting(host, port) and _accepting(host, ws_port):
                    self._banner(children, web_url, env["FRONTDESK_WEBSOCKET_URL"])
                    announced = True
                elif not announced and time.monotonic() > deadline:
                    failure = (
                        f"Frontdesk did not start listening within {READY_TIMEOUT_SECONDS:.0f} s."
                    )
                    break
                # Short waits until the ports answer, then sleep until a signal, a
                # child's exit (SIGCHLD) or a restart that is due wakes us.
                timeout = 0.1 if not announced else 5.0
                due = [c.restart_at for c in children if c.restart_at is not None]
                if due:
                    timeout = max(0.0, min(timeout, min(due) - time.monotonic()))
                wake.wait(timeout)
                wake.clear()
        finally:
            if failure:
                self.stderr.write(self.style.ERROR(failure))
            elif stop_signals:
                self.stdout.write(
                    f"\n{signal.Signals(stop_signals[0]).name} received, stopping Frontdesk…"
                )
            self._stop(children, grace, stop_signals)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failure:
            raise CommandError("Frontdesk stopped after a failure (see above).", returncode=1)
        self.stdout.write("Frontdesk stopped.")

    def _schedule_restart(self, child: Child, now: float) -> None:
        """Log a restartable child's death and when it starts again (backing off)."""
        assert child.process is not None
        how = _describe_exit(child.process.returncode)
        if now - child.started_at >= RESTART_HEALTHY_AFTER:
            child.restart_delay = RESTART_FIRST_DELAY
        delay = child.restart_delay
        child.restart_delay = min(delay * 2, RESTART_MAX_DELAY)
        child.restart_at = now + delay
        self.stderr.write(
            self.style.WARNING(
                f"The {child.name} (pid {child.pid}) {how} unexpectedly; "
                f"starting it again in {delay:.0f} s."
            )
        )
        logger.warning(
            "child process died, restarting",
            extra={"child": child.name, "pid": child.pid, "exit": how, "delay_s": delay},
        )
        # Its own workers may linger in its process group: they go before the new one.
        members = _process_group_members(child.pid) or set()
        for pid in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _stop(self, children: list[Child], grace: float, stop_signals: list[int]) -> None:
        """SIGTERM every child, SIGKILL what is left after `grace` (or a second Ctrl-C),
        then sweep each child's process group so no worker of a child outlives it."""
        signals_before = len(stop_signals)
        for child in children:
            if child.running():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while any(c.running() for c in children):
            if time.monotonic() > deadline or len(stop_signals) > signals_before:
                break
            time.sleep(0.05)
        for child in children:
            if child.process is None:
                continue
            if child.running():
                self.stderr.write(f"The {child.name} did not stop in time; killing it.")
            # Everything still in the child's group (its own workers included) goes now.
            members = _process_group_members(child.pid)
            if members is None:  # no /proc: signal the group as a whole
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.pid, signal.SIGKILL)
            else:
                for pid in members | ({child.pid} if child.running() else set()):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            child.process.wait()
            # Wait (bounded) for the swept processes to be gone: reaped by init.
            sweep_deadline = time.monotonic() + 5.0
            while _process_group_members(child.pid) and time.monotonic() < sweep_deadline:
                time.sleep(0.02)

    def _banner(self, children: list[Child], web_url: str, ws_url: str) -> None:
        lines = [
            "",
            self.style.SUCCESS(f"  Frontdesk is running at {web_url}"),
            "",
        ]
        lines += [f"    {child.name:<32} pid {child.pid}" for child in children]
        lines.append(f"    {'live updates':<32} {ws_url}")
        login = self._demo_login()
        if login:
            lines += ["", f"  Demo sign-in: {login[0]}  /  {login[1]}"]
        if settings.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
            # The demo's notification emails go there, not over this banner.
            lines.append(f"  Emails are written to {settings.EMAIL_FILE_PATH}, not sent.")
        lines += ["", "  Press Ctrl-C to stop.", ""]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    def _demo_login(self) -> tuple[str, str] | None:
        if not settings.FRONTDESK_DEMO:
            return None
        email, password = settings.DEMO_LOGIN
        return email, password
