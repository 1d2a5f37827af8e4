"""One intake path for every channel: store the event first, then process it.

`store_inbound_event` is what an adapter's webhook, poller or form view calls: it
inserts the normalised event durably, idempotent on (channel, provider message id),
and schedules `process_inbound_event` after commit. Processing claims the row with
a conditional UPDATE (pending -> processing) and, in one transaction, resolves the
contact, threads the message into a conversation, stores it with its attachments,
runs the triage hook and routing, and marks the row processed; live updates go out
after commit. `sweep_inbound_events` (every minute) re-queues rows a crash left
pending or claimed, so nothing stored is lost; the claim plus the unique
Message.inbound_event mean nothing stored becomes two messages.

How a new row reaches a worker depends on settings.INBOX_INTAKE. "push" (with
Redis): a task per event, enqueued after commit. "poll" (the embedded SQLite
setup): the table is the queue. Storing is then the INSERT alone, with no second
write to the SQLite task queue on the webhook's path, and the worker's
`IntakePoller` thread picks up new pending rows a fraction of a second later.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, close_old_connections, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Field, ForeignKey, Model
from django.db.models.constants import OnConflict
from django.db.models.sql.subqueries import InsertQuery
from django.utils import timezone

from frontdesk.connectors import base
from frontdesk.core.actions.contacts import resolve_contact
from frontdesk.core.models import Contact, ContactIdentity, normalise_identity
from frontdesk.core.pictures import check_file
from frontdesk.inbox import kinds, live, numbering
from frontdesk.inbox.actions.conversations import inbox_settings_for, start_conversation
from frontdesk.inbox.actions.routing import Arrival, finish_routing, plan_routing
from frontdesk.inbox.models import (
    ACTIVE_STATUSES,
    Attachment,
    Channel,
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    InboundEvent,
    InboundEventStatus,
    Message,
    MessageKind,
)
from frontdesk.inbox.models.messages import attachment_path
from frontdesk.triage.hooks import triage_message

logger = logging.getLogger(__name__)

# A pending row older than settings.INBOX_PENDING_GRACE_SECONDS was never picked up
# (the worker died before it ran, or the task was lost): the sweep enqueues it again.
# A claim older than settings.INBOX_CLAIM_TIMEOUT_SECONDS belongs to a worker that
# died mid-processing (a task a Redis worker had popped is gone from the queue).
# After this many tries an event is marked failed and left for a person to look at.
MAX_PROCESS_ATTEMPTS = 5
SWEEP_BATCH = 500
# New events are claimed and processed this many at a time, in one transaction:
# enough for the set-based queries to pay off, few enough that SQLite's write lock
# (which the webhook's INSERT waits for) is held for a fraction of a second.
BATCH_SIZE = 100


def store_inbound_event(channel: Channel, event: base.InboundEvent) -> tuple[InboundEvent, bool]:
    """Store one inbound event durably; returns (row, created).

    A replay (same channel and provider message id) returns the existing row and
    changes nothing. Attachment bytes are saved to storage now, so the row and
    storage hold everything processing needs. When a row is created,
    `process_inbound_event` is scheduled after commit.
    """
    if event.channel_kind != channel.kind:
        raise ValueError(f"a {event.channel_kind} event cannot arrive on a {channel.kind} channel")
    # Insert first and let the unique constraint find a replay: the common case (a
    # new message) then costs one statement, not a lookup plus an insert.
    saved_names: list[str] = []
    attachments = []
    for attachment in event.attachments:
        meta = {
            "filename": attachment.filename[:255],
            "content_type": attachment.content_type[:120],
            "size": attachment.size,
        }
        if attachment.data is not None:
            checked = check_file(
                attachment.data, content_type=attachment.content_type, filename=attachment.filename
            )
            name = _save_attachment_bytes(checked.filename, checked.data)
            saved_names.append(name)
            meta |= {
                "stored_name": name,
                "size": len(checked.data),
                "filename": checked.filename[:255],
                "content_type": checked.content_type[:120],
            }
        else:
            meta["url"] = attachment.url
        attachments.append(meta)
    row = _event_row(channel, event, attachments)
    try:
        if transaction.get_connection().in_atomic_block:
            # Inside the caller's transaction: a savepoint keeps a replay's error here.
            with transaction.atomic():
                _insert(row)
        else:
            # One INSERT outside a transaction is its own: committed when it returns.
            _insert(row)
    except IntegrityError:
        # A replay (or the same event arriving twice at once): the stored row stands.
        for name in saved_names:
            default_storage.delete(name)
        existing = InboundEvent.objects.filter(
            channel=channel, provider_message_id=event.provider_message_id[:255]
        ).first()
        if existing is None:
            raise  # some other constraint: not a replay
        return existing, False
    if not intake_polls():
        transaction.on_commit(lambda: _enqueue(row.pk))
    # Debug only: a webhook's request already has its log line, and this is the
    # hottest path there is.
    logger.debug(
        "inbound event stored",
        extra={"workspace": channel.workspace_id, "channel": channel.pk, "event": row.pk},
    )
    return row, True


def store_new_inbound_events(
    arrivals: list[tuple[Channel, base.InboundEvent]],
    *,
    failures: Sequence[str] | None = None,
    beside: Sequence[Model] | None = None,
) -> list[tuple[InboundEvent, bool]]:
    """Store several events (without attachments) at once; (row, created) for each,
    as `store_inbound_event` gives for one.

    `failures`, one per arrival: a reason stores the new row as failed with it ("" for
    none). `beside`, one per arrival: a row of another model with a foreign key to
    InboundEvent (the email channel's RawEmail, the bytes), stored with its event
    when the event is new, pointing at it; the others are dropped.

    The new rows are inserted by one statement that skips the replays (an event
    twice in `arrivals` is stored once: the second is a replay), and each new pending
    row is scheduled for processing after commit. On PostgreSQL, called outside a
    transaction, the events and the rows beside them are stored by that one
    statement (a data-modifying WITH), which commits by itself: one round trip, and
    all or nothing as a transaction would be. On SQLite outside a transaction, one
    INSERT per table in a transaction of their own on the sqlite3 connection itself
    (`_insert_new_sqlite`). Otherwise in a transaction (the caller's, or one of its
    own), one INSERT per table. Needs a database that returns rows from INSERT
    (PostgreSQL, SQLite 3.35+); raises on a database failure (nothing of the batch is
    stored then, and the caller may store one by one).
    """
    if not arrivals:
        return []
    for channel, event in arrivals:
        if event.channel_kind != channel.kind:
            raise ValueError(
                f"a {event.channel_kind} event cannot arrive on a {channel.kind} channel"
            )
        if event.attachments:
            raise ValueError("store_new_inbound_events takes events without attachments")
    for given in (failures, beside):
        if given is not None and len(given) != len(arrivals):
            raise ValueError("failures and beside take one item per arrival")
    # New rows, each event once (a second copy in `arrivals` is a replay of the first).
    keys = [(channel.pk, event.provider_message_id[:255]) for channel, event in arrivals]
    new_rows: dict[tuple[int, str], InboundEvent] = {}
    companions: dict[tuple[int, str], Model] = {}
    for n, (key, (channel, event)) in enumerate(zip(keys, arrivals, strict=True)):
        if key in new_rows:
            continue
        row = new_rows[key] = _event_row(channel, event, [])
        if failures is not None and failures[n]:
            row.status, row.error = InboundEventStatus.FAILED, failures[n]
        if beside is not None:
            companions[key] = beside[n]
    # One INSERT for all that skips the replays (ON CONFLICT DO NOTHING; SQLite's
    # INSERT OR IGNORE) and returns the rows it made; the replays' stored rows are
    # then read (the rare case). A row SQLite skipped for another constraint is
    # neither made nor found: that raises below, as the failed INSERT would.
    connection = connections[router.db_for_write(InboundEvent)]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        created = _insert_new_with(list(new_rows.values()), companions)
    elif (
        connection.vendor == "sqlite"
        and not connection.in_atomic_block
        and connection.get_autocommit()
    ):
        created = _insert_new_sqlite(list(new_rows.values()), companions)
    else:
        with transaction.atomic(using=connection.alias):
            created = _insert_new(list(new_rows.values()))
            _insert_beside(created, companions)
    replays = [key for key in new_rows if key not in created]
    stored: dict[tuple[int, str], InboundEvent] = dict(created)
    for channel_id in {channel_id for channel_id, _id in replays}:
        ids = [pmid for cid, pmid in replays if cid == channel_id]
        for row in InboundEvent.objects.filter(channel_id=channel_id, provider_message_id__in=ids):
            stored[(channel_id, row.provider_message_id)] = row
    answered: list[tuple[InboundEvent, bool]] = []
    first: set[tuple[int, str]] = set()
    for key in keys:
        if key not in stored:  # gone between the INSERT and the read: cannot be
            raise IntegrityError(f"inbound event {key} neither inserted nor found")
        answered.append((stored[key], key in created and key not in first))
        first.add(key)
    new_ids = [row.pk for row in created.values() if row.status == InboundEventStatus.PENDING]
    if new_ids and not intake_polls():

        def enqueue_all() -> None:
            for pk in new_ids:
                _enqueue(pk)

        # Outside a transaction (the one statement has committed) this runs at once.
        transaction.on_commit(enqueue_all, using=connection.alias)
    return answered


# INSERT … ON CONFLICT DO NOTHING RETURNING for n events, per (database alias, n).
_bulk_statements: dict[tuple[str, int], tuple[str, list[Field]]] = {}
_RETURNED = ("id", "channel", "provider_message_id")


def _insert_new(rows: list[InboundEvent]) -> dict[tuple[int, str], InboundEvent]:
    """INSERT `rows` in one statement, skipping those already stored; the inserted
    ones by (channel id, provider message id), with their ids. The statement is the
    one Django's compiler writes for `bulk_create(ignore_conflicts=True)` plus the
    RETURNING it writes for a bulk insert (built once per number of rows), each value
    prepared by its field as the ORM prepares it."""
    if not rows:
        return {}
    alias = router.db_for_write(InboundEvent)
    connection = connections[alias]
    sql, fields = _new_events_statement(alias, rows)
    params = insert_params(sql, fields, rows, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _mark_inserted(rows, cursor.fetchall(), alias)


def _new_events_statement(alias: str, rows: list[InboundEvent]) -> tuple[str, list[Field]]:
    """`_insert_new`'s statement for as many events as `rows` (compiled once per
    database alias and number of rows), and the fields its values are for."""
    statement = _bulk_statements.get((alias, len(rows)))
    if statement is None:
        fields = [f for f in InboundEvent._meta.local_concrete_fields if not f.primary_key]
        query = InsertQuery(InboundEvent, on_conflict=OnConflict.IGNORE)
        query.insert_values(fields, list[Model](rows))
        compiler = query.get_compiler(using=alias)
        compiler.returning_fields = [InboundEvent._meta.get_field(n) for n in _RETURNED]
        ((sql, _params),) = compiler.as_sql()
        statement = _bulk_statements[(alias, len(rows))] = (sql, fields)
    return statement


def _mark_inserted(
    rows: list[InboundEvent], returned: list[tuple[Any, ...]], alias: str
) -> dict[tuple[int, str], InboundEvent]:
    by_key = {(row.channel_id, row.provider_message_id): row for row in rows}
    created: dict[tuple[int, str], InboundEvent] = {}
    for pk, channel_id, provider_message_id in returned:
        row = by_key[(channel_id, provider_message_id)]
        row.pk = pk
        row._state.adding = False
        row._state.db = alias
        created[(channel_id, provider_message_id)] = row
    return created


def _event_link(model: type[Model]) -> Field:
    """The field of `model` pointing at InboundEvent (a row stored beside an event)."""
    (link,) = (
        f
        for f in model._meta.local_concrete_fields
        if f.is_relation and f.related_model is InboundEvent
    )
    return link


def _insert_beside(
    created: dict[tuple[int, str], InboundEvent], companions: dict[tuple[int, str], Model]
) -> None:
    """INSERT the rows beside the new events (`store_new_inbound_events`), each pointing
    at its event, in one statement per model."""
    for model, rows in _rows_beside(created, companions).items():
        bulk_insert(model, rows)


def _rows_beside(
    created: dict[tuple[int, str], InboundEvent], companions: dict[tuple[int, str], Model]
) -> dict[type[Model], list[Model]]:
    """The rows beside the new events by model, each pointed at its event (the rows
    beside a replay are dropped)."""
    by_model: dict[type[Model], list[Model]] = {}
    for key, companion in companions.items():
        if key in created:
            setattr(companion, _event_link(type(companion)).attname, created[key].pk)
            by_model.setdefault(type(companion), []).append(companion)
    return by_model


# The INSERT Django's compiler writes for n rows of a model, per (alias, model, n).
_model_inserts: dict[tuple[str, type[Model], int], tuple[str, list[Field]]] = {}


def bulk_insert(model: type[Model], rows: Sequence[Model]) -> None:
    """INSERT `rows` of `model` in one statement, as `bulk_create` would, for less: the
    statement Django's compiler writes (built once per number of rows), each value
    prepared by its field. For models with no save() override, no signal receivers
    and no ids needed back."""
    if not rows:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    sql, fields = _model_statement(alias, model, rows)
    with connection.cursor() as cursor:
        cursor.execute(sql, insert_params(sql, fields, rows, connection))


def _model_statement(
    alias: str, model: type[Model], rows: Sequence[Model]
) -> tuple[str, list[Field]]:
    """`bulk_insert`'s statement for as many rows of `model` as `rows` (compiled once
    per database alias, model and number of rows), and the fields its values are for."""
    statement = _model_inserts.get((alias, model, len(rows)))
    if statement is None:
        fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
        query = InsertQuery(model)
        query.insert_values(fields, list(rows))
        ((sql, _params),) = query.get_compiler(using=alias).as_sql()
        statement = _model_inserts[(alias, model, len(rows))] = (sql, fields)
    return statement


# Django's statements as the sqlite3 module takes them (its ? placeholders), per
# statement: what Django's SQLite cursor converts on every execute.
_qmark_statements: dict[str, str] = {}


def _insert_new_sqlite(
    rows: list[InboundEvent], companions: dict[tuple[int, str], Model]
) -> dict[tuple[int, str], InboundEvent]:
    """SQLite, outside a transaction: `_insert_new` and `_insert_beside` in one
    transaction of their own, run on the sqlite3 module's connection itself. The
    statements and the values are those of `_insert_new` and `bulk_insert` (Django's
    compiled INSERTs, each value prepared by its field, `insert_params`); what is left
    out is Django's per-call machinery around them (the atomic block, a cursor per
    statement, converting the placeholders on every execute): in-process, storing a
    batch of one mail took 257 µs of CPU against 314 with it. BEGIN as Django
    begins (IMMEDIATE here: the write lock is taken first), COMMIT, or ROLLBACK on
    any error, which is raised as Django's (`wrap_database_errors`): all or nothing.
    Like `_insert_new_with`'s own cursor, these statements pass by Django's execute
    wrappers and query log (DEBUG's `connection.queries` does not list them)."""
    alias = router.db_for_write(InboundEvent)
    connection = connections[alias]
    sql, fields = _new_events_statement(alias, rows)
    events = (_qmark(connection, sql), insert_params(sql, fields, rows, connection))
    mode = getattr(connection, "transaction_mode", None)
    connection.ensure_connection()
    database = connection.connection
    with connection.wrap_database_errors:
        database.execute("BEGIN" if mode is None else f"BEGIN {mode}")
        try:
            created = _mark_inserted(rows, database.execute(*events).fetchall(), alias)
            for model, beside in _rows_beside(created, companions).items():
                sql, fields = _model_statement(alias, model, beside)
                params = insert_params(sql, fields, beside, connection)
                database.execute(_qmark(connection, sql), params)
            database.commit()
        except BaseException:
            database.rollback()
            raise
    return created


def _qmark(connection: BaseDatabaseWrapper, sql: str) -> str:
    """`sql` with Django's SQLite cursor's own conversion of its placeholders."""
    converted = _qmark_statements.get(sql)
    if converted is None:
        with connection.cursor() as cursor:
            converted = _qmark_statements[sql] = cursor.cursor.convert_query(sql)
    return converted


# The one statement storing events and the rows beside them (PostgreSQL), per
# (alias, model beside or None, number of events, number of rows beside).
_with_statements: dict[
    tuple[str, type[Model] | None, int, int], tuple[str, list[Field], list[Field]]
] = {}


def _insert_new_with(
    rows: list[InboundEvent], companions: dict[tuple[int, str], Model]
) -> dict[tuple[int, str], InboundEvent]:
    """PostgreSQL, outside a transaction: `_insert_new` and `_insert_beside` in one
    statement, which commits by itself. The events are inserted skipping the
    replays; the rows beside them, each given with its event's key, are joined to
    the events the INSERT returned, so only a new event gets one. Values are
    prepared by their fields as the ORM prepares them and bound on the server, one
    parameter each (a group commit is a few rows: psycopg dumps a scalar in C, an
    array in Python, which cost more than the statement itself at that size)."""
    import psycopg

    models = {type(companion) for companion in companions.values()}
    if len(models) > 1:
        raise ValueError("rows beside events are of one model")
    model = next(iter(models), None)
    alias = router.db_for_write(InboundEvent)
    connection = connections[alias]
    shape = (alias, model, len(rows), len(companions))
    statement = _with_statements.get(shape)
    if statement is None:
        statement = _with_statements[shape] = _with_statement(connection, model, *shape[2:])
    sql, fields, beside_fields = statement
    params = insert_params(sql, fields, rows, connection)
    for key, companion in companions.items():
        params += insert_params(sql, beside_fields, [companion], connection)
        params += key
    connection.ensure_connection()
    # psycopg's own cursor, not Django's: Django's binds on the client, as text.
    with connection.wrap_database_errors, psycopg.RawCursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        return _mark_inserted(rows, cursor.fetchall(), alias)


def _with_statement(
    connection: BaseDatabaseWrapper, model: type[Model] | None, events: int, beside: int
) -> tuple[str, list[Field], list[Field]]:
    quote = connection.ops.quote_name

    numbers = itertools.count(1)

    def values(fields: list[Field], rows: int) -> str:
        # PostgreSQL's own placeholders ($1, $2, …): psycopg's RawCursor sends the text
        # as it is (its %s form is parsed again on every call past a length).
        # Typed as Django types them, without lengths (no truncation here: as the ORM).
        types = [str(field.db_type(connection)).split("(")[0] for field in fields]
        return ", ".join(
            "(" + ", ".join(f"${next(numbers)}::{t}" for t in types) + ")" for _row in range(rows)
        )

    def column(field: Field) -> str:
        return quote(str(field.column))

    def columns(fields: list[Field]) -> str:
        return ", ".join(column(field) for field in fields)

    meta = InboundEvent._meta
    fields = [f for f in meta.local_concrete_fields if not f.primary_key]
    returned = [cast(Field, meta.get_field(name)) for name in _RETURNED]
    sql = (
        f"WITH new_event AS (INSERT INTO {quote(meta.db_table)} ({columns(fields)}) "  # noqa: S608
        f"VALUES {values(fields, events)} ON CONFLICT DO NOTHING "
        f"RETURNING {columns(returned)})"
    )
    beside_fields: list[Field] = []
    if model is not None and beside:
        link = _event_link(model)
        beside_fields = [
            f for f in model._meta.local_concrete_fields if not f.primary_key and f is not link
        ]
        key_fields = [cast(Field, meta.get_field(n)) for n in ("channel", "provider_message_id")]
        names = [f"v{n}" for n in range(len(beside_fields))]
        pk, channel, provider_message_id = (column(f) for f in returned)
        sql += (
            f", beside AS (INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
            f"({columns(beside_fields)}, {column(link)}) "
            f"SELECT {', '.join(f'b.{name}' for name in names)}, e.{pk} "
            f"FROM (VALUES {values(beside_fields + key_fields, beside)}) "
            f"AS b({', '.join(names)}, key_channel, key_id) "
            f"JOIN new_event e ON e.{channel} = b.key_channel "
            f"AND e.{provider_message_id} = b.key_id)"
        )
    sql += f" SELECT {columns(returned)} FROM new_event"  # noqa: S608
    return sql, fields, beside_fields


def insert_params(
    sql: str, fields: list[Field], rows: Sequence[Model], connection: BaseDatabaseWrapper
) -> list[Any]:
    """The parameters of a compiled multi-row INSERT for `rows`: each value prepared
    by its field as the ORM prepares it (`pre_save`, `get_db_prep_save`), row after
    row, or column after column when the compiler chose PostgreSQL's UNNEST form
    (one array parameter per column, whatever the number of rows)."""
    if len(rows) > 1 and "UNNEST(" in sql:
        return [
            [field.get_db_prep_save(field.pre_save(row, True), connection) for row in rows]
            for field in fields
        ]
    return [
        field.get_db_prep_save(field.pre_save(row, True), connection)
        for row in rows
        for field in fields
    ]


_M = TypeVar("_M", bound=Model)


def new_row(model: type[_M], values: dict[str, Any]) -> _M:
    """The new, unsaved instance `model(**values)` makes, built the way Django builds
    the instances a query reads (values by position, in field order), for less (an
    event row 8.6 µs against 11.5, a RawEmail 6.4 against 8.4): every stored event and
    received mail makes one. `values` by attname (`channel_id`, not `channel`); a
    field not given gets its default."""
    given = dict(values)
    row = model(
        *[
            given.pop(field.attname) if field.attname in given else field.get_default()
            for field in model._meta.concrete_fields
        ]
    )
    if given:
        raise TypeError(f"{model.__name__} has no field {next(iter(given))!r}")
    return row


_EVENT_CHANNEL = cast(ForeignKey, InboundEvent._meta.get_field("channel"))


def _event_row(channel: Channel, event: base.InboundEvent, attachments: list[Any]) -> InboundEvent:
    row = new_row(
        InboundEvent,
        {
            "workspace_id": channel.workspace_id,
            "channel_id": channel.pk,
            "provider_message_id": event.provider_message_id[:255],
            "sender_kind": event.sender_kind,
            "sender_address": event.sender_address[:320],
            "sender_name": event.sender_name[:160],
            "subject": event.subject[:255],
            "body": event.body,
            "thread_key": (event.thread_key or None) and event.thread_key[:255],
            "attachments": attachments,
            "raw": dict(event.raw),
            "received_at": event.received_at,
        },
    )
    _EVENT_CHANNEL.set_cached_value(row, channel)  # as InboundEvent(channel=channel) does
    return row


# The INSERT Django's compiler writes for an InboundEvent, once per database alias.
_insert_statements: dict[str, tuple[str, list]] = {}


def _insert(row: InboundEvent) -> None:
    """INSERT one new event row, as `row.save(force_insert=True)` would, for less.

    Every webhook runs this. The statement is the one Django's own compiler writes
    for the model (built once per database), each value is prepared by its field
    as the ORM prepares it (`pre_save`, `get_db_prep_save`), and the new id comes
    back through RETURNING. InboundEvent has no save() override and no signal
    receivers, so nothing the ORM would do is skipped. A database that cannot
    return ids from an INSERT gets the ORM's own save.
    """
    alias = router.db_for_write(InboundEvent)
    connection = connections[alias]
    if not connection.features.can_return_columns_from_insert:
        row.save(force_insert=True, using=alias)
        return
    fields = [f for f in InboundEvent._meta.local_concrete_fields if not f.primary_key]
    statement = _insert_statements.get(alias)
    if statement is None:
        query = InsertQuery(InboundEvent)
        query.insert_values(fields, [row])
        compiler = query.get_compiler(using=alias)
        compiler.returning_fields = [InboundEvent._meta.pk]
        ((sql, _params),) = compiler.as_sql()
        statement = _insert_statements[alias] = (sql, fields)
    sql, fields = statement
    params = [field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row.pk = cursor.fetchone()[0]
    row._state.adding = False
    row._state.db = alias


def _save_attachment_bytes(filename: str, data: bytes) -> str:
    return default_storage.save(attachment_path(None, filename or "file"), ContentFile(data))


def intake_polls() -> bool:
    """Whether new events wait for a worker's IntakePoller instead of a task each
    (settings.INBOX_INTAKE; tasks that run inline, as in tests, always push)."""
    from huey.contrib.djhuey import HUEY

    return settings.INBOX_INTAKE == "poll" and not HUEY.immediate


class IntakePoller:
    """The worker's loop over new pending events, for the "poll" intake.

    Each round claims up to `batch` pending rows never tried before, oldest first
    (`claim_inbound_events`: one conditional UPDATE, so several workers share the
    table without taking a row twice), and processes them together; it sleeps
    `interval` seconds when there are none. A row handed back after a failure has
    been tried: retries stay with the sweep, as with tasks. `after_id` is the
    highest id this poller has processed, for the logs and tests.
    """

    def __init__(self, *, interval: float = 0.25, batch: int = BATCH_SIZE) -> None:
        self.interval = interval
        self.batch = batch
        self.after_id: int | None = None

    def run_once(self, stop: threading.Event | None = None) -> int:
        """Claim and process one batch of new pending events (none once `stop` is
        set); returns how many were claimed."""
        if stop is not None and stop.is_set():
            return 0
        ids = claim_inbound_events(limit=self.batch)
        if ids:
            self.after_id = max(ids[-1], self.after_id or 0)
            # A failure is released with its error recorded and logged (_release);
            # the sweep retries it, and the poller goes on with the next batch.
            with contextlib.suppress(Exception):
                _process_batch(ids)
        return len(ids)

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set; the batch being processed is finished first."""
        while not stop.is_set():
            try:
                done = self.run_once(stop)
            except Exception:
                logger.exception("intake poll failed")
                done = 0
            finally:
                close_old_connections()
            if not done:
                stop.wait(self.interval)
        connections.close_all()  # this thread's connections: it is done with them


def _enqueue(event_id: int) -> None:
    from frontdesk.inbox import tasks

    tasks.process_inbound_event(event_id)


def process_inbound_event(event_id: int) -> Message | None:
    """Turn a stored event into a message in a conversation, exactly once.

    Returns the new message, or None when the row was not pending (already
    processed, or claimed by another worker). Safe to call any number of times.
    The sweep's retries come this way, one event at a time; new events go through
    `process_inbound_events` in batches.
    """
    claimed = InboundEvent.objects.filter(pk=event_id, status=InboundEventStatus.PENDING).update(
        status=InboundEventStatus.PROCESSING,
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    row = InboundEvent.objects.select_related("channel", "workspace").get(pk=event_id)
    return _process_claimed(row)


def _process_claimed(row: InboundEvent) -> Message | None:
    """Process one event this worker has claimed, in its own transaction."""
    try:
        with transaction.atomic():
            if _prepare(row) is not None:
                return None  # no message to make (a bounce, a loop, bad mail): marked
            message = _record(row)
            InboundEvent.objects.filter(pk=row.pk).update(
                status=InboundEventStatus.PROCESSED, processed_at=timezone.now(), error=""
            )
    except IntegrityError:
        # A worker whose claim had expired got here first: its message stands.
        if Message.objects.filter(inbound_event_id=row.pk).exists():
            InboundEvent.objects.filter(pk=row.pk).update(
                status=InboundEventStatus.PROCESSED, processed_at=timezone.now(), error=""
            )
            return None
        _release(row, "could not store the message (conflict); will retry")
        raise
    except ValidationError as exc:
        # The sender's address is unreadable: no retry can fix that.
        _fail(row, "; ".join(exc.messages))
        return None
    except Exception as exc:
        _release(row, f"{type(exc).__name__}: {exc}")
        raise
    return message


def claim_inbound_events(*, limit: int = BATCH_SIZE) -> list[int]:
    """Claim up to `limit` pending events never tried, oldest first; returns their ids.

    One conditional UPDATE (pending -> processing, stamped, the try counted). On
    PostgreSQL its candidate rows are locked with FOR UPDATE SKIP LOCKED, so workers
    claiming at once take disjoint rows without waiting on each other; SQLite runs
    one writing statement at a time. What a crash leaves claimed goes back to
    pending through the sweep once the claim is older than the claim timeout.

    A sender's texts are claimed in their order, by one worker at a time: a candidate
    is left pending while an earlier text of the same sender on the same channel is
    outside this claim and still in flight (another worker's claim, live or being
    taken at this moment, or an untried row). So two workers never thread one
    customer at once (neither waits for the other's new contact or conversation), and
    a customer's second text is never recorded before their first. A row waiting for
    the sweep's retry (handed back after a failure, or a dead worker's expired claim)
    holds nothing up: retries were never in order, the timeline orders by arrival.
    """
    alias = router.db_for_write(InboundEvent)
    connection = connections[alias]
    now = timezone.now()
    if not connection.features.can_return_columns_from_insert:
        # SQLite before 3.35 has no RETURNING: select and update in one IMMEDIATE
        # transaction, which holds the only write lock from its BEGIN.
        with transaction.atomic(using=alias):
            ids = list(
                InboundEvent.objects.filter(status=InboundEventStatus.PENDING, attempts=0)
                .order_by("pk")
                .values_list("pk", flat=True)[:limit]
            )
            InboundEvent.objects.filter(pk__in=ids).update(
                status=InboundEventStatus.PROCESSING, claimed_at=now, attempts=1
            )
        return ids
    field = InboundEvent._meta.get_field("claimed_at")
    claimed_at = field.get_db_prep_save(now, connection)
    live_since = field.get_db_prep_save(
        now - timedelta(seconds=settings.INBOX_CLAIM_TIMEOUT_SECONDS), connection
    )
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        commit_without_waiting(connection)  # a lost claim is only claimed again
        cursor.execute(_claim_sql(connection), [limit, live_since, claimed_at])
        return sorted(pk for (pk,) in cursor.fetchall())


def commit_without_waiting(connection: BaseDatabaseWrapper) -> None:
    """Let this transaction's commit return before PostgreSQL has flushed it to disk
    (`SET LOCAL synchronous_commit = off`), for a transaction whose work is safe to
    lose in a database crash: a claim, a batch's new contacts, a conversation number.

    Safe because the log is written in order: the batch's own transaction, which
    writes the messages and does wait for the disk, flushes everything logged before
    it, these included; if the database crashes before that, the claim is claimed
    again and the contacts and numbers are made again, with no message lost or made
    twice. Nothing reaches a customer from such a transaction. Only at the top level (inside a
    caller's transaction it would cover the caller's writes too); not on SQLite,
    whose commits the WAL and `synchronous=NORMAL` already keep cheap.
    """
    if connection.vendor != "postgresql":
        return
    if len(connection.atomic_blocks) > 1 or not connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")


_claim_statements: dict[str, str] = {}


def _claim_sql(connection: BaseDatabaseWrapper) -> str:
    """The claim's statement (`claim_inbound_events`), built once per database.

    Parameters: the limit, the oldest live claim's time, the new claim's time. The
    statuses are written into the text (our own constants) so both engines can use
    the partial index of unfinished rows (`inbound_event_unfinished`) for both
    scans: the candidates, and the rows in flight before them.
    """
    sql = _claim_statements.get(connection.alias)
    if sql is not None:
        return sql
    table = connection.ops.quote_name(InboundEvent._meta.db_table)
    pending, processing = InboundEventStatus.PENDING.value, InboundEventStatus.PROCESSING.value
    unfinished = f"status IN ('{pending}', '{processing}')"
    skip_locked = connection.features.has_select_for_update_skip_locked
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    # SQLite, without statistics, would rather read every pending row through the
    # sweep's index and sort them, and check each candidate against the channel's
    # whole history: name the index, and compute the rows in flight once.
    source = table
    if connection.vendor == "sqlite":
        source = f"{table} INDEXED BY {connection.ops.quote_name('inbound_event_unfinished')}"
    sql = _claim_statements[connection.alias] = (
        f"WITH candidate AS (SELECT id, channel_id, sender_address FROM {source} "  # noqa: S608
        f"WHERE {unfinished} AND status = '{pending}' AND attempts = 0 "
        f"ORDER BY id LIMIT %s{lock}), "
        # Earlier rows still in flight outside this claim: their senders wait.
        f"held AS MATERIALIZED (SELECT id, channel_id, sender_address FROM {source} "
        f"WHERE {unfinished} "
        "AND id < (SELECT MAX(id) FROM candidate) AND id NOT IN (SELECT id FROM candidate) "
        f"AND (attempts = 0 OR (status = '{processing}' AND claimed_at >= %s))) "
        f"UPDATE {table} SET status = '{processing}', claimed_at = %s, "
        "attempts = attempts + 1 WHERE id IN (SELECT c.id FROM candidate c "
        "WHERE NOT EXISTS (SELECT 1 FROM held h WHERE h.channel_id = c.channel_id "
        "AND h.sender_address = c.sender_address AND h.id < c.id)) RETURNING id"
    )
    return sql


def process_inbound_events(*, limit: int = BATCH_SIZE) -> int:
    """Claim a batch of new pending events and process it; returns how many were claimed."""
    ids = claim_inbound_events(limit=limit)
    if ids:
        _process_batch(ids)
    return len(ids)


def _process_batch(ids: list[int]) -> None:
    """Process claimed events together, in one transaction (`_record_batch`).

    If anything in it fails, it is rolled back whole and each event is processed
    again on its own, so one bad event fails (and is retried) alone. The live
    updates go out after the commit, one per conversation of the batch.
    """
    rows = _claimed_rows(ids)
    try:
        # Who sent them, first and in a short transaction of its own: a new
        # customer's contact is then committed before the long one below, so another
        # worker whose batch has the same new number waits milliseconds for it, not
        # for this whole batch (PostgreSQL's unique index makes it wait for the
        # inserting transaction). A contact without a message yet is harmless: the
        # events stay claimed, and a crash leaves them to the sweep.
        with transaction.atomic():
            commit_without_waiting(_connection_for_write(Contact))
            prepared = _prepare_batch(rows)
        with transaction.atomic():
            _record_batch(rows, prepared)
    except Exception:
        logger.warning(
            "intake batch failed; processing its events one at a time",
            exc_info=True,
            extra={"events": len(ids)},
        )
        failure: Exception | None = None
        for row in _claimed_rows(ids):
            try:
                _process_claimed(row)
            except Exception as exc:  # released with its error by _process_claimed
                failure = exc
        if failure is not None:
            raise failure from None
    finally:
        numbering.close_side_connections()


def _prepare(row: InboundEvent) -> tuple[str, str] | None:
    """Run the channel kind's `prepare_inbound` hook on a claimed row (email: parse
    the stored mail into the row's fields). Returns None to go on; otherwise the row
    is marked processed or failed with the hook's reason and no message is made."""
    try:
        hook = kinds.get(row.channel.kind).prepare_inbound_hook()
    except kinds.UnknownChannelKind:
        return None
    if hook is None:
        return None
    outcome = hook(row)
    if outcome is None:
        return None
    status, reason = outcome
    InboundEvent.objects.filter(pk=row.pk).update(
        status=InboundEventStatus.FAILED if status == "failed" else InboundEventStatus.PROCESSED,
        claimed_at=None,
        processed_at=timezone.now(),
        error=reason[:2000],
    )
    logger.info("inbound event needs no message", extra={"event": row.pk, "status": status})
    return outcome


def _finds_thread(channel: Channel) -> bool:
    try:
        return kinds.get(channel.kind).find_thread_hook() is not None
    except kinds.UnknownChannelKind:
        return False


def _claimed_rows(ids: list[int]) -> list[InboundEvent]:
    return list(
        InboundEvent.objects.select_related("channel", "workspace")
        .filter(pk__in=ids, status=InboundEventStatus.PROCESSING)
        .order_by("pk")
    )


@dataclass
class _Threaded:
    """A conversation a batch wrote to, and what its live update says."""

    conversation: Conversation
    created: bool = False
    reopened: bool = False
    woke: bool = False
    last_message: Message | None = None


@dataclass
class _Prepared:
    """A batch's events that make messages, with their senders' contacts."""

    readable: list[tuple[InboundEvent, str]]
    contacts: dict[tuple[int, str, str], Contact]


def _prepare_batch(rows: list[InboundEvent]) -> _Prepared:
    """The events of a claimed batch that make a message, and their contacts.

    Skips events already stored as messages (a claim that expired while its worker
    finished), runs each kind's `prepare_inbound` hook (marking the events that make
    no message), fails unreadable sender addresses, and resolves (creating) the
    senders' contacts. Call inside a transaction.
    """
    stored = set(
        Message.objects.filter(inbound_event_id__in=[row.pk for row in rows]).values_list(
            "inbound_event_id", flat=True
        )
    )
    # Processed before (a claim that expired while its worker finished): done.
    readable: list[tuple[InboundEvent, str]] = []
    for row in rows:
        if row.pk in stored:
            continue
        if _prepare(row) is not None:
            continue  # no message to make: marked with its reason
        try:
            address = normalise_identity(
                row.sender_kind, row.sender_address, default_country=row.workspace.default_country
            )
        except ValidationError as exc:
            _fail(row, "; ".join(exc.messages))  # unreadable: no retry can fix that
            continue
        readable.append((row, address))
    # The counter rows that number new conversations, made here if missing (a new
    # workspace's first messages), so they are committed before the long transaction.
    for workspace in {row.workspace_id: row.workspace for row, _ in readable}.values():
        inbox_settings_for(workspace)
    return _Prepared(readable, _resolve_contacts(readable))


def _record_batch(rows: list[InboundEvent], prepared: _Prepared | None = None) -> None:
    """Record claimed events as messages, as `_record` does one by one, set-based.

    Call inside a transaction; `prepared` is `_prepare_batch(rows)` (run here when
    not given). Events are taken in id order; a customer's second event of the
    batch is threaded in a second round, after the first is stored and its channel
    reaction ran, so each event sees exactly what `_record` would have seen. Per
    round: one query for the open conversations of its customers (locked), one for
    recently resolved ones, one INSERT for new conversations and one for the
    messages, one UPDATE per conversation; each channel reaction in its own
    savepoint, as in `_record`.
    """
    if prepared is None:
        prepared = _prepare_batch(rows)
    readable, contacts = prepared.readable, prepared.contacts
    # One customer's messages are threaded by one worker at a time (see _record);
    # the locks are taken in id order so two batches cannot wait on each other.
    # The locked rows are read again: what another worker committed before the lock
    # (an opt-out) is what the channel reactions below see.
    wanted = {contact.pk for contact in contacts.values()}
    # Where the engine can skip locked rows (PostgreSQL), a customer another
    # worker's batch is threading right now is not waited for: that customer's
    # events are handed back, unclaimed, and claimed again once the other batch has
    # committed. Waiting would hold this whole batch (and its own locks) behind the
    # other one. Claims already keep one sender's texts with one worker
    # (`claim_inbound_events`), so this is for a customer reached through two
    # addresses or channels at once.
    skip = _connection_for_write(Contact).features.has_select_for_update_skip_locked
    locked = {
        contact.pk: contact
        for contact in Contact.objects.select_for_update(skip_locked=skip)
        .filter(pk__in=wanted)
        .order_by("pk")
    }
    if len(locked) < len(wanted):
        busy = [
            row.pk for row, address in readable if contacts[_key(row, address)].pk not in locked
        ]
        _hand_back(busy)
        readable = [(row, a) for row, a in readable if contacts[_key(row, a)].pk in locked]
    contacts = {
        key: locked[contact.pk] for key, contact in contacts.items() if contact.pk in locked
    }
    rounds: list[list[tuple[InboundEvent, Contact]]] = []
    seen: Counter[tuple[int, int]] = Counter()
    for row, address in readable:
        contact = contacts[_key(row, address)]
        key = (contact.pk, row.channel_id)
        if seen[key] == len(rounds):
            rounds.append([])
        rounds[seen[key]].append((row, contact))
        seen[key] += 1
    threaded: dict[int, _Threaded] = {}
    pending_fetch: list[int] = []
    for round_rows in rounds:
        pending_fetch += _record_round(round_rows, threaded)
    if rows:
        InboundEvent.objects.filter(
            pk__in=[row.pk for row in rows], status=InboundEventStatus.PROCESSING
        ).update(status=InboundEventStatus.PROCESSED, processed_at=timezone.now(), error="")
    live.messages_received(
        [
            (item.conversation, item.last_message, item.created, item.reopened, item.woke)
            for item in threaded.values()
            if item.last_message is not None
        ]
    )
    for attachment_id in pending_fetch:
        transaction.on_commit(functools.partial(_enqueue_fetch, attachment_id))


def _key(row: InboundEvent, address: str) -> tuple[int, str, str]:
    """How `_resolve_contacts` names an event's sender."""
    return (row.workspace_id, row.sender_kind, address)


def _connection_for_write(model: type[Model]) -> BaseDatabaseWrapper:
    return connections[router.db_for_write(model)]


def _hand_back(ids: list[int]) -> None:
    """Unclaim events this batch will not process now (their customer is being
    threaded by another worker): pending again and not counted as a try, so the next
    claim takes them, in id order, after that worker's batch has committed."""
    InboundEvent.objects.filter(pk__in=ids, status=InboundEventStatus.PROCESSING).update(
        status=InboundEventStatus.PENDING, claimed_at=None, attempts=F("attempts") - 1
    )
    logger.debug("intake handed back events of busy customers", extra={"events": len(ids)})


def _record_round(
    round_rows: list[tuple[InboundEvent, Contact]], threaded: dict[int, _Threaded]
) -> list[int]:
    """Thread and store one event per customer; returns attachments awaiting a fetch."""
    conversations = _threads(round_rows)
    messages = [
        Message(
            workspace_id=row.workspace_id,
            conversation=conversation,
            kind=MessageKind.INCOMING,
            body=row.body,
            subject=row.subject,
            channel=row.channel,
            provider_message_id=row.provider_message_id,
            status=DeliveryStatus.NOT_APPLICABLE,
            created_at=row.received_at,
            inbound_event=row,
        )
        for (row, _contact), (conversation, _created) in zip(round_rows, conversations, strict=True)
    ]
    for message in messages:
        # Scores go in with the INSERT; the conversation's are saved with the round.
        triage_message(message)
    Message.objects.bulk_create(messages)
    pending_fetch: list[int] = []
    changed: dict[int, Conversation] = {}
    arrivals: list[Arrival] = []
    for (row, contact), (conversation, created), message in zip(
        round_rows, conversations, messages, strict=True
    ):
        if row.attachments:
            pending_fetch += _store_attachments(row, message)
        item = threaded.get(conversation.pk)
        if item is None:
            item = threaded[conversation.pk] = _Threaded(
                conversation,
                created=created,
                reopened=not created and conversation.status == ConversationStatus.RESOLVED,
                woke=not created and conversation.status != ConversationStatus.OPEN,
            )
        item.conversation = conversation
        item.last_message = message
        # What the channel reaction reads, current and without another query.
        conversation.contact = contact
        conversation.workspace = row.workspace
        conversation.channel = row.channel
        started_wait = _receive_into(conversation, row, message)
        arrivals.append(
            Arrival(conversation, message, row, created=created, started_wait=started_wait)
        )
        changed[conversation.pk] = conversation
    # The workspace's routing rules, read once for the round (frontdesk/inbox/actions/
    # routing.py): assignee, team and priority go out with the round's UPDATE.
    plans = plan_routing(arrivals)
    _save_received([changed[pk] for pk in sorted(changed)])
    finish_routing(plans)
    _react_all(
        [
            (row.channel, message, created)
            for (row, _contact), (_conversation, created), message in zip(
                round_rows, conversations, messages, strict=True
            )
        ]
    )
    return pending_fetch


def _save_received(conversations: list[Conversation]) -> None:
    """Write `_RECEIVED_FIELDS` of these conversations in one UPDATE … FROM (VALUES …).

    One statement per round instead of one per conversation (a round trip each on
    PostgreSQL), and without bulk_update's CASE per field, which grows with the batch
    both to build and to run. PostgreSQL and SQLite (3.33+) both take UPDATE … FROM.
    Each value is prepared by its field as the ORM prepares it; names are the
    model's own columns, quoted; nothing from outside reaches the SQL text.
    """
    if not conversations:
        return
    connection = connections[router.db_for_write(Conversation)]
    quote = connection.ops.quote_name
    fields = [cast("Field[Any, Any]", Conversation._meta.get_field(n)) for n in _RECEIVED_FIELDS]
    columns = [quote("id")] + [quote(str(field.column)) for field in fields]
    casts = ["bigint"] + [str(field.cast_db_type(connection)) for field in fields]
    if connection.vendor == "postgresql":
        # PostgreSQL types a VALUES column from its first row, and a NULL as text.
        row_sql = "(" + ", ".join(f"CAST(%s AS {c})" for c in casts) + ")"
    else:
        row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    params: list[Any] = []
    for conversation in conversations:
        params.append(conversation.pk)
        for field in fields:
            value = getattr(conversation, field.attname)
            params.append(field.get_db_prep_value(value, connection, prepared=False))
    table = quote(Conversation._meta.db_table)
    values = ", ".join([row_sql] * len(conversations))
    if connection.vendor == "postgresql":
        source = f"(VALUES {values}) AS v ({', '.join(columns)})"
    else:  # SQLite names VALUES columns column1, column2, …
        named = ", ".join(f"column{n + 1} AS {column}" for n, column in enumerate(columns))
        source = f"(SELECT {named} FROM (VALUES {values})) AS v"  # noqa: S608
    assignments = ", ".join(f"{column} = v.{column}" for column in columns[1:])
    where = f"{table}.{columns[0]} = v.{columns[0]}"
    sql = f"UPDATE {table} SET {assignments} FROM {source} WHERE {where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _react_all(reactions: list[tuple[Channel, Message, bool]]) -> None:
    """`_react` for a round: every reaction in one savepoint, not one each.

    If any reaction raises, the savepoint rolls all of them back and they run again
    one by one, each in its own savepoint (`_react`), so only the failing one is lost
    (and logged), exactly as before. Reactions are safe to run twice.
    """
    hooked = []
    for channel, message, created in reactions:
        try:
            hook = kinds.get(channel.kind).after_inbound_hook()
        except kinds.UnknownChannelKind:
            hook = None
        if hook is not None:
            hooked.append((hook, channel, message, created))
    if not hooked:
        return
    try:
        with transaction.atomic():
            for hook, _channel, message, created in hooked:
                hook(message, created)
    except Exception:
        logger.warning("a channel reaction failed in a batch: running each again alone")
        for _hook, channel, message, created in hooked:
            _react(channel, message, created=created)


_RECEIVED_FIELDS = [
    "status",
    "snoozed_until",
    "resolved_at",
    "last_message_at",
    "last_customer_message_at",
    "waiting_since",
    "subject",
    "assignee",
    # Routing rules may set these (frontdesk/inbox/actions/routing.py).
    "team",
    "priority",
    # Set by triage (frontdesk/triage/hooks.py) from the newest message.
    "sentiment_label",
    "sentiment_score",
    "language",
    "urgency_label",
    "urgency_score",
    "triage_reason",
]


def _receive_into(conversation: Conversation, row: InboundEvent, message: Message) -> bool:
    """What a customer's message changes in its conversation (as in `_record`);
    returns whether it started the customer's wait. Routing comes after."""
    received = row.received_at
    conversation.status = ConversationStatus.OPEN
    conversation.snoozed_until = None
    conversation.resolved_at = None
    conversation.last_message_at = max(conversation.last_message_at, received)
    conversation.last_customer_message_at = max(
        conversation.last_customer_message_at or received, received
    )
    started_wait = conversation.waiting_since is None
    if started_wait:
        conversation.waiting_since = received
    if not conversation.subject and row.subject:
        conversation.subject = row.subject[:255]
    return started_wait


def _threads(round_rows: list[tuple[InboundEvent, Contact]]) -> list[tuple[Conversation, bool]]:
    """`_thread` for one event per customer, set-based: (conversation, created) each.

    Events with a provider thread key (an email reply) take `_thread` itself.
    """
    found: dict[int, tuple[Conversation, bool]] = {}
    special = {row.pk for row, _ in round_rows if row.thread_key or _finds_thread(row.channel)}
    plain = [(row, contact) for row, contact in round_rows if row.pk not in special]
    for row, contact in round_rows:
        if row.pk in special:
            found[row.pk] = _thread(row, contact)
    if plain:
        pairs = {(contact.pk, row.channel_id) for row, contact in plain}
        candidates = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("assignee")
            .filter(
                contact_id__in={contact for contact, _ in pairs},
                channel_id__in={channel for _, channel in pairs},
            )
            .order_by("-last_message_at", "-id")
        )
        active: dict[tuple[int, int], Conversation] = {}
        for conversation in candidates.filter(status__in=ACTIVE_STATUSES):
            active.setdefault((conversation.contact_id, conversation.channel_id), conversation)
        waiting = [(r, c) for r, c in plain if (c.pk, r.channel_id) not in active]
        resolved: dict[tuple[int, int], list[Conversation]] = {}
        reopenable = [(r, c) for r, c in waiting if r.channel.threading_window_hours]
        if reopenable:
            since = min(
                r.received_at - timedelta(hours=r.channel.threading_window_hours)
                for r, _ in reopenable
            )
            for conversation in candidates.filter(
                status=ConversationStatus.RESOLVED,
                contact_id__in={c.pk for _, c in reopenable},
                last_message_at__gte=since,
            ):
                key = (conversation.contact_id, conversation.channel_id)
                resolved.setdefault(key, []).append(conversation)
        new: list[tuple[InboundEvent, Contact]] = []
        for row, contact in plain:
            key = (contact.pk, row.channel_id)
            match = active.get(key)
            if match is None:
                window = timedelta(hours=row.channel.threading_window_hours)
                match = next(
                    (
                        c
                        for c in resolved.get(key, [])
                        if window and c.last_message_at >= row.received_at - window
                    ),
                    None,
                )
            if match is None:
                new.append((row, contact))
                continue
            found[row.pk] = (match, False)
        for row, conversation in _start_conversations(new):
            found[row.pk] = (conversation, True)
    return [found[row.pk] for row, _contact in round_rows]


def _start_conversations(
    new: list[tuple[InboundEvent, Contact]],
) -> list[tuple[InboundEvent, Conversation]]:
    """`start_conversation` for several customers: numbers taken per workspace in one
    UPDATE (on PostgreSQL outside this transaction: `numbering`), the rows in one INSERT."""
    started: list[tuple[InboundEvent, Conversation]] = []
    by_workspace: dict[int, list[tuple[InboundEvent, Contact]]] = {}
    for row, contact in new:
        by_workspace.setdefault(row.workspace_id, []).append((row, contact))
    for workspace_id, items in sorted(by_workspace.items()):
        workspace = items[0][0].workspace
        inbox_settings_for(workspace)
        last = numbering.take_numbers(workspace_id, len(items))
        conversations = [
            Conversation(
                workspace=workspace,
                number=last - len(items) + 1 + n,
                contact=contact,
                channel=row.channel,
                subject=row.subject[:255],
                created_at=row.received_at,
                last_message_at=row.received_at,
            )
            for n, (row, contact) in enumerate(items)
        ]
        Conversation.objects.bulk_create(conversations)
        started += [(row, c) for (row, _contact), c in zip(items, conversations, strict=True)]
    return started


def _resolve_contacts(
    readable: list[tuple[InboundEvent, str]],
) -> dict[tuple[int, str, str], Contact]:
    """`resolve_contact` for a batch: {(workspace id, kind, normalised address): contact}.

    Known addresses in one query per workspace and kind; new customers' contacts in
    one INSERT and their identities in another that skips an address another worker
    has just taken (PostgreSQL waits for that worker's commit), read back after,
    so two workers still end with one contact per address.
    """
    wanted: dict[tuple[int, str, str], InboundEvent] = {}
    for row, address in readable:
        wanted.setdefault((row.workspace_id, row.sender_kind, address), row)
    found: dict[tuple[int, str, str], Contact] = {}

    def look_up(keys: list[tuple[int, str, str]]) -> None:
        groups: dict[tuple[int, str], list[str]] = {}
        for workspace_id, kind, address in keys:
            groups.setdefault((workspace_id, kind), []).append(address)
        for (workspace_id, kind), values in groups.items():
            identities = ContactIdentity.objects.filter(
                workspace_id=workspace_id, kind=kind, value__in=values
            ).select_related("contact")
            for identity in identities:
                found[(workspace_id, kind, identity.value)] = identity.contact

    look_up(list(wanted))
    for key, row in wanted.items():
        contact = found.get(key)
        name = row.sender_name.strip()[:160]
        if contact is not None and name and not contact.name:
            contact.name = name
            contact.save(update_fields=["name"])
    # A fixed order (workspace, kind, address): two workers inserting the same new
    # addresses wait on each other in one direction only.
    missing = sorted(key for key in wanted if key not in found)
    if not missing:
        return found
    contacts = [
        Contact(workspace_id=key[0], name=wanted[key].sender_name.strip()[:160]) for key in missing
    ]
    Contact.objects.bulk_create(contacts)
    ContactIdentity.objects.bulk_create(
        [
            ContactIdentity(
                workspace_id=key[0],
                contact=contact,
                kind=key[1],
                value=key[2],
                label=wanted[key].sender_address.strip()[:80],
            )
            for key, contact in zip(missing, contacts, strict=True)
        ],
        ignore_conflicts=True,
    )
    look_up(missing)
    # A contact whose address another worker took first has no identity: not needed.
    orphans = [c.pk for key, c in zip(missing, contacts, strict=True) if found[key].pk != c.pk]
    if orphans:
        Contact.objects.filter(pk__in=orphans).delete()
    return found


def _record(row: InboundEvent) -> Message:
    workspace = row.workspace
    channel = row.channel
    contact, _ = resolve_contact(
        workspace,
        kind=row.sender_kind,
        value=row.sender_address,
        name=row.sender_name,
        by=None,  # the system: a customer wrote in
    )
    # One customer's messages are threaded one at a time, so two arriving together
    # cannot each start a conversation (SQLite serialises writers anyway).
    Contact.objects.select_for_update().filter(pk=contact.pk).first()
    conversation, created = _thread(row, contact)
    reopened = not created and conversation.status == ConversationStatus.RESOLVED
    woke = not created and conversation.status != ConversationStatus.OPEN

    received = row.received_at
    message = Message(
        workspace=workspace,
        conversation=conversation,
        kind=MessageKind.INCOMING,
        body=row.body,
        subject=row.subject,
        channel=channel,
        provider_message_id=row.provider_message_id,
        status=DeliveryStatus.NOT_APPLICABLE,
        created_at=received,
        inbound_event=row,
    )
    # Before the conversation changes: triage sees whether the customer was already
    # waiting (a repeat contact), and the scores go in with the INSERT.
    triage_message(message)
    message.save(force_insert=True)
    pending_fetch = _store_attachments(row, message)

    conversation.status = ConversationStatus.OPEN
    conversation.snoozed_until = None
    conversation.resolved_at = None
    conversation.last_message_at = max(conversation.last_message_at, received)
    conversation.last_customer_message_at = max(
        conversation.last_customer_message_at or received, received
    )
    started_wait = conversation.waiting_since is None
    if started_wait:
        conversation.waiting_since = received
    if not conversation.subject and row.subject:
        conversation.subject = row.subject[:255]

    # Routing rules (and a promise the acknowledgement made): who takes it, its
    # priority and team, before the save; tags, draft and notifications after.
    plans = plan_routing(
        [Arrival(conversation, message, row, created=created, started_wait=started_wait)]
    )
    conversation.save()
    finish_routing(plans)

    live.conversation_changed(conversation, created=created, reopened=reopened, woke=woke)
    live.message_published(message)
    for attachment_id in pending_fetch:
        transaction.on_commit(functools.partial(_enqueue_fetch, attachment_id))
    _react(channel, message, created=created)
    return message


def _react(channel: Channel, message: Message, *, created: bool) -> None:
    """The channel's own reaction (an SMS opt-out, a keyword reply), in this transaction.

    A worker dying here rolls back the message and the reaction together, and the
    retry does both. A bug in the reaction rolls back only the reaction (a
    savepoint) and is logged: the customer's message is never lost for it.
    """
    try:
        hook = kinds.get(channel.kind).after_inbound_hook()
    except kinds.UnknownChannelKind:
        hook = None
    if hook is None:
        return
    try:
        with transaction.atomic():
            hook(message, created)
    except Exception:
        logger.exception(
            "channel reaction failed", extra={"channel": channel.pk, "message_id": message.pk}
        )


def _thread(row: InboundEvent, contact: Contact) -> tuple[Conversation, bool]:
    """The conversation this message continues, or a new one. Returns (it, created).

    In order: the conversation the channel kind's `find_thread` hook names (email);
    the conversation holding the message the customer replied to (a thread key); the
    customer's open, pending or snoozed conversation on this channel, however old (a
    customer still waiting is never split in two); their last resolved one, reopened,
    if its last message is within the channel's threading window
    (`threading_window_hours`, 0 = never reopen); otherwise a new conversation.
    """
    workspace, channel = row.workspace, row.channel
    conversations = Conversation.objects.for_workspace(workspace).select_for_update()
    try:
        finder = kinds.get(channel.kind).find_thread_hook()
    except kinds.UnknownChannelKind:
        finder = None
    if finder is not None:
        # The channel's own threading (email: headers, reply address, marker, number).
        found = finder(row, contact)
        if found:
            return conversations.get(pk=found), False
    if row.thread_key:
        hit = (
            Message.objects.for_workspace(workspace)
            .filter(
                provider_message_id=row.thread_key,
                conversation__contact=contact,
                conversation__channel=channel,
            )
            .order_by("-id")
            .values_list("conversation_id", flat=True)
            .first()
        )
        if hit:
            return conversations.get(pk=hit), False
    mine = conversations.filter(contact=contact, channel=channel).order_by(
        "-last_message_at", "-id"
    )
    active = mine.filter(status__in=ACTIVE_STATUSES).first()
    if active:
        return active, False
    window = timedelta(hours=channel.threading_window_hours)
    # A window of 0 hours: every message after a resolution starts a new conversation.
    recent = (
        mine.filter(
            status=ConversationStatus.RESOLVED, last_message_at__gte=row.received_at - window
        ).first()
        if window
        else None
    )
    if recent:
        return recent, False
    conversation = start_conversation(
        workspace,
        contact=contact,
        channel=channel,
        subject=row.subject,
        started_at=row.received_at,
    )
    return conversation, True


def _store_attachments(row: InboundEvent, message: Message) -> list[int]:
    pending: list[int] = []
    for meta in row.attachments or []:
        attachment = Attachment.objects.create(
            workspace_id=row.workspace_id,
            message=message,
            file=meta.get("stored_name", ""),
            filename=str(meta.get("filename") or "file")[:255],
            content_type=str(meta.get("content_type") or "")[:120],
            size=int(meta.get("size") or 0),
            source_url=str(meta.get("url") or "")[:1000],
            pending_fetch=not meta.get("stored_name"),
        )
        if attachment.pending_fetch:
            pending.append(attachment.pk)
    return pending


def _enqueue_fetch(attachment_id: int, *, delay: timedelta | None = None) -> None:
    from frontdesk.inbox import tasks

    if delay:
        tasks.fetch_attachment.schedule((attachment_id,), delay=delay.total_seconds())
    else:
        tasks.fetch_attachment(attachment_id)


def fetch_attachment(attachment_id: int) -> Attachment | None:
    """Download an attachment an event only linked to, through the channel's adapter.

    Does nothing for channels whose adapter cannot fetch (the marker stays, and the
    page shows the link). The file is kept as `check_file` makes it: its type read
    from its bytes, a picture without its metadata (EXIF, GPS). A temporary failure
    (ConnectorError permanent=False: a timeout, the provider's 5xx or 429) is tried
    again with backoff, at most MAX_FETCH_ATTEMPTS times; a permanent one (missing
    media, a refused type, too large, bad credentials) ends it, and the message
    shows staff why. Returns the attachment, or None when there was nothing to do.
    """
    attachment = (
        Attachment.objects.select_related("message__channel__workspace")
        .filter(pk=attachment_id, pending_fetch=True)
        .first()
    )
    if attachment is None or attachment.message.channel is None:
        return None
    channel = attachment.message.channel
    try:
        kind = kinds.get(channel.kind)
    except kinds.UnknownChannelKind:
        return None
    connector = kind.connector()
    if not connector.can("fetch_attachment"):
        return None
    try:
        fetched = connector.fetch_attachment(kind.account_for(channel), attachment.source_url)
        if fetched.data is None:
            raise base.ConnectorError(
                "The provider sent no file.", permanent=False, code="media_empty"
            )
    except base.ConnectorError as exc:
        return _fetch_failed(attachment, exc)
    checked = check_file(
        fetched.data,
        content_type=fetched.content_type or attachment.content_type,
        filename=fetched.filename or attachment.filename,
    )
    name = _save_attachment_bytes(checked.filename, checked.data)
    updated = Attachment.objects.filter(pk=attachment.pk, pending_fetch=True).update(
        file=name,
        filename=checked.filename[:255],
        size=len(checked.data),
        content_type=checked.content_type[:120],
        pending_fetch=False,
        fetch_attempts=F("fetch_attempts") + 1,
        fetch_error="",
        next_fetch_at=None,
    )
    if not updated:
        default_storage.delete(name)  # fetched twice at once; the other copy stands
    attachment.refresh_from_db()
    if updated:
        live.message_published(attachment.message, event_type="message.updated")
    return attachment


# A media fetch that failed for a temporary reason is tried again after 30 s, 1 min,
# 2 min ... (at most an hour between tries), this many times in all.
MAX_FETCH_ATTEMPTS = 6
FETCH_BACKOFF_BASE = timedelta(seconds=30)
FETCH_BACKOFF_MAX = timedelta(hours=1)


def fetch_backoff(attempts: int) -> timedelta:
    """How long to wait after `attempts` failed tries before the next one."""
    doublings = min(max(0, attempts - 1), 20)  # far past the cap already
    wait: timedelta = min(FETCH_BACKOFF_BASE * 2**doublings, FETCH_BACKOFF_MAX)
    return wait


def _fetch_failed(attachment: Attachment, error: base.ConnectorError) -> Attachment:
    attempts = attachment.fetch_attempts + 1
    final = error.permanent or attempts >= MAX_FETCH_ATTEMPTS
    reason = error.message[:500]
    if final and not error.permanent:
        reason = f"Gave up after {attempts} tries: {reason}"[:500]
    delay = None if final else fetch_backoff(attempts)
    Attachment.objects.filter(pk=attachment.pk, pending_fetch=True).update(
        pending_fetch=not final,
        fetch_attempts=attempts,
        fetch_error=reason,
        next_fetch_at=timezone.now() + delay if delay is not None else None,
    )
    if delay is not None:
        _enqueue_fetch(attachment.pk, delay=delay)
    logger.warning(
        "attachment fetch failed",
        extra={
            "attachment": attachment.pk,
            "final": final,
            "attempts": attempts,
            "code": error.code,
        },
    )
    attachment.refresh_from_db()
    live.message_published(attachment.message, event_type="message.updated")
    return attachment


def sweep_attachment_fetches(*, now: datetime | None = None) -> int:
    """Enqueue media fetches that are due but whose scheduled task was lost (a worker
    that died, a queue that was emptied); returns how many were enqueued."""
    now = now or timezone.now()
    due = list(
        Attachment.objects.filter(pending_fetch=True, next_fetch_at__lte=now - FETCH_GRACE)
        .order_by("next_fetch_at", "id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in due:
        _enqueue_fetch(pk)
    return len(due)


# A retry due this long ago whose task never ran was lost.
FETCH_GRACE = timedelta(minutes=1)


def _release(row: InboundEvent, error: str) -> None:
    """Give a claimed row back for another try, or fail it once out of tries."""
    # `row` was read after the claim, so `attempts` counts this try.
    out_of_tries = row.attempts >= MAX_PROCESS_ATTEMPTS
    status = InboundEventStatus.FAILED if out_of_tries else InboundEventStatus.PENDING
    InboundEvent.objects.filter(pk=row.pk, status=InboundEventStatus.PROCESSING).update(
        status=status, claimed_at=None, error=error[:2000]
    )
    logger.exception("inbound event processing failed", extra={"event": row.pk, "status": status})


def _fail(row: InboundEvent, error: str) -> None:
    InboundEvent.objects.filter(pk=row.pk).update(
        status=InboundEventStatus.FAILED, claimed_at=None, error=error[:2000]
    )
    logger.warning("inbound event failed", extra={"event": row.pk, "error": error})


def sweep_inbound_events(*, now: datetime | None = None) -> int:
    """Re-queue events a crash left behind; returns how many were enqueued.

    Pending rows older than the pending grace were never picked up (with the poll
    intake only rows handed back after a try: untried ones are the pollers'); processing
    rows whose claim is older than the claim timeout belong to a worker that died. Those out
    of attempts are marked failed instead.
    """
    now = now or timezone.now()
    claim_timeout = timedelta(seconds=settings.INBOX_CLAIM_TIMEOUT_SECONDS)
    pending_grace = timedelta(seconds=settings.INBOX_PENDING_GRACE_SECONDS)
    expired = InboundEvent.objects.filter(
        status=InboundEventStatus.PROCESSING, claimed_at__lt=now - claim_timeout
    )
    expired.filter(attempts__gte=MAX_PROCESS_ATTEMPTS).update(
        status=InboundEventStatus.FAILED,
        claimed_at=None,
        error=f"gave up after {MAX_PROCESS_ATTEMPTS} attempts",
    )
    expired.update(status=InboundEventStatus.PENDING, claimed_at=None)
    pending = InboundEvent.objects.filter(
        status=InboundEventStatus.PENDING, created_at__lt=now - pending_grace
    )
    if intake_polls():
        # Rows never tried are the pollers' work, however long a backlog makes them
        # wait: a task each would only race the batches one event at a time.
        pending = pending.filter(attempts__gt=0)
    due = list(pending.order_by("id").values_list("id", flat=True)[:SWEEP_BATCH])
    for event_id in due:
        _enqueue(event_id)
    if due:
        logger.info("inbound events re-queued", extra={"count": len(due)})
    return len(due)
