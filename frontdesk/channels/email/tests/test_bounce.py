"""A bounce (RFC 3464 multipart/report) marks the address and the reply it answers."""

from __future__ import annotations

import pytest

from frontdesk.channels.email.models import UndeliverableAddress
from frontdesk.channels.email.receive import receive_raw
from frontdesk.inbox.actions.replies import deliver_message, send_reply
from frontdesk.inbox.models import Conversation, InboundEventStatus, Message, MessageKind

pytestmark = pytest.mark.django_db


def dsn(*, recipient: str, original_message_id: str, diagnostic: str) -> bytes:
    """A delivery status notification as Postfix writes one."""
    return (
        "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\n"
        "To: desk@riverside.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <20261204101500.ABC123@mx.example.org>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\r\n'
        "\r\n"
        "--B1\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n"
        "\r\n"
        "--B1\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n"
        "\r\n"
        "--B1\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        "From: Maya Patel via Riverside Public Library <desk@riverside.example>\r\n"
        f"To: {recipient}\r\n"
        f"Message-ID: {original_message_id}\r\n"
        "Subject: Re: Large-print books?\r\n"
        "\r\n"
        "--B1--\r\n"
    ).encode()


def test_a_bounce_marks_the_address_undeliverable_and_the_reply_failed(
    email_channel, mail, run_intake, cast
):
    first = run_intake(receive_raw(email_channel, mail(), via="smtpd").event_id)
    conversation: Conversation = first.message.conversation
    reply = deliver_message(send_reply(conversation, body="Yes!", by=cast["agent"]).pk)
    assert reply is not None and reply.status == "sent"
    report = dsn(
        recipient="grace@example.org",
        original_message_id=reply.provider_message_id,
        diagnostic="550 5.1.1 <grace@example.org>: Recipient address rejected: User unknown",
    )
    event = run_intake(receive_raw(email_channel, report, via="smtpd").event_id)
    assert event.status == InboundEventStatus.PROCESSED
    assert "bounce" in event.error.lower()
    reply.refresh_from_db()
    assert reply.status == "failed"
    assert "User unknown" in reply.failure_reason
    marked = UndeliverableAddress.objects.get(workspace=conversation.workspace)
    assert marked.address == "grace@example.org" and "User unknown" in marked.reason
    # The report is not a customer's message and answers nobody.
    assert list(Message.objects.filter(kind=MessageKind.INCOMING).values_list("pk", flat=True)) == [
        first.message.pk
    ]
    conversation.refresh_from_db()
    assert conversation.reply_failed_at is not None
    # Grace writes again: her address works after all.
    run_intake(receive_raw(email_channel, mail(body="I'm back"), via="smtpd").event_id)
    assert not UndeliverableAddress.objects.exists()
