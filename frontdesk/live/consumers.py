"""The live-update websocket at /ws/?workspace=<slug>.

A page opens one socket for its workspace. The socket is accepted for an active
member of that workspace only and then receives the events `publish()` sends to
the workspace and to that member, as JSON `{"type": ..., "data": {...}}`. Pages
send an optional `{"type": "ping"}` keep-alive (answered with "pong") and, on inbox
pages, `{"type": "presence", ...}` frames (frontdesk/inbox/consumers_presence.py).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from frontdesk.core.models import Membership
from frontdesk.inbox.consumers_presence import presence_gone, relay_presence
from frontdesk.live.publish import member_group, workspace_group

# 4000-4999 are free for applications; 4403 mirrors HTTP 403 and tells live.js not
# to reconnect (signed out, or no longer a member).
CLOSE_FORBIDDEN = 4403
# Group memberships expire in the channel layer (a day by default), and membership
# in the workspace can end while a page stays open: both are renewed or re-checked
# this often, on the page's keep-alive ping.
RECHECK_SECONDS = 3600


@database_sync_to_async
def _active_membership(user: Any, slug: str) -> Membership | None:
    if user is None or not user.is_authenticated or not user.is_active or not slug:
        return None
    return (
        Membership.objects.filter(user=user, workspace__slug=slug, is_active=True)
        .only("pk", "workspace_id")
        .first()
    )


class LiveConsumer(AsyncJsonWebsocketConsumer):
    # Not `groups`: channels would join those before connect() could check anything.
    live_groups: tuple[str, ...] = ()
    checked_at = 0.0
    membership_id: int | None = None
    workspace_id: int | None = None

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.workspace_slug = (query.get("workspace") or [""])[0]
        membership = await _active_membership(self.scope.get("user"), self.workspace_slug)
        if membership is None:
            # Accept before closing: a close during the handshake reaches the browser
            # as a bare failure (and a retry loop), while 4403 after accept says "stop".
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.membership_id, self.workspace_id = membership.pk, membership.workspace_id
        self.live_groups = (
            workspace_group(membership.workspace_id),
            member_group(membership.pk),
        )
        await self._join_groups()
        # Only now: a page that sees the socket open may rely on hearing what follows.
        await self.accept()

    async def _join_groups(self) -> None:
        for group in self.live_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.checked_at = time.monotonic()

    async def _still_member(self) -> bool:
        membership = await _active_membership(self.scope.get("user"), self.workspace_slug)
        if membership is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return False
        await self._join_groups()
        return True

    async def disconnect(self, code: int) -> None:
        await presence_gone(self)
        for group in self.live_groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.live_groups = ()

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        # Pages send keep-alives and presence; a binary or malformed frame is ignored
        # rather than letting the JSON consumer's ValueError close the socket.
        try:
            content = json.loads(text_data or "")
        except ValueError:
            return
        if isinstance(content, dict) and content.get("type") == "presence":
            await relay_presence(self, content)
            return
        if isinstance(content, dict) and content.get("type") == "ping":
            if time.monotonic() - self.checked_at > RECHECK_SECONDS and not (
                await self._still_member()
            ):
                return
            await self.send_json({"type": "pong", "data": {}})

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": message["event"], "data": message["data"]})

    async def live_disconnect(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_FORBIDDEN)
