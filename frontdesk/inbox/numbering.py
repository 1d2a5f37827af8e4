"""Conversation numbers (#1042), per workspace, for a batch of new conversations.

The counter is one row per workspace (`InboxSettings.last_conversation_number`).
Advancing it inside the caller's transaction holds that row's lock until the caller
commits, which is right for one conversation started by a person (`start_conversation`)
but makes intake workers on PostgreSQL queue behind each other's whole batch: every
batch with a new customer in it takes the same row.

So on PostgreSQL, inside a transaction, `take_numbers` advances the counter on a
second connection of its own, in autocommit: the row is locked for one statement.
Numbers stay unique (the counter only moves forward, under its row lock, and
`(workspace, number)` is unique besides); a batch that rolls back leaves its numbers
unused, a gap, which is harmless: numbers name conversations, they do not count them.
Where the second connection cannot see the row yet (created in this very
transaction, as in a test's transaction) or finds it locked by this transaction, the
caller's transaction takes the numbers as before. SQLite has one writer at a time, so
there is nothing to gain: the caller's transaction takes them there too.
"""

from __future__ import annotations

import threading

from django.db import DatabaseError, connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F

from frontdesk.inbox.models import InboxSettings

# How long the side connection waits for the counter's row: another worker holds it
# for one statement; longer means this transaction holds it (see above).
_LOCK_TIMEOUT_MS = 500

_side = threading.local()


def take_numbers(workspace_id: int, count: int) -> int:
    """Reserve `count` consecutive numbers in the workspace; returns the last one.

    The workspace's InboxSettings row must exist (`inbox_settings_for`).
    """
    alias = router.db_for_write(InboxSettings)
    connection = connections[alias]
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        last = _take_on_side_connection(alias, workspace_id, count)
        if last is not None:
            return last
    counter = InboxSettings.objects.filter(workspace_id=workspace_id)
    counter.update(last_conversation_number=F("last_conversation_number") + count)
    return counter.values_list("last_conversation_number", flat=True)[0]


def close_side_connections() -> None:
    """Close this thread's side connections (the end of a batch, a worker's end)."""
    side: dict[str, BaseDatabaseWrapper] = getattr(_side, "connections", {})
    while side:
        _alias, connection = side.popitem()
        connection.close()


def _take_on_side_connection(alias: str, workspace_id: int, count: int) -> int | None:
    side: dict[str, BaseDatabaseWrapper] = _side.__dict__.setdefault("connections", {})
    connection = side.get(alias)
    table = InboxSettings._meta.db_table
    try:
        if connection is None:
            connection = side[alias] = connections.create_connection(alias)
            with connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = {_LOCK_TIMEOUT_MS}")
                # Its commits need not wait for the disk: the batch's transaction,
                # which uses the numbers, waits for them too (the log is flushed in
                # order); a crash before it only leaves the numbers to be taken again.
                cursor.execute("SET synchronous_commit = off")
        table = connection.ops.quote_name(table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_conversation_number = "  # noqa: S608 - our names
                "last_conversation_number + %s WHERE workspace_id = %s "
                "RETURNING last_conversation_number",
                [count, workspace_id],
            )
            row = cursor.fetchone()
    except DatabaseError:
        # Locked by the caller's own transaction (lock timeout), or the connection
        # broke: drop it and let the caller's transaction take the numbers.
        side.pop(alias, None)
        if connection is not None:
            connection.close()
        return None
    return None if row is None else int(row[0])
