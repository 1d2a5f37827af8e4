"""Where the webhook's time goes: an in-process split (wall and CPU time of the request's
thread) of Frontdesk's SMS webhook, beside the floor's work, through Django's test client.

Run it against the data a benchmark run left (the SQLite data folder stays; keep the
PostgreSQL database with --keep), with that run's environment:

    D=benchmarks/results/sms-data-sqlite
    FRONTDESK_DATA_DIR=$D DATABASE_URL=sqlite:///$D/frontdesk.sqlite3 \\
        .venv/bin/python -m benchmarks.sms_bench.breakdown

It stores a few hundred more events in that channel (left pending, not processed).
"""

from __future__ import annotations

import collections
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
os.environ.update(FRONTDESK_PUBLIC_URL="http://testserver", ALLOWED_HOSTS="testserver")

WHOLE = "whole request (test client, all middleware)"
FLOOR = "the floor's work (parse, signature, INSERT)"
INSERT = (
    "INSERT INTO bench_sms_floor (message_sid, sender, body, received_at) "
    "VALUES (%s, %s, %s, %s) ON CONFLICT (message_sid) DO NOTHING"
)


def main(requests: int = 300) -> None:
    import django

    django.setup()
    logging.disable(logging.INFO)
    from django.db import connection, connections
    from django.http import QueryDict
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY
    from twilio.request_validator import RequestValidator

    from benchmarks.sms_bench.signed import twilio_inbound_params
    from frontdesk.channels.sms import webhooks as views
    from frontdesk.channels.sms.models import SmsChannelConfig
    from frontdesk.connectors.sms.providers.twilio import TwilioProvider

    config = SmsChannelConfig.objects.get()
    path = reverse("sms:inbound", kwargs={"key": config.webhook_key})
    validator = RequestValidator(config.auth_token)
    client = Client()
    wall: dict[str, float] = collections.defaultdict(float)
    cpu: dict[str, float] = collections.defaultdict(float)

    def timed(tag: str, call: Callable, *args, **kwargs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        try:
            return call(*args, **kwargs)
        finally:
            wall[tag] += time.perf_counter() - started
            cpu[tag] += time.thread_time() - started_cpu

    def wrap(owner: object, name: str, tag: str) -> None:
        original = getattr(owner, name)
        setattr(owner, name, lambda *a, **k: timed(tag, original, *a, **k))

    wrap(views, "_found_and_read", "find channel + read the form")
    wrap(TwilioProvider, "verify_request", "verify signature (SMS adapter)")
    wrap(TwilioProvider, "parse_inbound", "parse the form into an event")
    wrap(views, "store_inbound_event", "store_inbound_event (incl. enqueue after commit)")
    wrap(HUEY.storage, "enqueue", "  of which: task queue enqueue")
    wrap(type(connections["default"]), "_commit", "  of which: database commit")

    run = os.urandom(4).hex()

    def signed(sid: str, url: str) -> tuple[str, str]:
        params = twilio_inbound_params(
            sid,
            from_number="+15035550111",
            to_number=config.phone_number,
            account_sid=config.account_sid,
            body="hello",
        )
        return urlencode(params), validator.compute_signature(url, params)

    def webhook(index: int) -> None:
        body, signature = signed(f"SMbd{run}{index:024x}", "http://testserver" + path)
        response = timed(
            WHOLE,
            client.post,
            path,
            body,
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=signature,
        )
        assert response.status_code == 200, response.status_code

    def floor_work(body: str, signature: str) -> None:
        form = QueryDict(body)
        assert validator.validate("http://testserver/floor/sms/", form, signature)
        with connection.cursor() as cursor:
            cursor.execute(
                INSERT, [form["MessageSid"], form["From"], form["Body"], timezone.now().isoformat()]
            )

    def floor(index: int) -> None:
        body, signature = signed(f"SMfb{run}{index:024x}", "http://testserver/floor/sms/")
        timed(FLOOR, floor_work, body, signature)

    for index in range(30):
        webhook(index)
        floor(index)
    wall.clear()
    cpu.clear()
    for index in range(30, 30 + requests):
        webhook(index)
        floor(index)
    print(f"{connection.vendor}, {requests} requests, ms per request: wall / CPU of this thread")
    for tag in wall:
        print(f"  {tag}: {wall[tag] / requests * 1000:.2f} / {cpu[tag] / requests * 1000:.2f}")


if __name__ == "__main__":
    main()
