"""Keyword replies, HELP, automatic acknowledgements and the threading window of SMS."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from frontdesk.channels.sms import handling
from frontdesk.channels.sms.models import SmsChannelConfig, SmsKeyword
from frontdesk.channels.sms.tests.phone import CUSTOMER, SmsHooks
from frontdesk.inbox.actions import inbox_settings_for
from frontdesk.inbox.models import (
    AutomaticReason,
    Channel,
    Conversation,
    DeliveryStatus,
    Message,
    MessageKind,
)

ZONE = ZoneInfo("America/Chicago")
TUESDAY_10AM = datetime(2026, 11, 24, 10, 0, tzinfo=ZONE)
TUESDAY_10PM = datetime(2026, 11, 24, 22, 0, tzinfo=ZONE)

# Fixtures: sms_hooks (webhooks on the live server), receive_sms (intake at a set time).
pytest_plugins = ["frontdesk.channels.sms.tests.webhooks"]


@pytest.fixture
def texts(riverside, make_sms_channel, cast):
    """An acknowledging SMS channel in Riverside (Chicago time, open 9 to 5 on
    weekdays) with Maya on duty."""
    riverside.time_zone = "America/Chicago"
    riverside.save(update_fields=["time_zone"])
    inbox_settings_for(riverside)  # the default hours: Monday to Friday, 9 to 5
    channel = make_sms_channel(settings={"auto_acknowledge": True})
    SmsChannelConfig.objects.filter(channel=channel).update(on_duty=cast["agent"])
    return channel


def _sent(standin) -> list[str]:
    return [m.body for m in standin.sent_to(CUSTOMER)]


def test_help_replies_with_the_channels_help_text(sms_hooks: SmsHooks):
    SmsChannelConfig.objects.filter(channel=sms_hooks.channel).update(
        help_text="{workspace} texts: ask anything. STOP to stop."
    )
    assert sms_hooks.text(" help ").status_code == 200
    assert _sent(sms_hooks.standin) == [
        "Riverside Public Library texts: ask anything. STOP to stop."
    ]
    reply = Message.objects.get(kind=MessageKind.REPLY)
    assert (reply.automatic, reply.author, reply.status) == ("help", None, DeliveryStatus.SENT)


def test_a_keyword_answers_at_once_and_the_text_still_lands_in_the_inbox(
    sms_hooks: SmsHooks, riverside
):
    SmsKeyword.objects.create(
        workspace=riverside,
        channel=sms_hooks.channel,
        keyword="hours",
        reply="{workspace}: Mon-Fri 9-8, Sat 10-5.",
    )
    sms_hooks.text("Hours?")
    assert _sent(sms_hooks.standin) == ["Riverside Public Library: Mon-Fri 9-8, Sat 10-5."]
    conversation = Conversation.objects.get()
    assert [(m.kind, m.automatic) for m in conversation.messages.all()] == [
        ("incoming", ""),
        ("reply", "keyword"),
    ]
    # A keyword inside a sentence is a question for a person, not a keyword.
    sms_hooks.text("What are your hours on Sunday?")
    assert len(_sent(sms_hooks.standin)) == 1


def test_an_inactive_keyword_does_not_answer(sms_hooks: SmsHooks, riverside):
    SmsKeyword.objects.create(
        workspace=riverside,
        channel=sms_hooks.channel,
        keyword="ADDRESS",
        reply="1 Main St",
        is_active=False,
    )
    sms_hooks.text("address")
    assert _sent(sms_hooks.standin) == []


def test_auto_acknowledgement_over_http_names_the_member_on_duty(sms_hooks: SmsHooks, riverside):
    settings = inbox_settings_for(riverside)
    settings.business_hours = {}  # no hours set: always open
    settings.save(update_fields=["business_hours"])
    Channel.objects.filter(pk=sms_hooks.channel.pk).update(settings={"auto_acknowledge": True})
    sms_hooks.text("Can I book a study room?")
    assert _sent(sms_hooks.standin) == [
        "Thanks! Maya from Riverside Public Library will text you back soon."
    ]


def test_the_first_text_in_business_hours_gets_the_on_duty_acknowledgement(
    texts, receive_sms, twilio_api
):
    conversation = receive_sms(texts, "Do you have museum passes?", at=TUESDAY_10AM)
    assert _sent(twilio_api) == [
        "Thanks! Maya from Riverside Public Library will text you back soon."
    ]
    ack = Message.objects.get(automatic=AutomaticReason.ACKNOWLEDGEMENT)
    assert ack.created_at >= TUESDAY_10AM
    conversation.refresh_from_db()
    # An automatic reply is not an answer: the customer is still waiting for a person.
    assert conversation.first_response_at is None
    assert conversation.waiting_since == TUESDAY_10AM


def test_after_hours_the_after_hours_text_goes_out(texts, receive_sms, twilio_api):
    receive_sms(texts, "Are you open tomorrow?", at=TUESDAY_10PM)
    assert _sent(twilio_api) == [
        "Thanks for your text! Riverside Public Library is closed right now; "
        "Maya will text you back when we open."
    ]
    assert Message.objects.filter(automatic=AutomaticReason.AFTER_HOURS).count() == 1


def test_with_no_one_on_duty_the_acknowledgement_names_no_one(texts, receive_sms, twilio_api):
    SmsChannelConfig.objects.filter(channel=texts).update(on_duty=None)
    receive_sms(texts, "Hello?", at=TUESDAY_10AM)
    assert _sent(twilio_api) == [
        "Thanks! Someone from Riverside Public Library will text you back soon."
    ]


def test_only_a_new_conversation_is_acknowledged(texts, receive_sms, twilio_api):
    first = receive_sms(texts, "Hi", at=TUESDAY_10AM)
    second = receive_sms(texts, "Also: parking?", at=TUESDAY_10AM + timedelta(minutes=2))
    assert first.pk == second.pk
    assert len(_sent(twilio_api)) == 1


def test_no_acknowledgement_when_the_channel_does_not_acknowledge(texts, receive_sms, twilio_api):
    Channel.objects.filter(pk=texts.pk).update(settings={"auto_acknowledge": False})
    receive_sms(texts, "Hi", at=TUESDAY_10AM)
    assert _sent(twilio_api) == []


def test_a_text_is_answered_automatically_at_most_once(texts, receive_sms, twilio_api):
    conversation = receive_sms(texts, "Hi", at=TUESDAY_10AM)
    incoming = conversation.messages.get(kind=MessageKind.INCOMING)
    assert handling.after_inbound(incoming.pk, True) is None  # a second run of the task
    assert Message.objects.filter(automatic_for=incoming).count() == 1
    assert len(_sent(twilio_api)) == 1


def test_the_page_shows_an_automatic_reply_as_automatic(texts, receive_sms, client_for, cast):
    conversation = receive_sms(texts, "Hi", at=TUESDAY_10AM)
    page = (
        client_for(cast["agent"])
        .get(
            reverse("inbox:conversation", kwargs={"ws": "riverside", "number": conversation.number})
        )
        .content.decode()
    )
    assert "Automatic reply</strong>" in page
    assert "Acknowledgement" in page


# The threading window: a text within N hours of the last conversation continues it.


def _resolve(conversation: Conversation, at: datetime) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        status="resolved", resolved_at=at, last_message_at=at, waiting_since=None
    )


@pytest.mark.parametrize(
    ("hours", "after", "continues"),
    [
        (24, timedelta(hours=23, minutes=59), True),
        (24, timedelta(hours=24, minutes=1), False),
        (3, timedelta(hours=2), True),
        (3, timedelta(hours=4), False),
        (1, timedelta(minutes=59), True),
        (0, timedelta(minutes=1), False),
        (0, timedelta(0), False),
    ],
)
def test_a_resolved_conversation_reopens_only_within_the_window(
    make_sms_channel, receive_sms, hours, after, continues
):
    channel = make_sms_channel(settings={"threading_window_hours": hours})
    first = receive_sms(channel, "Hi", at=TUESDAY_10AM)
    resolved_at = TUESDAY_10AM + timedelta(minutes=30)
    _resolve(first, resolved_at)
    again = receive_sms(channel, "One more thing", at=resolved_at + after)
    assert (again.pk == first.pk) is continues
    if continues:
        assert (again.status, again.resolved_at) == ("open", None)
    else:
        assert Conversation.objects.get(pk=first.pk).status == "resolved"
        assert again.status == "open"


@pytest.mark.parametrize("status", ["open", "pending", "snoozed"])
def test_an_unresolved_conversation_continues_however_old(make_sms_channel, receive_sms, status):
    channel = make_sms_channel(settings={"threading_window_hours": 0})
    first = receive_sms(channel, "Hi", at=TUESDAY_10AM)
    Conversation.objects.filter(pk=first.pk).update(status=status)
    again = receive_sms(channel, "Hello??", at=TUESDAY_10AM + timedelta(days=9))
    assert again.pk == first.pk
    assert again.status == "open"
