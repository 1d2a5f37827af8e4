"""The workspace's inbox policy: service-level targets, business hours, SMS sign-off."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from frontdesk.core import roles
from frontdesk.core.models import Membership, Workspace
from frontdesk.inbox.actions.common import InboxError, require
from frontdesk.inbox.actions.conversations import inbox_settings_for
from frontdesk.inbox.models import WEEKDAYS, InboxSettings

TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
# Closed dates (holidays) ride along in business_hours under this key, so the
# clocks can skip them without a column of their own.
CLOSED = "closed"
CLOSED_MAX = 366
DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


def validate_business_hours(hours: object) -> dict[str, list[list[str]]]:
    """Return business hours in canonical form or raise InboxError.

    {"mon": [["09:00", "17:00"]], ...}: every weekday present (missing ones are
    closed), each interval "HH:MM" to a later "HH:MM" (24:00 allowed as an end),
    intervals of a day not overlapping; optionally "closed": ["2026-12-25", ...],
    whole days when the workspace is shut whatever the weekday.
    """
    if not isinstance(hours, dict):
        raise InboxError("Business hours must map weekdays to opening times.")
    unknown = set(hours) - {*WEEKDAYS, CLOSED}
    if unknown:
        raise InboxError(f"Unknown weekday(s): {', '.join(sorted(unknown))}.")
    clean: dict[str, Any] = {}
    for day in WEEKDAYS:
        intervals = hours.get(day) or []
        clean[day] = []
        for interval in intervals:
            if (
                not isinstance(interval, (list, tuple))
                or len(interval) != 2
                or not all(isinstance(t, str) and TIME.match(t) for t in interval)
                or interval[0] >= interval[1]
            ):
                raise InboxError(f"{DAY_NAMES[day]}: opening times look like 09:00 to 17:00.")
            clean[day].append([interval[0], interval[1]])
        clean[day].sort()
        for earlier, later in zip(clean[day], clean[day][1:], strict=False):
            if later[0] < earlier[1]:
                raise InboxError(
                    f"{DAY_NAMES[day]}: opening times overlap ({later[0]} is before {earlier[1]})."
                )
    closed = hours.get(CLOSED)
    if closed:
        clean[CLOSED] = _closed_dates(closed)
    return clean


def _closed_dates(values: object) -> list[str]:
    if not isinstance(values, (list, tuple)):
        raise InboxError("Closed dates are a list of dates like 2026-12-25.")
    days: set[str] = set()
    for value in values:
        try:
            days.add(date.fromisoformat(str(value)).isoformat())
        except ValueError:
            raise InboxError(f"{value!s:.40} is not a date like 2026-12-25.") from None
    if len(days) > CLOSED_MAX:
        raise InboxError(f"List at most {CLOSED_MAX} closed dates.")
    return sorted(days)


def update_inbox_settings(
    workspace: Workspace,
    *,
    by: Membership,
    first_response_target_minutes: int | None = None,
    resolution_target_minutes: int | None = None,
    business_hours: dict[str, list[list[str]]] | None = None,
    sms_sign_with_first_name: bool | None = None,
) -> InboxSettings:
    """Change the inbox policy; arguments left as None stay as they are."""
    require(by, roles.MANAGE_WORKSPACE, workspace_id=workspace.pk)
    settings = inbox_settings_for(workspace)
    changed: list[str] = []
    for name, value in (
        ("first_response_target_minutes", first_response_target_minutes),
        ("resolution_target_minutes", resolution_target_minutes),
    ):
        if value is not None:
            if value <= 0:
                raise InboxError("Targets are a positive number of minutes.")
            setattr(settings, name, value)
            changed.append(name)
    if business_hours is not None:
        settings.business_hours = validate_business_hours(business_hours)
        changed.append("business_hours")
    if sms_sign_with_first_name is not None:
        settings.sms_sign_with_first_name = sms_sign_with_first_name
        changed.append("sms_sign_with_first_name")
    if changed:
        settings.save(update_fields=changed)
    return settings
