"""A web-form patron's email answer comes home, and Write-to uses the email channel."""

from __future__ import annotations

import pytest
from django.core import mail as outbox
from django.utils import timezone

from frontdesk.channels.email.receive import receive_raw
from frontdesk.connectors import base
from frontdesk.inbox import intake
from frontdesk.inbox.actions.replies import deliver_message, send_reply
from frontdesk.inbox.models import Channel, Conversation

pytestmark = pytest.mark.django_db


def test_a_web_form_reply_carries_the_reply_address_and_the_answer_comes_home(
    email_channel, riverside, cast, mail, run_intake
):
    form = Channel.objects.create(workspace=riverside, kind="webform", name="Web form")
    row, _ = intake.store_inbound_event(
        form,
        base.InboundEvent(
            channel_kind="webform",
            provider_message_id="form-1",
            sender_kind="email",
            sender_address="patron@example.org",
            sender_name="Pat Ron",
            subject="Room booking",
            body="Can I book the study room?",
            received_at=timezone.now(),
        ),
    )
    conversation = run_intake(row.pk).message.conversation
    deliver_message(send_reply(conversation, body="Yes, Tuesday works.", by=cast["agent"]).pk)
    sent = outbox.outbox[-1]
    (reply_to,) = sent.reply_to
    assert reply_to.startswith(f"desk+c{conversation.pk}-") and reply_to.endswith(
        "@riverside.example"
    )
    answer = mail(
        sender="patron@example.org", to=reply_to, subject="Re: Room booking", body="Thanks!"
    )
    event = run_intake(receive_raw(email_channel, answer, via="smtpd").event_id)
    assert event.message.conversation_id == conversation.pk
    assert Conversation.objects.count() == 1


def test_write_to_a_contact_offers_the_email_channel_not_the_form(
    email_channel, riverside, cast, client
):
    from frontdesk.core.models import Contact, ContactIdentity

    Channel.objects.create(workspace=riverside, kind="webform", name="Web form")
    contact = Contact.objects.create(workspace=riverside, name="Pat Ron")
    ContactIdentity.objects.create(
        workspace=riverside, contact=contact, kind="email", value="pat@example.org"
    )
    client.force_login(cast["agent"].user)
    page = client.get(f"/w/riverside/inbox/contacts/{contact.pk}/write/")
    assert b"Front desk email" in page.content
    assert b"(Web form)" not in page.content
    sent = client.post(
        f"/w/riverside/inbox/contacts/{contact.pk}/write/",
        {"channel": email_channel.pk, "body": "Your hold is ready."},
    )
    assert sent.status_code == 302
    conversation = Conversation.objects.get(contact=contact)
    assert conversation.channel_id == email_channel.pk
