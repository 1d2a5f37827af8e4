"""`make demo` for tests: a fresh install with the Riverside demo, served by a real
`frontdesk serve` with FRONTDESK_DEMO=true (phone simulator, in-app Twilio stand-in).

The public URL must be known before the server starts (webhook signatures cover it,
and the demo's Twilio is reached through it), so the port is chosen first. Like the
`frontdesk_server` fixture, it uses its own database (and Redis database), never
pytest's.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.system.server import (
    STARTUP_DEADLINE,
    FrontdeskServer,
    descendants,
    empty_redis_database,
    free_port,
    fresh_postgres_database,
    frontdesk_command,
    http_get,
    serving,
    set_up,
    start_frontdesk,
    subprocess_env,
    wait_until,
)

DEMO_EMAIL = "maya@riverside-library.example"
DEMO_PASSWORD = "frontdesk-demo"  # the published demo sign-in (frontdesk/core/demo.py)


@contextlib.contextmanager
def serve_demo(data_dir: Path) -> Iterator[FrontdeskServer]:
    """`frontdesk setup`, `load_demo`, then `serve` in demo mode; stopped with SIGINT."""
    if not sys.platform.startswith("linux"):
        raise AssertionError("the system tests read /proc to follow processes: Linux only")
    env = subprocess_env(data_dir)
    with contextlib.ExitStack() as cleanup:
        if os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = cleanup.enter_context(
                fresh_postgres_database(os.environ["DATABASE_URL"])
            )
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = cleanup.enter_context(empty_redis_database(os.environ["REDIS_URL"]))
        port, ws_port = free_port(), free_port()
        base_url = f"http://127.0.0.1:{port}"
        env |= {"FRONTDESK_DEMO": "true", "FRONTDESK_PUBLIC_URL": base_url}
        set_up(env=env)
        frontdesk_command("load_demo", env=env)
        log = data_dir / "serve.log"
        process = start_frontdesk(
            "serve", "--port", str(port), "--ws-port", str(ws_port), env=env, log=log
        )

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"frontdesk serve exited:\n{log.read_text()}")
            try:
                return http_get(f"{base_url}/healthz")[0] == 200 and (
                    "Press Ctrl-C to stop" in log.read_text()
                )
            except OSError:
                return False

        wait_until(ready, deadline=STARTUP_DEADLINE, what=f"the demo on {base_url}")
        server = FrontdeskServer(
            base_url=base_url,
            ws_url=f"ws://127.0.0.1:{ws_port}/ws/",
            data_dir=data_dir,
            env=env,
            workspace_id=0,
            workspace_slug="riverside",
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            process=process,
            log=log,
            children=descendants(process.pid),
        )
        with serving(server, "the demo") as running:
            yield running
