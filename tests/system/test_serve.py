"""`frontdesk serve` as an operator runs it: real HTTP, real signals, real processes."""

from __future__ import annotations

import json
import os
import re
import signal

import pytest

from frontdesk.demo.core import DEMO_LOGIN
from tests.system.server import (
    command_line,
    descendants,
    frontdesk_command,
    http_get,
    is_alive,
    sign_in,
    start_serve,
    stop_with,
    wait_until,
)

pytestmark = pytest.mark.system


def test_healthz_reports_database_and_queue_ok_over_real_http(frontdesk_server):
    status, body = http_get(f"{frontdesk_server.base_url}/healthz")
    health = json.loads(body)
    assert status == 200
    assert health["status"] == "ok"
    assert health["checks"]["database"]["ok"] is True
    assert health["checks"]["queue"]["ok"] is True
    # The processes run on the configured engines, not on a fallback.
    using_postgres = "DATABASE_URL" in frontdesk_server.env
    assert health["checks"]["database"]["vendor"] == ("postgresql" if using_postgres else "sqlite")
    using_redis = "REDIS_URL" in frontdesk_server.env
    assert ("Redis" in health["checks"]["queue"]["backend"]) is using_redis


def test_pages_are_told_where_the_websocket_is(frontdesk_server):
    _, opener = sign_in(
        frontdesk_server.base_url, frontdesk_server.email, frontdesk_server.password
    )
    status, page = http_get(
        f"{frontdesk_server.base_url}/w/{frontdesk_server.workspace_slug}/", opener=opener
    )
    assert status == 200
    assert f'data-websocket-url="{frontdesk_server.ws_url}"' in page
    assert f'data-workspace="{frontdesk_server.workspace_slug}"' in page


def test_static_files_are_collected_and_served(frontdesk_server):
    status, script = http_get(f"{frontdesk_server.base_url}/static/frontdesk/live.js")
    assert status == 200
    assert "frontdesk:live" in script


def _parent(pid: int) -> int:
    """The parent process id, from /proc/<pid>/stat (after the command's closing paren)."""
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def _serve(frontdesk_server, tmp_path, **env):
    log = tmp_path / "serve.log"
    process, _, _ = start_serve({**frontdesk_server.env, **env}, log)
    children = descendants(process.pid)
    # web and websocket servers (each with a worker process) and the task worker
    assert len(children) >= 5, children
    return process, children, log


def test_sigint_stops_serve_and_every_process_it_started(frontdesk_server, tmp_path):
    process, children, log = _serve(frontdesk_server, tmp_path)

    assert stop_with(process, signal.SIGINT) == 0, log.read_text()

    wait_until(
        lambda: not any(is_alive(pid) for pid in children),
        deadline=30,
        what="the processes of frontdesk serve to exit",
    )
    assert "Frontdesk stopped." in log.read_text()


def test_demo_banner_shows_the_sign_in_and_sigterm_stops_serve(frontdesk_server, tmp_path):
    process, children, log = _serve(frontdesk_server, tmp_path, FRONTDESK_DEMO="true")
    banner = log.read_text()
    assert re.search(r"Frontdesk is running at http://127\.0\.0\.1:\d+/", banner)
    assert f"Demo sign-in: {DEMO_LOGIN[0]}  /  {DEMO_LOGIN[1]}" in banner

    assert stop_with(process, signal.SIGTERM) == 0, log.read_text()

    wait_until(
        lambda: not any(is_alive(pid) for pid in children),
        deadline=30,
        what="the processes of frontdesk serve to exit",
    )


def test_a_killed_server_stops_the_others_and_serve_exits_non_zero(frontdesk_server, tmp_path):
    process, children, log = _serve(frontdesk_server, tmp_path)
    # The web server serve started itself, not granian's own worker process under it
    # (same command line; granian would start a killed worker again, and serve would
    # rightly go on).
    server = next(
        pid
        for pid in children
        if "granian" in " ".join(command_line(pid))
        and "wsgi" in " ".join(command_line(pid))
        and _parent(pid) == process.pid
    )

    os.kill(server, signal.SIGKILL)

    assert process.wait(timeout=60) == 1
    wait_until(
        lambda: not any(is_alive(pid) for pid in children),
        deadline=30,
        what="the other processes of frontdesk serve to exit",
    )
    output = log.read_text()
    assert f"(pid {server}) was killed by SIGKILL unexpectedly" in output
    assert "stopping the rest of Frontdesk" in output


def test_a_killed_worker_is_started_again_and_serve_keeps_serving(frontdesk_server, tmp_path):
    log = tmp_path / "serve.log"
    process, base_url, _ = start_serve(frontdesk_server.env, log)
    children = descendants(process.pid)
    worker = next(pid for pid in children if command_line(pid)[-2:] == ["frontdesk.cli", "worker"])

    os.kill(worker, signal.SIGKILL)

    def new_worker() -> int | None:
        return next(
            (
                pid
                for pid in descendants(process.pid)
                if pid != worker and command_line(pid)[-2:] == ["frontdesk.cli", "worker"]
            ),
            None,
        )

    replacement = wait_until(new_worker, deadline=60, what="a new background worker")
    assert process.poll() is None, log.read_text()
    output = log.read_text()
    assert (
        f"The background worker (pid {worker}) was killed by SIGKILL unexpectedly; "
        "starting it again in 1 s." in output
    )
    assert f"Started the background worker again (pid {replacement})." in output
    status, _ = http_get(f"{base_url}/healthz")
    assert status == 200

    assert stop_with(process, signal.SIGINT) == 0, log.read_text()
    assert not is_alive(replacement)


def test_serve_refuses_a_port_that_is_taken(frontdesk_server, tmp_path):
    port = frontdesk_server.base_url.rsplit(":", 1)[1]

    with pytest.raises(AssertionError, match=f"Port {port} on 127.0.0.1 is already in use"):
        frontdesk_command("serve", "--port", port, env=frontdesk_server.env)


def test_setup_is_safe_to_run_again_on_a_live_install(frontdesk_server):
    result = frontdesk_command("setup", env=frontdesk_server.env)
    assert "Frontdesk is set up." in result.stdout
    status, _ = http_get(f"{frontdesk_server.base_url}/healthz")
    assert status == 200
