"""The statements storing a poll runs for every source, written once instead of
compiled by the ORM for each poll (most of what they cost in Python was the compiling:
see benchmarks/README, feeds_poll).

Each is what the ORM would write: table and column names from the models, values
prepared by their fields (`get_db_prep_save`), conflicts skipped as
`bulk_create(ignore_conflicts=True)` skips them (the backend's own INSERT OR IGNORE
or ON CONFLICT DO NOTHING). Only for rows the ORM adds nothing to: no save() method,
no signal, no id wanted back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model
from django.db.models.constants import OnConflict

from frontdesk.listening.models import Mention, Sighting


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field), name  # a column of the table, not a relation's far end
    return field


def _column(model: type[Model], name: str) -> str:
    return str(_field(model, name).column)


@cache
def _insert_sql(model: type[Model], names: tuple[str, ...], vendor: str) -> str:
    connection = connections[router.db_for_write(model)]
    ops, meta = connection.ops, model._meta
    fields = [_field(model, name) for name in names]
    columns = ", ".join(ops.quote_name(_column(model, name)) for name in names)
    values = ", ".join(["%s"] * len(fields))
    suffix = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
    return (
        f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {ops.quote_name(meta.db_table)} "
        f"({columns}) VALUES ({values}) {suffix}"
    ).strip()


def insert_ignoring(
    model: type[Model], names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """INSERT `rows`, values for the fields `names` (by name or attname) in that order,
    skipping each a unique constraint already holds: one statement, run for each row
    (executemany)."""
    params = list(rows)
    if not params:
        return
    connection = connections[router.db_for_write(model)]
    fields = [_field(model, name) for name in names]
    sql = _insert_sql(model, tuple(names), connection.vendor)
    prepared = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, row, strict=True)
        ]
        for row in params
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def sighted(source_id: int, keys: Iterable[str]) -> set[str]:
    """Which of `keys` the source has a sighting of."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return set()
    connection = connections[router.db_for_read(Sighting)]
    quote, meta = connection.ops.quote_name, Sighting._meta
    key = quote(_column(Sighting, "external_key"))
    sql = (
        f"SELECT {key} FROM {quote(meta.db_table)} "  # noqa: S608 - names from the models
        f"WHERE {quote(_column(Sighting, 'source'))} = %s "
        f"AND {key} IN ({', '.join(['%s'] * len(wanted))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [source_id, *wanted])
        return {row[0] for row in cursor.fetchall()}


def stories_among(
    workspace_id: int, keys: Iterable[str], urls: Iterable[str]
) -> list[tuple[int, str, str]]:
    """(id, story key, canonical URL) of the workspace's mentions whose story key is
    one of `keys` or whose canonical URL is one of `urls`, by id: two index reads."""
    keys, urls = list(dict.fromkeys(keys)), list(dict.fromkeys(urls))
    connection = connections[router.db_for_read(Mention)]
    quote, meta = connection.ops.quote_name, Mention._meta
    table = quote(meta.db_table)
    pk, story, url, workspace = (
        quote(_column(Mention, name)) for name in ("id", "story_key", "canonical_url", "workspace")
    )
    parts: list[str] = []
    params: list[Any] = []
    for column, values in ((story, keys), (url, urls)):
        if values:
            parts.append(
                f"SELECT {pk}, {story}, {url} FROM {table} "  # noqa: S608 - names from the models
                f"WHERE {workspace} = %s AND {column} IN ({', '.join(['%s'] * len(values))})"
            )
            params += [workspace_id, *values]
    if not parts:
        return []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = {row[0]: (row[0], row[1], row[2]) for row in cursor.fetchall()}
    return [rows[pk] for pk in sorted(rows)]
