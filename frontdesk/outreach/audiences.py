"""Who a campaign goes to: contacts filtered by consent, topic, tags, channel and
custom fields. The filter is a small JSON dict kept on the campaign:
{"tags": ["teen"], "fields": {"branch": "Eastside"}}."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from frontdesk.core.models import ConsentStatus, ContactIdentity
from frontdesk.outreach.models import (
    ContactData,
    MessageKind,
    Subscription,
    SubscriptionStatus,
    Topic,
)


def recipients(
    workspace_id: int, *, kind: str, audience: Mapping[str, Any], topic: Topic | None
) -> Iterator[tuple[int, str]]:
    """(contact id, address) of every contact in the audience, one address each."""
    identity_kind = "email" if kind == MessageKind.EMAIL else "phone"
    consent_field = (
        "contact__email_consent" if kind == MessageKind.EMAIL else "contact__sms_consent"
    )
    identities = (
        ContactIdentity.objects.filter(workspace_id=workspace_id, kind=identity_kind)
        .exclude(**{consent_field: ConsentStatus.REVOKED})
        .filter(contact__merged_into__isnull=True)
        .order_by("contact_id", "id")
        .values_list("contact_id", "value")
    )
    tags = [str(t) for t in audience.get("tags") or []]
    fields = {str(k): str(v) for k, v in (audience.get("fields") or {}).items()}
    data: dict[int, tuple[dict[str, Any], list[str]]] = {}
    if tags or fields:
        for contact_id, values, contact_tags in ContactData.objects.filter(
            workspace_id=workspace_id
        ).values_list("contact_id", "fields", "tags"):
            data[contact_id] = (values or {}, contact_tags or [])
    excluded: set[int] = set()
    required: set[int] | None = None
    if topic is not None:
        statuses = dict(
            Subscription.objects.filter(topic=topic).values_list("contact_id", "status")
        )
        excluded = {c for c, s in statuses.items() if s == SubscriptionStatus.UNSUBSCRIBED}
        if topic.double_opt_in:
            required = {c for c, s in statuses.items() if s == SubscriptionStatus.SUBSCRIBED}
    seen: set[int] = set()
    for contact_id, value in identities.iterator(chunk_size=2000):
        if contact_id in seen or contact_id in excluded:
            continue
        if required is not None and contact_id not in required:
            continue
        if tags or fields:
            values, contact_tags = data.get(contact_id, ({}, []))
            if any(t not in contact_tags for t in tags):
                continue
            if any(str(values.get(k, "")) != v for k, v in fields.items()):
                continue
        seen.add(contact_id)
        yield contact_id, value
