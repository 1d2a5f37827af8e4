"""A loopback HTTP server speaking Twilio's REST API, for tests (and local trials).

It hosts a `TwilioStandIn` (frontdesk/demo/twilio/standin.py) on 127.0.0.1 at a
free port, one thread per connection, so the twilio SDK and httpx talk to it over
real HTTP:

    with TwilioServer() as server:
        settings.CONNECTOR_BASE_URLS["twilio"] = server.url
        sid, token = server.standin.add_account()
        ...

Tests use the `twilio_api` fixture (frontdesk/channels/sms/tests/conftest.py),
which starts one server per run and gives each test a fresh stand-in.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from frontdesk.demo.twilio.standin import TwilioStandIn


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's session expects
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        standin = self.server.owner.standin
        status, headers, payload = standin.handle(
            self.command, path, query, dict(self.headers.items()), body
        )
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if headers.get("Transfer-Encoding") == "chunked":
                for start in range(0, len(payload), 16384):
                    chunk = payload[start : start + 16384]
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout test); nothing left to tell it.
            self.close_connection = True

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: TwilioServer


class TwilioServer:
    """A TwilioStandIn served over HTTP on 127.0.0.1; a context manager."""

    def __init__(self, standin: TwilioStandIn | None = None) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"  # type: ignore[str-bytes-safe]
        self.standin = standin or TwilioStandIn()
        self.standin.base_url = self.url
        self._thread: threading.Thread | None = None

    def reset(self) -> TwilioStandIn:
        """Serve a fresh, empty stand-in (and end any stall the old one was in)."""
        self.standin.wake()
        self.standin = TwilioStandIn(base_url=self.url)
        return self.standin

    def start(self) -> TwilioServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="twilio-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.standin.wake()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> TwilioServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
