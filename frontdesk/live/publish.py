"""Send live updates to the browsers of a workspace's members.

An action schedules its update after the data is committed, so a browser never
hears about a row it cannot load yet:

    transaction.on_commit(
        lambda: publish(workspace.pk, "conversation.assigned", {"id": conversation.pk})
    )

Every open page of a member of workspace 7 is in the group `ws-7`; a page is also in
`member-<membership id>` for updates meant for one person (`membership_id=`).
Live updates are a courtesy on top of stored data: if the channel layer is down,
the write has still happened, so a failure is logged and never raised to the caller.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder

logger = logging.getLogger(__name__)

# Long enough for a busy SQLite writer or a Redis failover, short enough that a
# request or a task is not held up for long by a layer that stopped answering.
SEND_TIMEOUT_SECONDS = 5.0

# The consumer method that receives group messages (`live.event` -> `live_event`).
EVENT_MESSAGE = "live.event"
# Several events for one group in one layer message (`live.events` -> `live_events`):
# the consumer sends them on as separate frames, so browsers see no difference.
EVENTS_MESSAGE = "live.events"
# At most this many events per layer message (a batch of intake is ~100 customers).
EVENTS_PER_MESSAGE = 100
DISCONNECT_MESSAGE = "live.disconnect"


def workspace_group(workspace_id: int) -> str:
    return f"ws-{workspace_id}"


def member_group(membership_id: int) -> str:
    return f"member-{membership_id}"


def session_group(session_key: str) -> str:
    # A digest, not the key: group names are stored by the channel layer (and the
    # session key is a credential); they must also be short and ASCII.
    return "session-" + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def _as_json_data(data: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so dates, UUIDs and decimals arrive as the same strings
    # whichever layer carries them (channels-lite stores JSON, channels-redis msgpack),
    # and so a value the browser could not read fails here, in the caller's test.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


async def _group_send(group: str, message: dict[str, Any]) -> bool:
    layer = get_channel_layer()
    if layer is None:
        logger.warning("live update dropped: no channel layer configured", extra={"group": group})
        return False
    try:
        await asyncio.wait_for(layer.group_send(group, message), SEND_TIMEOUT_SECONDS)
    except Exception:
        logger.exception("live update not delivered to the channel layer", extra={"group": group})
        return False
    return True


async def apublish(
    workspace_id: int,
    event_type: str,
    data: dict[str, Any],
    *,
    membership_id: int | None = None,
) -> bool:
    """Async form of `publish`, for code already running in an event loop."""
    message = {"type": EVENT_MESSAGE, "event": event_type, "data": _as_json_data(data)}
    group = member_group(membership_id) if membership_id else workspace_group(workspace_id)
    return await _group_send(group, message)


async def apublish_many(events: list[tuple[int, str, dict[str, Any]]]) -> bool:
    """Send many (workspace id, event type, data) to their workspaces' open pages:
    one channel-layer message per workspace and up to EVENTS_PER_MESSAGE events,
    instead of one each (a layer that stores messages in its database reads the
    group's members for every send). Order is kept within a workspace."""
    by_group: dict[str, list[dict[str, Any]]] = {}
    for workspace_id, event_type, data in events:
        by_group.setdefault(workspace_group(workspace_id), []).append(
            {"event": event_type, "data": _as_json_data(data)}
        )
    sends = [
        _group_send(group, {"type": EVENTS_MESSAGE, "events": items[n : n + EVENTS_PER_MESSAGE]})
        for group, items in by_group.items()
        for n in range(0, len(items), EVENTS_PER_MESSAGE)
    ]
    # One group's chunks in order: sent one after another.
    ok = True
    for send in sends:
        ok = await send and ok
    return ok


def publish(
    workspace_id: int,
    event_type: str,
    data: dict[str, Any],
    *,
    membership_id: int | None = None,
) -> bool:
    """Send `{"type": event_type, "data": data}` to the workspace's open pages.

    With `membership_id`, only that member's pages receive it. Call it after commit
    (`transaction.on_commit`). Returns whether the channel layer accepted the
    message; a layer that is down is logged, not raised. Data that is not
    JSON-serialisable raises TypeError: that is a bug in the caller.
    """
    return async_to_sync(apublish)(workspace_id, event_type, data, membership_id=membership_id)


def disconnect_member(membership_id: int) -> bool:
    """Close every open live connection of one member (call after deactivating them).

    The consumer checks membership only when a page connects; this closes the
    sockets that are already open, with code 4403 so the page stops reconnecting.
    """
    return async_to_sync(_group_send)(member_group(membership_id), {"type": DISCONNECT_MESSAGE})


def disconnect_session(session_key: str) -> bool:
    """Close the live connections opened with one browser session (call at sign-out),
    with code 4403; the member's pages in other browsers stay open."""
    return async_to_sync(_group_send)(session_group(session_key), {"type": DISCONNECT_MESSAGE})
