"""The embedded task queue: Huey on SQLite, committing like the main database.

Huey's SqliteStorage leaves SQLite's default `synchronous=FULL`, so every enqueue
waits for an fsync of tasks.sqlite3 — the largest single cost of an SMS webhook
(benchmarks/sms_webhook.py). The main database runs WAL with `synchronous=NORMAL`
(a commit survives the application crashing; the last ones may be lost if the
machine loses power, and the database stays consistent). The queue gets the same.
It can afford it: every task that matters re-derives from rows in the main database
(the inbound-event and delivery sweeps re-queue whatever a lost task left behind).
"""

from __future__ import annotations

import sqlite3

from huey import Huey
from huey.storage import SqliteStorage

from frontdesk.env import make_private

SYNCHRONOUS_NORMAL = 1


class QueueStorage(SqliteStorage):
    def _create_connection(self) -> sqlite3.Connection:
        conn = super()._create_connection()
        conn.execute(f"pragma synchronous={SYNCHRONOUS_NORMAL}")
        make_private(self.filename)
        return conn


class SqliteHuey(Huey):
    storage_class = QueueStorage
