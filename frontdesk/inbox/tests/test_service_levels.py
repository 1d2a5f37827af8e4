from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from frontdesk.inbox.actions import InboxError, inbox_settings_for, update_inbox_settings
from frontdesk.inbox.models import Conversation, default_business_hours
from frontdesk.inbox.service_levels import (
    breach_state,
    business_time_between,
    first_response_time,
    resolution_time,
)

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = default_business_hours()


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def test_a_friday_evening_message_answered_on_monday_took_one_business_hour():
    friday, monday = local("2026-11-20T16:30"), local("2026-11-23T09:30")
    assert (friday.strftime("%a"), monday.strftime("%a")) == ("Fri", "Mon")
    elapsed = business_time_between(friday, monday, hours=WEEKDAYS_9_TO_5, zone=NEW_YORK)
    assert elapsed == timedelta(hours=1)


def test_overnight_only_open_hours_count():
    elapsed = business_time_between(
        local("2026-11-17T16:00"), local("2026-11-18T10:00"), hours=WEEKDAYS_9_TO_5, zone=NEW_YORK
    )
    assert elapsed == timedelta(hours=2)


def test_a_message_written_while_closed_starts_the_clock_at_opening():
    elapsed = business_time_between(
        local("2026-11-21T11:00"),  # Saturday
        local("2026-11-23T09:15"),
        hours=WEEKDAYS_9_TO_5,
        zone=NEW_YORK,
    )
    assert elapsed == timedelta(minutes=15)


def test_split_opening_hours_skip_the_lunch_break():
    hours = {"tue": [["09:00", "12:00"], ["13:00", "17:00"]]}
    elapsed = business_time_between(
        local("2026-11-17T11:00"), local("2026-11-17T14:00"), hours=hours, zone=NEW_YORK
    )
    assert elapsed == timedelta(hours=2)


def test_a_daylight_saving_change_counts_real_time():
    # 8 March 2026: clocks in New York jump from 02:00 to 03:00.
    hours = {"sun": [["00:00", "24:00"]]}
    elapsed = business_time_between(
        local("2026-03-08T00:00"), local("2026-03-09T00:00"), hours=hours, zone=NEW_YORK
    )
    assert elapsed == timedelta(hours=23)


def test_without_opening_hours_the_clock_always_runs():
    start = local("2026-11-21T11:00")
    assert business_time_between(start, start + timedelta(hours=30), hours={}, zone=NEW_YORK) == (
        timedelta(hours=30)
    )


def test_counting_stops_once_enough_is_known():
    elapsed = business_time_between(
        local("2026-01-05T09:00"),
        local("2026-12-31T17:00"),
        hours=WEEKDAYS_9_TO_5,
        zone=NEW_YORK,
        stop_after=timedelta(hours=10),
    )
    assert timedelta(hours=10) <= elapsed < timedelta(hours=20)


@pytest.fixture
def new_york_conversation(db, riverside, make_conversation):
    riverside.time_zone = "America/New_York"
    riverside.save()
    settings = inbox_settings_for(riverside)
    settings.first_response_target_minutes = 60
    settings.resolution_target_minutes = 8 * 60
    settings.save()
    conversation = make_conversation(last_message_at=local("2026-11-23T10:00"))
    return Conversation.objects.select_related("workspace").get(pk=conversation.pk)


def test_breach_state_follows_the_first_response_target(new_york_conversation):
    conversation = new_york_conversation
    assert breach_state(conversation, local("2026-11-23T10:30")) == "ok"
    assert breach_state(conversation, local("2026-11-23T10:50")) == "near"
    assert breach_state(conversation, local("2026-11-23T11:00")) == "breached"


def test_after_the_first_reply_only_the_resolution_clock_runs(new_york_conversation):
    conversation = new_york_conversation
    conversation.first_response_at = local("2026-11-23T10:20")
    assert breach_state(conversation, local("2026-11-23T12:00")) == "ok"
    # 8 business hours from Monday 10:00: 80 % is reached at 16:24 the same day.
    assert breach_state(conversation, local("2026-11-23T16:30")) == "near"
    assert breach_state(conversation, local("2026-11-24T10:00")) == "breached"
    conversation.status = "resolved"
    assert breach_state(conversation, local("2026-11-30T10:00")) == "ok"


def test_response_and_resolution_times_are_in_business_hours(new_york_conversation):
    conversation = new_york_conversation
    assert first_response_time(conversation) is None
    conversation.first_response_at = local("2026-11-23T10:45")
    conversation.resolved_at = local("2026-11-24T10:00")
    assert first_response_time(conversation) == timedelta(minutes=45)
    assert resolution_time(conversation) == timedelta(hours=8)


def test_business_hours_are_validated(cast, riverside):
    update_inbox_settings(riverside, by=cast["owner"], business_hours={"sat": [["10:00", "14:00"]]})
    stored = inbox_settings_for(riverside).business_hours
    assert stored["sat"] == [["10:00", "14:00"]] and stored["mon"] == []
    for bad in ({"someday": []}, {"mon": [["17:00", "09:00"]]}, {"mon": [["9am", "5pm"]]}):
        with pytest.raises(InboxError):
            update_inbox_settings(riverside, by=cast["owner"], business_hours=bad)
