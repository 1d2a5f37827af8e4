"""Double opt-in: the confirmation message for a subscription left pending.

A CSV import that subscribes a contact to a double opt-in topic (a newsletter)
records the subscription as pending (`record_subscription`); `queue_confirmations`
then queues one notice per pending subscription asking the person to confirm, with a
signed link to `/o/confirm/<token>/` (7 days, `tokens.LIFETIMES["confirm"]`). The
subscription stays pending, and nothing of that topic reaches the person (the
engine's `_blocked`, the audiences), until they press the button on that page.

The person can also tick such a topic on their preferences page (a signed link from
a message we sent them): `confirm_what_they_chose` then queues the same message, asked
for by the person themselves (`app_notices.queue_asked_for`, from the person who
wrote the message they came from, else the workspace's default sender), at most one a
day per subscription however often they save.

The notice goes through `app_notices.queue_notices`: its own delivery row and
exactly-once sending, email unless the person revoked email consent (else a text),
from the acting member's own sender identity or the workspace's default sender. Its
`external_id` names the subscription, so each subscription gets one confirmation
message however often the file is imported again. It has no topic: a topic the
person has not confirmed would hold it back; its unsubscribe link stops all outreach
to the address.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from frontdesk.core import roles
from frontdesk.core.models import Membership
from frontdesk.outreach import tokens
from frontdesk.outreach.actions.app_notices import (
    Queued,
    Recipient,
    Wording,
    queue_asked_for,
    queue_notices,
)
from frontdesk.outreach.models import SenderIdentity, Subscription, SubscriptionStatus

CONFIRM = Wording(
    key="outreach.confirm_subscription",
    name="Outreach: please confirm a subscription",
    subject="Please confirm: {{ item.topic }} from {{ library.name }}",
    html='<p>Hi {{ contact.first_name|default:"there" }},</p>\n'
    "<p>{{ library.name }} has you down for {{ item.topic }}. We only send it to people "
    "who say yes, so please confirm:</p>\n"
    '<p><a href="{{ item.url }}">Yes, send me {{ item.topic }}</a></p>\n'
    "<p>The link works for {{ item.days }} days. If you would rather not, ignore this "
    "message: you will not get {{ item.topic }}.</p>",
    sms_body="{{ library.name }}: would you like {{ item.topic }}? Confirm here: "
    "{{ item.url }} (ignore this text if not)",
)


def external_id(subscription_id: int) -> str:
    return f"confirm-subscription-{subscription_id}"


def queue_confirmations(
    workspace_id: int, subscription_ids: Iterable[int], *, by: Membership, source: str = "import"
) -> Queued:
    """Queue the confirmation message of each of these subscriptions that is still
    pending (once per subscription). Needs `manage_contacts` (NotAllowed otherwise).
    Call inside the caller's transaction: sending starts after commit."""
    pending = list(
        Subscription.objects.filter(
            workspace_id=workspace_id,
            pk__in=list(subscription_ids),
            status=SubscriptionStatus.PENDING,
        )
        .select_related("topic")
        .order_by("pk")
    )
    return queue_notices(
        workspace_id,
        wording=CONFIRM,
        topic=None,
        recipients=[_recipient(row, external_id(row.pk)) for row in pending],
        capability=roles.MANAGE_CONTACTS,
        by=by,
        source=source,
    )


def confirm_what_they_chose(
    subscriptions: Iterable[Subscription], *, today: date, sender: SenderIdentity | None
) -> Queued:
    """The person ticked these topics on their preferences page: queue the
    confirmation of each one left pending (double opt-in), one a day at most per
    subscription, from `sender` (who wrote the message whose link they followed) or
    else the workspace's default sender. Call inside the page's transaction."""
    pending = [row for row in subscriptions if row.status == SubscriptionStatus.PENDING]
    if not pending:
        return Queued(0, 0, 0)
    return queue_asked_for(
        pending[0].workspace_id,
        wording=CONFIRM,
        recipients=[
            _recipient(row, f"{external_id(row.pk)}-{today.isoformat()}") for row in pending
        ],
        source="page",
        sender=sender,
    )


def _recipient(row: Subscription, notice_id: str) -> Recipient:
    from frontdesk.outreach.sending import public_url

    return Recipient(
        contact_id=row.contact_id,
        external_id=notice_id,
        item={
            "topic": row.topic.name,
            "url": public_url("outreach-public:confirm", tokens.sign("confirm", row.pk)),
            "days": str(tokens.LIFETIMES["confirm"].days),
        },
    )
