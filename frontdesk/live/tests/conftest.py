"""Websocket fixtures: the real ASGI stack (origin check, session auth, routing)
driven by channels' WebsocketCommunicator over the in-memory layer (root conftest)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth import SESSION_KEY
from django.test import Client

PAGE_ORIGIN = b"http://127.0.0.1:8000"  # the page; the socket is on :8001 in the demo


@pytest.fixture
def session_cookie(db) -> Callable[..., str]:
    """Return a `sessionid=...` cookie header for a signed-in user."""

    def make(user) -> str:
        client = Client()
        client.force_login(user)
        assert client.session[SESSION_KEY] == str(user.pk)
        return f"sessionid={client.cookies['sessionid'].value}"

    return make


@pytest.fixture
def live_socket(session_cookie) -> Callable[..., WebsocketCommunicator]:
    """Build a communicator for /ws/?workspace=<slug> as `user` (None: signed out)."""
    from frontdesk.asgi import application

    def make(
        user=None, workspace: str = "riverside", origin: bytes | None = PAGE_ORIGIN
    ) -> WebsocketCommunicator:
        headers = []
        if origin is not None:
            headers.append((b"origin", origin))
        if user is not None:
            headers.append((b"cookie", session_cookie(user).encode()))
        return WebsocketCommunicator(application, f"/ws/?workspace={workspace}", headers)

    return make


@pytest.fixture
def unused_port() -> int:
    """A loopback port where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
