"""The web form adapter on its own: records in, an email out (locmem backend)."""

from __future__ import annotations

import pytest
from django.core import mail

from frontdesk.connectors.base import (
    ConnectorError,
    OutboundAttachment,
    OutboundMessage,
)
from frontdesk.connectors.webform.adapter import MailAccount, WebFormConnector

CHANNEL = MailAccount(workspace_name="Riverside Library")


def test_a_reply_is_an_email_from_the_person_with_their_signature(settings):
    settings.DEFAULT_FROM_EMAIL = "Frontdesk <desk@riverside.example>"
    result = WebFormConnector().send(
        CHANNEL,
        OutboundMessage(
            to_address="ada@example.org",
            to_name="Ada",
            body="See you Sunday.",
            subject="Re: Hours",
            sender_display_name="Maya Patel",
            signature="Maya\nYouth Services",
            thread_key="<earlier@riverside.example>",
            attachments=(OutboundAttachment("a.txt", "text/plain", b"hi"),),
        ),
    )
    [email] = mail.outbox
    assert result.status == "sent"
    assert result.provider_message_id == email.extra_headers["Message-ID"]
    assert result.provider_message_id.endswith("@riverside.example>")
    message = email.message()
    # The email channel's own message (one path for both): "via", text and HTML.
    assert message["From"] == "Maya Patel via Riverside Library <desk@riverside.example>"
    assert message["To"] == "Ada <ada@example.org>"
    assert message["In-Reply-To"] == "<earlier@riverside.example>"
    assert email.body == "See you Sunday.\n\n-- \nMaya\nYouth Services\n"
    assert email.alternatives[0][1] == "text/html"
    assert email.attachments == [("a.txt", "hi", "text/plain")]


def test_a_thread_key_that_is_no_message_id_is_not_sent_as_one():
    WebFormConnector().send(
        CHANNEL, OutboundMessage(to_address="a@example.org", body="x", thread_key="form-12")
    )
    assert "In-Reply-To" not in mail.outbox[0].extra_headers


def test_no_address_is_a_permanent_error():
    with pytest.raises(ConnectorError) as caught:
        WebFormConnector().send(CHANNEL, OutboundMessage(to_address=None, body="Hello"))
    assert caught.value.permanent
    assert (caught.value.code, caught.value.message) == (
        "no_address",
        "Not deliverable: no address",
    )
    assert mail.outbox == []
