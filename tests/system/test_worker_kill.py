"""Killing `frontdesk worker` mid-processing and starting another loses no message.

A real install of its own (fresh SQLite data folder, or a fresh PostgreSQL database
and an empty Redis database): 1,000 events are stored through the one intake path,
workers start on the backlog and are killed with SIGKILL while processing, several
times, at least once with a batch claimed and not committed.
What the kill leaves behind is exactly what a crash leaves: claims the dead worker
held, its rolled-back transactions, and (with Redis) tasks it had popped and that
are gone from the queue. A second worker must turn every stored event into exactly
one message: its sweep (run when it starts) hands back the dead worker's claims
once they are older than FRONTDESK_INBOX_CLAIM_TIMEOUT, shortened here to seconds.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.system.install import Install, fresh_install
from tests.system.server import frontdesk_shell, start_frontdesk, stop_with, wait_until

pytestmark = pytest.mark.system

EVENTS = 1000  # several of the worker's batches, so kills land mid-backlog
SENDERS = 200  # five messages each: threading must still give each one conversation
CLAIM_TIMEOUT = 2  # seconds
KILLS = 3  # at least this many, each after some of the backlog was processed
MAX_KILLS = 6

STORE_EVENTS = """
from datetime import timedelta
from django.utils import timezone
from frontdesk.connectors import base
from frontdesk.core.models import Workspace
from frontdesk.inbox.intake import store_inbound_event
from frontdesk.inbox.models import Channel
workspace = Workspace.objects.get(slug="system-test")
channel = Channel.objects.create(workspace=workspace, kind="webform", name="Contact form")
start = timezone.now() - timedelta(minutes=10)
for n in range({events}):
    store_inbound_event(channel, base.InboundEvent(
        channel_kind="webform",
        provider_message_id=f"kill-test-{{n}}",
        sender_kind="email",
        sender_address=f"reader{{n % {senders}}}@example.org",
        sender_name=f"Reader {{n % {senders}}}",
        body=f"Message number {{n}}",
        subject="A question",
        received_at=start + timedelta(seconds=n),
        raw={{"n": n}},
    ))
print(channel.pk)
"""


class KillTestInstall(Install):
    """The install, and what this test reads of its intake."""

    def statuses(self) -> dict[str, int]:
        rows = self.query("SELECT status, COUNT(*) FROM inbox_inboundevent GROUP BY status")
        return {status: count for status, count in rows}

    def newest_claim(self) -> datetime | None:
        [(stamp,)] = self.query(
            "SELECT MAX(claimed_at) FROM inbox_inboundevent WHERE status = 'processing'"
        )
        if stamp is None or isinstance(stamp, datetime):
            return stamp
        return datetime.fromisoformat(stamp).replace(tzinfo=UTC)  # SQLite stores UTC text


@pytest.fixture
def install(tmp_path) -> Iterator[KillTestInstall]:
    env = {
        "FRONTDESK_INBOX_CLAIM_TIMEOUT": str(CLAIM_TIMEOUT),
        "FRONTDESK_INBOX_PENDING_GRACE": "1",
    }
    with fresh_install(
        tmp_path / "data", owner_email="sam@kill-test.example", env=env, kind=KillTestInstall
    ) as fresh:
        yield fresh


def _processed(install: KillTestInstall) -> int:
    return install.statuses().get("processed", 0)


def _wait_for(
    install: KillTestInstall,
    worker: subprocess.Popen[bytes],
    log: Path,
    *,
    processed: int,
    what: str,
    claimed: bool = False,
) -> None:
    """Wait until `processed` events are processed (and, with `claimed`, some are
    claimed right now), failing at once if the worker dies."""

    def reached() -> bool:
        if worker.poll() is not None:
            raise AssertionError(f"the worker exited with {worker.returncode}:\n{log.read_text()}")
        statuses = install.statuses()
        return statuses.get("processed", 0) >= processed and (
            not claimed or statuses.get("processing", 0) > 0
        )

    wait_until(reached, deadline=120, what=what)


def test_killing_the_worker_mid_processing_and_restarting_loses_no_message(install, tmp_path):
    frontdesk_shell(STORE_EVENTS.format(events=EVENTS, senders=SENDERS), env=install.env)
    assert install.statuses() == {"pending": EVENTS}

    # Kill workers while they work through the backlog, several times, until a kill
    # has caught a batch mid-processing (claimed, its transaction not committed): with
    # the intake poller working through batches that is nearly every kill.
    def claims_expired() -> bool:
        newest = install.newest_claim()
        return newest is None or (datetime.now(UTC) - newest).total_seconds() > CLAIM_TIMEOUT + 0.5

    held_at_kill: list[int] = []
    for round_ in range(MAX_KILLS):
        # The next worker's sweep, when it starts, hands the dead one's claims back.
        wait_until(claims_expired, deadline=30, what="the dead worker's claims to expire")
        log = tmp_path / f"worker-{round_}.log"
        worker = start_frontdesk("worker", "--workers", "4", env=install.env, log=log)
        before = _processed(install)
        try:
            # Batches commit whole: kill while one is claimed, not just after a commit.
            _wait_for(
                install,
                worker,
                log,
                processed=before + 15,
                claimed=True,
                what="some of the backlog processed and a batch in hand",
            )
        finally:
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(timeout=30) == -signal.SIGKILL
        statuses = install.statuses()
        held_at_kill.append(statuses.get("processing", 0))
        assert statuses.get("processed", 0) < EVENTS, "the worker finished before the kill"
        if held_at_kill[-1] and round_ + 1 >= KILLS:
            break
    assert any(held_at_kill), f"no kill caught an event mid-processing: {held_at_kill}"
    claimed_by_the_dead = install.query(
        "SELECT id FROM inbox_inboundevent WHERE status = 'processing'"
    )

    # Those claims are released once older than the timeout; a worker sweeps when
    # it starts (and every minute), so start the next one after that.
    wait_until(claims_expired, deadline=30, what="the dead worker's claims to expire")
    log = tmp_path / "worker-after.log"
    worker = start_frontdesk("worker", "--workers", "2", env=install.env, log=log)
    try:
        _wait_for(install, worker, log, processed=EVENTS, what="every event processed")
    finally:
        code = stop_with(worker, signal.SIGTERM)
    assert code == 0, log.read_text()
    assert install.statuses() == {"processed": EVENTS}

    # Exactly one message per stored event, with that event's text.
    messages = install.query(
        "SELECT e.provider_message_id, m.body FROM inbox_message m "
        "JOIN inbox_inboundevent e ON e.id = m.inbound_event_id"
    )
    assert len(messages) == EVENTS
    assert sorted(messages) == sorted(
        (f"kill-test-{n}", f"Message number {n}") for n in range(EVENTS)
    )
    [(incoming,)] = install.query("SELECT COUNT(*) FROM inbox_message WHERE kind = 'incoming'")
    assert incoming == EVENTS
    # One conversation per customer, holding their five messages.
    per_conversation = install.query(
        "SELECT conversation_id, COUNT(*) FROM inbox_message GROUP BY conversation_id"
    )
    assert len(per_conversation) == SENDERS
    assert {count for _, count in per_conversation} == {EVENTS // SENDERS}
    # The events the dead worker held went through a second attempt.
    ids = ",".join(str(pk) for (pk,) in claimed_by_the_dead)
    attempts = install.query(f"SELECT attempts FROM inbox_inboundevent WHERE id IN ({ids})")  # noqa: S608
    assert all(count >= 2 for (count,) in attempts), attempts
    assert "inbound events re-queued" in log.read_text()
    # In arrival order in every conversation's timeline, whichever worker and
    # whichever try recorded each message.
    timelines = install.query(
        "SELECT m.conversation_id, e.raw FROM inbox_message m "
        "JOIN inbox_inboundevent e ON e.id = m.inbound_event_id "
        "ORDER BY m.conversation_id, m.created_at, m.id"
    )
    by_conversation: dict[int, list[int]] = {}
    for conversation_id, raw in timelines:
        raw = raw if isinstance(raw, dict) else json.loads(raw)
        by_conversation.setdefault(conversation_id, []).append(raw["n"])
    assert all(numbers == sorted(numbers) for numbers in by_conversation.values())
    assert sorted(n for numbers in by_conversation.values() for n in numbers) == list(range(EVENTS))
