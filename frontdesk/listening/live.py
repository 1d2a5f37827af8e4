"""Live updates listening sends to open pages, after the data is committed.

listening.mention  {"id", "status"}                         a mention changed
listening.alert    {"id", "watch", "reasons", "author", "excerpt", "url", "page"}
                                                               staff should look now
listening.spike    {"watch", "count", "baseline", "reasons", "page"}
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse

from frontdesk.listening.models import Mention
from frontdesk.live.publish import publish


def _after_commit(workspace_id: int, event: str, data: dict[str, Any]) -> None:
    transaction.on_commit(lambda: publish(workspace_id, event, data))


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
