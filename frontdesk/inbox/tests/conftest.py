"""Inbox factories: callables that build channels, events and conversations.

Events go through the real intake path (store, then the task, run inline), with
on-commit callbacks executed, as they would be after a request's transaction.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from frontdesk.connectors import base
from frontdesk.core.actions.contacts import create_contact
from frontdesk.inbox.actions import start_conversation
from frontdesk.inbox.intake import store_inbound_event
from frontdesk.inbox.models import Channel, Conversation, ConversationStatus

_ids = itertools.count(1)


@pytest.fixture
def hillview(cast):
    return cast["outsider"].workspace


@pytest.fixture
def make_channel(riverside):
    def make(*, workspace=None, kind="webform", name="Contact form", **options) -> Channel:
        return Channel.objects.create(
            workspace=workspace or riverside, kind=kind, name=name, settings=options
        )

    return make


@pytest.fixture
def channel(make_channel):
    return make_channel()


@pytest.fixture
def make_event():
    def make(
        *,
        sender: str = "ada@example.org",
        sender_kind: str = "email",
        name: str = "Ada Lovelace",
        body: str = "Is the library open on Sunday?",
        subject: str = "Opening hours",
        provider_id: str | None = None,
        received_at: datetime | None = None,
        thread_key: str | None = None,
        attachments: tuple[base.InboundAttachment, ...] = (),
        kind: str = "webform",
    ) -> base.InboundEvent:
        return base.InboundEvent(
            channel_kind=kind,
            provider_message_id=provider_id or f"submission-{next(_ids)}",
            sender_kind=sender_kind,
            sender_address=sender,
            sender_name=name,
            body=body,
            subject=subject,
            attachments=attachments,
            received_at=received_at or timezone.now(),
            raw={"form": {"message": body}},
            thread_key=thread_key,
        )

    return make


@pytest.fixture
def receive(make_event, django_capture_on_commit_callbacks):
    """Store an event on a channel and run processing, as after a committed request.

    Returns the stored InboundEvent row (refreshed)."""

    def run(channel: Channel, event: base.InboundEvent | None = None, **fields):
        event = event or make_event(**fields)
        with django_capture_on_commit_callbacks(execute=True):
            row, _ = store_inbound_event(channel, event)
        row.refresh_from_db()
        return row

    return run


@pytest.fixture
def make_conversation(riverside, channel):
    """A conversation with a customer who wrote; `status` etc. set directly."""

    def make(
        *,
        status: str = ConversationStatus.OPEN,
        channel_: Channel | None = None,
        contact=None,
        assignee=None,
        last_message_at: datetime | None = None,
        waiting: bool = True,
        email: str | None = None,
    ) -> Conversation:
        workspace = (channel_ or channel).workspace
        if contact is None:
            n = next(_ids)
            contact = create_contact(
                workspace,
                name=f"Customer {n}",
                identities=[("email", email or f"customer{n}@example.org")],
                by=None,
            )
        moment = last_message_at or timezone.now() - timedelta(minutes=5)
        conversation = start_conversation(
            workspace, contact=contact, channel=channel_ or channel, started_at=moment
        )
        conversation.status = status
        conversation.assignee = assignee
        conversation.last_customer_message_at = moment
        conversation.waiting_since = moment if waiting else None
        if status == ConversationStatus.SNOOZED:
            conversation.snoozed_until = timezone.now() + timedelta(hours=3)
        if status == ConversationStatus.RESOLVED:
            conversation.resolved_at = moment
        conversation.save()
        return conversation

    return make


def no_account(channel):
    """The account record of a test-only channel kind: its adapter needs none."""
    return None


def install_kind(monkeypatch, adapter) -> None:
    """Install a test-only channel kind served by `adapter` for one test, as a channel
    app's descriptor would (frontdesk/inbox/kinds.py)."""
    from frontdesk.inbox import kinds

    kind = kinds.ChannelKind(
        kind=adapter.kind,
        label=adapter.label,
        adapter=adapter,
        account="frontdesk.inbox.tests.conftest.no_account",
    )
    monkeypatch.setitem(kinds.installed(), adapter.kind, kind)
