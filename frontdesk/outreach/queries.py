"""Reads of outreach for the staff pages, each taking the workspace first."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from frontdesk.core.http import parse_id
from frontdesk.core.models import Contact, Workspace
from frontdesk.outreach.models import (
    Campaign,
    Delivery,
    DeliveryState,
    ImportRun,
    Notice,
    OutreachSettings,
    SenderIdentity,
    SubscriptionStatus,
    Template,
    Topic,
)

PAGE_SIZE = 25  # campaigns or notices on one page of the index
RECENT_IMPORTS = 20  # import runs listed on the import page


class BadCursor(ValueError):
    """A page link this app did not make (or mangled on the way)."""


@dataclass(frozen=True)
class Page:
    """One page of a newest-first list: its rows and the link key of the next."""

    rows: list[Any]
    next_cursor: str | None


def encode_cursor(moment: datetime, pk: int) -> str:
    raw = json.dumps([moment.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """(created_at, id) of the last row of the previous page."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, pk = json.loads(raw)
        moment = datetime.fromisoformat(stamp)
        number = parse_id(pk) if isinstance(pk, int) else None
        if moment.tzinfo is None or number is None:
            raise ValueError("not a cursor")
        return moment.astimezone(UTC), number
    except (binascii.Error, ValueError, TypeError, OverflowError):
        raise BadCursor("That page link is not valid any more.") from None


def _keyset_page(
    rows: QuerySet[Any], before: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """Newest first by (created_at, id), after the row `before` names: one index range
    scan on (workspace, -created_at, -id) however deep the page is."""
    if before:
        moment, pk = decode_cursor(before)
        rows = rows.filter(created_at__lte=moment).filter(
            Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=pk)
        )
    page = list(rows.order_by("-created_at", "-pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return page, encode_cursor(page[-1].created_at, page[-1].pk) if more else None


def access_template(workspace: Workspace, pk: int | str) -> Template:
    found = Template.objects.for_workspace(workspace).filter(pk=parse_id(pk) or 0).first()
    if found is None:
        raise Http404("No such template")
    return found


def access_campaign(workspace: Workspace, pk: int | str) -> Campaign:
    found = (
        Campaign.objects.for_workspace(workspace)
        .select_related("sender", "template", "topic", "created_by")
        .filter(pk=parse_id(pk) or 0)
        .first()
    )
    if found is None:
        raise Http404("No such campaign")
    return found


def access_import(workspace: Workspace, pk: int | str) -> ImportRun:
    found = (
        ImportRun.objects.for_workspace(workspace)
        .select_related("template", "sender", "created_by")
        .filter(pk=parse_id(pk) or 0)
        .first()
    )
    if found is None:
        raise Http404("No such import")
    return found


def recent_imports(workspace: Workspace) -> QuerySet[ImportRun]:
    return (
        ImportRun.objects.for_workspace(workspace)
        .select_related("created_by")
        .order_by("-created_at", "-pk")[:RECENT_IMPORTS]
    )


def access_sender(workspace: Workspace, pk: int | str | None) -> SenderIdentity:
    found = SenderIdentity.objects.for_workspace(workspace).filter(pk=parse_id(pk) or 0).first()
    if found is None:
        raise Http404("No such sender")
    return found


def access_contact(workspace: Workspace, pk: int | str | None) -> Contact:
    found = (
        Contact.objects.for_workspace(workspace)
        .filter(pk=parse_id(pk) or 0, merged_into__isnull=True)
        .first()
    )
    if found is None:
        raise Http404("No such contact")
    return found


def senders(workspace: Workspace, *, archived: bool = False) -> QuerySet[SenderIdentity]:
    """The senders offered for new messages (or, `archived`, the archived ones)."""
    return (
        SenderIdentity.objects.for_workspace(workspace)
        .filter(archived_at__isnull=not archived)
        .select_related("member", "email_channel", "sms_channel")
        .order_by("name", "pk")
    )


def templates(workspace: Workspace) -> QuerySet[Template]:
    return Template.objects.for_workspace(workspace).order_by("name", "pk")


def topics(workspace: Workspace) -> QuerySet[Topic]:
    return Topic.objects.for_workspace(workspace).order_by("name")


def topics_with_counts(workspace: Workspace) -> QuerySet[Topic]:
    """The topics by name, each with how many people are `subscribed`, `pending`
    (waiting for confirmation) and `unsubscribed` (one query)."""

    def count(status: str) -> Count:
        return Count("subscriptions", filter=Q(subscriptions__status=status))

    return topics(workspace).annotate(
        subscribed=count(SubscriptionStatus.SUBSCRIBED),
        pending=count(SubscriptionStatus.PENDING),
        unsubscribed=count(SubscriptionStatus.UNSUBSCRIBED),
    )


def access_topic(workspace: Workspace, pk: int | str) -> Topic:
    found = Topic.objects.for_workspace(workspace).filter(pk=parse_id(pk) or 0).first()
    if found is None:
        raise Http404("No such topic")
    return found


@dataclass(frozen=True)
class Results:
    """What happened to a campaign's messages, as the index and its page show it."""

    recipients: int
    delivered: int
    bounced: int
    unsubscribed: int
    replied: int
    waiting: int
    failed: int
    suppressed: int
    # People, not hits: deliveries with a first open / click (tracking workspaces only).
    opened: int
    clicked: int


RESULT_COUNTS = {
    "recipients": Count("pk"),
    "delivered": Count("pk", filter=Q(state=DeliveryState.SENT, bounced_at__isnull=True)),
    "bounced": Count("pk", filter=Q(bounced_at__isnull=False)),
    "unsubscribed": Count("pk", filter=Q(unsubscribed_at__isnull=False)),
    "replied": Count("pk", filter=Q(reply_conversation__isnull=False)),
    "waiting": Count(
        "pk",
        filter=Q(state__in=[DeliveryState.QUEUED, DeliveryState.CLAIMED, DeliveryState.SENDING]),
    ),
    "failed": Count("pk", filter=Q(state=DeliveryState.FAILED)),
    "suppressed": Count("pk", filter=Q(state=DeliveryState.SUPPRESSED)),
    "opened": Count("pk", filter=Q(opened_at__isnull=False)),
    "clicked": Count("pk", filter=Q(clicked_at__isnull=False)),
}
NO_RESULTS = Results(**dict.fromkeys(RESULT_COUNTS, 0))


def campaigns_with_results(
    workspace: Workspace, *, before: str | None = None, limit: int = PAGE_SIZE
) -> Page:
    """A page of campaigns, newest first, each with its results (two queries in
    all); `before` is the previous page's `next_cursor`. Raises BadCursor."""
    campaigns, next_cursor = _keyset_page(
        Campaign.objects.for_workspace(workspace).select_related("sender", "template"),
        before,
        limit,
    )
    rows: Any = (
        Delivery.objects.for_workspace(workspace)
        .filter(campaign__in=[c.pk for c in campaigns])
        .values("campaign_id")
        .annotate(**RESULT_COUNTS)
    )
    by_campaign = {
        row["campaign_id"]: Results(**{name: row[name] for name in RESULT_COUNTS}) for row in rows
    }
    return Page([(c, by_campaign.get(c.pk, NO_RESULTS)) for c in campaigns], next_cursor)


def campaign_results(campaign: Campaign) -> Results:
    counts = Delivery.objects.filter(
        workspace_id=campaign.workspace_id, campaign=campaign
    ).aggregate(**RESULT_COUNTS)
    return Results(**counts)


def delivery_states(campaign: Campaign) -> list[tuple[str, int]]:
    """(state label, count) for every delivery state, in the machine's order."""
    counts = dict(
        Delivery.objects.filter(workspace_id=campaign.workspace_id, campaign=campaign)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return [(label, counts.get(value, 0)) for value, label in DeliveryState.choices]


def recent_notices(
    workspace: Workspace, *, before: str | None = None, limit: int = PAGE_SIZE
) -> Page:
    """A page of transactional notices, newest first, with their one delivery each
    (two queries); `before` is the previous page's `next_cursor`. Raises BadCursor."""
    notices, next_cursor = _keyset_page(
        Notice.objects.for_workspace(workspace).select_related("contact", "template", "sender"),
        before,
        limit,
    )
    deliveries = {
        d.notice_id: d
        for d in Delivery.objects.for_workspace(workspace).filter(
            notice__in=[n.pk for n in notices]
        )
    }
    return Page([(n, deliveries.get(n.pk)) for n in notices], next_cursor)


def tracking_enabled(workspace: Workspace) -> bool:
    return bool(
        OutreachSettings.objects.filter(workspace=workspace)
        .values_list("track_opens_and_clicks", flat=True)
        .first()
    )
