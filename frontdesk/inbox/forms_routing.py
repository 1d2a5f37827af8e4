"""Forms behind Settings → Inbox → Routing: a rule, and the rule tester's sample."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from frontdesk.core import roles
from frontdesk.core.models import Membership, Workspace
from frontdesk.inbox import kinds
from frontdesk.inbox.actions.routing import RuleFields
from frontdesk.inbox.models import Channel, Priority, SavedReply, Team
from frontdesk.triage.language import LANGUAGES
from frontdesk.triage.rules import Conditions

MAX_LIST = 50  # keywords, tags, languages in one rule


def _split(value: str) -> tuple[str, ...]:
    items = [" ".join(part.split()) for part in (value or "").replace("\n", ",").split(",")]
    return tuple(dict.fromkeys(item for item in items if item))


def channel_choices(workspace: Workspace) -> list[tuple[str, str]]:
    choices = [
        (f"kind:{k.kind}", f"Every {k.label.lower()} channel") for k in kinds.installed().values()
    ]
    choices += [
        (f"channel:{c.pk}", c.name)
        for c in Channel.objects.for_workspace(workspace).order_by("name", "id")
    ]
    return choices


def _answering(workspace: Workspace) -> list[Membership]:
    return [
        m
        for m in Membership.objects.for_workspace(workspace)
        .filter(is_active=True)
        .order_by("display_name", "id")
        if m.can(roles.REPLY)
    ]


class ListField(forms.CharField):
    """A comma-separated list ("late fee, fine"), at most MAX_LIST items."""

    def clean(self, value: Any) -> tuple[str, ...]:
        text = super().clean(value)
        items = _split(text)
        if len(items) > MAX_LIST:
            raise forms.ValidationError(f"At most {MAX_LIST} items.")
        if any(len(item) > 80 for item in items):
            raise forms.ValidationError("Keep each item under 80 characters.")
        return items


class RuleForm(forms.Form):
    name = forms.CharField(max_length=120)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    channels = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Channel"
    )
    keywords = ListField(
        required=False,
        label="Keywords",
        help_text="Any of these words or phrases, comma-separated (whole words).",
    )
    sentiments = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[("negative", "Unhappy"), ("neutral", "Neutral"), ("positive", "Happy")],
        label="Sentiment",
    )
    urgencies = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[("urgent", "Urgent"), ("soon", "Soon"), ("none", "Not urgent")],
        label="Urgency",
    )
    languages = ListField(
        required=False, label="Languages", help_text="ISO codes, e.g. <code>es, fr</code>."
    )
    tags = ListField(
        required=False,
        label="Customer tags",
        help_text="Any tag staff put on this customer’s conversations.",
    )
    watch = forms.CharField(
        required=False,
        max_length=200,
        label="Listening watch",
        help_text="The name of the watch a conversation came from (reaching out to a mention).",
    )
    hours = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any time"),
            ("open", "During opening hours"),
            ("closed", "Outside opening hours"),
        ],
        label="When",
    )
    assign = forms.ChoiceField(required=False, label="Assign to")
    mode = forms.ChoiceField(
        choices=[("round_robin", "Round-robin"), ("least_busy", "Least busy")],
        initial="round_robin",
        label="Among a team or everyone",
        help_text="Only people marked available are picked.",
    )
    priority = forms.ChoiceField(
        required=False,
        choices=[("", "Leave as it is"), *Priority.choices],
        label="Set priority",
    )
    add_tags = ListField(required=False, label="Add tags")
    saved_reply = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Draft a reply from"
    )
    notify = forms.TypedMultipleChoiceField(
        required=False, coerce=int, widget=forms.CheckboxSelectMultiple, label="Notify"
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["channels"]).choices = channel_choices(workspace)
        people = _answering(workspace)
        cast(forms.ChoiceField, self.fields["assign"]).choices = [
            ("", "Nobody (leave it in the shared queue)"),
            ("anyone", "Anyone available"),
            *[(f"team:{t.pk}", f"Team: {t.name}") for t in Team.objects.for_workspace(workspace)],
            *[(f"member:{m.pk}", m.display_name) for m in people],
        ]
        cast(forms.ChoiceField, self.fields["saved_reply"]).choices = [("", "No draft")] + [
            (s.pk, s.title) for s in SavedReply.objects.for_workspace(workspace)
        ]
        cast(forms.ChoiceField, self.fields["notify"]).choices = [
            (m.pk, m.display_name)
            for m in Membership.objects.for_workspace(workspace)
            .filter(is_active=True)
            .order_by("display_name", "id")
        ]

    def clean_languages(self) -> tuple[str, ...]:
        codes = tuple(code.lower() for code in self.cleaned_data["languages"])
        unknown = [code for code in codes if code not in LANGUAGES]
        if unknown:
            raise forms.ValidationError(f"Unknown language code: {', '.join(unknown)}.")
        return codes

    def fields_for_action(self) -> RuleFields:
        data = self.cleaned_data
        return RuleFields(
            name=data["name"],
            is_active=data["is_active"],
            conditions=Conditions(
                channels=tuple(data["channels"]),
                watch=data["watch"],
                keywords=data["keywords"],
                tags=data["tags"],
                languages=data["languages"],
                sentiments=tuple(data["sentiments"]),
                urgencies=tuple(data["urgencies"]),
                hours=data["hours"],
            ),
            assign=data["assign"],
            mode=data["mode"],
            priority=data["priority"],
            tags=data["add_tags"],
            saved_reply_id=data["saved_reply"],
            notify=tuple(data["notify"]),
        )


def initial_for(rule: Any) -> dict[str, Any]:
    c = rule.conditions if isinstance(rule.conditions, dict) else {}
    rec = rule.to_rule()
    return {
        "name": rule.name,
        "is_active": rule.is_active,
        "channels": list(rec.conditions.channels),
        "keywords": ", ".join(rec.conditions.keywords),
        "sentiments": list(rec.conditions.sentiments),
        "urgencies": list(rec.conditions.urgencies),
        "languages": ", ".join(rec.conditions.languages),
        "tags": ", ".join(rec.conditions.tags),
        "watch": str(c.get("watch") or ""),
        "hours": rec.conditions.hours,
        "assign": rec.actions.assign,
        "mode": rec.actions.mode,
        "priority": rec.actions.priority,
        "add_tags": ", ".join(rec.actions.tags),
        "saved_reply": rule.saved_reply_id or "",
        "notify": list(rec.actions.notify),
    }


class TesterForm(forms.Form):
    """A sample message for the rule tester; nothing is stored."""

    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), max_length=5000, label="Sample message"
    )
    channel = forms.ChoiceField(label="Arrives on")
    tags = ListField(required=False, label="Customer tags")
    watch = forms.CharField(required=False, max_length=200, label="From watch")
    hours = forms.ChoiceField(
        choices=[
            ("now", "Now"),
            ("open", "During opening hours"),
            ("closed", "Outside opening hours"),
        ],
        initial="now",
        label="Arrives",
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channels = Channel.objects.for_workspace(workspace).order_by("name", "id")
        cast(forms.ChoiceField, self.fields["channel"]).choices = [
            (str(c.pk), f"{c.name} ({c.kind})") for c in channels
        ] or [("", "No channels yet")]
