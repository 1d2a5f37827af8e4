"""Telling staff: unhappy or needs-a-reply mentions, and spikes, per watch.

An alert says why it fired ("Unhappy: “lost”, “terrible”"). It goes live to the
workspace's open pages at once unless the watch is in its quiet hours; either way
it is kept on the mention (`alert_reasons`) and goes into the watch's next email
digest (`send_digests`, hourly, skipped during quiet hours).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from frontdesk.core import roles
from frontdesk.core.models import Membership
from frontdesk.listening import live
from frontdesk.listening.models import Mention, Watch

logger = logging.getLogger(__name__)

SPIKE_WINDOW = timedelta(hours=1)
SPIKE_BASELINE = timedelta(days=7)
SPIKE_FACTOR = 4.0
SPIKE_MINIMUM = 5  # five mentions an hour is no spike for a watch that usually has none
SPIKE_REPEAT = timedelta(hours=6)


def reasons_for(mention: Mention, watch: Watch) -> list[str]:
    """Why `mention` should alert the staff of `watch` (empty: it should not)."""
    reasons = []
    unhappy = watch.alert_negative and mention.sentiment_label == "negative"
    if unhappy:
        reasons.append(f"Unhappy: {mention.sentiment_reason.removeprefix('negative: ')}")
    if watch.alert_needs_reply and mention.needs_reply:
        # The analyzer's reason starts with what the post is ("question, needs a reply: …").
        kind = mention.needs_reply_reason.split(",", 1)[0].strip() or "question"
        if unhappy:
            reasons.append(f"needs a reply (a {kind})")
        else:
            cues = mention.needs_reply_reason.partition(": ")[2]
            reasons.append(
                f"Needs a reply: a {kind}" + (f" ({cues})" if cues and cues != "“?”" else "")
            )
    return reasons


def on_new_mention(mention: Mention, watches: list[Watch], *, now: datetime) -> Watch | None:
    """Set on a new mention, before it is stored, the alert it raises (`alert_reasons`,
    `alerted_at`; stored with it, so no second write), and return the watch to tell
    open pages about it now (None: no alert, or quiet hours). Once it is stored, pass
    that watch to `announce`."""
    fired: list[str] = []
    loud: Watch | None = None
    for watch in watches:
        reasons = reasons_for(mention, watch)
        if not reasons:
            continue
        fired.extend(r for r in reasons if r not in fired)
        if not watch.is_quiet(now) and loud is None:
            loud = watch
    if not fired:
        return None
    mention.alert_reasons, mention.alerted_at = fired, now
    return loud


def announce(mention: Mention, loud: Watch | None) -> None:
    """Publish a stored mention's alert (after commit) to `loud`'s open pages, if any.
    Call inside the ingesting transaction: the live event goes after commit."""
    if loud is not None:
        live.alert(
            mention,
            watch_name=loud.name,
            reasons=mention.alert_reasons,
            slug=mention.workspace.slug,
        )


def check_spike(watch: Watch, *, now: datetime) -> bool:
    """Alert once when the last hour's mentions of `watch` are far above its usual
    hourly rate (the week before). Returns whether it alerted."""
    if not watch.alert_spike or watch.is_quiet(now):
        return False
    if watch.spike_alerted_at and now - watch.spike_alerted_at < SPIKE_REPEAT:
        return False
    mentions = Mention.objects.filter(
        workspace_id=watch.workspace_id, watches=watch, removed_at__isnull=True
    )
    recent = mentions.filter(found_at__gt=now - SPIKE_WINDOW).count()
    if recent < SPIKE_MINIMUM:
        return False
    before = mentions.filter(
        found_at__gt=now - SPIKE_WINDOW - SPIKE_BASELINE, found_at__lte=now - SPIKE_WINDOW
    ).count()
    baseline = before / (SPIKE_BASELINE / SPIKE_WINDOW)
    if recent < SPIKE_FACTOR * baseline:
        return False
    Watch.objects.filter(pk=watch.pk).update(spike_alerted_at=now)
    watch.spike_alerted_at = now
    live.spike(
        watch.workspace_id,
        watch_name=watch.name,
        count=recent,
        baseline=baseline,
        slug=watch.workspace.slug,
    )
    return True


def send_digests(*, now: datetime | None = None) -> int:
    """Email each watch's alerts since its last digest to the staff who answer
    customers and want email; returns how many digests were sent."""
    now = now or timezone.now()
    sent = 0
    for watch in Watch.objects.filter(is_active=True, digest_email=True).select_related(
        "workspace"
    ):
        if watch.is_quiet(now):
            continue
        since = watch.digest_sent_at or (now - timedelta(days=1))
        alerted = list(
            Mention.objects.filter(workspace_id=watch.workspace_id, watches=watch)
            .filter(alerted_at__gt=since, alerted_at__lte=now, removed_at__isnull=True)
            .select_related("source")
            .order_by("alerted_at")[:50]
        )
        if not alerted:
            continue
        recipients = [
            m.user.email
            for m in Membership.objects.filter(
                workspace_id=watch.workspace_id, is_active=True, notify_by_email=True
            ).select_related("user")
            if m.can(roles.REPLY) and m.user.email
        ]
        Watch.objects.filter(pk=watch.pk).update(digest_sent_at=now)
        if not recipients:
            continue
        page = settings.PUBLIC_BASE_URL + live.mentions_page(watch.workspace.slug)
        context = {"watch": watch, "mentions": alerted, "page": page}
        send_mail(
            render_to_string("emails/listening_digest/subject.txt", context).strip(),
            render_to_string("emails/listening_digest/body.txt", context),
            None,
            recipients,
        )
        sent += 1
    return sent
