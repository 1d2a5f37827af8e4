"""Community's background tasks: a few lines each, calling actions."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from frontdesk.community.actions import staff
from frontdesk.community.models import Announcement
from frontdesk.core.errors import ActionError
from frontdesk.core.models import Membership

logger = logging.getLogger(__name__)

# An announcement still `notifying` this long after it was made lost its task (the
# worker died or the queue was down): the sweep queues its notices again (each
# person's has its own id, so nobody is told twice).
STALE_AFTER = timedelta(minutes=10)


@db_task()
def send_text(workspace_id: int, to: str, body: str) -> None:
    """A sign-in code whose SMS provider is this server itself (the demo's stand-in)."""
    from frontdesk.community.notify import send_sms
    from frontdesk.connectors.base import ConnectorError
    from frontdesk.core.models import Workspace

    try:
        send_sms(Workspace.objects.get(pk=workspace_id), to=to, body=body, in_worker=True)
    except ConnectorError as error:
        logger.warning("sign-in code not texted: %s", error.message)


@db_task()
def notify_announcement(announcement_id: int, member_id: int) -> None:
    """Queue a large announcement's notices (`staff.notify_announcement`)."""
    announcement = Announcement.objects.filter(pk=announcement_id).first()
    member = Membership.objects.filter(pk=member_id).first()
    if announcement is None or not announcement.notifying:
        return
    if member is None:
        Announcement.objects.filter(pk=announcement_id).update(notifying=False)
        return
    try:
        staff.notify_announcement(announcement, by=member)
    except ActionError as error:  # the member lost the right meanwhile
        Announcement.objects.filter(pk=announcement_id).update(notifying=False)
        logger.warning("announcement not sent: %s", error.message)


@db_periodic_task(crontab(minute="*/5"))
@lock_task("community-announcements")
def resume_announcements() -> None:
    stale = Announcement.objects.filter(
        notifying=True, created_at__lt=timezone.now() - STALE_AFTER
    ).values_list("pk", "created_by_id")
    for pk, member_id in stale:
        notify_announcement.call_local(pk, member_id or 0)
