"""A fresh Frontdesk install for the system tests that drive workers against it, and a
way to read its database from the test while those workers run.

The install is what `frontdesk setup` makes in an empty data folder, with one
workspace ("system-test") and its owner: on SQLite, or, when DATABASE_URL / REDIS_URL
are set, on a fresh PostgreSQL database and an empty Redis database of its own
(removed afterwards). The test reads the database directly, read-only on SQLite, so
what it sees is what the workers committed.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from tests.system.server import (
    CREATE_MEMBER,
    PASSWORD,
    empty_redis_database,
    fresh_postgres_database,
    frontdesk_shell,
    set_up,
    subprocess_env,
)


class Install:
    """A fresh Frontdesk install: its environment, its data folder, its database."""

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        self.env = env
        self.data_dir = data_dir

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if "DATABASE_URL" in self.env:
            import psycopg

            with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
                return conn.execute(sql).fetchall()
        path = self.data_dir / "frontdesk.sqlite3"
        with contextlib.closing(
            sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=20)
        ) as conn:
            return conn.execute(sql).fetchall()


InstallT = TypeVar("InstallT", bound=Install)


@contextlib.contextmanager
def fresh_install(
    data_dir: Path,
    *,
    owner_email: str,
    kind: Callable[[dict[str, str], Path], InstallT],
    env: Mapping[str, str] | None = None,
) -> Iterator[InstallT]:
    """Set up an install in `data_dir` (with `env` added to a real install's
    environment) whose "system-test" workspace is owned by `owner_email`; yield it as
    `kind` (an Install subclass with the test's own reads), and remove its PostgreSQL
    and Redis databases afterwards."""
    install_env = subprocess_env(data_dir) | dict(env or {})
    with contextlib.ExitStack() as cleanup:
        if os.environ.get("DATABASE_URL"):
            install_env["DATABASE_URL"] = cleanup.enter_context(
                fresh_postgres_database(os.environ["DATABASE_URL"])
            )
        if os.environ.get("REDIS_URL"):
            install_env["REDIS_URL"] = cleanup.enter_context(
                empty_redis_database(os.environ["REDIS_URL"])
            )
        set_up(env=install_env)
        frontdesk_shell(CREATE_MEMBER.format(email=owner_email, password=PASSWORD), env=install_env)
        yield kind(install_env, data_dir)
