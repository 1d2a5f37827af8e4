"""Cross-app fixtures. `frontdesk_server`: one real `frontdesk serve` per test run."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

import pytest

from tests.system.server import (
    CREATE_MEMBER,
    PASSWORD,
    FrontdeskServer,
    descendants,
    empty_redis_database,
    fresh_postgres_database,
    frontdesk_command,
    frontdesk_shell,
    serving,
    set_up,
    start_serve,
    subprocess_env,
)


@pytest.fixture(scope="session")
def frontdesk_server(tmp_path_factory) -> Iterator[FrontdeskServer]:
    """A fresh install served by `frontdesk serve` (web, websocket, worker) on free
    loopback ports, with one workspace and a member who can sign in.

    The processes use their own database (SQLite files in a fresh data folder, or a
    fresh PostgreSQL database) and, with Redis, their own Redis database; not
    pytest's test database, so tests using it must not use the `db` fixture.
    Stopped with SIGINT at the end of the run, which must stop every process.
    """
    if not sys.platform.startswith("linux"):
        pytest.fail("the system tests read /proc to follow processes: Linux only")
    data_dir = tmp_path_factory.mktemp("frontdesk-system")
    env = subprocess_env(data_dir)
    with contextlib.ExitStack() as cleanup:
        if os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = cleanup.enter_context(
                fresh_postgres_database(os.environ["DATABASE_URL"])
            )
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = cleanup.enter_context(empty_redis_database(os.environ["REDIS_URL"]))

        # The demo's data is loaded in demo mode (the demo app is installed only then),
        # and the server below runs as a real install, without it.
        demo_mode = {**env, "FRONTDESK_DEMO": "true"}
        set_up(env=demo_mode)
        frontdesk_command("load_demo", env=demo_mode)
        email = "sam@system-test.example"
        workspace_id = int(
            frontdesk_shell(CREATE_MEMBER.format(email=email, password=PASSWORD), env=env)
        )

        log = data_dir / "serve.log"
        process, base_url, ws_url = start_serve(env, log)
        server = FrontdeskServer(
            base_url=base_url,
            ws_url=ws_url,
            data_dir=data_dir,
            env=env,
            workspace_id=workspace_id,
            workspace_slug="system-test",
            email=email,
            password=PASSWORD,
            process=process,
            log=log,
            children=descendants(process.pid),
        )
        with serving(server, "frontdesk serve") as running:
            yield running
