"""Routing through intake: who a conversation belongs to once a customer's message is in."""

from __future__ import annotations

import dataclasses

import pytest

from frontdesk.inbox.models import Conversation, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def promised(make_event):
    """An event whose acknowledgement named `responder` (as the web form records it)."""

    def make(responder, **fields):
        event = make_event(**fields)
        raw = {**event.raw, "acknowledged_responder": responder}
        return dataclasses.replace(event, raw=raw)

    return make


def test_a_new_conversation_goes_to_the_person_the_customer_was_promised(
    cast, channel, receive, promised
):
    row = receive(channel, promised(cast["agent"].pk))

    conversation = row.message.conversation
    assert conversation.assignee == cast["agent"]
    # Maya is told, as with any assignment; nobody assigned it, so no actor.
    [notification] = Notification.objects.filter(recipient=cast["agent"])
    assert (notification.kind, notification.conversation, notification.actor) == (
        "assigned",
        conversation,
        None,
    )


def test_without_a_promise_a_new_conversation_stays_unassigned(channel, receive):
    row = receive(channel)
    assert row.message.conversation.assignee is None
    assert not Notification.objects.exists()


def test_a_promised_person_who_was_deactivated_meanwhile_gets_nothing(
    cast, channel, receive, promised
):
    cast["agent"].is_active = False
    cast["agent"].save()
    row = receive(channel, promised(cast["agent"].pk))
    assert row.message.conversation.assignee is None
    assert not Notification.objects.exists()


@pytest.mark.parametrize("who", ["moderator", "outsider"])
def test_a_promise_naming_someone_who_cannot_answer_here_is_not_followed(
    cast, channel, receive, promised, who
):
    # A moderator cannot reply; Oscar works at Hillview, not Riverside.
    row = receive(channel, promised(cast[who].pk))
    assert row.message.conversation.assignee is None


@pytest.mark.parametrize("value", [True, "3", None, 10**9])
def test_an_unreadable_promise_leaves_the_conversation_unassigned(
    channel, receive, promised, value
):
    row = receive(channel, promised(value))
    assert row.processed_at is not None
    assert row.message.conversation.assignee is None


def test_an_assigned_conversation_keeps_its_assignee_whoever_was_promised(
    cast, channel, receive, promised, make_conversation
):
    existing = make_conversation(assignee=cast["admin"], email="ada@example.org")

    row = receive(channel, promised(cast["agent"].pk, sender="ada@example.org"))

    assert row.message.conversation == existing
    existing.refresh_from_db()
    assert existing.assignee == cast["admin"]
    assert not Notification.objects.filter(kind="assigned").exists()


def test_a_deactivated_assignees_conversation_goes_to_the_promised_person(
    cast, channel, receive, promised, make_conversation
):
    existing = make_conversation(assignee=cast["admin"], email="ada@example.org")
    cast["admin"].is_active = False
    cast["admin"].save()

    receive(channel, promised(cast["agent"].pk, sender="ada@example.org"))

    existing.refresh_from_db()
    assert existing.assignee == cast["agent"]


def test_a_deactivated_assignees_conversation_is_unassigned_without_a_promise(
    cast, channel, receive, make_conversation
):
    existing = make_conversation(assignee=cast["admin"], email="ada@example.org")
    cast["admin"].is_active = False
    cast["admin"].save()

    receive(channel, sender="ada@example.org")

    existing.refresh_from_db()
    assert existing.assignee is None
    assert Conversation.objects.count() == 1
