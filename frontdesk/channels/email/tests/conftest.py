"""IMAP test fixtures: one private Dovecot and one loopback OAuth2 provider per test
process, a fresh IMAP user per test, an email channel and mailboxes reading it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from imapclient import IMAPClient

from frontdesk.channels.email.tests.dovecot import Dovecot
from frontdesk.channels.email.tests.oauth_server import OAuthProvider, OAuthServer


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
def email_channel(riverside):
    from frontdesk.inbox.models import Channel

    return Channel.objects.create(workspace=riverside, kind="email", name="Desk email")


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
