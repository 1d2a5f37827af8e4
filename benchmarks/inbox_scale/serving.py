"""The production serving setup, started for the benchmark, and a plain HTTP client.

`frontdesk serve --no-worker` runs granian WSGI with 2 workers (plus the websocket
server), exactly what an install runs. The client is http.client on a keep-alive
connection, as a browser keeps one: a measured latency is from writing the request
to having read the last byte of the response body.
"""

from __future__ import annotations

import http.client
import re
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.common import Service, serve_argv

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')


def frontdesk_server(*, port: int, workers: int, log_path: Path, env: dict[str, str]) -> Service:
    """`frontdesk serve --no-worker` in its own process group, ready once /healthz
    answers, stopped with SIGTERM (serve stops its own children)."""
    return Service(
        "frontdesk serve",
        serve_argv(port, workers=workers, threads=1, worker=False),
        env=env,
        log_path=log_path,
        port=port,
        ready_path="/healthz",
    )


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
