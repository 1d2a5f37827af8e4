"""`make demo` as a newcomer runs it (issue 20, item 18): the demo's notification emails
go to files, and the sign-in banner is not buried under them."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import pytest

from frontdesk.demo.core import DEMO_LOGIN
from tests.system.server import (
    empty_redis_database,
    fresh_postgres_database,
    frontdesk_command,
    set_up,
    start_serve,
    stop_with,
    subprocess_env,
    wait_until,
)

pytestmark = pytest.mark.system


def test_the_demos_emails_are_written_to_files_not_over_the_banner(tmp_path):
    data_dir = tmp_path / "data"
    env = subprocess_env(data_dir)
    del env["EMAIL_BACKEND"]  # as `make demo` runs: no mail server, no backend chosen
    env["FRONTDESK_DEMO"] = "true"
    with contextlib.ExitStack() as cleanup:
        if os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = cleanup.enter_context(
                fresh_postgres_database(os.environ["DATABASE_URL"])
            )
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = cleanup.enter_context(empty_redis_database(os.environ["REDIS_URL"]))
        set_up(env=env)
        loaded = frontdesk_command("load_demo", env=env)
        assert f"as {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}" in loaded.stdout.splitlines()[-1]

        log = tmp_path / "serve.log"
        process, _base_url, _ws = start_serve(env, log)
        try:
            mail_dir = data_dir / "sent-email"

            # The demo assigned conversations to people who get email: the worker sends
            # those notifications as soon as it runs.
            # Django's file backend creates its file first and writes the mail after,
            # so wait for a written mail, not for the file.
            def sent() -> str:
                return "".join(path.read_text() for path in sorted(mail_dir.glob("*.log")))

            wait_until(
                lambda: "Subject: " in sent(),
                deadline=120,
                what="the demo's notification emails",
            )
            assert "Subject: " in sent()
        finally:
            assert stop_with(process, signal.SIGINT) == 0, log.read_text()

    output = log.read_text()
    banner = output[output.index("Frontdesk is running at") :]
    assert f"Demo sign-in: {DEMO_LOGIN[0]}  /  {DEMO_LOGIN[1]}" in banner
    assert f"Emails are written to {Path(mail_dir)}, not sent." in banner
    # No email was printed, before the banner or after it.
    assert "Subject: " not in output
    assert "Content-Transfer-Encoding" not in output
