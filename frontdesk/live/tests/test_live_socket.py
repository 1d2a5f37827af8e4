"""The /ws/ socket: who may open it, and which events reach whom."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from frontdesk.core.models import Membership
from frontdesk.live import consumers
from frontdesk.live.consumers import CLOSE_FORBIDDEN
from frontdesk.live.publish import apublish_many, disconnect_member, publish
from frontdesk.live.tasks import announce

pytestmark = pytest.mark.django_db


def run(scenario, *args):
    """Run an async test body on an event loop; ORM calls stay on this thread, so
    build sockets (which sign in through the ORM) before entering it."""
    return async_to_sync(scenario)(*args)


async def refused(socket) -> None:
    connected, _ = await socket.connect()
    assert connected  # accepted, then closed with a code the page understands
    assert await socket.receive_output() == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
    await socket.disconnect()  # what the server sends once the close completes


def test_member_receives_an_event_published_to_their_workspace(cast, live_socket):
    agent = cast["agent"]
    socket = live_socket(agent.user)

    async def scenario():
        connected, _ = await socket.connect()
        assert connected
        delivered = await sync_to_async(publish)(
            agent.workspace_id,
            "conversation.assigned",
            {"id": 42, "at": dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)},
        )
        assert delivered is True
        assert await socket.receive_json_from() == {
            "type": "conversation.assigned",
            "data": {"id": 42, "at": "2025-03-01T09:30:00Z"},
        }
        await socket.disconnect()

    run(scenario)


def test_event_for_one_member_reaches_only_that_member(cast, live_socket):
    agent, admin = cast["agent"], cast["admin"]
    agent_socket, admin_socket = live_socket(agent.user), live_socket(admin.user)

    async def scenario():
        assert (await agent_socket.connect())[0]
        assert (await admin_socket.connect())[0]
        await sync_to_async(publish)(
            agent.workspace_id, "mention", {"note": 7}, membership_id=agent.pk
        )
        await sync_to_async(publish)(agent.workspace_id, "marker", {})
        assert await agent_socket.receive_json_from() == {"type": "mention", "data": {"note": 7}}
        # Messages arrive in order, so the admin's first one being the later marker
        # proves the personal event never reached them.
        assert await admin_socket.receive_json_from() == {"type": "marker", "data": {}}
        await agent_socket.disconnect()
        await admin_socket.disconnect()

    run(scenario)


def test_events_of_another_workspace_never_reach_a_member(cast, live_socket):
    agent, outsider = cast["agent"], cast["outsider"]
    riverside_socket = live_socket(agent.user, "riverside")
    hillview_socket = live_socket(outsider.user, "hillview")

    async def scenario():
        assert (await riverside_socket.connect())[0]
        assert (await hillview_socket.connect())[0]
        await sync_to_async(publish)(outsider.workspace_id, "secret", {"hillview": True})
        await sync_to_async(publish)(agent.workspace_id, "marker", {})
        assert await riverside_socket.receive_json_from() == {"type": "marker", "data": {}}
        assert await hillview_socket.receive_json_from() == {
            "type": "secret",
            "data": {"hillview": True},
        }
        await riverside_socket.disconnect()
        await hillview_socket.disconnect()

    run(scenario)


def test_events_sent_together_arrive_as_separate_frames_in_order_per_workspace(cast, live_socket):
    agent, outsider = cast["agent"], cast["outsider"]
    riverside_socket = live_socket(agent.user, "riverside")
    hillview_socket = live_socket(outsider.user, "hillview")
    events = [(agent.workspace_id, "message.created", {"n": n}) for n in range(150)]
    events.insert(3, (outsider.workspace_id, "secret", {"hillview": True}))

    async def scenario():
        assert (await riverside_socket.connect())[0]
        assert (await hillview_socket.connect())[0]
        # 150 events: two layer messages for riverside (100 per message), one for hillview.
        assert await apublish_many(events) is True
        heard = [await riverside_socket.receive_json_from() for _ in range(150)]
        assert heard == [{"type": "message.created", "data": {"n": n}} for n in range(150)]
        assert await hillview_socket.receive_json_from() == {
            "type": "secret",
            "data": {"hillview": True},
        }
        assert await riverside_socket.receive_nothing()
        await riverside_socket.disconnect()
        await hillview_socket.disconnect()

    run(scenario)


def test_signed_out_visitor_is_refused(cast, live_socket):
    run(refused, live_socket(None))


def test_member_of_another_workspace_is_refused(cast, live_socket):
    run(refused, live_socket(cast["outsider"].user, "riverside"))


def test_deactivated_member_is_refused(cast, live_socket):
    Membership.objects.filter(pk=cast["agent"].pk).update(is_active=False)
    run(refused, live_socket(cast["agent"].user))


@pytest.mark.parametrize("slug", ["nowhere", ""])
def test_unknown_or_missing_workspace_is_refused(cast, live_socket, slug):
    run(refused, live_socket(cast["agent"].user, slug))


@pytest.mark.parametrize(
    "origin", [b"http://127.0.0.1:8000", b"http://localhost:8123", b"http://[::1]:80"]
)
def test_page_on_another_port_of_the_same_host_may_connect(cast, live_socket, origin):
    socket = live_socket(cast["agent"].user, origin=origin)

    async def scenario():
        assert (await socket.connect())[0]
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("origin", [b"http://evil.example", b"http://127.0.0.1.evil.example", None])
def test_page_from_a_foreign_or_no_origin_is_refused_at_the_handshake(cast, live_socket, origin):
    socket = live_socket(cast["agent"].user, origin=origin)

    async def scenario():
        connected, _ = await socket.connect()
        assert not connected

    run(scenario)


def test_deactivated_member_is_disconnected_from_open_sockets(cast, live_socket):
    agent = cast["agent"]
    socket = live_socket(agent.user)

    async def scenario():
        assert (await socket.connect())[0]
        await sync_to_async(disconnect_member)(agent.pk)
        assert await socket.receive_output() == {
            "type": "websocket.close",
            "code": CLOSE_FORBIDDEN,
        }

    run(scenario)


def test_ping_is_answered_and_junk_frames_are_ignored(cast, live_socket):
    socket = live_socket(cast["agent"].user)

    async def scenario():
        assert (await socket.connect())[0]
        await socket.send_to(bytes_data=b"\x00\x01")
        await socket.send_to(text_data="not json")
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from() == {"type": "pong", "data": {}}
        await socket.disconnect()

    run(scenario)


def test_open_socket_of_a_member_deactivated_since_is_closed_at_the_next_check(
    cast, live_socket, monkeypatch
):
    agent = cast["agent"]
    socket = live_socket(agent.user)
    monkeypatch.setattr(consumers, "RECHECK_SECONDS", -1)  # check on every ping

    async def scenario():
        assert (await socket.connect())[0]
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from() == {"type": "pong", "data": {}}
        await sync_to_async(Membership.objects.filter(pk=agent.pk).update)(is_active=False)
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_output() == {
            "type": "websocket.close",
            "code": CLOSE_FORBIDDEN,
        }
        await socket.disconnect()

    run(scenario)


def test_announce_task_publishes_to_the_workspace(cast, live_socket):
    agent = cast["agent"]
    socket = live_socket(agent.user)

    async def scenario():
        assert (await socket.connect())[0]
        # Huey is immediate in-process (root conftest): the task runs right here.
        await sync_to_async(announce)(agent.workspace_id, "notice.sent", {"count": 3})
        assert await socket.receive_json_from() == {"type": "notice.sent", "data": {"count": 3}}
        await socket.disconnect()

    run(scenario)


def test_publish_logs_instead_of_raising_when_the_layer_is_down(settings, caplog, unused_port):
    # A real Redis layer aimed at a loopback port where nothing listens.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{unused_port}/0"]},
        }
    }
    with caplog.at_level(logging.ERROR, logger="frontdesk.live.publish"):
        assert publish(1, "conversation.created", {"id": 1}) is False
    assert "not delivered" in caplog.text


def test_publish_refuses_data_a_browser_could_not_read():
    with pytest.raises(TypeError):
        publish(1, "bad", {"value": object()})
