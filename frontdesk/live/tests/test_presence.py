"""Presence on the live socket: who is viewing or typing in a conversation."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from frontdesk.live.publish import publish

pytestmark = pytest.mark.django_db


def run(scenario):
    return async_to_sync(scenario)()


def test_a_viewer_is_announced_to_colleagues_in_the_workspace(cast, live_socket):
    maya, amir = cast["agent"], cast["admin"]
    maya_socket, amir_socket = live_socket(maya.user), live_socket(amir.user)

    async def scenario():
        assert (await maya_socket.connect())[0]
        assert (await amir_socket.connect())[0]
        await maya_socket.send_json_to({"type": "presence", "conversation": 42, "state": "typing"})
        heard = await amir_socket.receive_json_from()
        assert heard["type"] == "presence"
        assert heard["data"]["conversation"] == 42
        assert heard["data"]["state"] == "typing"
        assert heard["data"]["member"] | {"color": "?"} == {
            "id": maya.pk,
            "name": "Maya Patel",
            "first_name": "Maya",
            "initials": "MP",
            "color": "?",
            "photo": "",
        }
        await maya_socket.disconnect()
        # Closing the page says "left" for what it was looking at.
        gone = await amir_socket.receive_json_from()
        assert (gone["data"]["state"], gone["data"]["conversation"]) == ("left", 42)
        await amir_socket.disconnect()

    run(scenario)


def test_moving_to_another_conversation_leaves_the_first(cast, live_socket):
    maya_socket, amir_socket = live_socket(cast["agent"].user), live_socket(cast["admin"].user)

    async def scenario():
        await maya_socket.connect()
        await amir_socket.connect()
        await maya_socket.send_json_to({"type": "presence", "conversation": 1, "state": "viewing"})
        await maya_socket.send_json_to({"type": "presence", "conversation": 2, "state": "viewing"})
        heard = [(await amir_socket.receive_json_from())["data"] for _ in range(3)]
        assert [(d["conversation"], d["state"]) for d in heard] == [
            (1, "viewing"),
            (1, "left"),
            (2, "viewing"),
        ]
        await maya_socket.disconnect()
        await amir_socket.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "presence", "conversation": "42", "state": "viewing"},
        {"type": "presence", "conversation": 0, "state": "viewing"},
        {"type": "presence", "conversation": True, "state": "viewing"},
        {"type": "presence", "conversation": 42, "state": "shouting"},
        {"type": "presence"},
    ],
)
def test_malformed_presence_is_dropped_and_the_socket_stays_open(cast, live_socket, frame):
    maya, amir = cast["agent"], cast["admin"]
    maya_socket, amir_socket = live_socket(maya.user), live_socket(amir.user)

    async def scenario():
        await maya_socket.connect()
        await amir_socket.connect()
        await maya_socket.send_json_to(frame)
        await sync_to_async(publish)(maya.workspace_id, "marker", {})
        # Messages arrive in order: the marker first means the frame was dropped.
        assert await amir_socket.receive_json_from() == {"type": "marker", "data": {}}
        await maya_socket.send_json_to({"type": "ping"})
        assert await maya_socket.receive_json_from() == {"type": "marker", "data": {}}
        assert await maya_socket.receive_json_from() == {"type": "pong", "data": {}}
        await maya_socket.disconnect()
        await amir_socket.disconnect()

    run(scenario)


def test_presence_never_reaches_another_workspace(cast, live_socket):
    maya, outsider = cast["agent"], cast["outsider"]
    maya_socket = live_socket(maya.user, "riverside")
    hillview_socket = live_socket(outsider.user, "hillview")

    async def scenario():
        await maya_socket.connect()
        await hillview_socket.connect()
        await maya_socket.send_json_to({"type": "presence", "conversation": 1, "state": "viewing"})
        # Her own page hears it: the frame has been relayed before the marker is sent.
        assert (await maya_socket.receive_json_from())["type"] == "presence"
        await sync_to_async(publish)(outsider.workspace_id, "marker", {})
        assert await hillview_socket.receive_json_from() == {"type": "marker", "data": {}}
        await maya_socket.disconnect()
        await hillview_socket.disconnect()

    run(scenario)


def test_a_flood_of_presence_frames_is_cut_off(cast, live_socket):
    maya, amir = cast["agent"], cast["admin"]
    maya_socket, amir_socket = live_socket(maya.user), live_socket(amir.user)

    async def scenario():
        await maya_socket.connect()
        await amir_socket.connect()
        for _ in range(50):
            await maya_socket.send_json_to(
                {"type": "presence", "conversation": 7, "state": "typing"}
            )
        await maya_socket.send_json_to({"type": "ping"})
        # Her own page hears her presence too; the pong says every frame was handled.
        while (await maya_socket.receive_json_from())["type"] != "pong":
            pass
        await sync_to_async(publish)(maya.workspace_id, "marker", {})
        heard = 0
        while (await amir_socket.receive_json_from())["type"] == "presence":
            heard += 1
        assert heard == 20
        await amir_socket.disconnect()
        await maya_socket.disconnect()

    run(scenario)
