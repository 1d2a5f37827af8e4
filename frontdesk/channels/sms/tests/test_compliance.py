"""STOP, START and HELP over real HTTP, and consent enforced wherever a text is sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from frontdesk.channels.sms.accounts import account_for
from frontdesk.channels.sms.tests.phone import CUSTOMER, SmsHooks
from frontdesk.core.consent import may_send
from frontdesk.core.models import ConsentChange, Contact
from frontdesk.inbox.actions import (
    InboxError,
    compose_outbound,
    retry_delivery,
    send_reply,
    sweep_deliveries,
)
from frontdesk.inbox.kinds import get_connector
from frontdesk.inbox.models import (
    AutomaticReason,
    Channel,
    Conversation,
    DeliveryStatus,
    Message,
    MessageKind,
)

# Fixtures: sms_hooks (webhooks on the live server), receive_sms (intake at a set time).
pytest_plugins = ["frontdesk.channels.sms.tests.webhooks"]


def _contact() -> Contact:
    return Contact.objects.get(identities__value=CUSTOMER)


def _conversation() -> Conversation:
    return Conversation.objects.order_by("-id").first()


@pytest.mark.parametrize(
    ("text", "word"),
    [
        (" Stop. ", "STOP"),
        ("stop!", "STOP"),
        ("STOP ALL", "STOPALL"),
        ("Unsubscribe", "UNSUBSCRIBE"),
        ("opt-out", "OPTOUT"),
        ("quit", "QUIT"),
    ],
)
def test_an_opt_out_word_revokes_sms_consent_and_blocks_every_later_text(
    sms_hooks: SmsHooks, cast, text, word
):
    Channel.objects.filter(pk=sms_hooks.channel.pk).update(settings={"auto_acknowledge": True})
    assert sms_hooks.text(text).status_code == 200
    contact = _contact()
    assert contact.sms_consent == "revoked"
    change = ConsentChange.objects.get(contact=contact)
    assert (change.topic, change.status, change.source) == ("sms", "revoked", f"SMS keyword {word}")
    conversation = _conversation()
    note = Message.objects.get(conversation=conversation, kind=MessageKind.NOTE)
    assert note.automatic == AutomaticReason.OPT_OUT
    assert f"Texted {word}" in note.body
    # No acknowledgement, no confirmation: Twilio or the carrier confirms opt-outs.
    assert sms_hooks.standin.sent_to(CUSTOMER) == []

    reply = send_reply(conversation, body="Sorry to see you go!", by=cast["agent"])
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.FAILED
    assert reply.failure_code == "opted_out"
    assert reply.failure_reason == "Not sent: this person texted STOP"
    assert sms_hooks.standin.sent_to(CUSTOMER) == []
    assert sms_hooks.standin.messages == []


@pytest.mark.parametrize(
    "text", ["please don't stop the storytime", "Stop by at 5?", "STOPS", "the end"]
)
def test_a_sentence_with_an_opt_out_word_is_just_a_message(sms_hooks: SmsHooks, text):
    sms_hooks.text(text)
    assert _contact().sms_consent == "unknown"
    assert not ConsentChange.objects.exists()
    assert not Message.objects.filter(kind=MessageKind.NOTE).exists()


def test_start_opts_back_in_with_a_confirmation_and_replies_go_out_again(sms_hooks: SmsHooks, cast):
    sms_hooks.text("STOP")
    sms_hooks.text("start")
    contact = _contact()
    assert contact.sms_consent == "granted"
    assert [c.source for c in ConsentChange.objects.order_by("id")] == [
        "SMS keyword STOP",
        "SMS keyword START",
    ]
    sent = sms_hooks.standin.sent_to(CUSTOMER)
    assert len(sent) == 1
    assert "you will get our texts again" in sent[0].body
    confirmation = Message.objects.get(automatic=AutomaticReason.OPT_IN)
    assert confirmation.status == DeliveryStatus.SENT

    reply = send_reply(_conversation(), body="Welcome back!", by=cast["agent"])
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT
    assert [m.body for m in sms_hooks.standin.sent_to(CUSTOMER)][-1].startswith("Welcome back!")


def test_yes_opts_in_only_while_opted_out(sms_hooks: SmsHooks):
    sms_hooks.text("Yes")  # an answer, not a subscription
    assert _contact().sms_consent == "unknown"
    sms_hooks.text("STOP")
    sms_hooks.text("YES")
    assert _contact().sms_consent == "granted"


def test_help_is_answered_even_after_stop(sms_hooks: SmsHooks):
    sms_hooks.text("STOP")
    sms_hooks.text("Help?")
    sent = sms_hooks.standin.sent_to(CUSTOMER)
    assert [m.body for m in sent] == [
        "Riverside Public Library: text us your question and a person will answer. "
        "Reply STOP to stop texts, START to get them again."
    ]
    assert _contact().sms_consent == "revoked"


def test_a_keyword_or_acknowledgement_is_not_sent_after_stop(sms_hooks: SmsHooks, riverside):
    from frontdesk.channels.sms.models import SmsKeyword

    SmsKeyword.objects.create(
        workspace=riverside, channel=sms_hooks.channel, keyword="HOURS", reply="9 to 5"
    )
    sms_hooks.text("STOP")
    sms_hooks.text("hours")
    assert sms_hooks.standin.sent_to(CUSTOMER) == []
    assert not Message.objects.filter(kind=MessageKind.REPLY).exists()


def test_a_provider_21610_refusal_records_the_opt_out(sms_hooks: SmsHooks, cast):
    sms_hooks.text("Is my hold in?")
    sms_hooks.standin.unsubscribe(CUSTOMER)  # they texted STOP to Twilio, not to us
    reply = send_reply(_conversation(), body="Yes, it is!", by=cast["agent"])
    reply.refresh_from_db()
    assert (reply.status, reply.failure_code) == (DeliveryStatus.FAILED, "21610")
    contact = _contact()
    assert contact.sms_consent == "revoked"
    assert ConsentChange.objects.get(contact=contact).source.startswith("Provider")
    assert not may_send(contact, "sms")


def test_a_reply_refused_for_an_opt_out_offers_no_retry(sms_hooks: SmsHooks, cast, client_for):
    sms_hooks.text("Is my hold in?")
    sms_hooks.standin.unsubscribe(CUSTOMER)
    conversation = _conversation()
    reply = send_reply(conversation, body="Yes, it is!", by=cast["agent"])
    reply.refresh_from_db()
    assert (reply.status, reply.can_retry) == (DeliveryStatus.FAILED, False)
    page = (
        client_for(cast["agent"])
        .get(
            reverse("inbox:conversation", kwargs={"ws": "riverside", "number": conversation.number})
        )
        .content.decode()
    )
    retry = reverse(
        "inbox:message-retry",
        kwargs={"ws": "riverside", "number": conversation.number, "pk": reply.pk},
    )
    assert "Not delivered" in page
    assert retry not in page
    with pytest.raises(InboxError, match="opted out"):
        retry_delivery(reply, by=cast["agent"])
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.FAILED
    assert sms_hooks.standin.messages == []


def test_the_conversation_page_tells_staff_the_contact_texted_stop(
    sms_hooks: SmsHooks, cast, client_for
):
    sms_hooks.text("stop")
    conversation = _conversation()
    page = (
        client_for(cast["agent"])
        .get(
            reverse("inbox:conversation", kwargs={"ws": "riverside", "number": conversation.number})
        )
        .content.decode()
    )
    when = timezone.localdate().strftime("%-d %b %Y")
    assert f"texted STOP on {when}; texts won’t be sent." in page
    assert "Texted STOP: opted out of text messages." in page


def test_a_reply_whose_worker_died_after_twilio_took_it_is_not_sent_twice(
    make_sms_channel, twilio_api, cast, receive_sms
):
    channel = make_sms_channel()
    conversation = receive_sms(channel, "Do you have a notary?")
    stale = timezone.now() - timedelta(minutes=10)
    # The state a worker leaves when it dies right after Twilio accepted the text.
    reply = Message.objects.create(
        workspace=conversation.workspace,
        conversation=conversation,
        kind=MessageKind.REPLY,
        author=cast["agent"],
        body="Yes, on Tuesdays.",
        channel=channel,
        status=DeliveryStatus.SENDING,
        claimed_at=stale,
        attempts=1,
        created_at=stale,
    )
    taken = get_connector("sms").send(account_for(channel), compose_outbound(reply))
    assert len(twilio_api.sent_to(CUSTOMER)) == 1

    sweep_deliveries()

    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT
    assert reply.provider_message_id == taken.provider_message_id
    assert len(twilio_api.sent_to(CUSTOMER)) == 1


def test_a_reply_whose_worker_died_before_twilio_took_it_is_sent_once(
    make_sms_channel, twilio_api, cast, receive_sms
):
    channel = make_sms_channel()
    conversation = receive_sms(channel, "Do you have a notary?")
    stale = timezone.now() - timedelta(minutes=10)
    reply = Message.objects.create(
        workspace=conversation.workspace,
        conversation=conversation,
        kind=MessageKind.REPLY,
        author=cast["agent"],
        body="Yes, on Tuesdays.",
        channel=channel,
        status=DeliveryStatus.SENDING,
        claimed_at=stale,
        attempts=1,
        created_at=stale,
    )
    sweep_deliveries()
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT
    assert [m.body for m in twilio_api.sent_to(CUSTOMER)] == ["Yes, on Tuesdays."]
    assert twilio_api.sent_to(CUSTOMER)[0].sid == reply.provider_message_id
