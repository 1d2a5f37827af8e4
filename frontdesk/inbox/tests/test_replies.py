from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from frontdesk.connectors import base
from frontdesk.core.actions.contacts import add_identity, create_contact
from frontdesk.core.models import IdentityKind
from frontdesk.inbox import actions
from frontdesk.inbox.actions import InboxError
from frontdesk.inbox.actions.replies import MAX_DELIVERY_ATTEMPTS, backoff_for
from frontdesk.inbox.models import Conversation, Message
from frontdesk.inbox.tests.conftest import install_kind

pytestmark = pytest.mark.django_db


@pytest.fixture
def maya(cast):
    member = cast["agent"]
    member.signature = "Maya Patel\nYouth Services Librarian\nRiverside Public Library"
    member.sms_sign_off = "– Maya @ Riverside"
    member.save()
    return member


@pytest.fixture
def reply(django_capture_on_commit_callbacks):
    """Send a reply as a view would, delivering it after commit (tasks run inline)."""

    def send(conversation, *, by, body="Yes, we open at noon on Sundays.", **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            message = actions.send_reply(conversation, body=body, by=by, **kwargs)
        message.refresh_from_db()
        return message

    return send


@pytest.fixture
def customer_conversation(channel, receive):
    row = receive(
        channel,
        sender="ada@example.org",
        name="Ada Lovelace",
        subject="Sunday hours",
        body="Are you open on Sunday?",
    )
    return Conversation.objects.get(messages__inbound_event=row)


def test_a_reply_goes_out_by_email_as_the_staff_member_with_their_signature(
    customer_conversation, maya, reply
):
    message = reply(customer_conversation, by=maya)

    assert message.status == "sent"
    assert message.attempts == 1
    assert message.sent_at is not None
    [email] = mail.outbox
    assert email.to == ["Ada Lovelace <ada@example.org>"]
    assert email.from_email.startswith("Maya Patel via Riverside Public Library <")
    assert email.subject == "Re: Sunday hours"
    assert email.body == (
        "Yes, we open at noon on Sundays.\n\n-- \n"
        "Maya Patel\nYouth Services Librarian\nRiverside Public Library\n"
    )
    assert message.provider_message_id == email.extra_headers["Message-ID"]


def test_the_first_reply_stamps_the_first_response_and_ends_the_wait(
    customer_conversation, maya, reply
):
    assert customer_conversation.waiting_since is not None
    first = reply(customer_conversation, by=maya)
    customer_conversation.refresh_from_db()
    assert customer_conversation.first_response_at == first.created_at
    assert customer_conversation.waiting_since is None
    reply(customer_conversation, by=maya, body="And the café opens at one.")
    customer_conversation.refresh_from_db()
    assert customer_conversation.first_response_at == first.created_at


def test_a_second_reply_threads_onto_the_first_by_message_id(customer_conversation, maya, reply):
    first = reply(customer_conversation, by=maya)
    reply(customer_conversation, by=maya, body="P.S. bring your card.")
    second_email = mail.outbox[1]
    assert second_email.extra_headers["In-Reply-To"] == first.provider_message_id
    assert second_email.extra_headers["References"] == first.provider_message_id


def test_delivering_the_same_reply_twice_sends_one_email(customer_conversation, maya, reply):
    message = reply(customer_conversation, by=maya)
    assert actions.deliver_message(message.pk) is None
    assert actions.deliver_message(message.pk) is None
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1


def test_a_reply_with_attachments_carries_the_files(customer_conversation, maya, reply):
    upload = SimpleUploadedFile("map.txt", b"Second floor, left.", content_type="text/plain")
    message = reply(customer_conversation, by=maya, attachments=[upload])
    [attachment] = message.attachments.all()
    assert attachment.file.name.startswith("attachments/")
    assert mail.outbox[0].attachments == [("map.txt", "Second floor, left.", "text/plain")]


def test_an_empty_reply_is_refused(customer_conversation, maya):
    with pytest.raises(InboxError, match="Write a reply"):
        actions.send_reply(customer_conversation, body="   ", by=maya)


def test_no_address_fails_permanently_with_the_reason_and_retry_sends_it(
    channel, riverside, make_conversation, maya, reply, django_capture_on_commit_callbacks
):
    # A web-form customer who left only a phone number: email cannot reach them.
    contact = create_contact(
        riverside, name="Ben Ortiz", identities=[("phone", "555 010 0142")], by=None
    )
    conversation = make_conversation(contact=contact)

    message = reply(conversation, by=maya)

    assert message.status == "failed"
    assert (message.failure_code, message.failure_reason) == (
        "no_address",
        "Not deliverable: no address",
    )
    assert message.can_retry
    assert mail.outbox == []

    add_identity(contact, kind="email", value="ben@example.org", by=None)
    with django_capture_on_commit_callbacks(execute=True):
        actions.retry_delivery(message, by=maya)
    message.refresh_from_db()
    assert (message.status, message.failure_reason, message.attempts) == ("sent", "", 1)
    assert mail.outbox[0].to == ["Ben Ortiz <ben@example.org>"]


def test_only_a_failed_reply_can_be_retried(customer_conversation, maya, reply):
    message = reply(customer_conversation, by=maya)
    with pytest.raises(InboxError, match="Only a failed reply"):
        actions.retry_delivery(message, by=maya)


@pytest.fixture
def unreachable_smtp(settings):
    """An SMTP address where nothing listens: a bound socket that never listens, so
    every connection is refused (a mail server that is down)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = sock.getsockname()
    settings.EMAIL_TIMEOUT = 5
    yield
    sock.close()


def test_a_mail_server_that_is_down_queues_the_reply_again_with_backoff(
    customer_conversation, maya, reply, unreachable_smtp
):
    before = timezone.now()
    message = reply(customer_conversation, by=maya)
    assert message.status == "queued"
    assert message.failure_code == "smtp"
    assert message.next_attempt_at >= before + backoff_for(1)
    # Not due yet: a duplicate task does nothing.
    assert actions.deliver_message(message.pk) is None


def test_a_reply_fails_after_the_last_attempt(customer_conversation, maya, reply, unreachable_smtp):
    message = reply(customer_conversation, by=maya)
    for _ in range(MAX_DELIVERY_ATTEMPTS - 1):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        actions.deliver_message(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", MAX_DELIVERY_ATTEMPTS)
    assert "could not be reached" in message.failure_reason


def test_backoff_doubles_up_to_an_hour():
    assert [backoff_for(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_for(20) == timedelta(hours=1)


def test_the_sweep_gives_back_a_stale_sending_claim(customer_conversation, maya, reply):
    message = reply(customer_conversation, by=maya)
    Message.objects.filter(pk=message.pk).update(
        status="sending",
        claimed_at=timezone.now() - timedelta(minutes=6),
        created_at=timezone.now() - timedelta(minutes=6),
    )
    assert actions.sweep_deliveries() == 1
    message.refresh_from_db()
    assert message.status == "sent"
    assert len(mail.outbox) == 2  # at-least-once when a worker died mid-send


def test_delivery_reports_update_the_reply(customer_conversation, riverside, maya, reply):
    message = reply(customer_conversation, by=maya)
    actions.record_delivery_status(
        riverside, provider_message_id=message.provider_message_id, status="delivered"
    )
    message.refresh_from_db()
    assert message.status == "delivered" and message.delivered_at is not None
    actions.record_delivery_status(
        riverside, provider_message_id=message.provider_message_id, status="sent"
    )
    message.refresh_from_db()
    assert message.status == "delivered"
    actions.record_delivery_status(
        riverside,
        provider_message_id=message.provider_message_id,
        status="undelivered",
        error_code="30003",
        error_message="Unreachable destination handset",
    )
    message.refresh_from_db()
    assert (message.status, message.failure_code) == ("failed", "30003")
    # Staff see the provider's code with its text, to look it up or tell the provider.
    assert message.failure_reason == "Unreachable destination handset (error 30003)"


def test_a_delivery_report_after_a_failure_report_clears_the_failure(
    customer_conversation, riverside, maya, reply
):
    # Reports can arrive out of order; "delivered" is proof, so the reason staff saw goes.
    message = reply(customer_conversation, by=maya)
    for status in ("undelivered", "delivered"):
        actions.record_delivery_status(
            riverside,
            provider_message_id=message.provider_message_id,
            status=status,
            error_code="30005" if status == "undelivered" else None,
            error_message="Unknown destination handset" if status == "undelivered" else None,
        )
    message.refresh_from_db()
    assert (message.status, message.failure_code, message.failure_reason) == ("delivered", "", "")


def test_delivery_reports_for_unknown_or_foreign_ids_change_nothing(
    customer_conversation, hillview, maya, reply
):
    message = reply(customer_conversation, by=maya)
    assert (
        actions.record_delivery_status(
            hillview, provider_message_id=message.provider_message_id, status="failed"
        )
        is None
    )
    message.refresh_from_db()
    assert message.status == "sent"


class TextStandIn(base.Connector):
    """A test-only SMS-like adapter: only compose_outbound is exercised with it."""

    kind = "text-stand-in"
    label = "Text (test)"
    reply_identity_kind = IdentityKind.PHONE
    sign_off = "short"

    def send(self, channel, message):  # pragma: no cover - never called
        raise NotImplementedError


@pytest.fixture
def text_channel(make_channel, monkeypatch):
    install_kind(monkeypatch, TextStandIn)
    return make_channel(kind=TextStandIn.kind, name="Texts")


def _text_reply(text_channel, riverside, make_conversation, author) -> Message:
    contact = create_contact(
        riverside, name="Cy", identities=[("phone", "+1 555 010 0177")], by=None
    )
    conversation = make_conversation(channel_=text_channel, contact=contact)
    return Message.objects.create(
        workspace=riverside,
        conversation=conversation,
        kind="reply",
        author=author,
        body="Your hold is ready.",
        channel=text_channel,
        status="queued",
    )


def test_compose_outbound_signs_texts_only_when_the_workspace_wants_it(
    text_channel, riverside, make_conversation, maya, cast
):
    message = _text_reply(text_channel, riverside, make_conversation, maya)
    unsigned = actions.compose_outbound(message)
    assert (unsigned.to_address, unsigned.signature) == ("+15550100177", "")
    assert unsigned.sender_display_name == "Maya Patel"

    actions.update_inbox_settings(riverside, by=cast["owner"], sms_sign_with_first_name=True)
    assert actions.compose_outbound(message).signature == "– Maya @ Riverside"

    maya.sms_sign_off = ""
    maya.save()
    message.author = maya
    assert actions.compose_outbound(message).signature == "– Maya"


def test_compose_outbound_for_email_like_channels_uses_the_signature(
    customer_conversation, maya, riverside
):
    message = Message.objects.create(
        workspace=riverside,
        conversation=customer_conversation,
        kind="reply",
        author=maya,
        body="Hello",
        channel=customer_conversation.channel,
        status="queued",
    )
    outbound = actions.compose_outbound(message)
    assert outbound.to_address == "ada@example.org"
    assert outbound.to_name == "Ada Lovelace"
    assert outbound.signature.startswith("Maya Patel\nYouth Services")
    assert outbound.subject == "Re: Sunday hours"
    assert outbound.thread_key is not None  # the customer's submission id


def test_a_reply_goes_to_the_address_the_customer_last_wrote_from(
    channel, riverside, receive, maya
):
    receive(channel, sender="ada@example.org")
    row = receive(channel, sender="ada@work.example", name="Ada Lovelace")
    conversation = Conversation.objects.get(messages__inbound_event=row)
    assert conversation.contact.identities.count() == 1  # a new address, a new contact
    message = Message.objects.create(
        workspace=riverside,
        conversation=conversation,
        kind="reply",
        author=maya,
        body="Hi",
        channel=channel,
    )
    assert actions.compose_outbound(message).to_address == "ada@work.example"


def test_a_failed_reply_keeps_the_customer_waiting_and_marks_the_conversation(
    channel, riverside, receive, maya, reply, django_capture_on_commit_callbacks
):
    # Issue 20, item 2: a web-form patron who left only a phone number.
    row = receive(channel, sender="ben@example.org", name="Ben Ortiz", body="Card lost")
    conversation = Conversation.objects.get(messages__inbound_event=row)
    asked_at = conversation.waiting_since
    conversation.contact.identities.all().delete()
    add_identity(conversation.contact, kind="phone", value="555 010 0142", by=None)

    message = reply(conversation, by=maya)

    assert message.status == "failed"
    conversation.refresh_from_db()
    assert conversation.waiting_since == asked_at
    assert conversation.reply_failed_at is not None

    # A retry is a new try: no longer marked; it fails again, marked again.
    with django_capture_on_commit_callbacks(execute=True):
        actions.retry_delivery(message, by=maya)
    conversation.refresh_from_db()
    assert (conversation.waiting_since, conversation.reply_failed_at is not None) == (
        asked_at,
        True,
    )

    # A reply that goes through ends the wait and the mark.
    add_identity(conversation.contact, kind="email", value="ben@example.org", by=None)
    reply(conversation, by=maya, body="Here is how to replace your card.")
    conversation.refresh_from_db()
    assert (conversation.waiting_since, conversation.reply_failed_at) == (None, None)


def test_a_provider_failure_report_makes_the_customer_wait_again(
    customer_conversation, riverside, maya, reply
):
    message = reply(customer_conversation, by=maya)
    customer_conversation.refresh_from_db()
    assert customer_conversation.waiting_since is None
    Message.objects.filter(pk=message.pk).update(provider_message_id="SM-failed-1")

    actions.record_delivery_status(
        riverside, provider_message_id="SM-failed-1", status="undelivered", error_code="30005"
    )

    customer_conversation.refresh_from_db()
    assert customer_conversation.waiting_since is not None
    assert customer_conversation.reply_failed_at is not None
