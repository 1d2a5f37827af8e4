"""Outreach's background tasks: sending loops and the minute tick."""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from frontdesk.outreach import imports, sending


@db_task()
def run_import(run_id: int) -> None:
    """Check or import one uploaded CSV file (`imports.py`), chunk by chunk."""
    imports.run(run_id)


@db_task()
def send_test_text(
    workspace_id: int, sender_id: int, contact_id: int, body: str, to_number: str
) -> None:
    """A test text whose provider is this server itself (the demo): sent from here."""
    import logging

    from frontdesk.connectors.base import ConnectorError
    from frontdesk.core.models import Contact, Workspace
    from frontdesk.outreach.models import SenderIdentity
    from frontdesk.outreach.preview import send_test_sms

    workspace = Workspace.objects.get(pk=workspace_id)
    try:
        send_test_sms(
            workspace,
            sender=SenderIdentity.objects.get(pk=sender_id, workspace=workspace),
            contact=Contact.objects.get(pk=contact_id, workspace=workspace),
            sms_body=body,
            to_number=to_number,
        )
    except ConnectorError as error:
        logging.getLogger(__name__).warning("test text not sent: %s", error.message)


@db_task()
def send_due() -> None:
    _sent, more = sending.send_due()
    if more:
        send_due()  # the budget ran out: go on in a fresh task (fair to other work)
    elif sending.has_claims():
        # Claims held elsewhere: a dead worker's are handed back once stale, so look
        # again then rather than at the next minute's tick.
        send_due.schedule(delay=settings.OUTREACH_CLAIM_TIMEOUT_SECONDS + 1)


def kick() -> None:
    """Ask for sending loops (a campaign started or resumed, a notice queued)."""
    for _ in range(1 if HUEY.immediate else max(settings.OUTREACH_SENDERS, 1)):
        send_due()


# Enqueued when a worker starts, then every minute: a worker restarted after a crash
# settles what the dead one left and goes on sending.
@db_periodic_task(crontab(minute="*"))
def outreach_tick() -> None:
    sending.sweep()
    sending.start_scheduled()
    sending.finish_campaigns()
    if sending.claim_ready():
        kick()
    for run_id in imports.stalled():
        run_import(run_id)
