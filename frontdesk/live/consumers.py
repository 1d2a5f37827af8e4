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
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import SESSION_KEY

from frontdesk.core.models import Membership
from frontdesk.inbox.consumers_presence import presence_gone, relay_presence
from frontdesk.live.publish import member_group, session_group, workspace_group

# 4000-4999 are free for applications; 4403 mirrors HTTP 403 and tells live.js not
# to reconnect (signed out, or no longer a member).
CLOSE_FORBIDDEN = 4403
# Group memberships expire in the channel layer (a day by default), and membership
# in the workspace or the session can end while a page stays open (a deactivation or
# sign-out whose close message was lost, a session flushed elsewhere): the groups
# are renewed and all of it re-checked this often, on the page's keep-alive ping.
RECHECK_SECONDS = 5 * 60


def _clock() -> float:
    # One name for tests to move forward (patching time.monotonic would move the
    # event loop's clock too).
    return time.monotonic()


@database_sync_to_async
def _active_membership(
    user: Any, slug: str, *, session_key: str | None = None
) -> Membership | None:
    """The user's active membership of the workspace `slug`, or None. With
    `session_key` (a re-check), also None once that session no longer signs them in."""
    if user is None or not user.is_authenticated or not user.is_active or not slug:
        return None
    if session_key is not None:
        # A fresh read: the scope's session object caches what it loaded at connect.
        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        if str(store.get(SESSION_KEY)) != str(user.pk):
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
    session_key: str | None = None

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
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        if self.session_key:
            # Signing out of this browser closes this socket (accounts' SignOutView).
            self.live_groups += (session_group(self.session_key),)
        await self._join_groups()
        # Only now: a page that sees the socket open may rely on hearing what follows.
        await self.accept()

    async def _join_groups(self) -> None:
        for group in self.live_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.checked_at = _clock()

    async def _still_member(self) -> bool:
        membership = await _active_membership(
            self.scope.get("user"), self.workspace_slug, session_key=self.session_key or ""
        )
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
            if _clock() - self.checked_at > RECHECK_SECONDS and not (await self._still_member()):
                return
            await self.send_json({"type": "pong", "data": {}})

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": message["event"], "data": message["data"]})

    async def live_events(self, message: dict[str, Any]) -> None:
        """Several events in one layer message (`publish.apublish_many`): one frame each."""
        for item in message["events"]:
            await self.send_json({"type": item["event"], "data": item["data"]})

    async def live_disconnect(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_FORBIDDEN)
