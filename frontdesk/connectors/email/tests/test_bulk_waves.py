"""BulkSender.send_many: several messages at once, one connection each, one commit
point for all of them; against a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator

import pytest

from frontdesk.connectors.base import OutboundMessage
from frontdesk.connectors.email.adapter import EmailAccount
from frontdesk.connectors.email.bulk import BulkSender, Outgoing


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Peer:
    """Refuses `refuse` at RCPT (550) and answers 451 to the dot of mail for `defer`;
    keeps what it accepted, and counts connections."""

    def __init__(self) -> None:
        self.refuse: set[str] = set()
        self.defer: set[str] = set()
        self.accepted: list[tuple[list[str], bytes]] = []
        self.connections = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address in self.refuse:
            return "550 No such person here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if set(envelope.rcpt_tos) & self.defer:
            return "451 Try again later"
        with self.lock:
            self.accepted.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 OK"


@pytest.fixture
def peer() -> Iterator[tuple[Peer, EmailAccount]]:
    from aiosmtpd.controller import Controller

    handler = Peer()
    port = _port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    account = EmailAccount(
        address="desk@riverside.example",
        display_name="Riverside Public Library",
        backend="django.core.mail.backends.smtp.EmailBackend",
        backend_options={"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 5},
    )
    yield handler, account
    controller.stop()


def _mail(n: int) -> Outgoing:
    return Outgoing(
        OutboundMessage(
            to_address=f"reader{n}@example.org",
            to_name=f"Reader {n}",
            subject=f"News for reader {n}",
            body=f"Hello reader {n}.\n.a line that starts with a dot\n",
            sender_display_name="Maya Patel",
            message_id=f"<fd-c1-p{n}@riverside.example>",
        ),
        html=f"<p>Hello reader {n}.</p>",
        headers={"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


class Commits:
    """The caller's commit: records what it was asked, answers with `allow`."""

    def __init__(self, allow: set[int] | None = None) -> None:
        self.allow = allow
        self.asked: list[list[int]] = []

    def __call__(self, indexes: list[int]) -> list[int]:
        self.asked.append(list(indexes))
        return [i for i in indexes if self.allow is None or i in self.allow]


def _to(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=email.policy.default)["To"])


def test_a_wave_sends_each_message_once_over_connections_of_its_own(peer):
    handler, account = peer
    bulk = BulkSender(account, connections=4)
    commits = Commits()
    try:
        first = bulk.send_many([_mail(n) for n in range(4)], commit=commits)
        second = bulk.send_many([_mail(n) for n in range(4, 7)], commit=commits)
    finally:
        bulk.close()
    assert [o.committed for o in first + second] == [True] * 7
    assert [o.result.provider_message_id for o in first if o.result] == [
        f"<fd-c1-p{n}@riverside.example>" for n in range(4)
    ]
    # One commit per wave, naming every message of it.
    assert commits.asked == [[0, 1, 2, 3], [0, 1, 2]]
    assert sorted(rcpts[0] for rcpts, _ in handler.accepted) == sorted(
        f"reader{n}@example.org" for n in range(7)
    )
    for rcpts, raw in handler.accepted:
        n = rcpts[0].removeprefix("reader").split("@")[0]
        assert _to(raw) == f"Reader {n} <reader{n}@example.org>"
        assert f"Hello reader {n}.".encode() in raw
        # A line starting with a dot arrives as it was (stuffed, then unstuffed).
        assert b"\r\n.a line that starts with a dot" in raw
        assert b"\r\n..a line" not in raw
    # The four connections were opened once and kept for the second wave.
    assert handler.connections == 4


def test_a_refused_recipient_fails_alone_before_the_commit(peer):
    handler, account = peer
    handler.refuse = {"reader2@example.org"}
    bulk = BulkSender(account, connections=4)
    commits = Commits()
    try:
        outcomes = bulk.send_many([_mail(n) for n in range(4)], commit=commits)
    finally:
        bulk.close()
    refused = outcomes[2]
    assert refused.error is not None and refused.error.code == "recipient_refused"
    assert refused.error.permanent and not refused.committed
    assert [o.error for i, o in enumerate(outcomes) if i != 2] == [None] * 3
    assert commits.asked == [[0, 1, 3]]
    assert sorted(r[0] for r, _ in handler.accepted) == [
        "reader0@example.org",
        "reader1@example.org",
        "reader3@example.org",
    ]


def test_a_message_the_commit_leaves_out_is_abandoned_mid_data(peer):
    handler, account = peer
    bulk = BulkSender(account, connections=3)
    try:
        outcomes = bulk.send_many([_mail(n) for n in range(3)], commit=Commits(allow={0, 2}))
        assert outcomes[1].error is not None and outcomes[1].error.code == "claim_lost"
        assert not outcomes[1].committed
        assert [outcomes[0].committed, outcomes[2].committed] == [True, True]
        # Its connection was dropped; the next wave opens another and goes on.
        again = bulk.send_many([_mail(7)], commit=Commits())
    finally:
        bulk.close()
    assert again[0].error is None
    assert sorted(r[0] for r, _ in handler.accepted) == [
        "reader0@example.org",
        "reader2@example.org",
        "reader7@example.org",
    ]


def test_a_temporary_answer_to_the_dot_is_a_retry_after_the_commit(peer):
    handler, account = peer
    handler.defer = {"reader1@example.org"}
    bulk = BulkSender(account, connections=2)
    try:
        outcomes = bulk.send_many([_mail(0), _mail(1)], commit=Commits())
    finally:
        bulk.close()
    deferred = outcomes[1]
    assert deferred.committed
    assert deferred.error is not None and deferred.error.code == "451"
    assert not deferred.error.permanent
    assert outcomes[0].error is None
    assert [r[0] for r, _ in handler.accepted] == ["reader0@example.org"]


def test_no_more_messages_than_connections(peer):
    _handler, account = peer
    bulk = BulkSender(account, connections=2)
    with pytest.raises(ValueError, match="3 messages for 2 connections"):
        bulk.send_many([_mail(n) for n in range(3)], commit=Commits())
