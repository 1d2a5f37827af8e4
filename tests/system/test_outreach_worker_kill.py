"""Killing `frontdesk worker` while it sends a 20,000-recipient campaign, several
times, sends no one two messages and misses nobody but what no SMTP client can
settle (a kill between recording a handover and its final "."): counted at a real
SMTP server.

A real install of its own (fresh SQLite data folder, or a fresh PostgreSQL database
and an empty Redis database when DATABASE_URL / REDIS_URL are set). Its email
channel sends to an aiosmtpd server in this test process, which outlives every
worker and records each message it accepted. Workers are SIGKILLed at random
moments while they send; what a kill leaves is what a crash leaves: a claimed batch
(handed back to the queue once older than FRONTDESK_OUTREACH_CLAIM_TIMEOUT, here
2 s), a delivery committed as `sending` right before its final "." (never sent
again), tasks popped from the queue and gone. A last worker finishes the campaign.
"""

from __future__ import annotations

import random
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.system.install import Install, fresh_install
from tests.system.server import (
    free_port,
    frontdesk_shell,
    start_frontdesk,
    stop_with,
    wait_until,
)

pytestmark = pytest.mark.system

RECIPIENTS = 20_000
KILLS = 4
CLAIM_TIMEOUT = 2  # seconds
STALL = 120  # seconds with no message sent: the last worker is stuck
THREADS = 2  # `frontdesk worker --workers`: task threads, each sending over its own connection

SETUP = """
from frontdesk.channels.email.actions import create_email_channel
from frontdesk.core.models import Contact, ContactIdentity, Membership, Workspace
from frontdesk.outreach.actions.authoring import create_sender_identity, create_template
from frontdesk.outreach.actions.campaigns import create_campaign
from frontdesk.outreach.models import ContactData
workspace = Workspace.objects.get(slug="system-test")
owner = Membership.objects.get(workspace=workspace)
channel = create_email_channel(workspace, name="Desk", setup={{
    "address": "desk@system-test.example", "display_name": "", "outbound_backend": "smtp",
    "smtp_host": "127.0.0.1", "smtp_port": {port}, "smtp_use_tls": False,
}}, by=owner)
sender = create_sender_identity(member=owner, email_channel=channel, by=owner)
template = create_template(workspace.pk, name="Welcome",
    subject="Welcome, {{{{ contact.first_name }}}}",
    html="<p>Hi {{{{ contact.first_name }}}}, reader number {{{{ custom.n }}}}.</p>", by=owner)
contacts = Contact.objects.bulk_create(
    [Contact(workspace=workspace, name=f"Reader{{n}} Test") for n in range({recipients})],
    batch_size=2000)
ContactIdentity.objects.bulk_create([ContactIdentity(workspace=workspace, contact=c, kind="email",
    value=f"reader{{n}}@example.org") for n, c in enumerate(contacts)], batch_size=2000)
ContactData.objects.bulk_create([ContactData(workspace=workspace, contact=c, fields={{"n": n}})
    for n, c in enumerate(contacts)], batch_size=2000)
campaign = create_campaign(name="Welcome", sender=sender, template=template, by=owner)
print(campaign.pk)
"""

START = """
from frontdesk.core.models import Membership
from frontdesk.outreach.actions.campaigns import start_campaign
from frontdesk.outreach.models import Campaign
campaign = Campaign.objects.get(pk={campaign})
print(start_campaign(campaign, by=Membership.objects.get(workspace_id=campaign.workspace_id)))
"""

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.I | re.M)
_BODY_NUMBER = re.compile(rb"reader number (\d+)\.")


class CountingSink:
    """A real SMTP server (aiosmtpd) counting what it accepted, per recipient.

    It also notes each transaction a dropped connection cut short (`cut`: its
    recipients, and whether the final "." had arrived), so that a missing message
    says where it was lost."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import SMTP

        sink = self

        class Server(SMTP):
            tail = b""

            def data_received(self, data: bytes) -> None:
                self.tail = (self.tail + data)[-5:]
                super().data_received(data)

            def connection_lost(self, error: Exception | None) -> None:
                if self.envelope is not None and self.envelope.rcpt_tos:
                    with sink.lock:
                        sink.cut.append(
                            (list(self.envelope.rcpt_tos), self.tail.endswith(b"\r\n.\r\n"))
                        )
                super().connection_lost(error)

        class Counting(Controller):
            def factory(self) -> SMTP:
                return Server(self.handler, **self.SMTP_kwargs)

        self.lock = threading.Lock()
        self.per_recipient: Counter[str] = Counter()
        self.message_ids: dict[str, set[bytes]] = {}
        self.mismatched: list[str] = []
        self.cut: list[tuple[list[str], bool]] = []
        self.port = free_port()
        self.controller = Counting(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content)
        found = _MESSAGE_ID.search(raw)
        number = _BODY_NUMBER.search(raw)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.per_recipient[rcpt] += 1
                self.message_ids.setdefault(rcpt, set()).add(found.group(1) if found else b"")
                # Personalised for that very recipient.
                if number is None or f"reader{int(number.group(1))}@" not in rcpt:
                    self.mismatched.append(rcpt)
        return "250 OK"

    def total(self) -> int:
        with self.lock:
            return sum(self.per_recipient.values())


class OutreachInstall(Install):
    """The install, and what this test reads of its deliveries."""

    def states(self) -> dict[str, int]:
        rows = self.query("SELECT state, COUNT(*) FROM outreach_delivery GROUP BY state")
        return {state: count for state, count in rows}


@pytest.fixture
def sink() -> Iterator[CountingSink]:
    server = CountingSink()
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture
def install(tmp_path) -> Iterator[OutreachInstall]:
    env = {
        "FRONTDESK_OUTREACH_CLAIM_TIMEOUT": str(CLAIM_TIMEOUT),
        "FRONTDESK_OUTREACH_SENDERS": str(THREADS),
    }
    with fresh_install(
        tmp_path / "data", owner_email="sam@outreach-kill.example", env=env, kind=OutreachInstall
    ) as fresh:
        yield fresh


def test_killing_the_sending_worker_repeatedly_sends_each_recipient_exactly_one_message(
    install, sink, tmp_path
):
    campaign = frontdesk_shell(
        SETUP.format(port=sink.port, recipients=RECIPIENTS), env=install.env
    ).splitlines()[-1]
    assert frontdesk_shell(START.format(campaign=int(campaign)), env=install.env).endswith(
        str(RECIPIENTS)
    )
    rng = random.Random()
    at_kill: list[dict[str, int]] = []
    for round_ in range(KILLS):
        log = tmp_path / f"worker-{round_}.log"
        worker = start_frontdesk("worker", "--workers", str(THREADS), env=install.env, log=log)
        before = sink.total()
        # Somewhere in the next stretch of sending: a random moment.
        goal = before + rng.randint(300, 2500)

        def progressed(worker=worker, log=log, goal=goal) -> bool:
            if worker.poll() is not None:
                raise AssertionError(f"the worker exited:\n{log.read_text()}")
            return sink.total() >= goal

        try:
            wait_until(progressed, deadline=90, what=f"the worker to send up to {goal}")
            time.sleep(rng.uniform(0, 0.05))
        finally:
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(timeout=30) == -signal.SIGKILL
        at_kill.append(install.states())
        assert sink.total() < RECIPIENTS, "the worker finished before it was killed"

    log = tmp_path / "worker-last.log"
    worker = start_frontdesk("worker", "--workers", str(THREADS), env=install.env, log=log)
    try:
        # However slow the machine, sending must go on: it fails when no message has
        # reached the sink for STALL seconds, not at a fixed total time.
        progress = {"sent": -1, "at": time.monotonic()}

        def finished() -> bool:
            if worker.poll() is not None:
                raise AssertionError(f"the worker exited:\n{log.read_text()}")
            states = install.states()
            sent = sink.total()
            if sent != progress["sent"]:
                progress["sent"], progress["at"] = sent, time.monotonic()
            elif time.monotonic() - progress["at"] > STALL:
                raise AssertionError(f"nothing sent for {STALL} s: {states}")
            return not states.get("queued") and not states.get("claimed")

        wait_until(finished, deadline=3600, what="every delivery sent")
    finally:
        code = stop_with(worker, signal.SIGTERM)
    assert code == 0, log.read_text()

    # Counted at the SMTP server: nobody got two messages, each one personalised.
    assert set(sink.per_recipient.values()) <= {1}, sink.per_recipient.most_common(3)
    assert sink.mismatched == []
    assert {len(ids) for ids in sink.message_ids.values()} <= {1}
    # Nobody was missed, except what no SMTP client can settle (sending.py): a kill in
    # the instant between recording a delivery as handed over and writing its final
    # "." leaves a message the server threw away. Such a message must be one the
    # server saw cut off before its dot, recorded as sent *unconfirmed* (never as
    # confirmed), at most one per connection per kill.
    missing = {f"reader{n}@example.org" for n in range(RECIPIENTS)} - set(sink.per_recipient)
    cut_before_dot = {rcpt for rcpts, dot in sink.cut if not dot for rcpt in rcpts}
    sql = (
        "SELECT d.state, d.confirmed FROM outreach_delivery d JOIN core_contactidentity i "
        "ON i.contact_id = d.contact_id WHERE i.value = '{}'"
    )
    recorded = {address: install.query(sql.format(address)) for address in sorted(missing)}
    assert missing <= cut_before_dot, (recorded, sink.cut, at_kill)
    assert all(
        len(rows) == 1 and rows[0][0] in ("sending", "sent") and not rows[0][1]
        for rows in recorded.values()
    ), recorded
    assert len(missing) <= KILLS * THREADS, recorded
    assert sink.total() == RECIPIENTS - len(missing)
    # Every delivery is sent, or (handed over right before a kill) `sending`, which a
    # later sweep records as sent unconfirmed; none failed, none is waiting.
    states = install.states()
    assert set(states) <= {"sent", "sending"}, states
    assert sum(states.values()) == RECIPIENTS
    # The kills did catch work in hand.
    assert any(s.get("claimed") or s.get("sending") for s in at_kill), at_kill
