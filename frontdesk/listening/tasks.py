"""Background tasks of listening: a few lines each."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from frontdesk.listening import alerts, polling, removals


# Every minute: each source is polled when due (next_poll_at), not every minute; for
# most of the minute, as many as are due.
@db_periodic_task(crontab(minute="*"))
def poll_sources() -> None:
    polling.poll_due_sources(seconds=polling.ROUND_SECONDS)


@db_periodic_task(crontab(minute="7"))
@lock_task("listening-digests")
def send_listening_digests() -> None:
    alerts.send_digests()


# Every half hour: posts a network removed since they were found (Reddit) leave the lists.
@db_periodic_task(crontab(minute="*/30"))
@lock_task("listening-removals")
def check_removed_posts() -> None:
    removals.check_removed_posts()
