"""Many emails over one connection, each with a commit point just before its final ".".

Pure, like the rest of the adapter: the caller hands `BulkSender.send` an
`OutboundMessage`, the HTML it wants and extra headers (List-Unsubscribe), and a
`commit` callable. For an SMTP backend, `commit` runs after the whole message has
been written to the server and right before the "." that ends DATA (RFC 5321
§4.1.1.4): before that dot the server must throw the message away if the
connection drops, after it the server may have accepted it. So the caller records
"this message is being handed over" in its own database exactly at the last moment
it can still take the message back, and the window in which a crash leaves it not
knowing shrinks to the one `send` of three bytes. If `commit` returns False (the
caller no longer owns the message, e.g. its claim was taken over), the connection
is dropped mid-DATA and nothing is delivered.

Non-SMTP backends (anymail ESPs, Django's test and console backends) have no such
point: `commit` runs right before the provider call.
"""

from __future__ import annotations

import binascii
import contextlib
import functools
import re
import smtplib
import socket
import uuid
from collections.abc import Callable, Mapping
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from frontdesk.connectors.base import ConnectorError, DeliveryResult, OutboundMessage
from frontdesk.connectors.email.adapter import EmailAccount, build_email, connector_error

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

_LEADING_DOT = re.compile(rb"(?m)^\.")


class _ClaimLost(Exception):
    """The caller's commit said no: the message was abandoned mid-DATA."""


def _data(smtp: smtplib.SMTP, msg: ReadableBuffer | str) -> tuple[int, bytes]:
    """smtplib's DATA with the caller's commit between the text and the final dot."""
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    raw = msg.encode("ascii") if isinstance(msg, str) else bytes(msg)
    # Transparency (RFC 5321 §4.5.2): a line starting with "." gets another.
    text = _LEADING_DOT.sub(b"..", raw)
    if not text.endswith(b"\r\n"):
        text += b"\r\n"
    sock = smtp.sock
    if sock is not None and not getattr(smtp, "_nodelay", False):
        # The dot goes in a write of its own: with Nagle's algorithm it would wait
        # for the server's delayed ACK of the text (40 ms a message on Linux).
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        smtp._nodelay = True  # type: ignore[attr-defined]
    smtp.send(text)
    hook: Callable[[], bool] | None = getattr(smtp, "commit_point", None)
    if hook is not None and not hook():
        smtp.close()  # mid-DATA: the server discards what it has
        raise _ClaimLost
    smtp.send(b".\r\n")
    after: Callable[[], None] | None = getattr(smtp, "after_dot", None)
    try:
        return smtp.getreply()
    finally:
        # After the server's answer (or the connection's failure): the caller's commit,
        # sent before the dot, completes meanwhile in its database.
        if after is not None:
            after()


class _SMTP(smtplib.SMTP):
    commit_point: Callable[[], bool] | None = None
    after_dot: Callable[[], None] | None = None

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        return _data(self, msg)


class _SMTPSSL(smtplib.SMTP_SSL):
    commit_point: Callable[[], bool] | None = None
    after_dot: Callable[[], None] | None = None

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        return _data(self, msg)


class _Backend(SmtpBackend):
    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return _SMTPSSL if self.use_ssl else _SMTP


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _header(name: str, value: str) -> bytes:
    if "\r" in value or "\n" in value:
        raise ValueError(f"a line break in the {name} header")
    if value.isascii() and len(value) + len(name) < 990:
        return f"{name}: {value}\r\n".encode("ascii")
    # Non-ASCII (RFC 2047 encoded words) or too long for one line: folded.
    charset = "us-ascii" if value.isascii() else "utf-8"
    encoded = Header(value, charset, header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n".encode("ascii")


@functools.lru_cache(maxsize=4096)
def _address(value: str) -> str:
    """The header form of an address (parsed once per distinct value: a campaign's
    From is the same on every message, and parsing is a full RFC 5322 parser)."""
    name, address = parseaddr(value)
    if not address.isascii():
        raise ValueError("a non-ASCII address")
    return formataddr((name, address), charset="utf-8")


@functools.lru_cache(maxsize=256)
def _envelope_sender(value: str) -> str:
    return parseaddr(value)[1]


def _qp(text: str) -> bytes:
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    return encoded if encoded.endswith(b"\r\n") else encoded + b"\r\n"


def flatten(email: EmailMultiAlternatives) -> bytes | None:
    """The bytes of a plain text + HTML mail without attachments, written directly
    (Python's email generator folds every header again for every message: most of
    the time a campaign spends per message); None for anything else, which goes
    through Django's own serialisation."""
    alternatives = list(email.alternatives)
    if (
        email.attachments
        or email.cc
        or email.bcc
        or len(alternatives) != 1
        or alternatives[0][1] != "text/html"
        or len(email.to) != 1
    ):
        return None
    html = alternatives[0][0]
    if not isinstance(html, str) or not isinstance(email.body, str):
        return None
    extra = {k.lower(): (k, str(v)) for k, v in email.extra_headers.items()}
    boundary = "==fd" + uuid.uuid4().hex
    parts = [
        _header("From", _address(email.from_email)),
        _header("To", _address(email.to[0])),
    ]
    if email.reply_to:
        parts.append(_header("Reply-To", ", ".join(_address(a) for a in email.reply_to)))
    parts.append(_header("Subject", " ".join(str(email.subject).split())))
    if "date" not in extra:
        parts.append(_header("Date", formatdate(localtime=False)))
    for name, value in extra.values():
        parts.append(_header(name, value))
    parts += [
        b"MIME-Version: 1.0\r\n",
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode(),
    ]
    for kind, text in (("plain", email.body), ("html", html)):
        parts += [
            f"--{boundary}\r\n".encode(),
            f'Content-Type: text/{kind}; charset="utf-8"\r\n'.encode(),
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
            _qp(text),
        ]
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


class BulkSender:
    """One open connection of an `EmailAccount`, reused for many messages.

    Not thread-safe: one per worker thread. `committed` tells, after `send`
    returned or raised, whether that message passed its commit point (then a
    failure means the server may still have it).
    """

    def __init__(self, account: EmailAccount) -> None:
        self.account = account
        self.committed = False
        options = dict(account.backend_options)
        # "" is the server's own EMAIL_BACKEND (and its EMAIL_HOST, ... settings).
        path = account.backend or settings.EMAIL_BACKEND
        self.smtp = path == SMTP_BACKEND
        self.backend: Any = _Backend(**options) if self.smtp else get_connection(path, **options)

    def send(
        self,
        message: OutboundMessage,
        *,
        commit: Callable[[], bool],
        after_dot: Callable[[], None] | None = None,
        html: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> DeliveryResult:
        """Send one message; raises ConnectorError (temporary or permanent).

        `after_dot` runs once the server has answered the final "." (or the
        connection failed): the caller may have sent its commit without waiting for
        it, so that nothing blocks between that commit and the dot, and reads the
        database's answer there, while the mail server's answer came meanwhile."""
        self.committed = False
        email = build_email(self.account, message)
        message_id = email.extra_headers["Message-ID"]
        email.extra_headers.update(headers or {})
        if html:
            email.alternatives = []
            email.attach_alternative(html, "text/html")

        def point() -> bool:
            self.committed = commit()
            return self.committed

        try:
            if self.smtp:
                self._send_smtp(email, point, after_dot)
            else:
                if not point():
                    raise _ClaimLost
                if after_dot is not None:
                    after_dot()
                email.connection = self.backend
                email.send()
        except _ClaimLost:
            raise ConnectorError(
                "Another worker took this message over; not sent here.",
                permanent=False,
                code="claim_lost",
            ) from None
        except Exception as exc:
            self._reset()
            raise connector_error(exc, message) from exc
        return DeliveryResult(provider_message_id=message_id, status="sent")

    def _send_smtp(
        self,
        email: EmailMultiAlternatives,
        point: Callable[[], bool],
        after_dot: Callable[[], None] | None,
    ) -> None:
        backend = self.backend
        raw = flatten(email)
        if backend.connection is None:
            backend.open()
        backend.connection.commit_point = point
        backend.connection.after_dot = after_dot
        try:
            if raw is None:
                backend._send(email)
            else:
                sender = _envelope_sender(email.from_email)
                backend.connection.sendmail(sender, email.recipients(), raw)
        except _ClaimLost:
            backend.connection = None
            raise

    def _reset(self) -> None:
        if self.smtp and self.backend.connection is not None:
            # A broken connection is replaced anyway.
            with contextlib.suppress(Exception):
                self.backend.close()
            self.backend.connection = None

    def close(self) -> None:
        if self.smtp:
            self._reset()
        else:
            self.backend.close()
