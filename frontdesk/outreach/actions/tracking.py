"""Recording opens and clicks (a signed link proves the delivery; no login).

Each is one UPDATE of one delivery row: the first time stays (COALESCE), the count
goes up by one (capped at the column's maximum), and only while the delivery's
workspace still tracks opens and clicks — turning tracking off stops recording
even from messages sent before. Repeating it is harmless: the person is counted
once (the campaign page counts rows with a time, not hits).
"""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from frontdesk.outreach.models import Delivery, OutreachSettings

MAX_COUNT = 32767  # PositiveSmallIntegerField


def _tracked(delivery_id: int) -> QuerySet[Delivery]:
    return Delivery.objects.filter(pk=delivery_id).filter(
        Exists(
            OutreachSettings.objects.filter(
                workspace_id=OuterRef("workspace_id"), track_opens_and_clicks=True
            )
        )
    )


def record_open(delivery_id: int) -> bool:
    """The open pixel of `delivery_id` was fetched; True if it was recorded."""
    now = timezone.now()
    return (
        _tracked(delivery_id).update(
            opened_at=Coalesce(F("opened_at"), Value(now)),
            opens=Least(F("opens") + 1, Value(MAX_COUNT)),
        )
        == 1
    )


def record_click(delivery_id: int) -> bool:
    """A click link of `delivery_id` was followed; True if it was recorded. A click
    also marks the message opened (its first time), since images may be blocked;
    `opens` counts pixel fetches only."""
    now = timezone.now()
    return (
        _tracked(delivery_id).update(
            clicked_at=Coalesce(F("clicked_at"), Value(now)),
            clicks=Least(F("clicks") + 1, Value(MAX_COUNT)),
            opened_at=Coalesce(F("opened_at"), Value(now)),
        )
        == 1
    )
