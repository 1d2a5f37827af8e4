"""Live updates listening sends to open pages, after the data is committed.

listening.mention  {"id", "status"}                         a mention changed
listening.alert    {"id", "watch", "reasons", "author", "excerpt", "url", "page"}
                                                               staff should look now
listening.spike    {"watch", "count", "baseline", "reasons", "page"}
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.sync import async_to_sync
from django.db import transaction
from django.urls import reverse

from frontdesk.listening.models import Mention
from frontdesk.live.publish import apublish_many, publish

logger = logging.getLogger(__name__)

Event = tuple[int, str, dict[str, Any]]


class _Batch(threading.local):
    events: list[Event] | None = None
    savepoints: list[str] = []
    joined = False  # an inner batch (a deeper savepoint) joined the current one


_batch = _Batch()


def _after_commit(workspace_id: int, event: str, data: dict[str, Any]) -> None:
    events = _batch.events
    # In a batch, and not inside a savepoint opened since (whose rollback would drop it).
    if events is not None and transaction.get_connection().savepoint_ids == _batch.savepoints:
        events.append((workspace_id, event, data))
        return
    transaction.on_commit(lambda: publish(workspace_id, event, data))


@contextmanager
def batched() -> Iterator[None]:
    """The events made inside are handed to the channel layer together after commit
    (one layer message per workspace, in the order they were made: the pages see the
    same events), instead of one hop to an event loop and one send each. Call inside
    the transaction that stores what they tell.

    Inside another batch, in a savepoint of its own (a poll stored among others, see
    polling.poll_due_sources), its events join the outer batch's when that savepoint
    is kept (an on_commit callback: Django drops it with a rolled-back savepoint, and
    runs it before the outer batch's own, registered later)."""
    outer, outer_savepoints, outer_joined = _batch.events, _batch.savepoints, _batch.joined
    savepoints = list(transaction.get_connection().savepoint_ids)
    if outer is not None and savepoints == outer_savepoints:  # the same level: one batch
        yield
        return
    events: list[Event] = []
    _batch.events, _batch.savepoints, _batch.joined = events, savepoints, False
    try:
        yield
    finally:
        joined = _batch.joined  # an inner batch hands its events over at commit
        _batch.events, _batch.savepoints, _batch.joined = outer, outer_savepoints, outer_joined
    if outer is not None:
        if events or joined:
            transaction.on_commit(lambda: outer.extend(events))
            _batch.joined = True
    elif events or joined:
        transaction.on_commit(lambda: _publish_all(events) if events else None)


def _publish_all(events: list[Event]) -> None:
    try:
        async_to_sync(apublish_many)(events)
    except Exception:  # a courtesy on top of stored data (live/publish.py)
        logger.exception("live events not published", extra={"events": len(events)})


def mention_changed(mention: Mention) -> None:
    _after_commit(
        mention.workspace_id, "listening.mention", {"id": mention.pk, "status": mention.status}
    )


def mentions_page(workspace_slug: str) -> str:
    return reverse("listening:index", kwargs={"ws": workspace_slug})


def alert(mention: Mention, *, watch_name: str, reasons: list[str], slug: str) -> None:
    _after_commit(
        mention.workspace_id,
        "listening.alert",
        {
            "id": mention.pk,
            "watch": watch_name,
            "reasons": reasons,
            "author": mention.author_label,
            "excerpt": (mention.title or mention.excerpt)[:160],
            "url": mention.url,
            "page": mentions_page(slug) + f"#mention-{mention.pk}",
        },
    )


def spike(workspace_id: int, *, watch_name: str, count: int, baseline: float, slug: str) -> None:
    _after_commit(
        workspace_id,
        "listening.spike",
        {
            "watch": watch_name,
            "count": count,
            "baseline": round(baseline, 2),
            "reasons": [
                f"{count} mentions in the last hour, against {baseline:.1f} an hour usually"
            ],
            "page": mentions_page(slug),
        },
    )
