"""Service levels: response and resolution times counted in business hours.

A clock runs only while the workspace is open (InboxSettings.business_hours, in the
workspace's time zone): a message at 16:30 on Friday answered at 09:30 on Monday
took one business hour, not 65 hours. With no opening hours configured at all the
clocks run around the clock. Arithmetic is done in UTC, so a daylight-saving change
inside an interval counts the real elapsed time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from frontdesk.core.models import Workspace
from frontdesk.inbox.models import WEEKDAYS, Conversation, ConversationStatus, InboxSettings

BreachState = Literal["ok", "near", "breached"]
# "Near" a breach: within the last 20 % of the target.
NEAR_FRACTION = 0.8


def workspace_zone(workspace: Workspace) -> ZoneInfo:
    try:
        return ZoneInfo(workspace.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def settings_or_defaults(workspace: Workspace) -> InboxSettings:
    """The workspace's settings row, or an unsaved one with the defaults (no write)."""
    found = InboxSettings.objects.filter(workspace=workspace).first()
    return found or InboxSettings(workspace=workspace)


def _at(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    if hhmm == "24:00":
        return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone)


def _opening_intervals(hours: object) -> dict[str, list[tuple[str, str]]]:
    if not isinstance(hours, dict):
        return {}
    intervals: dict[str, list[tuple[str, str]]] = {}
    for day in WEEKDAYS:
        for interval in hours.get(day) or []:
            if isinstance(interval, (list, tuple)) and len(interval) == 2:
                intervals.setdefault(day, []).append((str(interval[0]), str(interval[1])))
    return intervals


def business_time_between(
    start: datetime,
    end: datetime,
    *,
    hours: object,
    zone: ZoneInfo,
    stop_after: timedelta | None = None,
) -> timedelta:
    """Open time between two aware instants.

    `hours` is InboxSettings.business_hours; without any opening interval the
    clock always runs. With `stop_after`, counting stops once that much is reached
    (enough to tell a breach, without walking a months-old conversation day by day).
    """
    if end <= start:
        return timedelta(0)
    intervals = _opening_intervals(hours)
    if not intervals:
        return end - start
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        for opens, closes in intervals.get(WEEKDAYS[day.weekday()], []):
            try:
                window_start = _at(day, opens, zone).astimezone(UTC)
                window_end = _at(day, closes, zone).astimezone(UTC)
            except ValueError:
                continue  # a malformed time in stored settings: skip that interval
            overlap = min(window_end, end_utc) - max(window_start, start_utc)
            if overlap > timedelta(0):
                total += overlap
        if stop_after is not None and total >= stop_after:
            return total
        day += timedelta(days=1)
    return total


def first_response_time(
    conversation: Conversation, *, settings: InboxSettings | None = None
) -> timedelta | None:
    """Business time from the conversation's start to the first staff reply."""
    if conversation.first_response_at is None:
        return None
    settings = settings or settings_or_defaults(conversation.workspace)
    return business_time_between(
        conversation.created_at,
        conversation.first_response_at,
        hours=settings.business_hours,
        zone=workspace_zone(conversation.workspace),
    )


def resolution_time(
    conversation: Conversation, *, settings: InboxSettings | None = None
) -> timedelta | None:
    """Business time from the conversation's start to its resolution."""
    if conversation.resolved_at is None:
        return None
    settings = settings or settings_or_defaults(conversation.workspace)
    return business_time_between(
        conversation.created_at,
        conversation.resolved_at,
        hours=settings.business_hours,
        zone=workspace_zone(conversation.workspace),
    )


def breach_state(
    conversation: Conversation,
    now: datetime,
    *,
    settings: InboxSettings | None = None,
    zone: ZoneInfo | None = None,
) -> BreachState:
    """ "breached", "near" (within 20 % of a target) or "ok", for an open conversation.

    Two clocks: first response (until the first staff reply, only once the
    customer has written) and resolution. A resolved conversation is "ok". Pass
    `settings` and `zone` when checking a whole page of conversations.
    """
    if conversation.status == ConversationStatus.RESOLVED:
        return "ok"
    settings = settings or settings_or_defaults(conversation.workspace)
    zone = zone or workspace_zone(conversation.workspace)
    clocks = [timedelta(minutes=settings.resolution_target_minutes)]
    if conversation.first_response_at is None and conversation.last_customer_message_at:
        clocks.append(timedelta(minutes=settings.first_response_target_minutes))
    state: BreachState = "ok"
    for target in sorted(clocks):
        elapsed = business_time_between(
            conversation.created_at,
            now,
            hours=settings.business_hours,
            zone=zone,
            stop_after=target,
        )
        if elapsed >= target:
            return "breached"
        if elapsed >= target * NEAR_FRACTION:
            state = "near"
    return state
