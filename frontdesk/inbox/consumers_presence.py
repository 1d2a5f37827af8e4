"""Who is reading or typing in a conversation, relayed over the page's live socket.

A conversation page sends `{"type": "presence", "conversation": 42, "state": "viewing"}`
("typing" while someone writes, "left" when they go) on its one socket; the live
consumer hands the frame here, and it goes to every open page of the workspace as a
`presence` event naming the member, so two people do not answer one customer twice.

Nothing is stored. A page repeats "viewing" every 15 s and other pages forget a
viewer after 30 s without one, so a closed laptop does not stay "viewing"; a socket
that closes says "left" for whatever it was looking at.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from channels.db import database_sync_to_async

from frontdesk.core.models import Membership
from frontdesk.live.publish import apublish

EVENT = "presence"
STATES = ("viewing", "typing", "left")
# A page sends a few frames a minute (a heartbeat, typing at most every 3 s); a
# misbehaving one must not flood the whole workspace.
BURST = 20
BURST_WINDOW_SECONDS = 10.0
MAX_NUMBER = 2**31 - 1


@database_sync_to_async
def _profile(membership_id: int) -> dict[str, Any] | None:
    member = Membership.objects.filter(pk=membership_id, is_active=True).first()
    if member is None:
        return None
    return {
        "id": member.pk,
        "name": member.display_name,
        "first_name": member.first_name,
        "initials": member.initials,
        "color": member.color,
        "photo": member.photo.url if member.photo else "",
    }


def _parse(content: dict[str, Any]) -> tuple[int, str] | None:
    number, state = content.get("conversation"), content.get("state")
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= MAX_NUMBER:
        return None
    if state not in STATES:
        return None
    return number, state


def _allowed(consumer: Any) -> bool:
    sent: deque[float] = consumer.__dict__.setdefault("presence_sent", deque(maxlen=BURST))
    now = time.monotonic()
    if len(sent) == BURST and now - sent[0] < BURST_WINDOW_SECONDS:
        return False
    sent.append(now)
    return True


async def relay_presence(consumer: Any, content: dict[str, Any]) -> None:
    """Broadcast one presence frame from `consumer`'s member; malformed ones are dropped.

    `consumer` is a connected LiveConsumer (it has `membership_id` and `workspace_id`).
    """
    parsed = _parse(content)
    if parsed is None or not getattr(consumer, "membership_id", None) or not _allowed(consumer):
        return
    number, state = parsed
    previous = getattr(consumer, "presence_conversation", None)
    if previous and previous != number and state != "left":
        # Moved on to another conversation on the same page: the old one is left.
        await _send(consumer, previous, "left")
    consumer.presence_conversation = None if state == "left" else number
    await _send(consumer, number, state)


async def presence_gone(consumer: Any) -> None:
    """The socket closed: whatever its page was looking at, it has left."""
    number = getattr(consumer, "presence_conversation", None)
    if number and getattr(consumer, "membership_id", None):
        consumer.presence_conversation = None
        await _send(consumer, number, "left")


async def _send(consumer: Any, number: int, state: str) -> None:
    profile = consumer.__dict__.get("presence_profile")
    if profile is None:
        profile = await _profile(consumer.membership_id)
        if profile is None:
            return
        consumer.presence_profile = profile
    await apublish(
        consumer.workspace_id,
        EVENT,
        {"conversation": number, "state": state, "member": profile},
    )
