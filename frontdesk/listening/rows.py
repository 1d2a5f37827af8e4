"""The statements storing a poll runs for every source, written once instead of
compiled by the ORM for each poll (most of what they cost in Python was the compiling:
see benchmarks/README, feeds_poll), and as few as can be: on PostgreSQL each is a
round trip the storing thread waits for.

Each is what the ORM would write: table and column names from the models, values
prepared by their fields (`get_db_prep_save`), conflicts skipped as
`bulk_create(ignore_conflicts=True)` skips them (the backend's own INSERT OR IGNORE
or ON CONFLICT DO NOTHING). Only for rows the ORM adds nothing to: no save() method,
no signal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import Field, Model
from django.db.models.constants import OnConflict
from django.db.models.sql.subqueries import InsertQuery

from frontdesk.inbox.intake import insert_params
from frontdesk.listening.models import Mention, Sighting

_M = TypeVar("_M", bound=Model)


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field), name  # a column of the table, not a relation's far end
    return field


def _column(model: type[Model], name: str) -> str:
    return str(_field(model, name).column)


def _marks(count: int) -> str:
    """The placeholders of `count` values: "%s, %s, …"."""
    return ", ".join(["%s"] * count)


# INSERT … skipping conflicts, per (database alias, model, field names).
_ignoring: dict[tuple[str, type[Model], tuple[str, ...]], str] = {}


def _ignoring_sql(alias: str, model: type[Model], fields: list[Field[Any, Any]]) -> str:
    names = tuple(field.attname for field in fields)
    sql = _ignoring.get((alias, model, names))
    if sql is None:
        ops = connections[alias].ops
        columns = ", ".join(ops.quote_name(str(field.column)) for field in fields)
        suffix = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
        sql = _ignoring[(alias, model, names)] = (
            f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} "
            f"{ops.quote_name(model._meta.db_table)} ({columns}) "
            f"VALUES ({_marks(len(fields))}) {suffix}"
        ).strip()
    return sql


def insert_ignoring(
    model: type[Model], names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """INSERT `rows`, values for the fields `names` (by name or attname) in that order,
    skipping each a unique constraint already holds: one statement, run for each row
    (executemany)."""
    params = list(rows)
    if not params:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = [_field(model, name) for name in names]
    prepared = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, row, strict=True)
        ]
        for row in params
    ]
    with connection.cursor() as cursor:
        cursor.executemany(_ignoring_sql(alias, model, fields), prepared)


# INSERT … skipping conflicts, RETURNING, for n rows, per (alias, model, n, returned).
_returning: dict[tuple[str, type[Model], int, str], tuple[str, list[Field[Any, Any]]]] = {}


def insert_new(model: type[_M], objs: Sequence[_M], unique: str) -> list[_M]:
    """INSERT `objs` (unsaved instances), skipping each a unique constraint already
    holds, and return those stored, each with its id set as `bulk_create` sets it.
    `unique`: the attname of a field whose values differ among `objs`, to tell which
    row came back for which. The statement is the one Django's compiler writes for
    `bulk_create(ignore_conflicts=True)` plus the RETURNING of a bulk insert (built
    once per number of rows, batched as bulk_create batches); each value prepared by
    its field as the ORM prepares it. Where a row of `objs` was skipped, the caller
    reads what holds its place: on PostgreSQL the conflicting row, committed."""
    if not objs:
        return []
    alias = router.db_for_write(model)
    connection = connections[alias]
    by_value = {getattr(obj, unique): obj for obj in objs}
    if len(by_value) != len(objs):
        raise ValueError(f"{unique} must differ among the rows given")
    fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
    size = max(connection.ops.bulk_batch_size(fields, list(objs)), 1)
    stored: list[_M] = []
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start : start + size]
            sql, fields = _returning_sql(alias, model, batch, unique)
            cursor.execute(sql, insert_params(sql, fields, batch, connection))
            for pk, value in cursor.fetchall():
                obj = by_value[value]
                obj.pk = pk
                obj._state.adding, obj._state.db = False, alias
                stored.append(obj)
    return stored


def _returning_sql(
    alias: str, model: type[Model], objs: Sequence[Model], unique: str
) -> tuple[str, list[Field[Any, Any]]]:
    key = (alias, model, len(objs), unique)
    statement = _returning.get(key)
    if statement is None:
        meta = model._meta
        fields = [f for f in meta.local_concrete_fields if not f.primary_key]
        query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
        query.insert_values(fields, list(objs))
        compiler = query.get_compiler(using=alias)
        compiler.returning_fields = [meta.pk, _field(model, unique)]
        ((sql, _params),) = compiler.as_sql()
        statement = _returning[key] = (sql, fields)
    return statement


@dataclass
class Known:
    """What storing a poll's posts needs to know first (`known`)."""

    sighted: set[str]  # the posts' keys the source has a sighting of
    stories: list[tuple[int, str, str]]  # (id, story key, canonical URL), by id


def known(
    source: Any, post_keys: Iterable[str], story_keys: Iterable[str], urls: Iterable[str]
) -> Known:
    """In one statement (three index reads): which of `post_keys` the source has
    sighted, and the source's workspace's mentions whose story key is one of
    `story_keys` or whose canonical URL is one of `urls` (each once)."""
    wanted = (
        list(dict.fromkeys(post_keys)),
        list(dict.fromkeys(story_keys)),
        list(dict.fromkeys(urls)),
    )
    if not any(wanted):
        return Known(set(), [])
    connection = connections[router.db_for_read(Mention)]
    quote = connection.ops.quote_name
    sightings, mentions = quote(Sighting._meta.db_table), quote(Mention._meta.db_table)
    pk, story, url, workspace = (
        quote(_column(Mention, name)) for name in ("id", "story_key", "canonical_url", "workspace")
    )
    external = quote(_column(Sighting, "external_key"))
    # Every part gives (what, id, key, address); a sighting has no id or address.
    parts = (
        f"SELECT 0, NULL, {external}, NULL FROM {sightings} "  # noqa: S608 - names from the models
        f"WHERE {quote(_column(Sighting, 'source'))} = %s AND {external} IN",
        f"SELECT 1, {pk}, {story}, {url} FROM {mentions} WHERE {workspace} = %s AND {story} IN",  # noqa: S608
        f"SELECT 1, {pk}, {story}, {url} FROM {mentions} WHERE {workspace} = %s AND {url} IN",  # noqa: S608
    )
    scope = (source.pk, source.workspace_id, source.workspace_id)
    sql: list[str] = []
    params: list[Any] = []
    for part, values, within in zip(parts, wanted, scope, strict=True):
        if values:
            sql.append(f"{part} ({_marks(len(values))})")
            params += [within, *values]
    found = Known(set(), [])
    stories: dict[int, tuple[int, str, str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(sql), params)
        for what, mention, key, address in cursor.fetchall():
            if what == 0:
                found.sighted.add(key)
            else:
                stories[mention] = (mention, key, address)
    found.stories = [stories[mention] for mention in sorted(stories)]
    return found
