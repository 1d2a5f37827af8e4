"""Notices other apps send as part of their own actions (community updates): one
transactional notice per person, through the same delivery rows, suppression,
consent and topic checks, List-Unsubscribe and reply routing as every notice.

The calling app's action has already decided the person acting may do what it
does; `queue_notices` asks `by` for that same capability (the app names it), so a
moderator tells voters about a status change without needing to send campaigns.
`queue_asked_for` is for the one case with no member acting: a message the recipient
asked for on their own signed page (the confirmation of a newsletter they ticked).

Who it comes from (`sender_for`): the acting member's own sender identity with a
channel for that kind of message, else the workspace's default sender
(`OutreachSettings.default_sender`). Without either nothing is queued for that
person; the caller gets the count and can say so.

The wording is a template found by `Wording.key` (one per message kind), made with
the app's default wording the first time, so staff can reword it like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from frontdesk.core.models import ConsentStatus, Contact, ContactIdentity, IdentityKind, Membership
from frontdesk.core.permissions import require
from frontdesk.outreach.models import (
    Delivery,
    MessageKind,
    Notice,
    OutreachSettings,
    SenderIdentity,
    Template,
    Topic,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wording:
    """An app's default wording of one notice, as outreach templates (placeholders
    as in `render.py`; the notice's own fields under `item.`)."""

    key: str
    name: str
    subject: str
    html: str
    sms_body: str


@dataclass(frozen=True)
class TopicSpec:
    """The topic an app's notices belong to, made on first use."""

    slug: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Recipient:
    """One person to tell: their contact, the notice's own id (a repeat with the same
    id queues nothing), and the fields the wording names (`item.…`)."""

    contact_id: int
    external_id: str
    item: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Queued:
    """What `queue_notices` did: notices queued, people already told (same id), and
    people it could not reach (no usable address or no sender for it)."""

    queued: int
    repeated: int
    unreachable: int


def _able(kind: str) -> dict[str, Any]:
    """The filter of sender identities that can send `kind` now."""
    channel = "email_channel" if kind == MessageKind.EMAIL else "sms_channel"
    return {
        f"{channel}__isnull": False,
        f"{channel}__is_active": True,
        "archived_at__isnull": True,
    }


def can_send(sender_id: int, workspace_id: int, kind: str) -> bool:
    return SenderIdentity.objects.filter(
        pk=sender_id, workspace_id=workspace_id, **_able(kind)
    ).exists()


def sender_for(workspace_id: int, member: Membership | None, kind: str) -> SenderIdentity | None:
    """The acting member's own sender identity able to send `kind`, else the
    workspace's default sender if it can; None when neither can."""
    can_send = _able(kind)
    if member is not None:
        own = (
            SenderIdentity.objects.filter(
                workspace_id=workspace_id, member=member, member__is_active=True, **can_send
            )
            .order_by("pk")
            .first()
        )
        if own is not None:
            return own
    default_id = (
        OutreachSettings.objects.filter(workspace_id=workspace_id)
        .values_list("default_sender_id", flat=True)
        .first()
    )
    if default_id is None:
        return None
    return SenderIdentity.objects.filter(
        pk=default_id, workspace_id=workspace_id, **can_send
    ).first()


def topic_for(workspace_id: int, spec: TopicSpec) -> Topic:
    """The workspace's topic with `spec.slug` (made the first time)."""
    topic, _ = Topic.objects.get_or_create(
        workspace_id=workspace_id,
        slug=spec.slug,
        defaults={"name": spec.name, "description": spec.description[:255]},
    )
    return topic


def template_for(workspace_id: int, wording: Wording, kind: str) -> Template:
    """The workspace's template for `wording` and `kind`, made from the default
    wording the first time (and kept as staff reword it)."""
    found = Template.objects.filter(workspace_id=workspace_id, key=wording.key, kind=kind).first()
    if found is not None:
        return found
    email = kind == MessageKind.EMAIL
    try:
        with transaction.atomic():
            return Template.objects.create(
                workspace_id=workspace_id,
                key=wording.key,
                kind=kind,
                name=f"{wording.name} ({'email' if email else 'text'})"[:120],
                subject=wording.subject if email else "",
                html=wording.html if email else "",
                sms_body="" if email else wording.sms_body,
            )
    except IntegrityError:  # made by a concurrent call a moment ago
        return Template.objects.get(workspace_id=workspace_id, key=wording.key, kind=kind)


def _addresses(workspace_id: int, contact_ids: set[int]) -> dict[int, tuple[str, str]]:
    """{contact id: (message kind, address)}: email unless the person revoked email
    consent or has no email, else a text to their phone. Suppressions and topic
    choices are read at sending time (the delivery is then marked suppressed)."""
    consent = {
        pk: (email, sms)
        for pk, email, sms in Contact.objects.filter(
            workspace_id=workspace_id, pk__in=contact_ids
        ).values_list("pk", "email_consent", "sms_consent")
    }
    found: dict[int, tuple[str, str]] = {}
    identities = (
        ContactIdentity.objects.filter(
            workspace_id=workspace_id,
            contact_id__in=contact_ids,
            kind__in=[IdentityKind.EMAIL, IdentityKind.PHONE],
        )
        .order_by("contact_id", "kind", "pk")  # "email" sorts before "phone"
        .values_list("contact_id", "kind", "value")
    )
    for contact_id, kind, value in identities:
        if contact_id in found or contact_id not in consent:
            continue
        email_consent, sms_consent = consent[contact_id]
        if kind == IdentityKind.EMAIL and email_consent != ConsentStatus.REVOKED:
            found[contact_id] = (MessageKind.EMAIL, value)
        elif kind == IdentityKind.PHONE and sms_consent != ConsentStatus.REVOKED:
            found[contact_id] = (MessageKind.SMS, value)
    return found


CHUNK = 500  # ids per IN (…) list: well under SQLite's bound on query parameters


def queue_notices(
    workspace_id: int,
    *,
    wording: Wording,
    topic: TopicSpec | None,
    recipients: Iterable[Recipient],
    capability: str,
    by: Membership,
    source: str = "app",
) -> Queued:
    """Queue one notice (and its delivery) per recipient, each once per
    `external_id`, and start sending after commit. Refuses (NotAllowed) unless `by`
    has `capability` in the workspace. Call inside the caller's transaction so the
    notices exist exactly when its change does."""
    require(by, capability, workspace_id=workspace_id)
    return _queue(workspace_id, wording, topic, recipients, by, source)


def queue_asked_for(
    workspace_id: int,
    *,
    wording: Wording,
    recipients: Iterable[Recipient],
    source: str,
    sender: SenderIdentity | None = None,
) -> Queued:
    """Queue notices the recipients asked for themselves, on a public page their
    own signed link opened (the confirmation of a newsletter they ticked): no member
    acts, so none is asked for a capability. They come from `sender` (the person
    whose message brought them there) when it can still send that kind of message,
    else from the workspace's default sender. Once per `external_id`, as
    `queue_notices`."""
    return _queue(workspace_id, wording, None, recipients, None, source, sender)


def _queue(
    workspace_id: int,
    wording: Wording,
    topic: TopicSpec | None,
    recipients: Iterable[Recipient],
    by: Membership | None,
    source: str,
    sender: SenderIdentity | None = None,
) -> Queued:
    wanted = {r.external_id.strip()[:120]: r for r in recipients if r.external_id.strip()}
    if not wanted:
        return Queued(0, 0, 0)
    keys = list(wanted)
    batch = _Batch(workspace_id, wording, by, source, sender)
    with transaction.atomic():
        batch.topic = topic_for(workspace_id, topic) if topic is not None else None
        for start in range(0, len(keys), CHUNK):
            batch.queue({key: wanted[key] for key in keys[start : start + CHUNK]})
        if batch.queued:
            transaction.on_commit(_kick)
    if batch.unreachable:
        logger.warning(
            "app notices not queued",
            extra={"workspace": workspace_id, "key": wording.key, "unreachable": batch.unreachable},
        )
    return Queued(batch.queued, batch.repeated, batch.unreachable)


class _Batch:
    """One `queue_notices` call: the senders and templates it found, what it did."""

    def __init__(
        self,
        workspace_id: int,
        wording: Wording,
        by: Membership | None,
        source: str,
        sender: SenderIdentity | None = None,
    ) -> None:
        self.workspace_id, self.wording, self.by, self.source = workspace_id, wording, by, source
        self.preferred = sender
        self.topic: Topic | None = None
        self.senders: dict[str, SenderIdentity | None] = {}
        self.templates: dict[str, Template] = {}
        self.queued = self.repeated = self.unreachable = 0

    def queue(self, wanted: dict[str, Recipient]) -> None:
        ws = self.workspace_id
        done = set(
            Notice.objects.filter(workspace_id=ws, external_id__in=list(wanted)).values_list(
                "external_id", flat=True
            )
        )
        self.repeated += len(done)
        fresh = {key: r for key, r in wanted.items() if key not in done}
        addresses = _addresses(ws, {r.contact_id for r in fresh.values()})
        notices: list[Notice] = []
        routes: dict[str, tuple[str, str]] = {}
        for key, recipient in fresh.items():
            route = addresses.get(recipient.contact_id)
            sender = self._sender(route[0]) if route is not None else None
            if route is None or sender is None:
                self.unreachable += 1
                continue
            routes[key] = route
            notices.append(
                Notice(
                    workspace_id=ws,
                    sender=sender,
                    template=self._template(route[0]),
                    contact_id=recipient.contact_id,
                    topic=self.topic,
                    data={"item": dict(recipient.item)},
                    external_id=key,
                    source=self.source[:8],
                )
            )
        # A concurrent call with the same ids: its rows win, ours are skipped.
        Notice.objects.bulk_create(notices, ignore_conflicts=True)
        made = Notice.objects.filter(
            workspace_id=ws, external_id__in=list(routes), deliveries__isnull=True
        ).values_list("pk", "external_id", "contact_id")
        deliveries = [
            Delivery(
                workspace_id=ws,
                notice_id=pk,
                contact_id=contact_id,
                kind=routes[external_id][0],
                address=routes[external_id][1],
                idempotency_key=f"fd-n{pk}",
            )
            for pk, external_id, contact_id in made
        ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        self.queued += len(deliveries)

    def _sender(self, kind: str) -> SenderIdentity | None:
        if kind not in self.senders:
            preferred = self.preferred
            if preferred is not None and can_send(preferred.pk, self.workspace_id, kind):
                self.senders[kind] = preferred
            else:
                self.senders[kind] = sender_for(self.workspace_id, self.by, kind)
        return self.senders[kind]

    def _template(self, kind: str) -> Template:
        if kind not in self.templates:
            self.templates[kind] = template_for(self.workspace_id, self.wording, kind)
        return self.templates[kind]


def _kick() -> None:
    from frontdesk.outreach import tasks

    tasks.kick()
