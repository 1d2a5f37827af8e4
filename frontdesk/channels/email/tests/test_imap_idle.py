"""IMAP IDLE in the worker, against the private Dovecot: mail is read as the server
announces it, a restarted server is reconnected to, a server without IDLE is left
to polling, and the number of watched mailboxes is bounded.

While watchers run, the test's own thread stays off the database (SQLite's in-memory
test database locks whole tables between connections): it learns what was stored
from the receive_raw calls the watchers make, and reads the rows after they stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.db import OperationalError
from imapclient import IMAPClient

from frontdesk.channels.email import imap_idle, receive
from frontdesk.channels.email.imap_models import ImapMailbox, ImapState
from frontdesk.channels.email.tests.conftest import make_raw
from frontdesk.inbox.models import InboundEvent

pytestmark = pytest.mark.django_db(transaction=True)

DEADLINE = 30.0


def wait_until(condition: Callable[[], bool], *, what: str) -> None:
    """Wait on a condition with a deadline (a hang guard, not a timing assertion)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


class Stored:
    """The subjects receive_raw was handed, in order (filled by the watcher threads)."""

    def __init__(self) -> None:
        self.subjects: list[str] = []

    def has(self, *subjects: str) -> bool:
        return self.subjects == list(subjects)


@pytest.fixture
def stored(monkeypatch) -> Stored:
    found = Stored()
    real = receive.receive_raw

    def recording(channel, raw, **kwargs):
        result = real(channel, raw, **kwargs)
        subject = raw.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0].decode()
        found.subjects.append(subject)
        return result

    monkeypatch.setattr(receive, "receive_raw", recording)
    return found


@pytest.fixture
def watchers(imap_settings) -> Iterator[Callable[..., imap_idle.IdleWatchers]]:
    """Run IdleWatchers as the worker does, in its own thread; `stop_all` ends them."""
    running: list[tuple[threading.Event, threading.Thread]] = []

    def start(**kwargs) -> imap_idle.IdleWatchers:
        # Long IDLE waits: mail read before they end was read because of IDLE.
        kwargs = {"refresh_seconds": 3600, "idle_seconds": 600} | kwargs
        supervisor = imap_idle.IdleWatchers(**kwargs)
        stop = threading.Event()
        thread = threading.Thread(target=supervisor.run, args=(stop,), daemon=True)
        thread.start()
        running.append((stop, thread))
        return supervisor

    def stop_all() -> None:
        for stop, thread in running:
            stop.set()
            thread.join(timeout=30)
            assert not thread.is_alive()

    start.stop_all = stop_all  # type: ignore[attr-defined]
    yield start
    stop_all()


def _idling(supervisor: imap_idle.IdleWatchers, pk: int) -> bool:
    watcher = supervisor.watchers.get(pk)
    return watcher is not None and watcher.thread.is_alive()


def subjects(channel) -> list[str]:
    return sorted(InboundEvent.objects.filter(channel=channel).values_list("subject", flat=True))


def test_new_mail_is_read_as_the_server_announces_it(watchers, stored, imap_user, make_mailbox):
    imap_user.append(make_raw(1, subject="Already there"))
    mailbox = make_mailbox()
    supervisor = watchers(limit=5)
    wait_until(lambda: stored.has("Already there"), what="the first poll")
    time.sleep(0.5)  # in IDLE now, for up to 600 s: only an announcement ends it sooner
    imap_user.append(make_raw(2, subject="Announced by IDLE"))
    wait_until(lambda: stored.has("Already there", "Announced by IDLE"), what="the new mail")
    assert _idling(supervisor, mailbox.pk)
    watchers.stop_all()
    mailbox.refresh_from_db()
    assert (mailbox.state, mailbox.last_uid) == (ImapState.ACTIVE, 2)
    assert subjects(mailbox.channel) == ["Already there", "Announced by IDLE"]


def test_a_restarted_server_is_reconnected_to(watchers, stored, imap_user, make_mailbox):
    imap_user.append(make_raw(1, subject="Before"))
    mailbox = make_mailbox()
    supervisor = watchers(limit=5)
    wait_until(lambda: stored.has("Before"), what="the first poll")
    time.sleep(0.5)  # in IDLE now
    imap_user.server.restart()  # every connection cut, the IDLE one too
    imap_user.append(make_raw(2, subject="After the restart"))
    wait_until(lambda: stored.has("Before", "After the restart"), what="the reconnect")
    time.sleep(0.5)
    imap_user.append(make_raw(3, subject="And IDLE again"))
    wait_until(
        lambda: stored.has("Before", "After the restart", "And IDLE again"),
        what="IDLE after the reconnect",
    )
    assert _idling(supervisor, mailbox.pk)
    watchers.stop_all()
    assert subjects(mailbox.channel) == ["After the restart", "And IDLE again", "Before"]


def test_a_server_without_idle_is_left_to_polling(
    watchers, stored, imap_user, make_mailbox, monkeypatch
):
    # Dovecot always offers IDLE: the one thing forced here is its absence.
    real = IMAPClient.has_capability
    monkeypatch.setattr(
        IMAPClient, "has_capability", lambda self, name: name != "IDLE" and real(self, name)
    )
    imap_user.append(make_raw(5, subject="Polled"))
    mailbox = make_mailbox()
    supervisor = watchers(limit=5, refresh_seconds=0.5)
    wait_until(lambda: mailbox.pk in supervisor.no_idle, what="the server without IDLE")
    # Read once by the watcher's poll; no watcher after: the periodic poll reads it.
    assert stored.has("Polled")
    assert mailbox.pk not in supervisor.watchers
    watchers.stop_all()
    assert mailbox.pk not in supervisor.wanted()
    assert ImapMailbox.objects.get(pk=mailbox.pk).state == ImapState.ACTIVE


def test_watchers_are_bounded_and_follow_the_mailboxes(watchers, imap_user, make_mailbox):
    first = make_mailbox()
    username, password = imap_user.server.new_user()
    second = make_mailbox(username=username, password=password)
    supervisor = watchers(limit=1, refresh_seconds=0.5)
    wait_until(lambda: _idling(supervisor, first.pk), what="the first watcher")
    assert set(supervisor.watchers) == {first.pk}
    # The first needs re-authorisation: its watcher ends, the second gets one.
    deadline = time.monotonic() + DEADLINE
    while True:
        try:
            ImapMailbox.objects.filter(pk=first.pk).update(state=ImapState.NEEDS_REAUTH)
            break
        except OperationalError:  # a watcher's read holds the table this instant
            assert time.monotonic() < deadline
            time.sleep(0.05)
    wait_until(
        lambda: set(supervisor.watchers) == {second.pk} and _idling(supervisor, second.pk),
        what="the watchers to follow the mailboxes",
    )


def test_zero_means_polling_only(imap_settings, make_mailbox):
    make_mailbox()
    supervisor = imap_idle.IdleWatchers(limit=0)
    stop = threading.Event()
    supervisor.run(stop)  # returns at once: nothing to watch
    assert supervisor.watchers == {}
