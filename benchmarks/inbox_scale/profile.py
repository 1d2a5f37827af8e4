"""Where a page's time goes besides SQL: template time per template (`--profile`).

The table's "app" column is the whole in-process request; when it is far above the
SQL floor, this says which templates (and how many renders of each) take the rest.
Times are exclusive: an included template's time is not counted in its includer.
"""

from __future__ import annotations

import collections
import contextlib
import time
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def template_timer() -> Iterator[tuple[collections.Counter, collections.Counter]]:
    from django.template import base

    seconds: collections.Counter = collections.Counter()
    renders: collections.Counter = collections.Counter()
    children: list[float] = []
    original = base.Template._render

    def timed(self: Any, context: Any) -> Any:
        started = time.perf_counter()
        children.append(0.0)
        try:
            return original(self, context)
        finally:
            elapsed = time.perf_counter() - started
            inner = children.pop()
            name = getattr(self.origin, "template_name", None) or str(self.origin)
            seconds[name] += elapsed - inner
            renders[name] += 1
            if children:
                children[-1] += elapsed

    base.Template._render = timed
    try:
        yield seconds, renders
    finally:
        base.Template._render = original


def profile_page(client: Any, path: str, *, repeat: int = 20) -> dict:
    """Per-request averages: whole request, all templates, and the top templates."""
    for _ in range(3):
        client.get(path)
    with template_timer() as (seconds, renders):
        started = time.perf_counter()
        for _ in range(repeat):
            client.get(path)
        total = time.perf_counter() - started
    top = [
        {
            "template": name,
            "ms": round(spent / repeat * 1000, 2),
            "renders": renders[name] // repeat,
        }
        for name, spent in seconds.most_common(8)
    ]
    return {
        "request_ms": round(total / repeat * 1000, 2),
        "templates_ms": round(sum(seconds.values()) / repeat * 1000, 2),
        "top": top,
    }


def describe(key: str, profile: dict) -> str:
    lines = [
        f"{key}: {profile['request_ms']:.1f} ms in-process (instrumented), "
        f"{profile['templates_ms']:.1f} ms of it in templates"
    ]
    lines += [
        f"    {row['ms']:6.2f} ms  {row['renders']:4d} renders  {row['template']}"
        for row in profile["top"]
    ]
    return "\n".join(lines)
