"""Posts a network removed: their mentions leave the lists, their words go.

A Reddit post removed by its moderators or deleted by its author must not stay on
staff's screens: its mention is marked removed (hidden from the mentions list
unless staff ask for removed ones), its title and text are cleared (the address and
author stay, so the row still says what it was), it raises no alerts or digest
lines, and an open conversation that was started from it gets a note saying so.

Removals arrive two ways: a poll that sees a post again, now removed (ingest.py),
and `check_removed_posts`, run every half hour (tasks.py), which asks each Reddit
source's adapter (`removed_ids`, Reddit's /api/info) about the posts it found in
the last REMOVAL_WINDOW.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from frontdesk.connectors.base import ConnectorError
from frontdesk.inbox import actions as inbox_actions
from frontdesk.inbox.models import ACTIVE_STATUSES, Conversation
from frontdesk.listening import live
from frontdesk.listening.adapters import NoAdapter, connector_for
from frontdesk.listening.models import Mention, Sighting, Source, SourceKind

logger = logging.getLogger(__name__)

# How far back posts are checked, and how many per source per run (Reddit's
# /api/info takes 100 ids a query; the adapter keeps under its query budget).
REMOVAL_WINDOW = timedelta(days=14)
CHECK_BATCH = 500
# The kinds whose adapters can say which earlier posts were removed.
CHECKED_KINDS = (SourceKind.REDDIT,)


def mark_removed(mention_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Mark these mentions removed (once each); returns how many changed."""
    now = now or timezone.now()
    changed = 0
    for pk in list(dict.fromkeys(mention_ids)):
        with transaction.atomic():
            done = Mention.objects.filter(pk=pk, removed_at__isnull=True).update(
                removed_at=now, title="", excerpt="", text=""
            )
            if not done:
                continue
            changed += 1
            mention = Mention.objects.select_related("source", "workspace").get(pk=pk)
            live.mention_changed(mention)
            conversation = (
                Conversation.objects.filter(pk=mention.conversation_id).first()
                if mention.conversation_id
                else None
            )
            if conversation is not None and conversation.status in ACTIVE_STATUSES:
                network = mention.source.get_kind_display().split(" (")[0]
                inbox_actions.add_system_note(
                    conversation,
                    body=(
                        f"{network} removed the post this conversation started from "
                        f"({mention.url}). Its text is no longer shown in Listening; "
                        "please don't quote it to the author or anyone else."
                    ),
                )
    if changed:
        logger.info("mentions removed", extra={"count": changed})
    return changed


def check_source(source: Source, *, now: datetime | None = None) -> int:
    """Ask `source`'s network which of its recent posts are gone; mark those removed."""
    now = now or timezone.now()
    rows = list(
        Sighting.objects.filter(
            source=source,
            mention__removed_at__isnull=True,
            seen_at__gte=now - REMOVAL_WINDOW,
        )
        .order_by("-seen_at")
        .values_list("external_id", "mention_id")[:CHECK_BATCH]
    )
    if not rows:
        return 0
    try:
        connector, account = connector_for(source)
    except NoAdapter:
        return 0
    removed_ids = getattr(connector, "removed_ids", None)
    if removed_ids is None:
        return 0
    try:
        gone = removed_ids(account, [external_id for external_id, _ in rows])
    except ConnectorError as error:  # tried again next run; polling reports the source's state
        logger.warning(
            "checking removed posts failed", extra={"source": source.pk, "error": error.message}
        )
        return 0
    return mark_removed([mention for external_id, mention in rows if external_id in gone], now=now)


def check_removed_posts(*, now: datetime | None = None) -> int:
    """Every active source of a kind that can tell: its removed posts marked removed."""
    total = 0
    for source in Source.objects.filter(is_active=True, kind__in=CHECKED_KINDS).select_related(
        "workspace"
    ):
        try:
            total += check_source(source, now=now)
        except Exception:  # one source's trouble must not stop the others
            logger.exception("checking removed posts crashed", extra={"source": source.pk})
    return total
