from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from frontdesk import __version__
from frontdesk.connectors import http


class EchoHandler(BaseHTTPRequestHandler):
    """Answers every GET with the path and headers it received, as JSON."""

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "headers": dict(self.headers)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_the_base_url_override_aims_a_provider_at_a_loopback_peer(settings, echo_server):
    settings.CONNECTOR_BASE_URLS = {"example": echo_server + "/"}
    with http.client("example", base_url="https://api.example.invalid") as client:
        response = client.get("/v1/messages", params={"page": 2})
    assert response.status_code == 200
    seen = response.json()
    assert seen["path"] == "/v1/messages?page=2"
    assert seen["headers"]["User-Agent"] == f"Frontdesk/{__version__}"


def test_without_an_override_the_real_base_url_is_used(settings):
    settings.CONNECTOR_BASE_URLS = {"other": "http://127.0.0.1:9"}
    with http.client("example", base_url="https://api.example.invalid/") as client:
        assert str(client.base_url) == "https://api.example.invalid"
        assert client.timeout.connect == http.CONNECT_TIMEOUT_SECONDS
        assert client.timeout.read == http.DEFAULT_TIMEOUT_SECONDS
        assert client.follow_redirects is False


def test_extra_headers_are_added_beside_the_user_agent(settings, echo_server):
    settings.CONNECTOR_BASE_URLS = {"example": echo_server}
    with http.client(
        "example", base_url="https://x.invalid", headers={"Accept": "application/json"}
    ) as client:
        headers = client.get("/").json()["headers"]
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("Frontdesk/")


@pytest.mark.parametrize(
    ("override", "own", "expected"),
    [
        ("http://127.0.0.1:8000/demo/twilio", "http://127.0.0.1:8000", True),
        ("http://127.0.0.1:8000/demo/twilio/", "http://127.0.0.1:8000/", True),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000", True),
        ("http://127.0.0.1:80001/demo/twilio", "http://127.0.0.1:8000", False),
        ("http://127.0.0.1:9999/2010-04-01", "http://127.0.0.1:8000", False),
        ("", "http://127.0.0.1:8000", False),
        ("http://127.0.0.1:8000/demo/twilio", "", False),
    ],
)
def test_served_here_says_whether_a_provider_is_this_server(settings, override, own, expected):
    settings.CONNECTOR_BASE_URLS = {"twilio": override} if override else {}
    settings.PUBLIC_BASE_URL = own
    assert http.served_here("twilio") is expected
    assert http.served_here("vonage") is False
