"""Forms of outreach's staff pages: they read fields; the actions check the rules.
Choices come from the workspace the page is in, so a foreign id is never valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from frontdesk.core.models import Membership, Workspace
from frontdesk.core.queries import team
from frontdesk.inbox.models import Channel
from frontdesk.outreach import queries
from frontdesk.outreach.models import MessageKind, SenderIdentity, Template, Topic

PLACEHOLDER_HELP = (
    "Placeholders: {{ contact.first_name }}, {{ contact.name }}, {{ custom.branch }}, "
    '{{ item.title }}, {{ event.starts }}, {{ sender.name }}, {{ library.name }}; add |default:"…" '
    "for when a value is missing."
)


REQUIRED_MESSAGES = {
    "subject": "An email needs a subject.",
    "html": "Write the message.",
    "sms_body": "Write the text message.",
}


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="For staff, e.g. “Hold ready for pickup”.")
    kind = forms.ChoiceField(choices=MessageKind.choices, label="Sent as")
    subject = forms.CharField(max_length=255, required=False)
    html = forms.CharField(
        label="Message (HTML)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "true"}),
        help_text=PLACEHOLDER_HELP + " The plain-text part is made from it.",
    )
    sms_body = forms.CharField(
        label="Text message",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Keep it under 160 characters to send as one text.",
    )

    @classmethod
    def for_template(cls, template: Template, data: Any = None) -> TemplateForm:
        initial = {name: getattr(template, name) for name in cls.base_fields}
        return cls(data, initial=initial)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What is required follows the kind: subject and message for an email, the
        # text for a text message (the other kind's fields are hidden).
        kind = self["kind"].value()
        needed = ("sms_body",) if kind == MessageKind.SMS else ("subject", "html")
        for name, message in REQUIRED_MESSAGES.items():
            self.fields[name].required = name in needed
            self.fields[name].error_messages["required"] = message


class SenderForm(forms.Form):
    member: forms.ModelChoiceField[Membership] = forms.ModelChoiceField(
        queryset=Membership.objects.none(), label="Staff member", empty_label=None
    )
    name = forms.CharField(
        max_length=80, required=False, help_text="As recipients see it; empty: the member's name."
    )
    title = forms.CharField(
        max_length=80, required=False, help_text="e.g. “Library Director”; empty: their title."
    )
    signature = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Under every message; empty: the member's own signature.",
    )
    photo = forms.ImageField(required=False, help_text="JPEG or PNG, at most 2 MB.")
    email_channel: forms.ModelChoiceField[Channel] = forms.ModelChoiceField(
        queryset=Channel.objects.none(),
        required=False,
        label="Send email through",
        empty_label="No email",
    )
    from_address = forms.EmailField(
        required=False,
        label="Their own address",
        help_text="Used as From only once verified; until then the channel's address is.",
    )
    sms_channel: forms.ModelChoiceField[Channel] = forms.ModelChoiceField(
        queryset=Channel.objects.none(),
        required=False,
        label="Send texts from",
        empty_label="No texts",
    )

    remove_photo = forms.BooleanField(label="Remove the photo", required=False)

    @classmethod
    def for_sender(cls, sender: SenderIdentity, data: Any = None, files: Any = None) -> SenderForm:
        """The form editing `sender`: the same fields but the member, filled in."""
        initial = {
            "name": sender.name,
            "title": sender.title,
            "signature": sender.signature,
            "email_channel": sender.email_channel_id,
            "from_address": sender.from_address,
            "sms_channel": sender.sms_channel_id,
        }
        return cls(sender.workspace, data, files, initial=initial, editing=True)

    def __init__(
        self, workspace: Workspace, *args: Any, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        if editing:
            del fields["member"]
            fields["name"].required = True
            fields["name"].help_text = "As recipients see it."
            fields["title"].help_text = "e.g. “Library Director”."
            fields["signature"].help_text = "Under every message."
            fields["from_address"].help_text = (
                "Used as From only once its owner follows the link mailed to it; until then "
                "messages go out from the channel's address with this person's name."
            )
        else:
            del fields["remove_photo"]
            fields["member"].queryset = team(workspace).order_by("display_name")
            fields["member"].label_from_instance = lambda m: (
                f"{m.display_name} ({m.title or m.role})"
            )
        channels = Channel.objects.for_workspace(workspace).order_by("name")
        fields["email_channel"].queryset = channels.filter(kind="email")
        fields["sms_channel"].queryset = channels.filter(kind="sms")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email_channel") and not data.get("sms_channel"):
            self.add_error("email_channel", "Choose how this person's messages go out.")
        return data


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="For staff, e.g. “December newsletter”.")
    sender: forms.ModelChoiceField[SenderIdentity] = forms.ModelChoiceField(
        queryset=SenderIdentity.objects.none(), label="From", empty_label=None
    )
    template: forms.ModelChoiceField[Template] = forms.ModelChoiceField(
        queryset=Template.objects.none(), label="Message", empty_label=None
    )
    topic: forms.ModelChoiceField[Topic] = forms.ModelChoiceField(
        queryset=Topic.objects.none(),
        required=False,
        empty_label="No topic (everyone who has not opted out)",
        help_text="People who unsubscribed from the topic are left out; a double opt-in "
        "topic goes only to confirmed subscribers.",
    )
    tags = forms.CharField(
        required=False,
        max_length=500,
        label="Only contacts tagged",
        help_text="Comma-separated; a contact needs every tag.",
    )
    custom_fields = forms.CharField(
        required=False,
        label="Only contacts whose fields match",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One a line, e.g. branch=Eastside.",
    )

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["sender"].queryset = queries.senders(workspace)
        fields["sender"].label_from_instance = lambda s: (
            f"{s.name}, {s.title}" if s.title else s.name
        )
        fields["template"].queryset = queries.templates(workspace)
        fields["template"].label_from_instance = lambda t: f"{t.name} ({t.get_kind_display()})"
        fields["topic"].queryset = queries.topics(workspace)

    def clean_tags(self) -> list[str]:
        raw: str = self.cleaned_data.get("tags") or ""
        return [tag.strip() for tag in raw.split(",") if tag.strip()]

    def clean_custom_fields(self) -> dict[str, str]:
        found: dict[str, str] = {}
        raw: str = self.cleaned_data.get("custom_fields") or ""
        for number, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise forms.ValidationError(f"Line {number}: write it as name=value.")
            found[key.strip()] = value.strip()
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sender, template = data.get("sender"), data.get("template")
        if sender is not None and template is not None:
            channel = (
                sender.email_channel_id
                if template.kind == MessageKind.EMAIL
                else sender.sms_channel_id
            )
            if channel is None:
                self.add_error(
                    "sender",
                    f"{sender.name} has no channel for a {template.get_kind_display().lower()}.",
                )
        return data

    def audience(self) -> dict[str, Any]:
        data = self.cleaned_data
        audience: dict[str, Any] = {}
        if data["tags"]:
            audience["tags"] = data["tags"]
        if data["custom_fields"]:
            audience["fields"] = data["custom_fields"]
        return audience


class ScheduleForm(forms.Form):
    at = forms.DateTimeField(
        label="Send at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="In the library's time zone.",
    )


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            ("contacts", "Contacts (name, email, phone, tags, consent, custom fields)"),
            ("notices", "Notices: holds ready, overdue items … exported from the library system"),
        ],
        widget=forms.RadioSelect,
        initial="contacts",
        label="The file holds",
    )
    file = forms.FileField(
        label="CSV file",
        help_text="The first row names the columns. Comma, semicolon or tab separated; "
        "UTF-8 or Windows-1252.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,text/csv"}),
    )


class NoticeImportForm(forms.Form):
    """A notice import's template and sender (the column mapping is read apart)."""

    template: forms.ModelChoiceField[Template] = forms.ModelChoiceField(
        queryset=Template.objects.none(), label="Notice", empty_label="Choose a template"
    )
    sender: forms.ModelChoiceField[SenderIdentity] = forms.ModelChoiceField(
        queryset=SenderIdentity.objects.none(), label="From", empty_label="Choose who sends it"
    )
    create_contacts = forms.BooleanField(
        required=False,
        label="Add patrons the inbox does not know yet as contacts",
        help_text="Otherwise their rows are reported and nothing is sent to them.",
    )

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["template"].queryset = queries.templates(workspace)
        fields["template"].label_from_instance = lambda t: f"{t.name} ({t.get_kind_display()})"
        fields["sender"].queryset = queries.senders(workspace)
        fields["sender"].label_from_instance = lambda s: (
            f"{s.name}, {s.title}" if s.title else s.name
        )


class OutreachSettingsForm(forms.Form):
    """The workspace's outreach settings (actions/settings.py checks the rules)."""

    physical_address = forms.CharField(
        required=False,
        label="Postal address",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
        help_text="Shown at the foot of every message: the law asks for it in many places.",
    )
    default_sender: forms.ModelChoiceField[SenderIdentity] = forms.ModelChoiceField(
        queryset=SenderIdentity.objects.none(),
        required=False,
        label="Default sender",
        empty_label="None",
        error_messages={"invalid_choice": "Choose one of this workspace's senders."},
        help_text="Who notices come from when the staff member who acted has no sender of "
        "their own; community updates and newsletter confirmations use it too.",
    )
    track_opens_and_clicks = forms.BooleanField(
        required=False,
        label="Track opens and clicks",
        help_text="Off by default, for privacy: what a patron reads is their own business. "
        "When on, campaign emails carry a tiny image that tells us they were opened, and "
        "their links pass through this server to count clicks; campaign pages then show "
        "how many people opened and clicked. Unsubscribe and preference links are never "
        "counted.",
    )

    def __init__(self, workspace: Workspace, *args: Any, current: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field: Any = self.fields["default_sender"]
        # Senders offered for new messages whose member is on the team (the one
        # chosen now stays offered, so saving other settings keeps it).
        offered = Q(member__is_active=True)
        if current is not None:
            offered |= Q(pk=current)
        field.queryset = queries.senders(workspace).filter(offered)
        field.label_from_instance = lambda s: f"{s.name}, {s.title}" if s.title else s.name


class TopicForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="As people see it, e.g. “Monthly newsletter”.")
    slug = forms.CharField(
        max_length=40,
        required=False,
        help_text="Names the topic in CSV imports (e.g. topic.book-club) and cannot change "
        "once made. Empty: made from the name.",
    )
    description = forms.CharField(
        max_length=255,
        required=False,
        help_text="One line on the preferences page, e.g. “What's on, once a month”.",
    )
    double_opt_in = forms.BooleanField(
        required=False,
        label="Ask for confirmation (double opt-in)",
        help_text="A new subscription counts once confirmed from a message sent to the "
        "address, and campaigns on the topic go only to confirmed subscribers. Turning it "
        "on later unsubscribes nobody: people subscribed already stay subscribed.",
    )

    @classmethod
    def for_topic(cls, topic: Topic, data: Any = None) -> TopicForm:
        """The form editing `topic`: everything but the slug, which is fixed."""
        initial = {
            "name": topic.name,
            "description": topic.description,
            "double_opt_in": topic.double_opt_in,
        }
        form = cls(data, initial=initial)
        del form.fields["slug"]
        return form
