"""What a recipient does through a signed link (no login), and what the system
records for them (bounces, complaints, STOP). `by` is None: the person acts for
themselves, proven by the link's signature; `record_subscription` is staff
recording a choice the library has on file (`by` a member)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from frontdesk.core import roles
from frontdesk.core.models import Contact, Membership
from frontdesk.core.permissions import require
from frontdesk.outreach.models import (
    Delivery,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
    Topic,
)
from frontdesk.outreach.sending import topic_of


def suppress(workspace_id: int, address: str, *, reason: str, detail: str = "") -> bool:
    """Never send outreach to `address` again; True if it was new."""
    address = address.strip().lower()
    if not address or reason not in SuppressionReason.values:
        raise ValueError("an address and a known reason are needed")
    _row, created = Suppression.objects.get_or_create(
        workspace_id=workspace_id,
        address=address,
        defaults={"reason": reason, "detail": detail[:500]},
    )
    return created


def unsubscribe(delivery: Delivery) -> None:
    """The recipient of `delivery` wants no more of this: the topic of its campaign or
    notice if it has one, else all outreach to this address (a suppression).
    Idempotent."""
    with transaction.atomic():
        now = timezone.now()
        Delivery.objects.filter(pk=delivery.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=now
        )
        topic = topic_of(delivery)
        if topic is not None:
            set_subscription(delivery.contact, topic, subscribed=False)
        else:
            suppress(
                delivery.workspace_id,
                delivery.address,
                reason=SuppressionReason.UNSUBSCRIBE,
                detail=f"Unsubscribed from delivery {delivery.pk}",
            )


def set_subscription(contact: Contact, topic: Topic, *, subscribed: bool) -> Subscription:
    """The recipient's own choice on their preferences page. Subscribing to a
    double opt-in topic leaves it pending until `confirm_subscription`."""
    if topic.workspace_id != contact.workspace_id:
        raise ValueError("topic and contact are in different workspaces")
    if subscribed:
        status = (
            SubscriptionStatus.PENDING if topic.double_opt_in else SubscriptionStatus.SUBSCRIBED
        )
    else:
        status = SubscriptionStatus.UNSUBSCRIBED
    row, created = Subscription.objects.get_or_create(
        workspace_id=contact.workspace_id,
        contact=contact,
        topic=topic,
        defaults={"status": status},
    )
    if not created and not (subscribed and row.status == SubscriptionStatus.SUBSCRIBED):
        row.status = status
        row.updated_at = timezone.now()
        row.save(update_fields=["status", "updated_at"])
    return row


def record_subscription(
    contact: Contact, topic: Topic, *, subscribed: bool, by: Membership
) -> Subscription:
    """Staff record a contact's choice about a topic as the library has it on file (a
    CSV import's column): as `set_subscription`, so a double opt-in topic stays
    pending until the person confirms it."""
    require(by, roles.MANAGE_CONTACTS, workspace_id=contact.workspace_id)
    return set_subscription(contact, topic, subscribed=subscribed)


def confirm_subscription(subscription: Subscription) -> None:
    """Double opt-in: the link in the confirmation mail was followed."""
    if subscription.status == SubscriptionStatus.SUBSCRIBED:
        return
    subscription.status = SubscriptionStatus.SUBSCRIBED
    subscription.confirmed_at = subscription.updated_at = timezone.now()
    subscription.save(update_fields=["status", "confirmed_at", "updated_at"])


def record_bounce(workspace_id: int, address: str, *, complaint: bool, detail: str) -> int:
    """A provider said `address` bounced (or its owner marked us as spam): suppress
    it and mark its newest sent deliveries. Returns how many deliveries were marked."""
    suppress(
        workspace_id,
        address,
        reason=SuppressionReason.COMPLAINT if complaint else SuppressionReason.BOUNCE,
        detail=detail,
    )
    return Delivery.objects.filter(
        workspace_id=workspace_id, address=address.strip().lower(), state="sent", bounced_at=None
    ).update(bounced_at=timezone.now(), error=detail[:500])


def record_provider_event(
    workspace_id: int, *, message_id: str, address: str, complaint: bool, detail: str
) -> bool:
    """A bounce or complaint about one of our messages (an ESP's tracking webhook or a
    returned DSN mail): if it names an outreach delivery, suppress the address.
    Returns whether it was an outreach message."""
    bare = message_id.strip().strip("<>")
    delivery = (
        Delivery.objects.filter(
            workspace_id=workspace_id, provider_message_id__in=[f"<{bare}>", bare]
        )
        .only("pk", "address")
        .first()
        if bare
        else None
    )
    if delivery is None:
        return False
    record_bounce(workspace_id, address or delivery.address, complaint=complaint, detail=detail)
    return True
