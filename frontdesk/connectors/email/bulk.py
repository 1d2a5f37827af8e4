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

import contextlib
import re
import smtplib
import socket
from collections.abc import Callable, Mapping
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
    return smtp.getreply()


class _SMTP(smtplib.SMTP):
    commit_point: Callable[[], bool] | None = None

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        return _data(self, msg)


class _SMTPSSL(smtplib.SMTP_SSL):
    commit_point: Callable[[], bool] | None = None

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        return _data(self, msg)


class _Backend(SmtpBackend):
    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return _SMTPSSL if self.use_ssl else _SMTP


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


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
        html: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> DeliveryResult:
        """Send one message; raises ConnectorError (temporary or permanent)."""
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
                self._send_smtp(email, point)
            else:
                if not point():
                    raise _ClaimLost
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

    def _send_smtp(self, email: EmailMultiAlternatives, point: Callable[[], bool]) -> None:
        backend = self.backend
        if backend.connection is None:
            backend.open()
        backend.connection.commit_point = point
        try:
            backend._send(email)
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
