"""EmailConnector.send against a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import email.policy
import socket

import pytest

from frontdesk.connectors.base import ConnectorError, OutboundAttachment, OutboundMessage
from frontdesk.connectors.email.adapter import EmailAccount, EmailConnector, build_email


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Peer:
    def __init__(self, answer_rcpt: str = "", answer_data: str = "250 OK") -> None:
        self.answer_rcpt = answer_rcpt
        self.answer_data = answer_data
        self.raw: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self.answer_rcpt:
            return self.answer_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(bytes(envelope.original_content))
        return self.answer_data


@pytest.fixture
def peer():
    from aiosmtpd.controller import Controller

    def start(**answers: str) -> tuple[Peer, EmailAccount]:
        handler = Peer(**answers)
        port = _port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        account = EmailAccount(
            address="desk@riverside.example",
            display_name="Riverside Public Library",
            backend="django.core.mail.backends.smtp.EmailBackend",
            backend_options={"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 5},
        )
        return handler, account

    started: list = []
    yield start
    for controller in started:
        controller.stop()


REPLY = OutboundMessage(
    to_address="grace@example.org",
    to_name="Grace Hopper",
    body="Yes, on the ground floor.\n\nSee you soon.",
    subject="Re: Large-print books? [#7]",
    sender_display_name="Maya Patel",
    signature="Maya Patel\nRiverside Public Library",
    reply_to="desk+c7-abcdefghijklmnop@riverside.example",
    thread_key="<m2@example.org>",
    references=("<m1@example.org>", "<r1@riverside.example>", "<m2@example.org>"),
    cc=(("Ada", "ada@example.org"),),
    marker="ref c7-abcdefghijklmnop",
    attachments=(OutboundAttachment("hours.txt", "text/plain", b"9-5"),),
)


def test_a_reply_reaches_the_smtp_peer_with_every_header(peer):
    handler, account = peer()
    result = EmailConnector().send(account, REPLY)
    (raw,) = handler.raw
    sent = email.message_from_bytes(raw, policy=email.policy.default)
    assert sent["From"] == "Maya Patel via Riverside Public Library <desk@riverside.example>"
    assert sent["Reply-To"] == "desk+c7-abcdefghijklmnop@riverside.example"
    assert sent["Message-ID"] == result.provider_message_id
    assert result.provider_message_id.endswith("@riverside.example>")
    assert sent["In-Reply-To"] == "<m2@example.org>"
    assert sent["References"] == "<m1@example.org> <r1@riverside.example> <m2@example.org>"
    assert sent["Cc"] == "Ada <ada@example.org>"
    assert sent.get_content_type() == "multipart/mixed"
    # On the wire lines end in CRLF.
    text = sent.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = sent.get_body(preferencelist=("html",)).get_content()
    assert text.startswith("Yes, on the ground floor.\n\nSee you soon.")
    assert "[ref c7-abcdefghijklmnop]" in text and "\n-- \nMaya Patel\n" in text
    assert "<p>Yes, on the ground floor.</p>" in html and "<p>See you soon.</p>" in html
    files = [part.get_filename() for part in sent.iter_attachments()]
    assert files == ["hours.txt"]
    assert "Auto-Submitted" not in sent


def test_html_is_escaped_and_automatic_answers_are_marked():
    account = EmailAccount(address="desk@riverside.example", display_name="Riverside")
    message = OutboundMessage(
        to_address="x@example.org", body="<script>1</script> & you", automatic=True
    )
    built = build_email(account, message)
    html = built.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;1&lt;/script&gt; &amp; you" in html
    assert built.extra_headers["Auto-Submitted"] == "auto-replied"
    assert built.from_email == "Riverside <desk@riverside.example>"


def test_references_keep_the_first_and_the_newest_twenty():
    ids = tuple(f"<m{n}@example.org>" for n in range(40))
    account = EmailAccount(address="desk@riverside.example")
    built = build_email(
        account, OutboundMessage(to_address="x@example.org", body="b", references=ids)
    )
    refs = built.extra_headers["References"].split()
    assert len(refs) == 20 and refs[0] == "<m0@example.org>" and refs[-1] == "<m39@example.org>"
    assert built.extra_headers["In-Reply-To"] == "<m39@example.org>"


def test_a_refused_recipient_is_a_permanent_failure(peer):
    _handler, account = peer(answer_rcpt="550 5.1.1 No such user")
    with pytest.raises(ConnectorError) as refused:
        EmailConnector().send(account, REPLY)
    assert refused.value.permanent and refused.value.code == "recipient_refused"


def test_try_again_later_is_a_temporary_failure(peer):
    _handler, account = peer(answer_data="451 4.3.0 Try again later")
    with pytest.raises(ConnectorError) as later:
        EmailConnector().send(account, REPLY)
    assert not later.value.permanent and later.value.code == "451"


def test_no_server_is_a_temporary_failure():
    account = EmailAccount(
        address="desk@riverside.example",
        backend="django.core.mail.backends.smtp.EmailBackend",
        backend_options={"host": "127.0.0.1", "port": _port(), "timeout": 2},
    )
    with pytest.raises(ConnectorError) as unreachable:
        EmailConnector().send(account, REPLY)
    assert not unreachable.value.permanent


def test_no_address_is_permanent():
    account = EmailAccount(address="desk@riverside.example")
    with pytest.raises(ConnectorError) as nowhere:
        EmailConnector().send(account, OutboundMessage(to_address=None, body="hi"))
    assert nowhere.value.code == "no_address"
