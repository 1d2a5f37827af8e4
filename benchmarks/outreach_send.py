#!/usr/bin/env python
"""Campaign throughput to a local SMTP sink, against plain smtplib in the same run.

Baseline: plain smtplib, one connection, `sendmail` of the campaign's messages
already rendered to bytes (the same personalised messages, prepared before the
clock starts). Frontdesk: the real sending engine (`outreach.sending.send_due`)
on a started campaign: claim batches with the conditional UPDATE, read the rows,
check suppressions and consent, personalise, build the MIME mail with its headers,
commit each delivery as `sending` right before its final "." and confirm after,
over one connection. Both send to the same aiosmtpd sink (a process of its own that
answers 250 and keeps nothing). Target: Frontdesk at least 50 % of the baseline.

    .venv/bin/python benchmarks/outreach_send.py [--messages 3000] [--engine postgres]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SINK = """
import signal, sys
from aiosmtpd.controller import Controller
class Accept:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
controller = Controller(Accept(), hostname="127.0.0.1", port=int(sys.argv[1]), data_size_limit=0)
controller.start()
signal.sigwait({signal.SIGINT, signal.SIGTERM})
controller.stop()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the sink did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="print the engine's N top functions"
    )
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="outreach-bench-"))
    os.environ |= {
        "DJANGO_SETTINGS_MODULE": "frontdesk.settings",
        "FRONTDESK_DATA_DIR": str(data),
        "DEBUG": "false",
    }
    for name in ("REDIS_URL", "FRONTDESK_HUEY_IMMEDIATE"):
        os.environ.pop(name, None)
    database = ""
    if args.engine == "postgres":
        import psycopg

        database = f"outreach_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {database}")
        os.environ["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{database}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{data / 'frontdesk.sqlite3'}"
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)])
    try:
        wait_for_port(port)
        run(args.messages, port, profile=args.profile)
    finally:
        sink.send_signal(signal.SIGTERM)
        sink.wait(timeout=10)
        if database:
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(
                "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
            ) as c:
                c.execute(f"DROP DATABASE {database} WITH (FORCE)")


def run(count: int, port: int, *, profile: int = 0) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from frontdesk.channels.email.actions import create_email_channel
    from frontdesk.connectors.email.adapter import build_email
    from frontdesk.core.actions.workspaces import create_workspace
    from frontdesk.core.models import Contact, ContactIdentity, Membership, User
    from frontdesk.inbox import kinds
    from frontdesk.outreach import sending, tokens
    from frontdesk.outreach.actions.authoring import create_sender_identity, create_template
    from frontdesk.outreach.actions.campaigns import create_campaign, start_campaign
    from frontdesk.outreach.models import ContactData, Delivery

    owner = User.objects.create_user("owner@bench.example", "x" * 20)
    ws = create_workspace(name="Bench Library", slug="bench", owner=owner, owner_display_name="Ann")
    member = Membership.objects.get(workspace=ws)
    channel = create_email_channel(
        ws,
        name="Desk",
        setup={
            "address": "desk@bench.example",
            "display_name": "",
            "outbound_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_use_tls": False,
        },
        by=member,
    )
    sender = create_sender_identity(member=member, email_channel=channel, by=member)
    template = create_template(
        ws.pk,
        name="Newsletter",
        subject="{{ contact.first_name }}, what's new at {{ library.name }}",
        html=(
            "<p>Hi {{ contact.first_name }},</p><p>Your branch, {{ custom.branch }}, "
            "has new large-print books and a Saturday storytime.</p>"
            "<p>Reply to this email if you'd like one put aside.</p>"
        ),
        by=member,
    )
    contacts = Contact.objects.bulk_create(
        [Contact(workspace=ws, name=f"Reader{n} Test") for n in range(count)], batch_size=2000
    )
    ContactIdentity.objects.bulk_create(
        [
            ContactIdentity(workspace=ws, contact=c, kind="email", value=f"r{n}@example.org")
            for n, c in enumerate(contacts)
        ],
        batch_size=2000,
    )
    ContactData.objects.bulk_create(
        [
            ContactData(workspace=ws, contact=c, fields={"branch": f"Branch {n % 7}"})
            for n, c in enumerate(contacts)
        ],
        batch_size=2000,
    )
    campaign = create_campaign(name="News", sender=sender, template=template, by=member)
    start_campaign(campaign, by=member)

    # The same personalised messages, rendered to bytes before the baseline's clock.
    account = kinds.get("email").account_for(channel)
    prepared: list[tuple[str, str, bytes]] = []
    for delivery in Delivery.objects.filter(campaign=campaign).select_related(
        "contact", "workspace"
    ):
        context = sending.context_for(
            delivery, sender, {}, {"branch": f"Branch {delivery.contact_id % 7}"}
        )
        composed = sending.compose_email(
            delivery,
            sender,
            template,
            context,
            account_domain=account.domain,
            reply_address=tokens.reply_address(account.address, ws.pk, delivery.pk),
            physical_address="",
        )
        mail = build_email(account, composed.message)
        mail.extra_headers.update(composed.headers)
        mail.alternatives = []
        mail.attach_alternative(composed.html, "text/html")
        raw = mail.message().as_bytes(linesep="\r\n")
        prepared.append((account.address, delivery.address, raw))

    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for from_address, to, raw in prepared:
            smtp.sendmail(from_address, [to], raw)
    baseline = count / (time.perf_counter() - start)

    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    sent, _more = sending.send_due(budget_seconds=3600)
    ours = count / (time.perf_counter() - start)
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(profile)
    assert sent == count, (sent, count)
    assert Delivery.objects.filter(campaign=campaign, state="sent", confirmed=True).count() == count

    from django.db import connection

    print(f"engine: {connection.vendor}, messages: {count}, one connection each")
    print(f"plain smtplib, prepared bytes:       {baseline:8.0f} msg/s")
    print(f"Frontdesk campaign engine:            {ours:8.0f} msg/s")
    print(f"ratio: {ours / baseline:.0%} of the baseline (target >= 50%)")


if __name__ == "__main__":
    main()
