"""Writes of the web form channel: its Channel row, and storing one submission.

A submission goes in through the one intake path (`store_inbound_event`): stored
first, processed (contact, thread, triage, routing) by the background task. What
only the form knows is written here, beside the event and in the same transaction:
the customer's second address (a form may give both email and phone) and the
consent they ticked, with a `ConsentChange` row saying it came from the web form.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator

from frontdesk.channels.webform.queries import form_channel, who_will_answer
from frontdesk.connectors import base
from frontdesk.connectors.webform.adapter import WebFormConnector
from frontdesk.core.actions.contacts import ContactError, add_identity, resolve_contact, set_consent
from frontdesk.core.models import ConsentStatus, ConsentTopic, IdentityKind, Membership, Workspace
from frontdesk.inbox.intake import store_inbound_event
from frontdesk.inbox.models import Channel, InboundEvent

logger = logging.getLogger(__name__)

DEFAULT_CHANNEL_NAME = "Contact form"
SUBJECT_LENGTH = 60


@dataclass(frozen=True, kw_only=True)
class FormSubmission:
    """What one customer sent, already validated (email lower-case, phone E.164)."""

    name: str
    message: str
    email: str = ""
    phone: str = ""
    consent: bool = False
    photo: base.InboundAttachment | None = None
    embedded: bool = False

    def __post_init__(self) -> None:
        if not (self.email or self.phone):
            raise ValueError("a form submission needs an email address or a phone number")

    @property
    def sender(self) -> tuple[str, str]:
        """(identity kind, address) the message comes from: the email when there is one,
        because this channel answers by email."""
        if self.email:
            return IdentityKind.EMAIL, self.email
        return IdentityKind.PHONE, self.phone


@dataclass(frozen=True)
class Receipt:
    """What the customer is told: the stored event, and who will answer."""

    event: InboundEvent
    created: bool
    responder: Membership | None


def webform_channel_for(workspace: Workspace) -> Channel:
    """The workspace's web form channel, created on first use.

    The workspace row is locked while looking, so two first submissions at once
    create one channel. Raises Http404 if the workspace switched its form off.
    """
    with transaction.atomic():
        Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
        channel = form_channel(workspace)
        if channel is None:
            channel = Channel.objects.create(
                workspace=workspace, kind=WebFormConnector.kind, name=DEFAULT_CHANNEL_NAME
            )
            logger.info(
                "web form channel created", extra={"workspace": workspace.pk, "channel": channel.pk}
            )
    channel.workspace = workspace
    return channel


def subject_for(message: str) -> str:
    """A conversation subject from the message: its first line, cut at a word."""
    first_line = next((line.strip() for line in message.splitlines() if line.strip()), "")
    return Truncator(first_line).chars(SUBJECT_LENGTH)


def form_event(
    submission: FormSubmission,
    *,
    submission_id: str,
    received_at: datetime,
    responder_id: int | None,
) -> base.InboundEvent:
    """The normalised event for one submission (what a webhook would have parsed)."""
    kind, address = submission.sender
    return base.InboundEvent(
        channel_kind=WebFormConnector.kind,
        provider_message_id=submission_id,
        sender_kind=kind,
        sender_address=address,
        sender_name=submission.name,
        body=submission.message,
        subject=subject_for(submission.message),
        attachments=(submission.photo,) if submission.photo else (),
        received_at=received_at,
        raw={
            "form": {
                "name": submission.name,
                "email": submission.email,
                "phone": submission.phone,
                "message": submission.message,
                "consent": submission.consent,
                "photo": submission.photo.filename if submission.photo else None,
            },
            "embedded": submission.embedded,
            # Who the acknowledgement named, so a replay names them again and
            # routing rules may honour the promise (TODO(issue: triage and routing)).
            "acknowledged_responder": responder_id,
        },
    )


def submit_web_form(
    workspace: Workspace,
    *,
    submission: FormSubmission,
    submission_id: str,
    received_at: datetime | None = None,
) -> Receipt:
    """Store one form submission as an inbound event on the workspace's form channel.

    Idempotent on `submission_id`: a replay stores nothing and returns the first
    receipt's responder. On a new submission it also links the customer's other
    address (when they gave email and phone) and records the consent they ticked.
    Processing is scheduled after commit by intake.
    """
    received_at = received_at or timezone.now()
    with transaction.atomic():
        channel = webform_channel_for(workspace)
        existing = (
            InboundEvent.objects.filter(channel=channel, provider_message_id=submission_id)
            .only("raw")
            .first()
        )
        if existing is not None:
            return Receipt(existing, False, _acknowledged(workspace, existing))
        kind, address = submission.sender
        responder = who_will_answer(workspace, channel, kind=kind, address=address)
        event = form_event(
            submission,
            submission_id=submission_id,
            received_at=received_at,
            responder_id=responder.pk if responder else None,
        )
        row, created = store_inbound_event(channel, event)
        if not created:  # the same submission, stored by a concurrent request
            return Receipt(row, False, _acknowledged(workspace, row))
        _remember_details(workspace, submission)
    logger.info(
        "web form submission stored",
        extra={"workspace": workspace.pk, "event": row.pk, "embedded": submission.embedded},
    )
    return Receipt(row, True, responder)


def _acknowledged(workspace: Workspace, event: InboundEvent) -> Membership | None:
    raw = event.raw if isinstance(event.raw, dict) else {}
    responder_id = raw.get("acknowledged_responder")
    if not isinstance(responder_id, int):
        return None
    return Membership.objects.for_workspace(workspace).filter(pk=responder_id).first()


def _remember_details(workspace: Workspace, submission: FormSubmission) -> None:
    kind, address = submission.sender
    contact, _ = resolve_contact(workspace, kind=kind, value=address, name=submission.name, by=None)
    if submission.email and submission.phone:
        try:
            add_identity(contact, kind=IdentityKind.PHONE, value=submission.phone, by=None)
        except (ContactError, ValidationError) as exc:
            # The number belongs to another contact: staff can merge them; the
            # number stays in the event's raw form data either way.
            logger.info("web form phone not linked", extra={"contact": contact.pk, "why": str(exc)})
    if submission.consent:
        for topic, given in (
            (ConsentTopic.EMAIL, submission.email),
            (ConsentTopic.SMS, submission.phone),
        ):
            if given:
                set_consent(
                    contact,
                    topic=topic,
                    status=ConsentStatus.GRANTED,
                    source="web form",
                    by=None,  # the customer, through the public form
                )
