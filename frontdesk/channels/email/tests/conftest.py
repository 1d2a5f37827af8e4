"""Email channel fixtures: a channel of Riverside's, raw mail as a client writes it,
intake run on stored events, a real SMTP sink (aiosmtpd on loopback), Amazon SNS's
certificate host on loopback (with the key it signs with), and for IMAP one private
Dovecot and one loopback OAuth2 provider per test process."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.utils import timezone
from imapclient import IMAPClient

from frontdesk.channels.email.actions import create_email_channel
from frontdesk.channels.email.models import EmailChannelConfig
from frontdesk.channels.email.tests.dovecot import Dovecot
from frontdesk.channels.email.tests.oauth_server import OAuthProvider, OAuthServer
from frontdesk.channels.email.tests.sns_peer import SnsPeer
from frontdesk.channels.email.tests.sns_peer import sns_peer as serve_sns
from frontdesk.connectors.email import sns as sns_connector
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


# IMAP: a private Dovecot and a loopback OAuth2 provider per test process.
@pytest.fixture(scope="session")
def oauth_server() -> Iterator[OAuthServer]:
    with OAuthServer() as server:
        yield server


@pytest.fixture
def oauth_provider(oauth_server: OAuthServer) -> OAuthProvider:
    provider = oauth_server.reset()
    provider.add_client("frontdesk-client", "client-secret-123")
    return provider


@pytest.fixture(scope="session")
def dovecot(oauth_server: OAuthServer) -> Iterator[Dovecot]:
    server = Dovecot(oauth2_introspection_url=oauth_server.url + "/introspect")
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def running_dovecot(dovecot: Dovecot) -> Dovecot:
    """The server, started again if an earlier test stopped it."""
    if dovecot.process is None or dovecot.process.poll() is not None:
        dovecot.start()
    return dovecot


class ImapUser:
    """A fresh mailbox on the Dovecot, and a client to put mail into it."""

    def __init__(self, server: Dovecot, username: str, password: str) -> None:
        self.server = server
        self.username = username
        self.password = password

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.server.port, ssl=False, timeout=10)
        client.login(self.username, self.password)
        return client

    def append(self, *messages: bytes, folder: str = "INBOX", flags: tuple = ()) -> None:
        with self.client() as client:
            for raw in messages:
                client.append(folder, raw, flags=flags)

    def flags(self, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            found = client.fetch(client.search(["ALL"]), ["FLAGS"])
            # \Recent belongs to a session, not to the message: left out.
            return {
                uid: tuple(sorted(f for f in data[b"FLAGS"] if f != b"\\Recent"))
                for uid, data in found.items()
            }

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.client() as client:
            return int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])


@pytest.fixture
def imap_user(running_dovecot: Dovecot) -> ImapUser:
    name, password = running_dovecot.new_user()
    return ImapUser(running_dovecot, name, password)


def make_raw(n: int, *, subject: str = "", sender: str = "", body: str = "") -> bytes:
    """A small real message, numbered so tests can tell them apart."""
    sender = sender or f"patron{n}@example.net"
    # The same n is the same message (a re-appended copy is recognised as such).
    message_id = f"<question-{n}@example.net>"
    date = format_datetime(datetime(2026, 11, 1, 9, n % 60, tzinfo=UTC))
    return (
        f"From: Patron {n} <{sender}>\r\n"
        f"To: desk@riverside.example\r\n"
        f"Subject: {subject or f'Question {n}'}\r\n"
        f"Date: {date}\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{body or f'Hello, this is question number {n}.'}\r\n"
    ).encode()


@pytest.fixture
def make_mailbox(email_channel, imap_user):
    """An ImapMailbox (password sign-in) reading `imap_user`'s INBOX over plain IMAP on
    loopback; keyword arguments override fields."""
    from frontdesk.channels.email.imap_models import ImapMailbox

    def make(**fields) -> ImapMailbox:
        values = {
            "workspace": email_channel.workspace,
            "channel": email_channel,
            "host": "127.0.0.1",
            "port": imap_user.server.port,
            "security": "none",
            "username": imap_user.username,
            "password": imap_user.password,
            "folder": "INBOX",
        } | fields
        return ImapMailbox.objects.create(**values)

    return make


@pytest.fixture
def imap_settings(settings):
    settings.IMAP_TIMEOUT_SECONDS = 10
    settings.IMAP_BATCH_SIZE = 3
    return settings


@pytest.fixture(scope="session")
def sns_server() -> Iterator[SnsPeer]:
    with serve_sns() as peer:
        yield peer


@pytest.fixture
def sns(sns_server: SnsPeer, settings) -> Iterator[SnsPeer]:
    """SNS's stand-in, the only allowed certificate host (so nothing is fetched from
    AWS), with an empty certificate cache and request log."""
    settings.SNS_ALLOWED_URLS = [sns_server.url + "/"]
    sns_connector.CERTIFICATES.clear()
    sns_server.peer.seen.clear()
    yield sns_server
    sns_connector.CERTIFICATES.clear()
