"""Campaigns and notices: create, start (fix the recipients as Delivery rows),
pause, resume."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from frontdesk.core import roles
from frontdesk.core.errors import ActionError
from frontdesk.core.models import Contact, Membership
from frontdesk.core.permissions import require
from frontdesk.outreach import audiences
from frontdesk.outreach.models import (
    Campaign,
    CampaignStatus,
    Delivery,
    MessageKind,
    Notice,
    SenderIdentity,
    Template,
    Topic,
)
from frontdesk.outreach.sending import contact_address

INSERT_BATCH = 1000
# What a notice's `data` may hold for its template: {"item": {...}, "event": {...}}.
NOTICE_DATA_ROOTS = ("item", "event")


def _not_archived(sender: SenderIdentity) -> None:
    if sender.archived_at is not None:
        raise ActionError(
            f"{sender.name} is archived: choose another sender or bring them back on the "
            "senders page.",
            field="sender",
            code="archived",
        )


def _kick() -> None:
    from frontdesk.outreach import tasks

    tasks.kick()


def create_campaign(
    *,
    name: str,
    sender: SenderIdentity,
    template: Template,
    audience: Mapping[str, Any] | None = None,
    topic: Topic | None = None,
    by: Membership,
) -> Campaign:
    """A draft campaign; nothing is sent until `start_campaign`."""
    require(by, roles.SEND_OUTREACH, workspace_id=sender.workspace_id)
    if template.workspace_id != sender.workspace_id or (
        topic is not None and topic.workspace_id != sender.workspace_id
    ):
        raise ActionError("That belongs to another workspace.")
    _not_archived(sender)
    return Campaign.objects.create(
        workspace_id=sender.workspace_id,
        name=name.strip()[:120] or template.name,
        sender=sender,
        template=template,
        topic=topic,
        audience=dict(audience or {}),
        created_by=by,
    )


def start_campaign(campaign: Campaign, *, by: Membership, at: datetime | None = None) -> int:
    """Fix the audience as one queued Delivery per recipient and start sending (or
    schedule it for `at`). Returns the number of recipients. Idempotent: a second
    call adds only contacts not yet in it."""
    require(by, roles.SEND_OUTREACH, workspace_id=campaign.workspace_id)
    if campaign.status in (CampaignStatus.DONE,):
        raise ActionError("This campaign was sent already.", code="done")
    kind = campaign.template.kind
    now = timezone.now()
    count = 0
    with transaction.atomic():
        batch: list[Delivery] = []
        for contact_id, address in audiences.recipients(
            campaign.workspace_id, kind=kind, audience=campaign.audience, topic=campaign.topic
        ):
            batch.append(
                Delivery(
                    workspace_id=campaign.workspace_id,
                    campaign=campaign,
                    contact_id=contact_id,
                    kind=kind,
                    address=address,
                    idempotency_key=f"fd-c{campaign.pk}-p{contact_id}",
                    next_attempt_at=at or now,
                )
            )
            if len(batch) >= INSERT_BATCH:
                count += len(batch)
                Delivery.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        if batch:
            count += len(batch)
            Delivery.objects.bulk_create(batch, ignore_conflicts=True)
        scheduled = at is not None and at > now
        Campaign.objects.filter(pk=campaign.pk).update(
            status=CampaignStatus.SCHEDULED if scheduled else CampaignStatus.SENDING,
            scheduled_for=at,
            started_at=None if scheduled else now,
        )
        if not scheduled:
            transaction.on_commit(_kick)
    campaign.refresh_from_db()
    return count


def pause_campaign(campaign: Campaign, *, by: Membership) -> None:
    """Stop claiming this campaign's deliveries (a batch in hand finishes)."""
    require(by, roles.SEND_OUTREACH, workspace_id=campaign.workspace_id)
    changed = Campaign.objects.filter(
        pk=campaign.pk, status__in=[CampaignStatus.SENDING, CampaignStatus.SCHEDULED]
    ).update(status=CampaignStatus.PAUSED)
    if not changed:
        raise ActionError("Only a sending or scheduled campaign can be paused.", code="state")
    campaign.refresh_from_db()


def resume_campaign(campaign: Campaign, *, by: Membership) -> None:
    require(by, roles.SEND_OUTREACH, workspace_id=campaign.workspace_id)
    changed = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.PAUSED).update(
        status=CampaignStatus.SENDING
    )
    if not changed:
        raise ActionError("Only a paused campaign can be resumed.", code="state")
    transaction.on_commit(_kick)
    campaign.refresh_from_db()


def send_notice(
    *,
    sender: SenderIdentity,
    template: Template,
    contact: Contact,
    data: Mapping[str, Any],
    external_id: str,
    source: str = "api",
    by: Membership,
) -> tuple[Notice, bool]:
    """A transactional notice to one contact, queued for sending; (notice, created).
    The same `external_id` again returns the first notice and sends nothing more."""
    require(by, roles.SEND_OUTREACH, workspace_id=sender.workspace_id)
    if {template.workspace_id, contact.workspace_id} != {sender.workspace_id}:
        raise ActionError("That belongs to another workspace.")
    _not_archived(sender)
    external_id = external_id.strip()[:120]
    if not external_id:
        raise ActionError("A notice needs its own id (e.g. the hold's id).", field="external_id")
    first = Notice.objects.filter(workspace_id=sender.workspace_id, external_id=external_id).first()
    if first is not None:
        return first, False
    for root in NOTICE_DATA_ROOTS:
        if root in data and not isinstance(data[root], Mapping):
            raise ActionError(
                f'“{root}” in a notice\'s data holds fields, e.g. {{"{root}": {{"title": "…"}}}}.',
                field="data",
            )
    channel = (
        sender.email_channel_id if template.kind == MessageKind.EMAIL else sender.sms_channel_id
    )
    if channel is None:
        raise ActionError(
            f"{sender.name} has no channel for a {template.get_kind_display().lower()}.",
            field="sender",
        )
    address = contact_address(contact.pk, template.kind)
    if not address:
        raise ActionError(
            f"{contact.display_name} has no address for a {template.get_kind_display()}.",
            field="contact",
        )
    with transaction.atomic():
        notice, created = Notice.objects.get_or_create(
            workspace_id=sender.workspace_id,
            external_id=external_id,
            defaults={
                "sender": sender,
                "template": template,
                "contact": contact,
                "data": dict(data),
                "source": source[:8],
            },
        )
        if created:
            Delivery.objects.create(
                workspace_id=sender.workspace_id,
                notice=notice,
                contact=contact,
                kind=template.kind,
                address=address,
                idempotency_key=f"fd-n{notice.pk}",
            )
            transaction.on_commit(_kick)
    return notice, created
