"""GET /healthz: is the database answering, and is the task queue reachable?"""

from __future__ import annotations

import time

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from huey.contrib.djhuey import HUEY


def _check_database() -> dict[str, object]:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {
        "ok": True,
        "vendor": connection.vendor,
        "ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _check_queue() -> dict[str, object]:
    started = time.perf_counter()
    pending = HUEY.pending_count()
    return {
        "ok": True,
        "backend": type(HUEY.storage).__name__,
        "pending": pending,
        "ms": round((time.perf_counter() - started) * 1000, 2),
    }


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, dict[str, object]] = {}
    for name, check in (("database", _check_database), ("queue", _check_queue)):
        try:
            checks[name] = check()
        except Exception as exc:  # a health check reports failures, it does not raise them
            checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
