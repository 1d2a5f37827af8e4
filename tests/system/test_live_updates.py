"""A task run by the real worker process reaches a signed-in browser's websocket."""

from __future__ import annotations

import json
import secrets

import pytest
from websockets.sync.client import connect

from tests.system.server import refused_code, sign_in

pytestmark = pytest.mark.system

ENQUEUE_ANNOUNCE = """
from frontdesk.live.tasks import announce
announce({workspace_id}, "system.check", {{"token": {token!r}}})
"""


def test_event_from_a_worker_task_reaches_a_signed_in_websocket(frontdesk_server):
    server = frontdesk_server
    session_id, _ = sign_in(server.base_url, server.email, server.password)
    token = secrets.token_hex(8)

    with connect(
        f"{server.ws_url}?workspace={server.workspace_slug}",
        origin=server.base_url,
        additional_headers={"Cookie": f"sessionid={session_id}"},
        open_timeout=30,
    ) as socket:
        # Enqueued by another process, through the real queue (SQLite file or Redis),
        # run by the worker that `frontdesk serve` started.
        server.shell(ENQUEUE_ANNOUNCE.format(workspace_id=server.workspace_id, token=token))
        while True:
            # A failure shows as a timeout here: nothing else could send this token.
            message = json.loads(socket.recv(timeout=60))
            if message.get("data", {}).get("token") == token:
                break

    assert message == {"type": "system.check", "data": {"token": token}}


def test_websocket_without_a_session_is_closed_with_4403(frontdesk_server):
    assert refused_code(frontdesk_server.ws_url, origin=frontdesk_server.base_url) == 4403


def test_websocket_from_a_foreign_page_is_refused(frontdesk_server):
    from websockets.exceptions import InvalidStatus

    session_id, _ = sign_in(
        frontdesk_server.base_url, frontdesk_server.email, frontdesk_server.password
    )
    with pytest.raises(InvalidStatus) as refused:
        connect(
            f"{frontdesk_server.ws_url}?workspace={frontdesk_server.workspace_slug}",
            origin="http://evil.example",
            additional_headers={"Cookie": f"sessionid={session_id}"},
            open_timeout=30,
        )
    assert refused.value.response.status_code == 403
