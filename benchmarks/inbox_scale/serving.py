"""The production serving setup, started for the benchmark, and a plain HTTP client.

`frontdesk serve --no-worker` runs granian WSGI with 2 workers (plus the websocket
server), exactly what an install runs. The client is http.client on a keep-alive
connection, as a browser keeps one: a measured latency is from writing the request
to having read the last byte of the response body.
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
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

READY_DEADLINE_S = 90.0
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')


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


class Server:
    """`frontdesk serve --no-worker` in its own process group, stopped with SIGTERM."""

    def __init__(self, *, port: int, workers: int, log_path: Path, env: dict[str, str]) -> None:
        self.port = port
        self.workers = workers
        self.log_path = log_path
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        argv = [
            sys.executable,
            "-m",
            "frontdesk.cli",
            "serve",
            "--no-worker",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--web-workers",
            str(self.workers),
        ]
        log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            argv, env=self.env, stdout=log_file, stderr=subprocess.STDOUT, process_group=0
        )
        log_file.close()
        deadline = time.monotonic() + READY_DEADLINE_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"frontdesk serve exited early; see {self.log_path}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return self
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"frontdesk serve did not answer /healthz; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # serve stops its own children on SIGTERM; the group kill is the safety net.
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class HttpSession:
    """One keep-alive connection with a cookie jar; enough for a signed-in staff member."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def close(self) -> None:
        self.connection.close()

    def reconnect(self) -> None:
        self.connection.close()
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(
        self, method: str, path: str, *, form: dict[str, str] | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes, float]:
        """(status, headers, body, seconds from sending to the last body byte)."""
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                started = time.perf_counter()
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                elapsed = time.perf_counter() - started
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection; one retry, new socket.
                if attempt == 2:
                    raise
                self.reconnect()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, data, elapsed

    def login(self, email: str, password: str) -> None:
        status, _, body, _ = self.request("GET", "/login/")
        match = CSRF_INPUT.search(body.decode())
        if status != 200 or not match:
            raise RuntimeError(f"GET /login/ answered {status} without a CSRF token")
        status, _, _, _ = self.request(
            "POST",
            "/login/",
            form={"csrfmiddlewaretoken": match.group(1), "username": email, "password": password},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"sign-in failed: POST /login/ answered {status}")
