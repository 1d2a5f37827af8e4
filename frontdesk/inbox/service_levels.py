"""Service levels: response and resolution times counted in business hours.

A clock runs only while the workspace is open (InboxSettings.business_hours, in the
workspace's time zone): a message at 16:30 on Friday answered at 09:30 on Monday
took one business hour, not 65 hours. Dates listed under "closed" (holidays) count
as shut whatever their weekday. With no opening hours configured at all the clocks
run around the clock. Arithmetic is done in UTC, so a daylight-saving change
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


def _closed_dates(hours: object) -> frozenset[date]:
    found: set[date] = set()
    if isinstance(hours, dict):
        for value in hours.get("closed") or []:
            try:
                found.add(date.fromisoformat(str(value)))
            except ValueError:
                continue  # a malformed date in stored settings: ignore it
    return frozenset(found)


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
    closed = _closed_dates(hours)
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        for opens, closes in [] if day in closed else intervals.get(WEEKDAYS[day.weekday()], []):
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


# How far ahead a due time is looked for; beyond it the workspace is as good as shut.
DUE_HORIZON_DAYS = 400


def business_due_at(
    start: datetime, target: timedelta, *, hours: object, zone: ZoneInfo
) -> datetime | None:
    """When `target` of open time has passed since `start` (an aware instant).

    The inverse of business_time_between: a message at 16:30 on Friday with a
    one-hour target, 9 to 5 on weekdays, is due at 09:30 on Monday. None when the
    workspace never opens within DUE_HORIZON_DAYS.
    """
    intervals = _opening_intervals(hours)
    if not intervals:
        return start + target
    closed = _closed_dates(hours)
    start_utc = start.astimezone(UTC)
    left = target
    day = start.astimezone(zone).date()
    for _ in range(DUE_HORIZON_DAYS):
        for opens, closes in [] if day in closed else intervals.get(WEEKDAYS[day.weekday()], []):
            try:
                window_start = _at(day, opens, zone).astimezone(UTC)
                window_end = _at(day, closes, zone).astimezone(UTC)
            except ValueError:
                continue
            begin = max(window_start, start_utc)
            if window_end <= begin:
                continue
            if begin + left <= window_end:
                return (begin + left).astimezone(zone)
            left -= window_end - begin
        day += timedelta(days=1)
    return None


def is_open_at(moment: datetime, *, hours: object, zone: ZoneInfo) -> bool:
    """Whether the workspace is open at `moment` (always, with no hours configured).

    Used by automatic replies (an SMS after-hours acknowledgement); the same rules
    as the clocks above: weekday intervals in the workspace's zone, "closed" dates.
    """
    intervals = _opening_intervals(hours)
    if not intervals:
        return True
    closed = _closed_dates(hours)
    local = moment.astimezone(zone)
    at_utc = moment.astimezone(UTC)
    # Yesterday too: an interval ending at "24:00" is stored under its opening day.
    for day in (local.date() - timedelta(days=1), local.date()):
        if day in closed:
            continue
        for opens, closes in intervals.get(WEEKDAYS[day.weekday()], []):
            try:
                window_start = _at(day, opens, zone).astimezone(UTC)
                window_end = _at(day, closes, zone).astimezone(UTC)
            except ValueError:
                continue
            if window_start <= at_utc < window_end:
                return True
    return False


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
