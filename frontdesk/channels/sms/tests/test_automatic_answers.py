"""Automatic answers settle a text (no one left "waiting"); an acknowledgement that
names a person hands them the conversation (issue 20, item 5)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from frontdesk.channels.sms.models import SmsChannelConfig, SmsKeyword
from frontdesk.channels.sms.tests.phone import CUSTOMER
from frontdesk.inbox.actions import (
    assign_conversation,
    inbox_settings_for,
    reopen_conversation,
    resolve_conversation,
    start_outbound_conversation,
)
from frontdesk.inbox.models import Notification

ZONE = ZoneInfo("America/Chicago")
TUESDAY_10AM = datetime(2026, 11, 24, 10, 0, tzinfo=ZONE)
ACK_BY_MAYA = "Thanks! Maya from Riverside Public Library will text you back soon."

# Fixtures: receive_sms (intake at a set time, every after-commit step run).
pytest_plugins = ["frontdesk.channels.sms.tests.webhooks"]


@pytest.fixture
def texts(riverside, make_sms_channel, cast):
    """An acknowledging SMS channel (open 9 to 5 on weekdays, Chicago), Maya on duty,
    with an HOURS keyword."""
    riverside.time_zone = "America/Chicago"
    riverside.save(update_fields=["time_zone"])
    inbox_settings_for(riverside)
    channel = make_sms_channel(settings={"auto_acknowledge": True})
    SmsChannelConfig.objects.filter(channel=channel).update(on_duty=cast["agent"])
    SmsKeyword.objects.create(
        workspace=riverside, channel=channel, keyword="HOURS", reply="Open 9-8 daily."
    )
    return channel


def _sent(standin) -> list[str]:
    return [m.body for m in standin.sent_to(CUSTOMER)]


@pytest.mark.parametrize("word", ["HOURS", "help"])
def test_a_keyword_answer_leaves_no_one_waiting(texts, receive_sms, twilio_api, word):
    conversation = receive_sms(texts, word, at=TUESDAY_10AM)
    conversation.refresh_from_db()
    assert conversation.waiting_since is None
    assert conversation.status == "open"  # still in the inbox, just not waiting
    assert len(_sent(twilio_api)) == 1  # the answer, and no acknowledgement on top
    assert not conversation.is_waiting


def test_a_real_question_after_a_keyword_is_new_acknowledged_once_and_waits_from_then(
    texts, receive_sms, twilio_api
):
    first = receive_sms(texts, "HOURS", at=TUESDAY_10AM)
    asked_at = TUESDAY_10AM + timedelta(minutes=5)
    question = receive_sms(texts, "Can I renew a book by text?", at=asked_at)
    assert question.pk == first.pk
    question.refresh_from_db()
    assert question.waiting_since == asked_at
    assert _sent(twilio_api) == ["Open 9-8 daily.", ACK_BY_MAYA]
    # A second question is the same wait, and is not acknowledged again.
    receive_sms(texts, "Also, parking?", at=asked_at + timedelta(minutes=1))
    question.refresh_from_db()
    assert question.waiting_since == asked_at
    assert len(_sent(twilio_api)) == 2


def test_a_keyword_during_a_wait_does_not_end_the_earlier_wait(texts, receive_sms, twilio_api):
    conversation = receive_sms(texts, "Is my hold in?", at=TUESDAY_10AM)
    receive_sms(texts, "hours", at=TUESDAY_10AM + timedelta(minutes=3))
    conversation.refresh_from_db()
    assert conversation.waiting_since == TUESDAY_10AM
    assert _sent(twilio_api) == [ACK_BY_MAYA, "Open 9-8 daily."]


def test_reopening_does_not_count_a_settled_keyword_as_waiting(
    texts, receive_sms, twilio_api, cast
):
    conversation = receive_sms(texts, "HOURS", at=TUESDAY_10AM)
    resolve_conversation(conversation, by=cast["agent"])
    reopen_conversation(conversation, by=cast["agent"])
    conversation.refresh_from_db()
    assert conversation.waiting_since is None


def test_the_acknowledgement_assigns_the_conversation_to_the_person_it_names(
    texts, receive_sms, twilio_api, cast
):
    conversation = receive_sms(texts, "Do you have museum passes?", at=TUESDAY_10AM)
    assert _sent(twilio_api) == [ACK_BY_MAYA]
    conversation.refresh_from_db()
    assert conversation.assignee == cast["agent"]
    note = Notification.objects.get(recipient=cast["agent"])
    assert (note.kind, note.conversation_id, note.actor) == ("assigned", conversation.pk, None)


def test_the_acknowledgement_names_whoever_already_has_the_conversation(
    texts, receive_sms, twilio_api, cast
):
    conversation = receive_sms(texts, "HOURS", at=TUESDAY_10AM)
    assign_conversation(conversation, assignee=cast["admin"], by=cast["admin"])
    receive_sms(texts, "And can I print there?", at=TUESDAY_10AM + timedelta(minutes=5))
    assert _sent(twilio_api)[-1] == (
        "Thanks! Amir from Riverside Public Library will text you back soon."
    )
    conversation.refresh_from_db()
    assert conversation.assignee == cast["admin"]


def test_an_acknowledgement_naming_nobody_assigns_nobody(texts, receive_sms, twilio_api):
    SmsChannelConfig.objects.filter(channel=texts).update(
        auto_ack_text="Thanks, {workspace} got your text."
    )
    conversation = receive_sms(texts, "Hi there", at=TUESDAY_10AM)
    assert _sent(twilio_api) == ["Thanks, Riverside Public Library got your text."]
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_an_on_duty_member_who_cannot_answer_is_not_named(texts, receive_sms, twilio_api, cast):
    SmsChannelConfig.objects.filter(channel=texts).update(on_duty=cast["moderator"])
    conversation = receive_sms(texts, "Hello?", at=TUESDAY_10AM)
    assert _sent(twilio_api) == [
        "Thanks! Someone from Riverside Public Library will text you back soon."
    ]
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_an_answer_to_a_text_staff_sent_first_is_not_acknowledged(
    texts, receive_sms, twilio_api, cast, django_capture_on_commit_callbacks
):
    earlier = receive_sms(texts, "HOURS", at=TUESDAY_10AM)
    resolve_conversation(earlier, by=cast["agent"])
    with django_capture_on_commit_callbacks(execute=True):
        outbound = start_outbound_conversation(
            earlier.contact, channel=texts, body="Your hold is in.", by=cast["agent"]
        )
    answer = receive_sms(texts, "Great, thanks!")
    assert answer.pk == outbound.pk
    sent = _sent(twilio_api)
    assert len(sent) == 2
    assert sent[1].startswith("Your hold is in.")
    assert not answer.messages.exclude(automatic="").exists()
