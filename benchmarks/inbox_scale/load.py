"""Put the synthetic inbox into a freshly migrated database, fast.

Small tables (people, workspaces, channels, tags, settings) go through the ORM. The
big ones (contacts, identities, conversations, their tags, messages) are written
in bulk: SQLite with executemany in large transactions, PostgreSQL with COPY.

What the application's own schema produces is kept:

- SQLite: rows are inserted with the FTS5 triggers of inbox migration 0002 in
  place, so the full-text index is exactly what the app's inserts build (segments
  and automerges included), not an optimised rebuild.
- PostgreSQL: the secondary indexes of the bulk tables (the GIN search index among
  them) are dropped before COPY and created again afterwards from their own
  definitions (pg_indexes), and foreign-key triggers are off during COPY
  (session_replication_role = replica; the generator only writes consistent ids).
  Then VACUUM ANALYZE, which autovacuum would do on a live server.

Columns the generator does not set take the model field's default, so a column
added later by a migration does not break the loader unless it is required and has
no default (then it says which one).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MISSING = object()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- preparing an empty database (before Django is configured) -------------------------------


def recreate_postgres_database(admin_url: str, name: str) -> None:
    """Drop and create `name` on the server of `admin_url` (a maintenance database)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def drop_postgres_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clear_sqlite_files(data_dir: Path) -> None:
    for pattern in ("*.sqlite3", "*.sqlite3-wal", "*.sqlite3-shm"):
        for path in data_dir.glob(pattern):
            path.unlink()
    shutil.rmtree(data_dir / "static", ignore_errors=True)


# --- bulk writing --------------------------------------------------------------------------------


@dataclass
class Column:
    attname: str
    column: str
    default: Any
    adapt: Callable[[Any], Any] | None


def _sqlite_datetime(value: Any) -> Any:
    # Django stores aware datetimes on SQLite as naive UTC text, str(datetime).
    if isinstance(value, float | int):
        return str(datetime.fromtimestamp(value, UTC).replace(tzinfo=None))
    if isinstance(value, datetime):
        return str(value.astimezone(UTC).replace(tzinfo=None))
    return value


def _postgres_datetime(value: Any) -> Any:
    if isinstance(value, float | int):
        return datetime.fromtimestamp(value, UTC)
    return value


def _json(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def _sqlite_bool(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


class BulkWriter:
    """Insert dict rows (attname -> value; datetimes as epoch seconds) into a model's table."""

    def __init__(self, connection: Any, *, batch: int = 50_000) -> None:
        self.connection = connection
        self.vendor = connection.vendor
        self.batch = batch

    def _columns(self, model: Any, sample: dict) -> list[Column]:
        from django.db import models

        columns = []
        for field in model._meta.concrete_fields:
            if getattr(field, "generated", False):
                continue  # computed by the database (GeneratedField)
            adapt: Callable[[Any], Any] | None = None
            if isinstance(field, models.DateTimeField):
                adapt = _sqlite_datetime if self.vendor == "sqlite" else _postgres_datetime
            elif isinstance(field, models.JSONField):
                adapt = _json
            elif isinstance(field, models.BooleanField) and self.vendor == "sqlite":
                adapt = _sqlite_bool
            default = field.get_default()
            if field.attname not in sample and default is None and not field.null:
                raise SystemExit(
                    f"{model._meta.label}.{field.name} is required and has no default: "
                    "benchmarks/inbox_scale/dataset.py must set it."
                )
            if adapt and default is not None:
                default = adapt(default)
            columns.append(Column(field.attname, field.column, default, adapt))
        return columns

    def insert(self, model: Any, rows: Iterable[dict], *, total: int | None = None) -> int:
        from django.db import transaction

        iterator = iter(rows)
        first = next(iterator, None)
        if first is None:
            return 0
        columns = self._columns(model, first)
        table = model._meta.db_table
        label = model._meta.label
        started = time.perf_counter()
        written = 0

        def tuples(batch_rows: list[dict]) -> Iterator[tuple]:
            for row in batch_rows:
                out = []
                for col in columns:
                    value = row.get(col.attname, MISSING)
                    if value is MISSING:
                        out.append(col.default)
                    elif col.adapt is not None and value is not None:
                        out.append(col.adapt(value))
                    else:
                        out.append(value)
                yield tuple(out)

        def batches() -> Iterator[list[dict]]:
            chunk = [first]
            for row in iterator:
                chunk.append(row)
                if len(chunk) >= self.batch:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

        names = ", ".join(f'"{c.column}"' for c in columns)
        raw = self.connection.connection
        for chunk in batches():
            with transaction.atomic():
                if self.vendor == "sqlite":
                    marks = ", ".join("?" for _ in columns)
                    # Table and column names come from the models, never from input.
                    insert = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608
                    raw.executemany(insert, tuples(chunk))
                else:
                    statement = f'COPY "{table}" ({names}) FROM STDIN'
                    with raw.cursor() as cursor, cursor.copy(statement) as copy:
                        for values in tuples(chunk):
                            copy.write_row(values)
            written += len(chunk)
            if total and total >= 200_000:
                rate = written / (time.perf_counter() - started)
                log(f"  {label}: {written:,}/{total:,} rows ({rate:,.0f} rows/s)")
        log(f"  {label}: {written:,} rows in {time.perf_counter() - started:.1f} s")
        return written


# --- PostgreSQL: indexes off during COPY ---------------------------------------------------------


def drop_secondary_indexes(connection: Any, tables: list[str]) -> list[str]:
    """Drop indexes that back no constraint; returns their CREATE statements."""
    definitions = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                """
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.schemaname = current_schema() AND i.tablename = %s
                  AND i.indexname NOT IN (
                      SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)
                """,
                [table, f'"{table}"'],
            )
            for name, definition in cursor.fetchall():
                definitions.append(definition)
                cursor.execute(f'DROP INDEX "{name}"')
    return definitions


def create_indexes(connection: Any, definitions: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for definition in definitions:
            started = time.perf_counter()
            cursor.execute(definition)
            name = definition.split(" ON ")[0].split()[-1]
            log(f"  index {name} in {time.perf_counter() - started:.1f} s")
        cursor.execute("RESET maintenance_work_mem")


# --- the load ------------------------------------------------------------------------------

BENCH_EMAIL = "bench@frontdesk.example"
BENCH_PASSWORD = "bench-password-frontdesk"  # noqa: S105 - a local benchmark login


def load(*, messages: int, conversations: int, workspaces: int, seed: int) -> dict:
    """Load the whole dataset into the configured database; returns the run's metadata."""
    from django.db import connection

    from benchmarks.inbox_scale.dataset import Dataset, now_timestamp
    from frontdesk.core.models import Contact, ContactIdentity
    from frontdesk.inbox.models import Conversation, Message

    timings: dict[str, float] = {}
    started = time.perf_counter()
    ids, bench_member_id = _people(workspaces)
    data = Dataset(
        seed=seed,
        messages=messages,
        conversations=conversations,
        now=now_timestamp(),
        workspaces=ids,
        bench_member_id=bench_member_id,
    )
    writer = BulkWriter(connection)
    tables = [
        Contact._meta.db_table,
        ContactIdentity._meta.db_table,
        Conversation._meta.db_table,
        Conversation.tags.through._meta.db_table,
        Message._meta.db_table,
    ]
    if connection.vendor == "postgresql":
        index_definitions = drop_secondary_indexes(connection, tables)
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    else:
        with connection.cursor() as cursor:
            # Only this loading connection: durability does not matter until the end.
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -2000000")

    step = time.perf_counter()
    log("Contacts and identities…")
    writer.insert(Contact, data.contact_rows(_next_id(Contact)))
    writer.insert(ContactIdentity, data.identity_rows(_next_id(ContactIdentity)))
    timings["contacts_s"] = time.perf_counter() - step

    step = time.perf_counter()
    log(f"Planning {conversations:,} conversations…")
    data.plan_conversations(_next_id(Conversation))
    writer.insert(Conversation, data.conversation_rows(), total=conversations)
    writer.insert(
        Conversation.tags.through, data.conversation_tag_rows(_next_id(Conversation.tags.through))
    )
    timings["conversations_s"] = time.perf_counter() - step

    step = time.perf_counter()
    log(f"Messages ({messages:,})…")
    writer.insert(Message, data.message_rows(_next_id(Message)), total=messages)
    timings["messages_s"] = time.perf_counter() - step

    step = time.perf_counter()
    _after_bulk(data)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
        log("Creating the indexes again…")
        create_indexes(connection, index_definitions)
        _reset_sequences(connection, tables)
        log("VACUUM ANALYZE…")
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f'VACUUM ANALYZE "{table}"')
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    timings["finish_s"] = time.perf_counter() - step
    timings["total_s"] = time.perf_counter() - started

    detail = data.detail
    assert detail is not None
    return {
        "messages": messages,
        "conversations": conversations,
        "workspaces": workspaces,
        "seed": seed,
        "workspace_slug": data.main.slug,
        "workspace_id": data.main.id,
        "main_conversations": data.main.conversation_count,
        "detail_number": detail.number,
        "detail_messages": len(detail.times),
        "email": BENCH_EMAIL,
        "password": BENCH_PASSWORD,
        "planted_in_main": {
            "common": data.planted["c"],
            "phrase": data.planted["p"],
            "rare": data.planted["r"],
        },
        "load_timings": {k: round(v, 1) for k, v in timings.items()},
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def _people(workspace_count: int) -> tuple[list, int]:
    """Users, workspaces, memberships, channels and tags, through the ORM."""
    from benchmarks.inbox_scale.corpus import FIRST_NAMES, LAST_NAMES
    from benchmarks.inbox_scale.dataset import WorkspaceIds
    from frontdesk.core.models import Membership, User, Workspace
    from frontdesk.core.roles import Role
    from frontdesk.inbox.models import Channel, Tag

    tag_names = [
        "holds",
        "fines",
        "accessibility",
        "events",
        "wifi",
        "lost-and-found",
        "cards",
        "youth",
        "local-history",
        "complaint",
        "praise",
        "printing",
    ]
    bench_user = User.objects.create_user(
        BENCH_EMAIL, BENCH_PASSWORD, first_name="Bench", last_name="Librarian"
    )
    result, bench_member_id = [], 0
    for number in range(1, workspace_count + 1):
        main = number == 1
        workspace = Workspace.objects.create(
            name="Riverside Public Library (benchmark)" if main else f"Branch library {number}",
            slug="bench" if main else f"bench-{number}",
        )
        staff = []
        if main:
            member = Membership.objects.create(
                workspace=workspace,
                user=bench_user,
                role=Role.OWNER,
                display_name="Bench Librarian",
            )
            bench_member_id = member.pk
            staff.append(member.pk)
        for index in range(11 if main else 3):
            name = f"{FIRST_NAMES[(number * 7 + index) % len(FIRST_NAMES)]} {LAST_NAMES[index]}"
            user = User.objects.create_user(f"staff{index}.ws{number}@frontdesk.example", None)
            staff.append(
                Membership.objects.create(
                    workspace=workspace, user=user, role=Role.AGENT, display_name=name
                ).pk
            )
        channel = Channel.objects.create(
            workspace=workspace, kind="webform", name="Contact us form"
        )
        tags = [Tag.objects.create(workspace=workspace, name=name).pk for name in tag_names]
        result.append(WorkspaceIds(workspace.pk, workspace.slug, channel.pk, staff, tags))
    return result, bench_member_id


def _after_bulk(data: Any) -> None:
    """Rows the app keeps beside the bulk tables: inbox settings, notifications."""
    from frontdesk.inbox.models import InboxSettings, Notification

    for ws in data.workspaces:
        InboxSettings.objects.create(
            workspace_id=ws.id, last_conversation_number=ws.conversation_count
        )
    rng = data.rng
    main_plans = [p for p in data.plans if p.workspace is data.main][-2000:]
    Notification.objects.bulk_create(
        Notification(
            workspace_id=data.main.id,
            recipient_id=data.bench_member_id,
            kind="assigned",
            conversation_id=plan.id,
            created_at=datetime.fromtimestamp(plan.times[-1], UTC),
            read_at=None if index < 25 else datetime.fromtimestamp(plan.times[-1] + 600, UTC),
        )
        for index, plan in enumerate(rng.sample(main_plans, min(100, len(main_plans))))
    )


def _reset_sequences(connection: Any, tables: list[str]) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            # Table names come from the models.
            top = f'SELECT coalesce(max(id), 1) FROM "{table}"'  # noqa: S608
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), ({top}))")


# --- checks after loading ---------------------------------------------------------------------


def count_matches(workspace_id: int, text: str) -> int:
    """How many messages of the workspace the app's search expression matches."""
    from django.db import connection

    from frontdesk.inbox.search import fts5_expression, parse_query, websearch_expression

    query = parse_query(text)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM inbox_message_fts WHERE inbox_message_fts MATCH %s",
                [fts5_expression(query, workspace_id)],
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM inbox_message WHERE workspace_id = %s "
                "AND to_tsvector('simple', body) @@ websearch_to_tsquery('simple', %s)",
                [workspace_id, websearch_expression(query)],
            )
        return cursor.fetchone()[0]


def table_counts() -> dict[str, int]:
    from frontdesk.core.models import Contact, ContactIdentity
    from frontdesk.inbox.models import Conversation, Message

    return {
        model._meta.label: model.objects.count()
        for model in (Contact, ContactIdentity, Conversation, Message)
    }


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run benchmarks/inbox_at_scale.py")
