"""Outreach fixtures: Riverside's email channel sending to a real SMTP sink
(aiosmtpd on loopback), Maya Patel as a sender identity, contacts with custom fields."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage

import pytest

from frontdesk.channels.email.actions import create_email_channel
from frontdesk.core.models import Contact, ContactIdentity, Membership, Workspace
from frontdesk.inbox.models import Channel
from frontdesk.outreach.actions.authoring import create_sender_identity, create_template
from frontdesk.outreach.models import ContactData, SenderIdentity, Template

DESK = "desk@riverside.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Sink:
    """A real SMTP server that keeps every message it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: list[tuple[str, list[str], bytes]] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append(
                (envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
            )
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for _f, _t, raw in self.received
        ]


@pytest.fixture
def smtp_sink() -> Iterator[Sink]:
    sink = Sink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


def make_email_channel(workspace: Workspace, *, port: int, by: Membership) -> Channel:
    """The desk's email channel, sending by plain SMTP to 127.0.0.1:`port` (a sink)."""
    return create_email_channel(
        workspace,
        name="Front desk email",
        setup={
            "address": DESK,
            "display_name": "",
            "outbound_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_use_tls": False,
        },
        by=by,
    )


@pytest.fixture
def email_channel(cast, riverside, smtp_sink) -> Channel:
    return make_email_channel(riverside, port=smtp_sink.port, by=cast["owner"])


@pytest.fixture
def maya_sender(cast, email_channel) -> SenderIdentity:
    return create_sender_identity(
        member=cast["agent"],
        title="Youth Services Librarian",
        signature="Maya Patel\nYouth Services Librarian, Riverside Public Library",
        email_channel=email_channel,
        by=cast["owner"],
    )


@pytest.fixture
def make_contact(riverside) -> Callable[..., Contact]:
    def make(name: str, address: str, **fields: str) -> Contact:
        contact = Contact.objects.create(workspace=riverside, name=name)
        ContactIdentity.objects.create(
            workspace=riverside, contact=contact, kind="email", value=address.lower()
        )
        if fields:
            ContactData.objects.create(workspace=riverside, contact=contact, fields=fields)
        return contact

    return make


@pytest.fixture
def welcome(cast, riverside) -> Template:
    return create_template(
        riverside.pk,
        name="Welcome",
        subject='Welcome to the library, {{ contact.first_name|default:"friend" }}!',
        html=(
            '<p>Hi {{ contact.first_name|default:"there" }},</p>\n'
            '<p>Your home branch is <b>{{ custom.branch|default:"any branch" }}</b>.</p>\n'
            "<p>Just reply to this email if you have a question; I read every answer.</p>"
        ),
        by=cast["agent"],
    )
