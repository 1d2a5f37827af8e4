"""A conversation page: history, notes, delivery, files, the customer, the composer."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from typing import ClassVar

import pytest
from django.core import mail
from PIL import Image

from frontdesk.connectors import base
from frontdesk.connectors.base import Connector, ConnectorError, DeliveryResult
from frontdesk.core.actions.contacts import set_consent
from frontdesk.core.models import IdentityKind, Membership
from frontdesk.inbox import actions, kinds
from frontdesk.inbox.models import Message, Notification, SavedReply
from frontdesk.inbox.tests.conftest import install_kind

pytestmark = pytest.mark.django_db


def _pillow_png(size: tuple[int, int] = (1, 1)) -> bytes:
    """A real PNG as Pillow writes it: Frontdesk re-encodes every picture it keeps (to
    drop metadata), and a picture without any comes back as these very bytes."""
    buffer = io.BytesIO()
    Image.new("RGBA", size, (20, 120, 200, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _pillow_png()


def url(conversation, suffix: str = "") -> str:
    return f"/w/riverside/inbox/{conversation.number}/{suffix}"


@pytest.fixture
def conversation(channel, receive):
    return receive(
        channel, name="Ana Lopez", sender="ana@example.org", body="Is my hold ready?"
    ).message.conversation


def test_the_page_shows_messages_replies_and_notes_apart(
    cast, client_for, conversation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, body="It is on the shelf.", by=cast["agent"])
        actions.add_note(conversation, body="@Amir Haddad she asked twice", by=cast["agent"])

    body = client_for(cast["agent"]).get(url(conversation)).content.decode()

    assert 'class="msg msg-incoming"' in body and "Is my hold ready?" in body
    assert 'class="msg msg-reply"' in body and "It is on the shelf." in body
    assert 'class="msg msg-note"' in body and "Private note" in body
    assert '<span class="mention">@Amir Haddad</span> she asked twice' in body
    # The web form adapter sent the reply by email: the page says so.
    assert 'data-delivery="sent"' in body
    assert [m.to for m in mail.outbox if "It is on the shelf." in m.body] == [
        ["Ana Lopez <ana@example.org>"]
    ]


def test_a_failed_reply_shows_why_and_can_be_sent_again(
    cast, client_for, conversation, django_capture_on_commit_callbacks
):
    class Refusing(Connector):
        kind = "webform"
        label = "Web form"
        reply_identity_kind = IdentityKind.EMAIL

        def send(self, channel, message):
            raise ConnectorError("The mail server refused the address", permanent=True)

    installed = kinds.installed()
    original = installed["webform"]
    installed["webform"] = dataclasses.replace(original, adapter=Refusing)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            reply = actions.send_reply(conversation, body="Hello", by=cast["agent"])
    finally:
        installed["webform"] = original
    client = client_for(cast["agent"])
    body = client.get(url(conversation)).content.decode()
    assert "Not delivered" in body and "The mail server refused the address" in body
    assert url(conversation, f"messages/{reply.pk}/retry/") in body

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(conversation, f"messages/{reply.pk}/retry/"), HTTP_HX_REQUEST="true"
        )

    assert response.status_code == 200
    reply.refresh_from_db()
    assert reply.status == "sent"  # the real adapter, back in the registry, sent it
    assert f'id="msg-{reply.pk}"' in response.content.decode()
    assert 'data-delivery="queued"' in response.content.decode()  # as it was when queued


def test_images_show_inline_and_files_as_links_served_to_staff_only(
    cast, client_for, channel, receive, make_event, hillview
):
    event = make_event(
        attachments=(
            base.InboundAttachment("shelf.png", "image/png", len(PNG), data=PNG),
            base.InboundAttachment("notes.html", "text/html", 12, data=b"<script>x</script>"),
        )
    )
    conversation = receive(channel, event).message.conversation
    image, page = conversation.messages.get().attachments.order_by("id")
    client = client_for(cast["agent"])

    body = client.get(url(conversation)).content.decode()
    assert f'<img src="/w/riverside/inbox/attachments/{image.pk}/"' in body
    assert f'href="/w/riverside/inbox/attachments/{page.pk}/"' in body and "notes.html" in body

    shown = client.get(f"/w/riverside/inbox/attachments/{image.pk}/")
    assert shown["Content-Type"] == "image/png"
    assert b"".join(shown.streaming_content) == PNG
    # Anything but a plain image downloads, so it can never run on our origin.
    downloaded = client.get(f"/w/riverside/inbox/attachments/{page.pk}/")
    assert downloaded["Content-Type"] == "application/octet-stream"
    assert downloaded["Content-Disposition"].startswith("attachment;")
    # Another workspace's staff cannot read it.
    outsider = client_for(cast["outsider"])
    assert outsider.get(f"/w/hillview/inbox/attachments/{image.pk}/").status_code == 404


def test_the_profile_card_shows_addresses_consent_and_other_conversations(
    cast, client_for, conversation, make_channel, receive
):
    contact = conversation.contact
    set_consent(contact, topic="sms", status="revoked", source="STOP", by=cast["agent"])
    other = receive(
        make_channel(name="Kiosk"), name="Ana Lopez", sender="ana@example.org", body="Thanks!"
    ).message.conversation

    body = client_for(cast["agent"]).get(url(conversation)).content.decode()

    assert "ana@example.org" in body
    assert "Opted out of texts" in body  # prominent, not just a badge
    assert "Texts: revoked" in body or "Texts: opted out" in body
    assert url(other) in body  # their other conversation, linked
    assert f"/w/riverside/contacts/{contact.pk}/" in body


def test_saved_replies_come_filled_in_for_this_customer(cast, client_for, conversation):
    SavedReply.objects.create(
        workspace=conversation.workspace,
        title="Hold ready",
        body="Hi {{ contact.first_name }}, your hold is ready. – {{ me.first_name }}",
    )
    body = client_for(cast["agent"]).get(url(conversation)).content.decode()
    assert re.search(
        r'<template id="saved-\d+">Hi Ana, your hold is ready. – Maya</template>', body
    )


def test_the_reply_preview_shows_the_email_signature(cast, client_for, conversation):
    Membership.objects.filter(pk=cast["agent"].pk).update(
        signature="Maya Patel\nYouth Services, Riverside"
    )
    body = client_for(cast["agent"]).get(url(conversation)).content.decode()
    assert "Sent as <strong>Maya Patel</strong> via Riverside Public Library" in body
    assert "Maya Patel · Youth Services, Riverside" in body


class TextMessages(Connector):
    """An SMS-like channel for the sign-off preview (the SMS connector comes later)."""

    kind = "sms-test"
    label = "Text messages"
    reply_identity_kind = IdentityKind.PHONE
    sign_off: ClassVar = "short"

    def send(self, channel, message):
        return DeliveryResult(provider_message_id="x", status="sent")


def test_the_reply_preview_on_texts_follows_the_workspace_setting(
    cast, client_for, monkeypatch, make_channel, receive, make_event
):
    install_kind(monkeypatch, TextMessages)
    texts = make_channel(kind=TextMessages.kind, name="Main desk texts")
    event = make_event(kind=TextMessages.kind, sender="+15550100123", sender_kind="phone")
    conversation = receive(texts, event).message.conversation
    client = client_for(cast["agent"])

    assert "no sign-off on texts" in client.get(url(conversation)).content.decode()
    actions.update_inbox_settings(
        conversation.workspace, by=cast["owner"], sms_sign_with_first_name=True
    )
    assert "Ends with <strong>“– Maya”</strong>" in client.get(url(conversation)).content.decode()


def test_notes_offer_colleagues_to_mention(cast, client_for, conversation):
    body = client_for(cast["agent"]).get(url(conversation)).content.decode()
    data = re.search(r'<script id="mention-data" type="application/json">(.*?)</script>', body)
    names = [item["name"] for item in json.loads(data.group(1))]
    assert names == ["Amir Haddad", "Mo Okafor", "Olivia Owens"]  # everyone but me


def test_opening_a_conversation_marks_its_notifications_read(
    cast, client_for, conversation, django_capture_on_commit_callbacks
):
    actions.assign_conversation(conversation, assignee=cast["agent"], by=cast["admin"])
    actions.add_note(conversation, body="@Maya look", by=cast["admin"])
    assert Notification.objects.filter(recipient=cast["agent"], read_at=None).count() == 2

    client_for(cast["agent"]).get(url(conversation))

    assert Notification.objects.filter(recipient=cast["agent"], read_at=None).count() == 0


def test_earlier_conversations_of_the_customer_load_into_the_timeline(
    cast, client_for, conversation, make_channel, receive
):
    newer = receive(
        make_channel(name="Kiosk"), name="Ana Lopez", sender="ana@example.org", body="Second"
    ).message.conversation
    client = client_for(cast["agent"])
    body = client.get(url(newer)).content.decode()
    assert f'hx-get="{url(conversation, "timeline/")}?earlier=1"' in body

    earlier = client.get(url(conversation, "timeline/?earlier=1"), HTTP_HX_REQUEST="true")
    assert "Is my hold ready?" in earlier.content.decode()


def test_the_timeline_fragment_returns_only_newer_messages(
    cast, client_for, conversation, django_capture_on_commit_callbacks
):
    first = conversation.messages.get()
    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.send_reply(conversation, body="Newer", by=cast["agent"])
    response = client_for(cast["agent"]).get(
        url(conversation, f"timeline/?after={first.pk}"), HTTP_HX_REQUEST="true"
    )
    assert re.findall(r'id="msg-(\d+)"', response.content.decode()) == [str(reply.pk)]


def test_a_message_fragment_is_scoped_to_its_conversation(
    cast, client_for, conversation, make_conversation
):
    message = conversation.messages.get()
    other = make_conversation()
    client = client_for(cast["agent"])
    assert client.get(url(conversation, f"messages/{message.pk}/")).status_code == 200
    assert client.get(url(other, f"messages/{message.pk}/")).status_code == 404


def test_the_page_costs_the_same_queries_for_3_or_15_messages(
    cast, client_for, channel, receive, django_assert_max_num_queries
):
    # A customer without a name: the page names them by their address on every message.
    conversation = receive(channel, name="", sender="nameless@example.org").message.conversation
    client = client_for(cast["agent"])

    def grow(to: int) -> None:
        while Message.objects.filter(conversation=conversation).count() < to:
            count = Message.objects.filter(conversation=conversation).count()
            if count % 3 == 0:
                actions.add_note(conversation, body=f"@Amir note {count}", by=cast["agent"])
            else:
                receive(channel, name="", sender="nameless@example.org", body=f"more {count}")

    grow(3)
    client.get(url(conversation))
    with django_assert_max_num_queries(30) as small:
        assert client.get(url(conversation)).status_code == 200
    # Counted now: Django's query log keeps the last 9,000, so a slice read later
    # may be empty.
    small_count = len(small.captured_queries)
    assert small_count > 5
    grow(15)
    client.get(url(conversation))  # read again, like the first: no read mark to write
    with django_assert_max_num_queries(small_count) as large:
        body = client.get(url(conversation)).content.decode()
        large_count = len(large.captured_queries)
    assert body.count('class="msg msg-') == 15
    assert large_count == small_count


def test_a_moderator_can_write_notes_but_not_replies(cast, client_for, conversation):
    body = client_for(cast["moderator"]).get(url(conversation)).content.decode()
    assert 'data-mode="note"' in body
    assert 'data-mode="reply"' not in body.split('class="composer-tabs"')[1].split("</div>")[0]
    assert "Resolve" not in body.split('id="conversation-header"')[1].split("</header>")[0]
