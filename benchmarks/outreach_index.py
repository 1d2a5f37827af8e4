#!/usr/bin/env python
"""The outreach index with 10,000 campaigns and 10,000 notices: first page and the
last page (reached by following each page's "Older" links), against reading every
campaign with its results and every notice with its delivery, as the index did
before it was paged (the same queries without the LIMIT), in the same run.

Each campaign has 5 deliveries (50,000), each notice its one (10,000). Pages are
served in-process by Django's test client (the whole view: session, middleware,
queries, template), signed in as the workspace's owner; times are per request.

    .venv/bin/python benchmarks/outreach_index.py [--campaigns 10000] [--engine postgres]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--queries", action="store_true", help="print each page's SQL and time")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="outreach-index-bench-"))
    os.environ |= {
        "DJANGO_SETTINGS_MODULE": "frontdesk.settings",
        "FRONTDESK_DATA_DIR": str(data),
        "DEBUG": "false",
    }
    for name in ("REDIS_URL", "FRONTDESK_HUEY_IMMEDIATE"):
        os.environ.pop(name, None)
    database = ""
    server = "postgresql://postgres@127.0.0.1:5432/postgres"
    if args.engine == "postgres":
        import psycopg

        database = f"outreach_index_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server, autocommit=True) as c:
            c.execute(f"CREATE DATABASE {database}")
        os.environ["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{database}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{data / 'frontdesk.sqlite3'}"
    try:
        run(args.campaigns, args.repeat, args.engine, show=args.queries)
    finally:
        if database:
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(server, autocommit=True) as c:
                c.execute(f"DROP DATABASE {database} WITH (FORCE)")


def timed(label: str, repeat: int, call) -> None:  # type: ignore[no-untyped-def]
    call()  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"{label:<58} p50 {statistics.median(times):8.1f} ms   p95 {p95:8.1f} ms")


def run(count: int, repeat: int, engine: str, *, show: bool = False) -> None:
    import logging

    import django

    django.setup()
    logging.getLogger("frontdesk.request").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: the manifest
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from frontdesk.channels.email.actions import create_email_channel
    from frontdesk.core.actions.workspaces import create_workspace
    from frontdesk.core.models import Contact, ContactIdentity, Membership, User
    from frontdesk.outreach import queries
    from frontdesk.outreach.actions.authoring import create_sender_identity, create_template
    from frontdesk.outreach.models import Campaign, Delivery, DeliveryState, Notice

    owner = User.objects.create_user("owner@bench.example", "x" * 20)
    ws = create_workspace(name="Bench Library", slug="bench", owner=owner, owner_display_name="Ann")
    member = Membership.objects.get(workspace=ws)
    channel = create_email_channel(
        ws,
        name="Desk",
        setup={"address": "desk@bench.example", "outbound_backend": "default"},
        by=member,
    )
    sender = create_sender_identity(member=member, email_channel=channel, by=member)
    template = create_template(
        ws.pk, name="Newsletter", subject="Hi", html="<p>Hi {{ contact.first_name }}</p>", by=member
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
    start = timezone.now() - timedelta(days=400)
    campaigns = Campaign.objects.bulk_create(
        [
            Campaign(
                workspace=ws,
                name=f"Campaign {n}",
                sender=sender,
                template=template,
                status="done",
                created_at=start + timedelta(minutes=n * 50),
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    Delivery.objects.bulk_create(
        [
            Delivery(
                workspace=ws,
                campaign=c,
                contact=contacts[(n * 5 + k) % count],
                address=f"r{(n * 5 + k) % count}@example.org",
                idempotency_key=f"c{c.pk}-{k}",
                state=DeliveryState.SENT,
            )
            for n, c in enumerate(campaigns)
            for k in range(5)
        ],
        batch_size=5000,
    )
    notices = Notice.objects.bulk_create(
        [
            Notice(
                workspace=ws,
                sender=sender,
                template=template,
                contact=contacts[n],
                external_id=f"hold-{n}",
                created_at=start + timedelta(minutes=n * 50),
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    Delivery.objects.bulk_create(
        [
            Delivery(
                workspace=ws,
                notice=notice,
                contact_id=notice.contact_id,
                address=f"r{n}@example.org",
                idempotency_key=f"fd-n{notice.pk}",
                state=DeliveryState.SENT,
            )
            for n, notice in enumerate(notices)
        ],
        batch_size=5000,
    )
    if engine == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"{engine}: {Campaign.objects.count()} campaigns, {Notice.objects.count()} notices, "
        f"{Delivery.objects.count()} deliveries"
    )

    client = Client(HTTP_HOST="localhost")
    client.force_login(owner)
    url = "/w/bench/outreach/"

    def get(path: str) -> str:
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        return response.content.decode()

    older = re.compile(r'href="([^"]+)" rel="next" data-older="(campaigns|notices)"')
    # Each link keeps the other list's place: following them in turn reaches the last
    # page of both.
    last = url
    pages = 1
    while True:
        links = {kind: href.replace("&amp;", "&") for href, kind in older.findall(get(last))}
        if not links:
            break
        kind = (
            "notices"
            if "notices" in links and (pages % 2 or "campaigns" not in links)
            else "campaigns"
        )
        last = url + links[kind].split("#")[0]
        pages += 1
    body = get(last)
    rows = len(re.findall(r'<tr id="campaign-', body)), len(re.findall(r'<tr id="notice-', body))
    print(f"followed {pages - 1} of 'Older' links; the last page shows {rows} (campaigns, notices)")
    for label, path in (("index, first page", url), (f"index, last page ({pages})", last)):
        with CaptureQueriesContext(connection) as captured:
            get(path)
        for query in captured.captured_queries if show else ():
            print(f"  {query['time']}s {query['sql'][:300]}")
        timed(f"{label} [{len(captured)} queries]", repeat, lambda p=path: get(p))

    def unpaged() -> None:
        everything = list(Campaign.objects.for_workspace(ws).select_related("sender", "template"))
        list(
            Delivery.objects.for_workspace(ws)
            .filter(campaign__in=[c.pk for c in everything])
            .values("campaign_id")
            .annotate(**queries.RESULT_COUNTS)
        )
        notes = list(
            Notice.objects.for_workspace(ws).select_related("contact", "template", "sender")
        )
        list(Delivery.objects.for_workspace(ws).filter(notice__in=[n.pk for n in notes]))

    timed("before paging: the queries alone, every row (no template)", repeat, unpaged)


if __name__ == "__main__":
    main()
