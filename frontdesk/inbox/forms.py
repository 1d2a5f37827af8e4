"""Forms behind the inbox pages: they parse and validate; the actions do the work."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from frontdesk.core.http import MAX_ID, parse_id
from frontdesk.inbox.models import ConversationStatus, InboxSettings, Priority
from frontdesk.inbox.models.conversations import MAX_SNOOZE
from frontdesk.inbox.templating import variable_errors

SNOOZE_PRESETS = ("1h", "tomorrow", "next_week")
# "resolve_anyway": resolve, confirmed although some of them are still waiting.
BULK_ACTIONS = ("assign", "resolve", "resolve_anyway", "tag")
BULK_MAX = 100
STATUS_CHOICES = [*ConversationStatus.values, "any"]
SENTIMENTS = ("negative", "neutral", "positive")
MORNING = time(9, 0)


def snooze_presets(now: datetime, zone: ZoneInfo) -> dict[str, datetime]:
    """When each snooze preset ends: in an hour, tomorrow at 9:00 and next Monday at
    9:00, both in the workspace's time zone (a library's morning, not the server's)."""
    local = now.astimezone(zone)
    tomorrow = local.date() + timedelta(days=1)
    monday = local.date() + timedelta(days=7 - local.weekday())
    return {
        "1h": now + timedelta(hours=1),
        "tomorrow": datetime.combine(tomorrow, MORNING, tzinfo=zone),
        "next_week": datetime.combine(monday, MORNING, tzinfo=zone),
    }


class ListFilterForm(forms.Form):
    """The inbox list's query string; anything unrecognised falls back to the default."""

    view = forms.ChoiceField(
        choices=[(v, v) for v in ("all", "mine", "unassigned")], required=False
    )
    status = forms.ChoiceField(choices=[(s, s) for s in STATUS_CHOICES], required=False)
    channel = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    tag = forms.CharField(max_length=50, required=False)
    sentiment = forms.ChoiceField(choices=[(s, s) for s in SENTIMENTS], required=False)
    order = forms.ChoiceField(choices=[(o, o) for o in ("attention", "recent")], required=False)
    cursor = forms.CharField(max_length=200, required=False)
    unread = forms.BooleanField(required=False)


class ComposeForm(forms.Form):
    body = forms.CharField(required=False, strip=True)
    # The composer's mode, sent back so a note can never leave as a reply (or the
    # other way round) if the page's script and the URL disagree.
    mode = forms.ChoiceField(choices=[("reply", "reply"), ("note", "note")], required=False)
    after = forms.IntegerField(min_value=0, required=False)
    # The way a reply goes (the composer's "Send by"): a channel's id, or
    # "elsewhere:<key>" for a member's own account on a network (inbox/elsewhere.py);
    # empty: the conversation's own channel.
    channel = forms.CharField(max_length=80, required=False)
    # What the person chose for a reply posted elsewhere (who sees it on Mastodon).
    choice = forms.CharField(max_length=20, required=False)

    def clean_channel(self) -> int | str | None:
        value = self.cleaned_data.get("channel", "").strip()
        if not value:
            return None
        if value.startswith("elsewhere:"):
            return value
        if value.isdigit() and 0 < int(value) < 2**31:
            return int(value)
        raise forms.ValidationError("Choose how the reply goes.")


class AssignForm(forms.Form):
    """`assignee`: "me", "none" or a membership id; `team`: "none" or a team id."""

    assignee = forms.CharField(max_length=20, required=False)
    team = forms.CharField(max_length=20, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name in ("assignee", "team"):
            value = data.get(name) or ""
            if value and value not in ("me", "none") and not parse_id(value):
                self.add_error(name, "Choose someone from the list.")
        if not data.get("assignee") and not data.get("team"):
            raise forms.ValidationError("Choose a colleague or a team.")
        return data


class SnoozeForm(forms.Form):
    preset = forms.ChoiceField(choices=[(p, p) for p in SNOOZE_PRESETS], required=False)
    until = forms.DateTimeField(
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        until = data.get("until")
        if data.get("preset"):
            data["when"] = snooze_presets(timezone.now(), self.zone)[data["preset"]]
        elif until:
            # The browser's datetime-local is the workspace's wall-clock time.
            naive = until.replace(tzinfo=None) if timezone.is_aware(until) else until
            # Compared as wall-clock times: year 9999 in a zone west of UTC has no
            # UTC moment to compare with.
            latest = (timezone.now() + MAX_SNOOZE).astimezone(self.zone).replace(tzinfo=None)
            if naive > latest:
                raise forms.ValidationError(
                    f"Snooze for at most {MAX_SNOOZE.days} days; "
                    "resolve it if nothing is left to do."
                )
            data["when"] = naive.replace(tzinfo=self.zone)
        else:
            raise forms.ValidationError("Pick when the conversation should come back.")
        return data


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=Priority.choices)


class TagForm(forms.Form):
    name = forms.CharField(max_length=50)


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in BULK_ACTIONS])
    # "12,15,18": the conversations' workspace numbers.
    numbers = forms.CharField(error_messages={"required": "Select one or more conversations."})
    assignee = forms.CharField(max_length=20, required=False)
    tag = forms.CharField(max_length=50, required=False)

    def clean_numbers(self) -> list[int]:
        parts = [p for p in self.cleaned_data["numbers"].replace(" ", "").split(",") if p]
        if not parts or not all(parse_id(p) for p in parts):
            raise forms.ValidationError("Select one or more conversations.")
        numbers = list(dict.fromkeys(int(p) for p in parts))
        if len(numbers) > BULK_MAX:
            raise forms.ValidationError(f"Select at most {BULK_MAX} conversations at once.")
        return numbers

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        action = data.get("action")
        assignee = data.get("assignee") or ""
        if action == "assign" and not (assignee in ("me", "none") or parse_id(assignee)):
            self.add_error("assignee", "Choose who gets them.")
        if action == "tag" and not (data.get("tag") or "").strip():
            self.add_error("tag", "Name the tag.")
        return data


# --- Settings: the inbox's policy and saved replies -------------------------------------

DAY_LABELS = (
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
)
TARGET_UNITS = (("minutes", "minutes"), ("hours", "hours"))
# A year of business minutes: far beyond any useful target, well inside the column.
TARGET_MAX_MINUTES = 365 * 24 * 60
MIDNIGHT = time(0, 0)


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")


def _hhmm(value: time, *, closing: bool = False) -> str:
    # A browser's time field cannot say 24:00; closing at 00:00 means midnight.
    if closing and value == MIDNIGHT:
        return "24:00"
    return value.strftime("%H:%M")


def _as_time(hhmm: str) -> time:
    return MIDNIGHT if hhmm == "24:00" else time.fromisoformat(hhmm)


def target_initial(minutes: int) -> tuple[int, str]:
    """A target as people say it: 4 hours rather than 240 minutes."""
    return (minutes // 60, "hours") if minutes % 60 == 0 else (minutes, "minutes")


class InboxSettingsForm(forms.Form):
    """Service-level targets, weekly opening hours, closed dates and the SMS sign-off.

    Each weekday has an "open" switch and up to two opening times (a lunch break
    splits the day). `cleaned_data` carries `business_hours` and the two targets
    in minutes, ready for `update_inbox_settings`.
    """

    first_response_amount = forms.IntegerField(
        label="First response within", min_value=1, widget=forms.NumberInput(attrs={"min": 1})
    )
    first_response_unit = forms.ChoiceField(choices=TARGET_UNITS, label="Unit")
    resolution_amount = forms.IntegerField(
        label="Resolved within", min_value=1, widget=forms.NumberInput(attrs={"min": 1})
    )
    resolution_unit = forms.ChoiceField(choices=TARGET_UNITS, label="Unit")
    closed_dates = forms.CharField(
        required=False,
        label="Closed dates",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-25\n2026-12-26"}),
        help_text="Holidays and other days you are shut, one date per line (YYYY-MM-DD). "
        "The clocks stop on these days whatever the weekday.",
    )
    sms_sign_with_first_name = forms.BooleanField(
        required=False, label="Sign text replies with the staff member’s first name"
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for day, label in DAY_LABELS:
            self.fields[f"{day}_open"] = forms.BooleanField(required=False, label=label)
            for part, text in (("from", "Opens"), ("to", "Closes")):
                for suffix in ("", "2"):
                    self.fields[f"{day}_{part}{suffix}"] = forms.TimeField(
                        required=False,
                        label=f"{label}: {text.lower()}{' (second time)' if suffix else ''}",
                        widget=_time_input(),
                        input_formats=["%H:%M", "%H:%M:%S"],
                    )

    @classmethod
    def initial_for(cls, settings: InboxSettings) -> dict[str, object]:
        """The form's starting values from an InboxSettings row."""
        first_amount, first_unit = target_initial(settings.first_response_target_minutes)
        resolution_amount, resolution_unit = target_initial(settings.resolution_target_minutes)
        hours = settings.business_hours if isinstance(settings.business_hours, dict) else {}
        initial: dict[str, object] = {
            "first_response_amount": first_amount,
            "first_response_unit": first_unit,
            "resolution_amount": resolution_amount,
            "resolution_unit": resolution_unit,
            "closed_dates": "\n".join(str(d) for d in hours.get("closed") or []),
            "sms_sign_with_first_name": settings.sms_sign_with_first_name,
        }
        for day, _ in DAY_LABELS:
            intervals = [i for i in hours.get(day) or [] if isinstance(i, list | tuple)]
            initial[f"{day}_open"] = bool(intervals)
            for index, suffix in enumerate(("", "2")):
                if index < len(intervals):
                    opens, closes = intervals[index]
                    initial[f"{day}_from{suffix}"] = _as_time(str(opens))
                    initial[f"{day}_to{suffix}"] = _as_time(str(closes))
        return initial

    def day_rows(self) -> list[dict[str, object]]:
        """The weekday fields grouped per day, for the template's hours table."""
        return [
            {
                "key": day,
                "label": label,
                "open": self[f"{day}_open"],
                "from": self[f"{day}_from"],
                "to": self[f"{day}_to"],
                "from2": self[f"{day}_from2"],
                "to2": self[f"{day}_to2"],
            }
            for day, label in DAY_LABELS
        ]

    def _target(self, data: dict, name: str) -> None:
        amount, unit = data.get(f"{name}_amount"), data.get(f"{name}_unit")
        if amount is None or unit is None:
            return
        minutes = amount * (60 if unit == "hours" else 1)
        if minutes > TARGET_MAX_MINUTES:
            self.add_error(f"{name}_amount", "That is more than a year; choose a shorter target.")
        else:
            data[f"{name}_target_minutes"] = minutes

    def _day(self, data: dict, day: str, label: str) -> list[list[str]]:
        if not data.get(f"{day}_open"):
            return []
        intervals: list[list[str]] = []
        for suffix in ("", "2"):
            opens, closes = data.get(f"{day}_from{suffix}"), data.get(f"{day}_to{suffix}")
            if suffix and opens is None and closes is None:
                continue
            if opens is None or closes is None:
                name = f"{day}_from{suffix}" if opens is None else f"{day}_to{suffix}"
                self.add_error(name, f"{label}: give both an opening and a closing time.")
                continue
            start, end = _hhmm(opens), _hhmm(closes, closing=True)
            if end <= start:
                self.add_error(
                    f"{day}_to{suffix}",
                    f"{label}: closing time ({closes:%H:%M}) must be after opening "
                    f"time ({opens:%H:%M}).",
                )
                continue
            if intervals and start < intervals[-1][1]:
                self.add_error(
                    f"{day}_from{suffix}",
                    f"{label}: the second opening must start after {intervals[-1][1]}.",
                )
                continue
            intervals.append([start, end])
        return intervals

    def clean_closed_dates(self) -> list[str]:
        days: set[str] = set()
        bad: list[str] = []
        for word in self.cleaned_data["closed_dates"].replace(",", "\n").split():
            try:
                days.add(date.fromisoformat(word).isoformat())
            except ValueError:
                bad.append(word)
        if bad:
            raise forms.ValidationError(
                f"Not a date like 2026-12-25: {', '.join(bad[:5])}{'…' if len(bad) > 5 else ''}"
            )
        return sorted(days)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        self._target(data, "first_response")
        self._target(data, "resolution")
        hours = {day: self._day(data, day, label) for day, label in DAY_LABELS}
        if not any(hours.values()) and not any(
            name.endswith(("_from", "_to", "_from2", "_to2")) for name in self.errors
        ):
            raise forms.ValidationError(
                "Open on at least one day: the clocks only run while you are open. "
                "For round-the-clock service, open every day from 00:00 to 00:00."
            )
        if data.get("closed_dates"):
            hours["closed"] = data["closed_dates"]
        data["business_hours"] = hours
        return data


class SavedReplyForm(forms.Form):
    title = forms.CharField(
        max_length=120,
        help_text="What colleagues search for in the composer, e.g. “Opening hours”.",
        error_messages={"required": "Give the saved reply a title, e.g. “Opening hours”."},
    )
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Write the text of the reply."},
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        errors = variable_errors(body)
        if errors:
            raise forms.ValidationError(errors)
        return body


class SavedReplyFilterForm(forms.Form):
    q = forms.CharField(max_length=100, required=False)
    author = forms.ChoiceField(choices=[("", "Everyone’s"), ("me", "Mine")], required=False)
