"""The built-in SMTP receiver (`frontdesk smtpd`), on aiosmtpd.

- RCPT TO: only the workspaces' configured addresses, their aliases and their
  plus-addresses (desk+c42-…@) are accepted; anything else gets 550 there, so
  Frontdesk is never an open relay and never accepts mail it would drop.
- SIZE is advertised (the largest limit of any channel, or --max-size); a larger
  message gets 552, and so does one over its own channel's limit.
- STARTTLS is offered when a certificate and key are given.
- DATA is answered 250 only after `receive_raw` has made the message durable for
  every channel it was addressed to; a database failure answers 451 (the sending
  server keeps the mail and tries again). Messages that arrive while a transaction
  is being written are stored together in the next one (group commit: one COMMIT
  for several, each still answered only after its own transaction committed), with
  one INSERT per table for the whole batch, or on PostgreSQL one statement for both
  (`receive_many`).

Database work runs in a small thread pool (the ORM is synchronous); the address
table is read again every `refresh` seconds, so a new channel is accepted within
that time without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from django.db import close_old_connections, transaction

from frontdesk.channels.email.accounts import address_table, config_for_recipient
from frontdesk.channels.email.models import DEFAULT_MAX_MESSAGE_BYTES, EmailChannelConfig
from frontdesk.channels.email.receive import Received, receive_many, receive_raw

logger = logging.getLogger(__name__)
T = TypeVar("T")
TRY_LATER = "451 4.3.0 Could not store the message; try again later"
STORED = "250 2.0.0 OK: stored"
# At most this many messages share one transaction (group commit).
GROUP_COMMIT_MAX = 64


class AddressBook:
    """The address -> channel table, read again at most every `refresh` seconds."""

    def __init__(self, *, refresh: float = 30.0) -> None:
        self.refresh = refresh
        self._table: dict[str, EmailChannelConfig] = {}
        self._read_at = 0.0
        self._lock = threading.Lock()

    @property
    def fresh(self) -> bool:
        return time.monotonic() - self._read_at <= self.refresh

    def lookup(self, address: str) -> EmailChannelConfig | None:
        """The config for `address` (reads the table again when it is stale: call from
        a thread that may use the database, or only while `fresh`)."""
        if not self.fresh:
            with self._lock:
                if not self.fresh:
                    self._table = address_table()
                    self._read_at = time.monotonic()
        config = config_for_recipient(address, self._table)
        if config is None or not config.channel.is_active:
            return None
        return config

    def largest_limit(self) -> int:
        with self._lock:
            sizes = [c.max_message_bytes for c in self._table.values()]
        return max(sizes, default=DEFAULT_MAX_MESSAGE_BYTES)


def _db(function: Callable[..., T], *args: Any) -> T:
    close_old_connections()  # a connection past its age or broken is replaced first
    return function(*args)


class FrontdeskHandler:
    """aiosmtpd handler: accept for known addresses, store before answering 250."""

    def __init__(
        self, *, book: AddressBook | None = None, max_size: int = 0, workers: int = 4
    ) -> None:
        self.book = book or AddressBook()
        self.max_size = max_size
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smtpd-db")
        # (raw, recipients, the answer awaited) of messages waiting for the next commit.
        self._waiting: list[tuple[bytes, list[str], asyncio.Future[str]]] = []
        # Writers at work (at most one per database thread), and their tasks.
        self.workers = workers
        self._writers = 0
        self._tasks: set[asyncio.Task[None]] = set()
        # Envelopes with a recipient accepted and no DATA yet: messages on their way.
        # (An envelope a session drops, by RSET or by hanging up, drops out by itself.)
        self._coming: weakref.WeakSet[Any] = weakref.WeakSet()

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, _db, function, *args)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            if self.book.fresh:  # no database needed: answer in the event loop
                config = self.book.lookup(address)
            else:
                config = await self._run(self.book.lookup, address)
        except Exception:
            logger.exception("smtpd address lookup failed")
            return "451 4.3.0 Temporary failure; try again later"
        if config is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        self._coming.add(envelope)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._coming.discard(envelope)
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if self.max_size and len(raw) > self.max_size:
            return "552 5.3.4 Message too big"
        # Group commit: messages arriving while a transaction is being written wait
        # for the next one together, so one COMMIT makes several durable; each is
        # answered only after the transaction holding it committed.
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[str] = loop.create_future()
        self._waiting.append((raw, list(envelope.rcpt_tos), answer))
        if self._writers < self.workers:
            self._writers += 1
            task = loop.create_task(self._write_waiting())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await answer

    async def _write_waiting(self) -> None:
        try:
            while self._waiting:
                if self._coming and len(self._waiting) < GROUP_COMMIT_MAX:
                    # Other sessions are about to send their DATA: let the event loop
                    # read what has already arrived first, so it joins this
                    # transaction (fewer, larger transactions cost less per message;
                    # a sender alone never waits).
                    await asyncio.sleep(0)
                batch = self._waiting[:GROUP_COMMIT_MAX]
                del self._waiting[:GROUP_COMMIT_MAX]
                try:
                    answers = await self._run(self._store_batch, [(r, t) for r, t, _ in batch])
                except Exception:
                    logger.exception("smtpd could not store a message")
                    answers = [TRY_LATER] * len(batch)
                for (_raw, _to, future), answer in zip(batch, answers, strict=True):
                    if not future.done():
                        future.set_result(answer)
        finally:
            self._writers -= 1

    def _store_batch(self, items: list[tuple[bytes, list[str]]]) -> list[str]:
        """Store several messages in one transaction (one COMMIT for all, one INSERT
        per table: `receive_many`); if that fails, each alone, so one bad message
        costs only its own 451. (A batch of one takes the same path: one INSERT per
        table, no savepoint.)"""
        answers: list[str] = []
        mails: list[Received] = []
        for raw, recipients in items:
            routed = self._route(raw, recipients)
            if isinstance(routed, str):
                answers.append(routed)
                continue
            answers.append(STORED)
            mails += [
                Received(config.channel, raw, addresses, config.max_message_bytes)
                for config, addresses in routed
            ]
        try:
            receive_many(mails, via="smtpd")
        except Exception:
            logger.warning("smtpd group commit failed; storing one by one", exc_info=True)
            return [self._store_alone(raw, recipients) for raw, recipients in items]
        return answers

    def _store_alone(self, raw: bytes, recipients: list[str]) -> str:
        try:
            return self._store(raw, recipients)
        except Exception:
            logger.exception("smtpd could not store a message")
            return TRY_LATER

    def _route(
        self, raw: bytes, recipients: list[str]
    ) -> str | list[tuple[EmailChannelConfig, list[str]]]:
        """The channels a message goes to (with their addresses), or the answer that
        refuses it."""
        by_channel: dict[int, tuple[EmailChannelConfig, list[str]]] = {}
        for address in recipients:
            config = self.book.lookup(address)
            if config is not None:
                by_channel.setdefault(config.channel_id, (config, []))[1].append(address)
        for config, _addresses in by_channel.values():
            if len(raw) > config.max_message_bytes:
                return "552 5.3.4 Message too big for this mailbox"
        return list(by_channel.values())

    def _store(self, raw: bytes, recipients: list[str]) -> str:
        routed = self._route(raw, recipients)
        if isinstance(routed, str):
            return routed
        with transaction.atomic():  # every channel's copy, or none
            for config, addresses in routed:
                receive_raw(
                    config.channel,
                    raw,
                    via="smtpd",
                    envelope_recipients=addresses,
                    max_bytes=config.max_message_bytes,
                )
        return STORED


# An SMTP path as nearly every sending server writes it: `<local@domain>` with a
# dot-atom local part and a host name, then the MAIL/RCPT parameters, if any.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_PATH = re.compile(
    rf"<({_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>(?: +(\S(?:.*\S)?))?"
)


class FrontdeskSMTP(SMTP):
    """aiosmtpd's SMTP session, reading the plain path of MAIL FROM and RCPT TO
    without the email package's full header parser.

    aiosmtpd reads every path with `email._header_value_parser` (and defines a class
    on each call), about 45 µs a path, two per message: a fifth of what storing a
    message costs. A plain `<local@domain>` gives the same (address, parameters)
    by a regular expression; anything else (quoted local parts, address literals,
    source routes, `<>`, odd spacing) goes to aiosmtpd's own reading.
    `tests/test_smtpd.py` checks the two agree."""

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        plain = _PLAIN_PATH.fullmatch(arg)
        if plain is None:
            return super()._getaddr(arg)
        address = plain.group(1)
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, plain.group(2) or ""


class FrontdeskController(Controller):
    """aiosmtpd's threaded Controller, serving `FrontdeskSMTP` sessions."""

    def factory(self) -> SMTP:
        return FrontdeskSMTP(self.handler, **self.SMTP_kwargs)


def tls_context(certificate: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    return context


def make_controller(
    *,
    host: str,
    port: int,
    max_size: int = 0,
    certificate: str = "",
    key: str = "",
    hostname: str | None = None,
    book: AddressBook | None = None,
    writers: int = 1,
) -> Any:
    """An aiosmtpd Controller serving Frontdesk (start() it; stop() it)."""
    # aiosmtpd logs every command of every session at INFO ("mail.log"): several
    # lines per message, through the JSON formatter. Warnings and errors stay.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    book = book or AddressBook()
    if not max_size:
        _db(book.lookup, "nobody@invalid")  # read the table once for the SIZE limit
        max_size = book.largest_limit()
    # One writer by default: SQLite takes one at a time anyway, and on PostgreSQL,
    # since a batch is one statement (`receive_many`), one writer did at least as well
    # as two in the benchmark (benchmarks/README.md, the email intake; runs on a loaded
    # 2-core machine, so noisy). More may pay on a database server with cores of its own.
    workers = writers
    handler = FrontdeskHandler(book=book, max_size=max_size, workers=workers)
    server_kwargs: dict[str, Any] = {}
    if certificate and key:
        server_kwargs["tls_context"] = tls_context(certificate, key)
    return FrontdeskController(
        handler,
        hostname=host,
        port=port,
        server_hostname=hostname,
        data_size_limit=max_size,
        ident="Frontdesk smtpd",
        **server_kwargs,
    )
