"""`frontdesk worker` on its own, as run on extra machines at scale."""

from __future__ import annotations

import contextlib
import signal

import pytest

from tests.system.server import (
    empty_redis_database,
    frontdesk_command,
    frontdesk_shell,
    start_frontdesk,
    stop_with,
    wait_until,
)

pytestmark = pytest.mark.system

ENQUEUE_ANNOUNCE = """
from huey.contrib.djhuey import HUEY
from frontdesk.live.tasks import announce
task = announce.s({workspace_id}, "worker.check", {{"n": 1}})
HUEY.enqueue(task)
print(task.id)
"""


def test_a_separate_worker_process_runs_a_queued_task(frontdesk_server, tmp_path):
    server = frontdesk_server
    # Same database as the server, but a queue of its own, so the worker inside
    # `frontdesk serve` cannot take the task first.
    env = {
        **server.env,
        "FRONTDESK_DATA_DIR": str(tmp_path / "worker-data"),
        "DATABASE_URL": server.env.get(
            "DATABASE_URL", f"sqlite:///{server.data_dir / 'frontdesk.sqlite3'}"
        ),
    }
    with contextlib.ExitStack() as cleanup:
        if "REDIS_URL" in env:
            env["REDIS_URL"] = cleanup.enter_context(empty_redis_database(env["REDIS_URL"]))
        else:
            frontdesk_command("migrate", "--database", "channels", env=env)
        log = tmp_path / "worker.log"
        worker = start_frontdesk("worker", "--workers", "2", env=env, log=log)
        try:
            task_id = frontdesk_shell(
                ENQUEUE_ANNOUNCE.format(workspace_id=server.workspace_id), env=env
            )
            # The task itself logs when it has published (huey's own per-task lines
            # are below the default log level).
            wait_until(
                lambda: "live event announced" in log.read_text(),
                deadline=60,
                what=f"the worker to run task {task_id}",
            )
        finally:
            # SIGTERM is the graceful stop a process manager sends.
            code = stop_with(worker, signal.SIGTERM)
    output = log.read_text()
    assert code == 0, output
    assert "Huey consumer started with 2 thread" in output
    assert "Consumer exiting" in output
