"""Email channel fixtures: a channel of Riverside's, raw mail as a client writes it,
intake run on stored events, and a real SMTP sink (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.utils import timezone

from frontdesk.channels.email.actions import create_email_channel
from frontdesk.channels.email.models import EmailChannelConfig
from frontdesk.inbox import intake
from frontdesk.inbox.models import Channel, InboundEvent

DESK = "desk@riverside.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Sink:
    """A real SMTP server (aiosmtpd) that keeps what it is sent."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: list[tuple[str, list[str], bytes]] = []
        self.arrived = threading.Condition()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        with self.arrived:
            self.received.append(
                (envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
            )
            self.arrived.notify_all()
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for _f, _t, raw in self.received
        ]

    def last(self) -> EmailMessage:
        return self.messages()[-1]


@pytest.fixture
def smtp_sink():
    sink = Sink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def email_channel(cast, riverside, smtp_sink) -> Channel:
    """Riverside's email channel, sending through the loopback sink."""
    return create_email_channel(
        riverside,
        name="Front desk email",
        setup={
            "address": DESK,
            "display_name": "",
            "outbound_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_sink.port,
            "smtp_use_tls": False,
        },
        by=cast["owner"],
    )


@pytest.fixture
def config(email_channel) -> EmailChannelConfig:
    return EmailChannelConfig.objects.get(channel=email_channel)


def write_mail(
    *,
    sender: str = "Grace Hopper <grace@example.org>",
    to: str = DESK,
    subject: str = "Large-print books?",
    body: str = "Do you have large-print books?\n",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    cc: str = "",
    headers: dict[str, str] | None = None,
    html: str = "",
) -> bytes:
    """Raw bytes of a mail as a mail client writes it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="example.org")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


@pytest.fixture
def mail() -> Callable[..., bytes]:
    return write_mail


@pytest.fixture
def run_intake() -> Callable[[int], InboundEvent]:
    """Process one stored event as the worker does (the batch path), then read it."""

    def run(event_id: int) -> InboundEvent:
        claimed = intake.claim_inbound_events(limit=100)
        if claimed:
            intake._process_batch(claimed)
        return InboundEvent.objects.get(pk=event_id)

    return run
