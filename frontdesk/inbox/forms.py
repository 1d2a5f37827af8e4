"""Forms behind the inbox pages: they parse and validate; the actions do the work."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from frontdesk.inbox.models import ConversationStatus, Priority

SNOOZE_PRESETS = ("1h", "tomorrow", "next_week")
BULK_ACTIONS = ("assign", "resolve", "tag")
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
    channel = forms.IntegerField(min_value=1, required=False)
    tag = forms.CharField(max_length=50, required=False)
    sentiment = forms.ChoiceField(choices=[(s, s) for s in SENTIMENTS], required=False)
    order = forms.ChoiceField(choices=[(o, o) for o in ("attention", "recent")], required=False)
    cursor = forms.CharField(max_length=200, required=False)


class ComposeForm(forms.Form):
    body = forms.CharField(required=False, strip=True)
    # The composer's mode, sent back so a note can never leave as a reply (or the
    # other way round) if the page's script and the URL disagree.
    mode = forms.ChoiceField(choices=[("reply", "reply"), ("note", "note")], required=False)
    after = forms.IntegerField(min_value=0, required=False)


class AssignForm(forms.Form):
    """`assignee`: "me", "none" or a membership id; `team`: "none" or a team id."""

    assignee = forms.CharField(max_length=20, required=False)
    team = forms.CharField(max_length=20, required=False)

    def clean(self) -> dict:
        data = super().clean()
        for name in ("assignee", "team"):
            value = data.get(name) or ""
            if value and value not in ("me", "none") and not value.isdigit():
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

    def __init__(self, *args: object, zone: ZoneInfo, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean(self) -> dict:
        data = super().clean()
        until = data.get("until")
        if data.get("preset"):
            data["when"] = snooze_presets(timezone.now(), self.zone)[data["preset"]]
        elif until:
            # The browser's datetime-local is the workspace's wall-clock time.
            naive = until.replace(tzinfo=None) if timezone.is_aware(until) else until
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
        if not parts or not all(p.isdigit() for p in parts):
            raise forms.ValidationError("Select one or more conversations.")
        numbers = list(dict.fromkeys(int(p) for p in parts))
        if len(numbers) > BULK_MAX:
            raise forms.ValidationError(f"Select at most {BULK_MAX} conversations at once.")
        return numbers

    def clean(self) -> dict:
        data = super().clean()
        action = data.get("action")
        if action == "assign" and not data.get("assignee"):
            self.add_error("assignee", "Choose who gets them.")
        if action == "tag" and not (data.get("tag") or "").strip():
            self.add_error("tag", "Name the tag.")
        return data
