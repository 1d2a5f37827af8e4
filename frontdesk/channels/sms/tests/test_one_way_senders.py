"""Texts from short codes and alphanumeric sender IDs (issue 20, item 14): they reach the
inbox as conversations, labelled, with nothing texted back and no reply offered."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontdesk.channels.sms.models import SmsKeyword
from frontdesk.channels.sms.tests.phone import SmsHooks
from frontdesk.core.models import ContactIdentity
from frontdesk.inbox.actions import InboxError, send_reply
from frontdesk.inbox.models import Channel, Conversation, InboundEvent, Message

# Fixtures: sms_hooks (an SMS channel whose webhooks Twilio reaches on the live server).
pytest_plugins = ["frontdesk.channels.sms.tests.webhooks"]


@pytest.fixture
def hooks(sms_hooks: SmsHooks, riverside) -> SmsHooks:
    """The channel acknowledges new texts and answers HOURS, like the demo's."""
    Channel.objects.filter(pk=sms_hooks.channel.pk).update(settings={"auto_acknowledge": True})
    SmsKeyword.objects.create(
        workspace=riverside, channel=sms_hooks.channel, keyword="HOURS", reply="Open 9-8."
    )
    return sms_hooks


@pytest.mark.parametrize(
    ("sender", "kind", "label", "shown"),
    [
        ("72345", "short_code", "Short code", "72345"),
        ("AMAZON", "sender_id", "Sender ID", "AMAZON"),
        ("Library", "sender_id", "Sender ID", "Library"),
    ],
)
def test_a_text_from_a_one_way_sender_reaches_the_inbox_labelled(
    hooks: SmsHooks, client_for, cast, sender, kind, label, shown
):
    body = "Your package was delivered. Reply HELP for help."
    assert hooks.text(body, from_=sender).status_code == 200

    event = InboundEvent.objects.get()
    assert (event.status, event.error, event.sender_kind) == ("processed", "", kind)
    conversation = Conversation.objects.get()
    assert conversation.messages.get().body == body
    identities = list(ContactIdentity.objects.filter(contact=conversation.contact))
    assert [(i.kind, i.display_value) for i in identities] == [(kind, shown)]
    assert conversation.contact.display_name == shown

    client = client_for(cast["agent"])
    listing = client.get(reverse("inbox:list", kwargs={"ws": "riverside"})).content.decode()
    assert 'class="badge sender-badge"' in listing
    assert f">{label}</span>" in listing
    page = client.get(
        reverse("inbox:conversation", kwargs={"ws": "riverside", "number": conversation.number})
    ).content.decode()
    assert f"data-automated-sender>{label}</span>" in page
    # The composer says why nothing can be sent back, and offers no way to send.
    assert 'data-reply-blocked="true"' in page
    assert "data-no-route" in page
    assert f"{shown} is a {label.lower()}, an automated sender that can’t receive texts" in page


@pytest.mark.parametrize("sender", ["72345", "LIBRARY"])
@pytest.mark.parametrize("body", ["HOURS", "HELP", "Your code is 123456", "STOP"])
def test_nothing_is_texted_back_to_a_one_way_sender(hooks: SmsHooks, sender, body):
    """Not the acknowledgement, not a keyword's answer, not HELP: carriers would drop
    it, and a provider charges for the attempt."""
    assert hooks.text(body, from_=sender).status_code == 200
    message = Message.objects.get(kind="incoming")
    assert message.body == body
    assert hooks.standin.messages == []
    assert not Message.objects.exclude(kind="incoming").exists()
    assert message.conversation.contact.sms_consent == "unknown"


def test_a_reply_to_a_short_code_is_refused_before_it_is_stored(hooks: SmsHooks, cast):
    hooks.text("Your verification code is 4821", from_="72345")
    conversation = Conversation.objects.get()
    with pytest.raises(InboxError):
        send_reply(conversation, body="Thanks!", by=cast["agent"], channel=None)
    assert not Message.objects.filter(kind="reply").exists()
    assert hooks.standin.messages == []


def test_a_phone_number_is_still_a_phone_number(hooks: SmsHooks):
    hooks.text("Hi, are you open?", from_="+15558675310")
    identity = ContactIdentity.objects.get()
    assert (identity.kind, identity.value) == ("phone", "+15558675310")
