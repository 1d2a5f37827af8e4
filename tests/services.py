"""Map FRONTDESK_TEST_POSTGRES / FRONTDESK_TEST_REDIS to real service URLs.

Loaded as a pytest plugin (`-p tests.services` in pyproject.toml; run pytest as
`python -m pytest` from the repository root, as `make test` does, so `tests` imports) so it
runs before Django reads its settings. In those modes a missing service is an
error that stops the run, never a skip: CI must not go green without them.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile

from frontdesk.env import env_bool

# One database name per run, so two runs at once (two developers, or CI beside a
# developer) never drop each other's test database.
POSTGRES_URL = os.environ.get(
    "FRONTDESK_TEST_POSTGRES_URL", f"postgres://postgres@127.0.0.1:5432/frontdesk_{os.getpid()}"
)
REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _require(host: str, port: int, what: str, variable: str) -> None:
    try:
        with socket.create_connection((host, port), timeout=3):
            pass
    except OSError as exc:
        raise SystemExit(
            f"{variable} is set but {what} at {host}:{port} is not reachable ({exc}). "
            f"Start it, or unset {variable} to run the SQLite configuration only."
        ) from None


USE_POSTGRES = env_bool("FRONTDESK_TEST_POSTGRES", False)
USE_REDIS = env_bool("FRONTDESK_TEST_REDIS", False)

if USE_POSTGRES:
    _require("127.0.0.1", 5432, "PostgreSQL", "FRONTDESK_TEST_POSTGRES")
    os.environ["DATABASE_URL"] = POSTGRES_URL
else:
    os.environ.pop("DATABASE_URL", None)
if USE_REDIS:
    _require("127.0.0.1", 6379, "Redis", "FRONTDESK_TEST_REDIS")
    os.environ["REDIS_URL"] = REDIS_URL
else:
    os.environ.pop("REDIS_URL", None)

# Each run gets its own data folder (secret key, SQLite files, uploads).
os.environ["FRONTDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="frontdesk-test-")
# WhiteNoise warns on every request when STATIC_ROOT is missing; tests use finders.
os.makedirs(os.path.join(os.environ["FRONTDESK_DATA_DIR"], "static"), exist_ok=True)
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# The installs the system tests start share one folder of collected static files: the
# first `frontdesk setup` collects, the others find it current (frontdesk/core/static.py).
# Made once by the process pytest starts with; its xdist workers inherit it.
if "FRONTDESK_TEST_STATIC_DIR" not in os.environ:
    os.environ["FRONTDESK_TEST_STATIC_DIR"] = tempfile.mkdtemp(prefix="frontdesk-static-")
    atexit.register(shutil.rmtree, os.environ["FRONTDESK_TEST_STATIC_DIR"], True)
# Freshly migrated databases the system tests' installs start from (tests/system/server.py
# `set_up`), made once per run; PostgreSQL's template databases are dropped at the end.
if "FRONTDESK_TEST_TEMPLATE_DIR" not in os.environ:
    os.environ["FRONTDESK_TEST_TEMPLATE_DIR"] = tempfile.mkdtemp(prefix="frontdesk-templates-")

    def _drop_templates(root: str = os.environ["FRONTDESK_TEST_TEMPLATE_DIR"]) -> None:
        from tests.system.server import drop_postgres_templates

        drop_postgres_templates(root)
        shutil.rmtree(root, True)

    atexit.register(_drop_templates)
# The demo app (frontdesk/demo) is tested too: installed, but not in demo mode.
os.environ.setdefault("FRONTDESK_DEMO_APP", "true")


def pytest_report_header(config: object) -> list[str]:
    return [
        "frontdesk: database="
        + ("postgresql" if USE_POSTGRES else "sqlite")
        + " queue/channels/cache="
        + ("redis" if USE_REDIS else "sqlite/database")
    ]
