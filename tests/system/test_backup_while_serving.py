"""A backup taken while Frontdesk serves and writes restores into a fresh data folder,
and a server started on the restored data shows the same workspace.

SQLite: `frontdesk backup` (SQLite's online backup API) then `frontdesk restore`.
PostgreSQL: the README's recipe, `pg_dump` then `pg_restore` into an empty database.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import urllib.parse
import urllib.request

import pytest

from frontdesk.demo.core import DEMO_LOGIN
from tests.system.server import (
    fresh_postgres_database,
    frontdesk_command,
    http_get,
    sign_in,
    start_serve,
    stop_with,
    subprocess_env,
)

pytestmark = pytest.mark.system

COUNT_CONTACTS = """
from frontdesk.core.models import Contact, Workspace
ws = Workspace.objects.get(slug="riverside")
print(Contact.objects.filter(workspace=ws).count())
"""


class ContactWriter(threading.Thread):
    """Adds contacts through the real web form, as a librarian would, until stopped."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self._, self.opener = sign_in(base_url, *DEMO_LOGIN)
        self.stop = threading.Event()
        self.created = 0
        self.errors: list[str] = []

    def run(self) -> None:
        url = f"{self.base_url}/w/riverside/contacts/new/"
        while not self.stop.is_set():
            status, page = http_get(url, opener=self.opener)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            if status != 200 or not token:
                self.errors.append(f"GET {status}")
                return
            form = urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": token.group(1),
                    "name": f"Backup Patron {self.created}",
                    "email": f"patron{self.created}@backup.example",
                    "sms_consent": "unknown",
                    "email_consent": "unknown",
                    "community_consent": "unknown",
                }
            ).encode()
            request = urllib.request.Request(url, data=form, headers={"Referer": url})
            with self.opener.open(request, timeout=30) as response:
                if response.status != 200 or "/contacts/new/" in response.url:
                    self.errors.append(f"POST {response.status} {response.url}")
                    return
            self.created += 1


def _count(env: dict[str, str]) -> int:
    return int(
        frontdesk_command("shell", "--no-imports", "-c", COUNT_CONTACTS, env=env).stdout.strip()
    )


def test_a_backup_taken_while_serving_restores_and_serves_the_same_workspace(
    frontdesk_server, tmp_path
):
    env = frontdesk_server.env
    before = _count(env)
    writer = ContactWriter(frontdesk_server.base_url)
    writer.start()
    try:
        # Let some writes land first, so the backup really races them.
        deadline = threading.Event()
        for _ in range(200):
            if writer.created >= 3 or writer.errors:
                break
            deadline.wait(0.05)
        restored_env = subprocess_env(tmp_path / "restored")
        with contextlib.ExitStack() as cleanup:
            if env.get("DATABASE_URL"):
                dump = tmp_path / "frontdesk.dump"
                subprocess.run(
                    [
                        "pg_dump",
                        "--format=custom",
                        "--no-owner",
                        f"--file={dump}",
                        env["DATABASE_URL"],
                    ],
                    check=True,
                )
                writer.stop.set()
                writer.join(30)
                restored_env["DATABASE_URL"] = cleanup.enter_context(
                    fresh_postgres_database(os.environ["DATABASE_URL"])
                )
                subprocess.run(
                    [
                        "pg_restore",
                        "--no-owner",
                        "--exit-on-error",
                        "--single-transaction",
                        f"--dbname={restored_env['DATABASE_URL']}",
                        str(dump),
                    ],
                    check=True,
                )
            else:
                backup = tmp_path / "backup"
                frontdesk_command("backup", str(backup), env=env)
                writer.stop.set()
                writer.join(30)
                frontdesk_command("restore", "--check", str(backup), env=env)
                frontdesk_command(
                    "restore",
                    str(backup),
                    "--data-dir",
                    str(tmp_path / "restored"),
                    env=restored_env,
                )
            if env.get("REDIS_URL"):
                restored_env["REDIS_URL"] = env["REDIS_URL"]
            after = _count(env)
            restored = _count(restored_env)

            assert writer.errors == []
            assert writer.created >= 3
            # The copy is one consistent moment between the first and the last write.
            assert before < restored <= after

            frontdesk_command("setup", env=restored_env)
            process, base_url, _ = start_serve(restored_env, tmp_path / "restored-serve.log")
            try:
                _, opener = sign_in(base_url, *DEMO_LOGIN)
                status, page = http_get(f"{base_url}/w/riverside/contacts/", opener=opener)
                assert status == 200
                assert "Riverside Public Library" in page
                assert f"{restored} contacts" in page
            finally:
                assert stop_with(process, signal.SIGINT) == 0
    finally:
        writer.stop.set()
        writer.join(30)
    shutil.rmtree(tmp_path / "restored", ignore_errors=True)
