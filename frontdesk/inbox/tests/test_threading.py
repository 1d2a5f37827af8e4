from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from frontdesk.core.actions.contacts import create_contact
from frontdesk.inbox.models import Conversation, Message

pytestmark = pytest.mark.django_db


def _conversation(row) -> Conversation:
    return Conversation.objects.get(messages__inbound_event=row)


def test_a_second_message_continues_the_open_conversation(channel, receive):
    first = _conversation(receive(channel, body="Hi"))
    second = _conversation(receive(channel, body="Also, do you have parking?"))
    assert second.pk == first.pk
    assert second.messages.count() == 2


def test_a_message_wakes_a_snoozed_conversation(channel, receive):
    conversation = _conversation(receive(channel))
    conversation.status, conversation.snoozed_until = "snoozed", timezone.now() + timedelta(days=1)
    conversation.save()
    again = _conversation(receive(channel, body="Any news?"))
    assert again.pk == conversation.pk
    assert (again.status, again.snoozed_until) == ("open", None)


def test_a_message_moves_a_pending_conversation_back_to_open(channel, receive):
    conversation = _conversation(receive(channel))
    Conversation.objects.filter(pk=conversation.pk).update(status="pending")
    again = _conversation(receive(channel, body="Here is my card number"))
    assert (again.pk, again.status) == (conversation.pk, "open")


def test_a_resolved_conversation_reopens_within_the_threading_window(channel, receive):
    conversation = _conversation(receive(channel))
    Conversation.objects.filter(pk=conversation.pk).update(
        status="resolved", resolved_at=timezone.now()
    )
    later = timezone.now() + timedelta(hours=23)
    again = _conversation(receive(channel, body="One more thing", received_at=later))
    assert again.pk == conversation.pk
    assert (again.status, again.resolved_at) == ("open", None)


def test_after_the_threading_window_a_new_conversation_starts(channel, receive):
    conversation = _conversation(receive(channel))
    Conversation.objects.filter(pk=conversation.pk).update(status="resolved")
    later = timezone.now() + timedelta(hours=25)
    again = _conversation(receive(channel, body="New question", received_at=later))
    assert again.pk != conversation.pk
    assert again.number == conversation.number + 1
    assert Conversation.objects.get(pk=conversation.pk).status == "resolved"


def test_the_threading_window_is_a_channel_setting(make_channel, receive):
    channel = make_channel(threading_window_hours=48)
    conversation = _conversation(receive(channel))
    Conversation.objects.filter(pk=conversation.pk).update(status="resolved")
    later = timezone.now() + timedelta(hours=30)
    assert _conversation(receive(channel, received_at=later)).pk == conversation.pk


def test_the_same_customer_on_another_channel_gets_another_conversation(make_channel, receive):
    form = make_channel(name="Contact form")
    kiosk = make_channel(name="Branch kiosk form")
    on_form = _conversation(receive(form))
    on_kiosk = _conversation(receive(kiosk))
    assert on_form.pk != on_kiosk.pk
    assert on_form.contact_id == on_kiosk.contact_id


def test_another_customer_gets_their_own_conversation(channel, receive):
    ada = _conversation(receive(channel, sender="ada@example.org"))
    bob = _conversation(receive(channel, sender="bob@example.org"))
    assert ada.pk != bob.pk


def test_a_thread_key_finds_the_conversation_it_replies_to(channel, receive):
    old = _conversation(receive(channel, body="First question"))
    Message.objects.filter(conversation=old).update(provider_message_id="<reply-1@desk.example>")
    Conversation.objects.filter(pk=old.pk).update(status="resolved")
    newer = _conversation(receive(channel, body="Second question"))
    Conversation.objects.filter(pk=newer.pk).update(status="open")
    # Weeks later, the customer answers the first thread: it wins over the open one
    # and over the threading window.
    much_later = timezone.now() + timedelta(days=30)
    row = receive(
        channel,
        body="Thanks, that worked",
        thread_key="<reply-1@desk.example>",
        received_at=much_later,
    )
    assert _conversation(row).pk == old.pk
    assert _conversation(row).status == "open"


def test_a_known_address_resolves_to_the_existing_contact(channel, riverside, receive):
    known = create_contact(
        riverside, name="Ana Lopez", identities=[("email", "ana@example.org")], by=None
    )
    row = receive(channel, sender="ANA@Example.org", name="A. Lopez")
    conversation = _conversation(row)
    assert conversation.contact_id == known.pk
    assert conversation.contact.name == "Ana Lopez"


def test_a_contact_merged_later_keeps_all_conversations(channel, riverside, receive):
    from frontdesk.core.actions.contacts import merge_contacts

    by_email = _conversation(receive(channel, sender="sam@example.org", name="Sam"))
    by_phone = _conversation(
        receive(channel, sender="+1 555 010 0199", sender_kind="phone", name="Sam R.")
    )
    assert by_email.contact_id != by_phone.contact_id
    merge_contacts(by_email.contact, by_phone.contact, by=None)
    # The next text from the phone lands with the merged contact's conversation.
    row = receive(channel, sender="+15550100199", sender_kind="phone", body="It's Sam again")
    assert _conversation(row).pk == by_phone.pk
    assert set(
        Conversation.objects.filter(contact=by_email.contact).values_list("pk", flat=True)
    ) == {by_email.pk, by_phone.pk}
