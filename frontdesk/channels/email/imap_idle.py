"""IMAP IDLE in the worker: mail read as the server announces it, polling as fallback.

`IdleWatchers.run` is a worker thread (named in the email app's `worker_threads`,
started by `frontdesk worker`). Every `refresh_seconds` it looks at the working
mailboxes on active channels and keeps one watcher thread for each, at most
settings.IMAP_IDLE_MAILBOXES of them (0: none; the rest are read by the periodic
poll as before), stopping the watchers of mailboxes that went away, were switched
off or need re-authorisation.

A watcher (`watch`) repeats: the usual watermark poll (`imap_poll.poll_mailbox`, so
IDLE only shortens the wait, it never reads mail any other way), then a fresh
connection that waits in IDLE (RFC 2177) in short rounds until the server announces
mail or the poll interval has passed (so the periodic poll finds the mailbox freshly
read and leaves it alone; servers drop IDLE after 30 minutes). Mail that arrived
between the poll and the IDLE shows in the folder's UIDNEXT and is read at once.
A broken connection (server restart, network) is retried with a growing pause (one
second, doubling, at most the poll interval). A server without IDLE ends its
watcher; that mailbox is left to the periodic poll, and asked again after an hour.
"""

from __future__ import annotations

import imaplib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from imapclient.exceptions import IMAPClientError

from frontdesk.channels.email import imap_poll
from frontdesk.channels.email.imap_models import ImapMailbox, ImapState
from frontdesk.connectors.email import imap, oauth

logger = logging.getLogger(__name__)

# One IDLE round: short, so a watcher notices `stop` quickly.
IDLE_ROUND_SECONDS = 2.0
# A server that said it cannot IDLE is asked again after this long.
NO_IDLE_RETRY = timedelta(hours=1)
_CONNECTION_ERRORS = (
    imap.ImapError,
    oauth.OAuthError,
    OSError,
    IMAPClientError,
    imaplib.IMAP4.error,
)


class NoIdle(Exception):
    """The mailbox's server does not offer IDLE."""


def _new_mail_waiting(session: imap.ImapSession, mailbox: ImapMailbox) -> bool:
    """Whether the folder holds mail above the watermark (arrived since the poll)."""
    status = session.status
    if status is None or status.uidnext is None or mailbox.uidvalidity is None:
        return False
    if status.uidvalidity != mailbox.uidvalidity:
        return True  # renumbered: the poll starts over
    return status.uidnext > mailbox.last_uid + 1


def wait_for_mail(mailbox_id: int, stop: threading.Event, *, seconds: float) -> bool:
    """One connection in IDLE until mail is announced (True), `seconds` pass or `stop`
    is set (False). Raises NoIdle, or a connection error for the caller to retry."""
    mailbox = ImapMailbox.objects.select_related("channel").get(pk=mailbox_id)
    session = imap_poll._connect(mailbox)
    try:
        if not session.client.has_capability("IDLE"):
            raise NoIdle(mailbox.host)
        if _new_mail_waiting(session, mailbox):
            return True
        deadline = time.monotonic() + seconds
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if session.idle(min(remaining, IDLE_ROUND_SECONDS)):
                return True
        return False
    finally:
        session.close()


def watch(mailbox_id: int, stop: threading.Event, *, idle_seconds: float | None = None) -> str:
    """Poll, wait in IDLE, poll again, until `stop` is set or the mailbox stops being
    readable here. Returns why it ended: "stopped", "no idle", or "not readable"."""
    wait = idle_seconds if idle_seconds is not None else imap_poll.poll_interval().total_seconds()
    pause = 1.0
    try:
        while not stop.is_set():
            report = imap_poll.poll_mailbox(mailbox_id)
            state = (
                ImapMailbox.objects.filter(pk=mailbox_id, channel__is_active=True)
                .values_list("state", flat=True)
                .first()
            )
            if state not in (ImapState.ACTIVE, ImapState.FAILING):
                return "not readable"  # gone, switched off, or needs re-authorisation
            if report.error:
                stop.wait(pause)
                pause = min(pause * 2, imap_poll.poll_interval().total_seconds())
                continue
            try:
                wait_for_mail(mailbox_id, stop, seconds=wait)
            except NoIdle:
                logger.info("imap server has no IDLE; polling", extra={"mailbox": mailbox_id})
                return "no idle"
            except _CONNECTION_ERRORS as exc:
                logger.warning(
                    "imap idle connection lost; reconnecting",
                    extra={"mailbox": mailbox_id, "error": type(exc).__name__, "pause": pause},
                )
                stop.wait(pause)
                pause = min(pause * 2, imap_poll.poll_interval().total_seconds())
                continue
            pause = 1.0
        return "stopped"
    finally:
        close_old_connections()


@dataclass
class _Watcher:
    thread: threading.Thread
    stop: threading.Event
    outcome: list[str] = field(default_factory=list)


class IdleWatchers:
    """The worker's IDLE watchers, one thread per mailbox, at most `limit` (see the
    module docstring)."""

    def __init__(
        self,
        *,
        limit: int | None = None,
        refresh_seconds: float = 30.0,
        idle_seconds: float | None = None,
    ) -> None:
        self.limit = settings.IMAP_IDLE_MAILBOXES if limit is None else limit
        self.refresh_seconds = refresh_seconds
        self.idle_seconds = idle_seconds
        self.watchers: dict[int, _Watcher] = {}
        self.no_idle: dict[int, float] = {}  # mailbox id -> when its server said so

    def wanted(self) -> list[int]:
        """The mailboxes to watch now, oldest first, at most `limit`."""
        now = time.monotonic()
        rows = ImapMailbox.objects.filter(
            state__in=[ImapState.ACTIVE, ImapState.FAILING], channel__is_active=True
        ).order_by("pk")
        found = []
        for pk in rows.values_list("pk", flat=True):
            said = self.no_idle.get(pk)
            if said is not None and now - said < NO_IDLE_RETRY.total_seconds():
                continue
            found.append(pk)
            if len(found) >= self.limit:
                break
        return found

    def refresh(self) -> None:
        """Start the watchers wanted, stop the others, note servers without IDLE."""
        for pk, watcher in list(self.watchers.items()):
            if not watcher.thread.is_alive():
                if watcher.outcome == ["no idle"]:
                    self.no_idle[pk] = time.monotonic()
                del self.watchers[pk]
        wanted = set(self.wanted()) if self.limit > 0 else set()
        for pk in set(self.watchers) - wanted:
            self.watchers[pk].stop.set()
        for pk in sorted(wanted - set(self.watchers)):
            self._start(pk)

    def _start(self, pk: int) -> None:
        stop = threading.Event()
        outcome: list[str] = []

        def run() -> None:
            try:
                outcome.append(watch(pk, stop, idle_seconds=self.idle_seconds))
            except Exception:
                logger.exception("imap idle watcher failed", extra={"mailbox": pk})

        thread = threading.Thread(target=run, name=f"imap-idle-{pk}", daemon=True)
        self.watchers[pk] = _Watcher(thread, stop, outcome)
        thread.start()

    def close(self, *, timeout: float = 10.0) -> None:
        for watcher in self.watchers.values():
            watcher.stop.set()
        for watcher in self.watchers.values():
            watcher.thread.join(timeout=timeout)
        self.watchers.clear()

    def run(self, stop: threading.Event) -> None:
        """Keep the watchers in step with the mailboxes until `stop` is set."""
        if self.limit <= 0:
            return
        try:
            while not stop.is_set():
                try:
                    self.refresh()
                except Exception:
                    logger.exception("imap idle refresh failed")
                finally:
                    close_old_connections()
                stop.wait(self.refresh_seconds)
        finally:
            self.close()


def run_in_worker(stop: threading.Event) -> None:
    """The worker thread (the email app's `worker_threads`)."""
    IdleWatchers().run(stop)
