"""An open /ws/ socket ends with the sign-in it was opened with, and re-checks
membership and session every few minutes rather than hourly."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client

from frontdesk.core.models import Membership
from frontdesk.live import consumers
from frontdesk.live.consumers import CLOSE_FORBIDDEN
from frontdesk.live.tests.conftest import PAGE_ORIGIN

pytestmark = pytest.mark.django_db

CLOSED = {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


def browser(user) -> tuple[Client, WebsocketCommunicator]:
    """A signed-in browser: its client (for pages) and its page's socket."""
    from frontdesk.asgi import application

    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    socket = WebsocketCommunicator(
        application, "/ws/?workspace=riverside", [(b"origin", PAGE_ORIGIN), (b"cookie", cookie)]
    )
    return client, socket


async def pong(socket: WebsocketCommunicator) -> None:
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong", "data": {}}


def test_signing_out_closes_that_browsers_socket_only(cast):
    laptop, laptop_socket = browser(cast["agent"].user)
    _phone, phone_socket = browser(cast["agent"].user)

    async def scenario():
        assert (await laptop_socket.connect())[0]
        assert (await phone_socket.connect())[0]
        response = await sync_to_async(laptop.post)("/logout/")
        assert response.status_code == 302
        assert await laptop_socket.receive_output() == CLOSED
        await pong(phone_socket)  # the same person's other browser stays signed in
        await phone_socket.disconnect()

    async_to_sync(scenario)()


@pytest.fixture
def clock(monkeypatch):
    """Move the consumer's clock: `clock.advance(seconds)`."""

    class Clock:
        now = 1_000.0

        def advance(self, seconds: float) -> None:
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(consumers, "_clock", lambda: fake.now)
    return fake


def test_a_deactivated_member_is_closed_within_minutes_not_an_hour(cast, clock):
    agent = cast["agent"]
    _client, socket = browser(agent.user)

    async def scenario():
        assert (await socket.connect())[0]
        await sync_to_async(Membership.objects.filter(pk=agent.pk).update)(is_active=False)
        clock.advance(60)
        await pong(socket)  # within the re-check interval nothing is asked yet
        clock.advance(10 * 60)
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_output() == CLOSED

    async_to_sync(scenario)()


def test_a_session_ended_elsewhere_closes_the_socket_at_the_next_check(cast, clock):
    client, socket = browser(cast["agent"].user)
    session_key = client.cookies["sessionid"].value

    async def scenario():
        assert (await socket.connect())[0]
        # Signed out without the close message arriving (say, the layer was down).
        await sync_to_async(Session.objects.filter(session_key=session_key).delete)()
        clock.advance(10 * 60)
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_output() == CLOSED

    async_to_sync(scenario)()
