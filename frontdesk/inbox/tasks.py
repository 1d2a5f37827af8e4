"""Background tasks of the inbox: a few lines each, calling intake and actions."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from frontdesk.inbox import actions, intake


@db_task()
def process_inbound_event(event_id: int) -> None:
    intake.process_inbound_event(event_id)


@db_task()
def fetch_attachment(attachment_id: int) -> None:
    intake.fetch_attachment(attachment_id)


@db_task()
def deliver_message(message_id: int) -> None:
    actions.deliver_message(message_id)


@db_task()
def send_notification_email(notification_id: int) -> None:
    actions.send_notification_email(notification_id)


# Huey enqueues periodic tasks when a worker starts, then every minute: a worker
# restarted after a crash sweeps at once (claims older than the claim timeout).
@db_periodic_task(crontab(minute="*"))
def sweep_inbound_events() -> None:
    intake.sweep_inbound_events()


@db_periodic_task(crontab(minute="*"))
def sweep_deliveries() -> None:
    actions.sweep_deliveries()


@db_periodic_task(crontab(minute="*"))
def sweep_attachment_fetches() -> None:
    intake.sweep_attachment_fetches()


@db_periodic_task(crontab(minute="*"))
def wake_snoozed_conversations() -> None:
    actions.wake_snoozed()
