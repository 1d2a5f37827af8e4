"""The demo phone's background work: what Twilio would do on its own servers.

Imported by the SMS app at start-up (apps.py), so the worker knows these tasks.
"""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from frontdesk.demo.phone import actions
from frontdesk.demo.phone import twilio_view as standin


@db_task()
def post_simulated_text(text_id: int) -> None:
    actions.deliver_inbound(text_id)


@db_task()
def report_delivery(text_id: int) -> None:
    standin.report_delivery(text_id)
