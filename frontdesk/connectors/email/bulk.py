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
import dataclasses
import functools
import re
import smtplib
import socket
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
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


def _send_text(smtp: smtplib.SMTP, raw: bytes) -> None:
    """A message's text, up to (not including) the final dot."""
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


def _data(smtp: smtplib.SMTP, msg: ReadableBuffer | str) -> tuple[int, bytes]:
    """smtplib's DATA with the caller's commit between the text and the final dot."""
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    raw = msg.encode("ascii") if isinstance(msg, str) else bytes(msg)
    _send_text(smtp, raw)
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


_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _envelope_recipient(address: str, header: str) -> str:
    """RCPT TO's address: the message's own when it is a plain one (no parsing), else
    the one the To header names."""
    return address if _PLAIN_ADDRESS.fullmatch(address) else parseaddr(header)[1]


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


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """One message for `BulkSender.send_many`: the HTML and extra headers as in `send`."""

    message: OutboundMessage
    html: str = ""
    headers: Mapping[str, str] | None = None


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of one message of `send_many`: sent (`result`) or `error`; and
    whether it passed its commit point (then a failure means the server may have it)."""

    committed: bool = False
    result: DeliveryResult | None = None
    error: ConnectorError | None = None


@dataclasses.dataclass(eq=False)
class _InFlight:
    """One message of a `send_many` wave on its own connection, phase by phase."""

    index: int
    backend: Any
    message: OutboundMessage
    sender: str
    recipient: str
    raw: bytes
    message_id: str
    committed: bool = False
    error: BaseException | None = None

    @property
    def smtp(self) -> smtplib.SMTP:
        connection: smtplib.SMTP = self.backend.connection
        return connection

    def open(self) -> bool:
        try:
            if self.backend.connection is None:
                self.backend.open()
            self.smtp.ehlo_or_helo_if_needed()
        except Exception as exc:
            self.fail(exc)
            return False
        return True

    # The commands smtplib's sendmail writes for one sender and one recipient.
    def mail(self) -> None:
        smtp = self.smtp
        size = f" size={len(self.raw)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
        # Both addresses are bare already (parsed, ASCII: `flatten` checked them).
        smtp.putcmd("mail", f"FROM:<{self.sender}>{size}")

    def rcpt(self) -> None:
        self.smtp.putcmd("rcpt", f"TO:<{self.recipient}>")

    def data(self) -> None:
        self.smtp.putcmd("data")

    def refused(self, kind: type[Exception], code: int, reply: bytes) -> None:
        if kind is smtplib.SMTPRecipientsRefused:
            self.error = smtplib.SMTPRecipientsRefused({self.recipient: (code, reply)})
        elif kind is smtplib.SMTPSenderRefused:
            self.error = smtplib.SMTPSenderRefused(code, reply, self.sender)
        else:
            self.error = smtplib.SMTPDataError(code, reply)
        if code == 421:  # the server is closing the connection
            self._drop()
            return
        try:
            self.smtp.rset()
        except Exception:
            self._drop()

    def write_text(self) -> bool:
        try:
            _send_text(self.smtp, self.raw)
        except Exception as exc:
            self.fail(exc)
            return False
        return True

    def write_dot(self) -> None:
        try:
            self.smtp.send(b".\r\n")
        except Exception as exc:
            self.fail(exc)

    def read_answer(self) -> None:
        try:
            code, reply = self.smtp.getreply()
        except Exception as exc:
            self.fail(exc)
            return
        if code != 250:
            self.refused(smtplib.SMTPDataError, code, reply)

    def abandon(self) -> None:
        """The commit said no: drop the connection mid-DATA (the server discards it)."""
        self._drop()
        self.error = _ClaimLost()

    def fail(self, exc: BaseException) -> None:
        self.error = exc
        self._drop()

    def _drop(self) -> None:
        if self.backend.connection is not None:
            with contextlib.suppress(Exception):
                self.backend.close()
            self.backend.connection = None

    def outcome(self) -> Outcome:
        if self.error is None:
            result = DeliveryResult(provider_message_id=self.message_id, status="sent")
            return Outcome(committed=True, result=result)
        if isinstance(self.error, _ClaimLost):
            return Outcome(error=_claim_lost())
        return Outcome(
            committed=self.committed, error=_as_connector_error(self.error, self.message)
        )


def _phase(
    flights: list[_InFlight],
    ask: Callable[[_InFlight], None],
    ok: set[int],
    kind: type[Exception],
) -> list[_InFlight]:
    """One command on every connection, then every answer: the server's answers
    overlap instead of following one another. Returns the flights answered `ok`."""
    asked = []
    for flight in flights:
        try:
            ask(flight)
        except Exception as exc:
            flight.fail(exc)
            continue
        asked.append(flight)
    passed = []
    for flight in asked:
        try:
            code, reply = flight.smtp.getreply()
        except Exception as exc:
            flight.fail(exc)
            continue
        if code in ok:
            passed.append(flight)
        else:
            flight.refused(kind, code, reply)
    return passed


def _as_connector_error(exc: BaseException, message: OutboundMessage) -> ConnectorError:
    error = connector_error(exc, message) if isinstance(exc, Exception) else exc
    if not isinstance(error, ConnectorError):
        raise error  # not a mail error at all: a bug, not a failed delivery
    return error


def _claim_lost() -> ConnectorError:
    return ConnectorError(
        "Another worker took this message over; not sent here.",
        permanent=False,
        code="claim_lost",
    )


def _commits_one(commit: Callable[[list[int]], Collection[int]], index: int) -> bool:
    return index in commit([index])


class BulkSender:
    """One open connection of an `EmailAccount`, reused for many messages.

    Not thread-safe: one per worker thread. `committed` tells, after `send`
    returned or raised, whether that message passed its commit point (then a
    failure means the server may still have it).
    """

    def __init__(self, account: EmailAccount, *, connections: int = 1) -> None:
        self.account = account
        self.committed = False
        options = dict(account.backend_options)
        # "" is the server's own EMAIL_BACKEND (and its EMAIL_HOST, ... settings).
        path = account.backend or settings.EMAIL_BACKEND
        self.smtp = path == SMTP_BACKEND
        # `send_many` sends up to this many messages at once (SMTP: one connection
        # each, opened when first needed; other backends: one after another).
        self.connections = max(1, connections)
        self.backend: Any = _Backend(**options) if self.smtp else get_connection(path, **options)
        self.backends: list[Any] = [self.backend]
        if self.smtp:
            self.backends += [_Backend(**options) for _ in range(self.connections - 1)]

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
            raise _claim_lost() from None
        except Exception as exc:
            self._reset()
            raise connector_error(exc, message) from exc
        return DeliveryResult(provider_message_id=message_id, status="sent")

    def send_many(
        self,
        items: Sequence[Outgoing],
        *,
        commit: Callable[[list[int]], Collection[int]],
        after_dots: Callable[[], None] | None = None,
    ) -> list[Outcome]:
        """Send several messages at once, each over a connection of its own (at most
        `connections` of them), with one commit point for all: every message is written
        up to its final "." (the SMTP commands of all of them in turn, so the server's
        answers overlap), then `commit` gets the indexes of the messages ready for their
        dot and returns those it committed, then those dots are written one right after
        another and the answers read; `after_dots` runs once the answers are in (or the
        connections failed). A message `commit` leaves out is abandoned mid-DATA.

        One outcome per item, in order; a failure is that message's alone. Anything
        but plain SMTP (and a message `flatten` cannot write) goes one at a time
        through `send`, each with a commit of its own."""
        outcomes: list[Outcome | None] = [None] * len(items)
        if len(items) > self.connections:
            raise ValueError(f"send_many: {len(items)} messages for {self.connections} connections")
        wave: list[_InFlight] = []
        for index, item in enumerate(items):
            raw: bytes | None = None
            if self.smtp:
                try:
                    email = self._email(item)
                    raw = flatten(email)
                except Exception as exc:
                    outcomes[index] = Outcome(error=_as_connector_error(exc, item.message))
                    continue
            if raw is None:
                one = functools.partial(_commits_one, commit, index)
                outcomes[index] = self._one(item, one, after_dots)
                continue
            wave.append(
                _InFlight(
                    index,
                    self.backends[len(wave)],
                    item.message,
                    _envelope_sender(email.from_email),
                    _envelope_recipient(item.message.to_address or "", email.to[0]),
                    raw,
                    email.extra_headers["Message-ID"],
                )
            )
        for flight in self._smtp_wave(wave, commit, after_dots):
            outcomes[flight.index] = flight.outcome()
        done = [outcome for outcome in outcomes if outcome is not None]
        assert len(done) == len(items)
        return done

    def _one(
        self, item: Outgoing, commit: Callable[[], bool], after_dot: Callable[[], None] | None
    ) -> Outcome:
        try:
            result = self.send(
                item.message,
                commit=commit,
                after_dot=after_dot,
                html=item.html,
                headers=item.headers,
            )
        except ConnectorError as exc:
            return Outcome(committed=self.committed, error=exc)
        return Outcome(committed=True, result=result)

    def _smtp_wave(
        self,
        wave: list[_InFlight],
        commit: Callable[[list[int]], Collection[int]],
        after_dots: Callable[[], None] | None,
    ) -> list[_InFlight]:
        live = [f for f in wave if f.open()]
        live = _phase(live, _InFlight.mail, {250}, smtplib.SMTPSenderRefused)
        live = _phase(live, _InFlight.rcpt, {250, 251}, smtplib.SMTPRecipientsRefused)
        live = _phase(live, _InFlight.data, {354}, smtplib.SMTPDataError)
        live = [f for f in live if f.write_text()]
        if not live:
            return wave
        allowed = set(commit([f.index for f in live]))
        try:
            for flight in live:
                if flight.index in allowed:
                    flight.committed = True
                    flight.write_dot()
                else:
                    flight.abandon()
            for flight in live:
                if flight.committed and flight.error is None:
                    flight.read_answer()
        finally:
            if after_dots is not None:
                after_dots()
        return wave

    def _email(self, item: Outgoing) -> EmailMultiAlternatives:
        email = build_email(self.account, item.message)
        email.extra_headers.update(item.headers or {})
        if item.html:
            email.alternatives = []
            email.attach_alternative(item.html, "text/html")
        return email

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
        if not self.smtp:
            self.backend.close()
            return
        for backend in self.backends:
            if backend.connection is not None:
                with contextlib.suppress(Exception):
                    backend.close()
                backend.connection = None
