from __future__ import annotations

import zoneinfo
from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError

from frontdesk.core.models import (
    ConsentStatus,
    Contact,
    IdentityKind,
    Workspace,
    normalise_identity,
)


class ContactForm(forms.ModelForm):
    phone = forms.CharField(
        required=False, help_text="Any format; stored internationally (E.164).", max_length=40
    )
    email = forms.EmailField(required=False)

    class Meta:
        model = Contact
        fields = [
            "name",
            "phone",
            "email",
            "sms_consent",
            "email_consent",
            "community_consent",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: object, workspace: Workspace, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.workspace = workspace

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"]
        if phone:
            try:
                return normalise_identity(
                    IdentityKind.PHONE, phone, default_country=self.workspace.default_country
                )
            except ValidationError as exc:
                raise ValidationError(exc.messages) from None
        return phone

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if (
            not (data.get("name") or data.get("phone") or data.get("email"))
            and not self.instance.pk
        ):
            raise ValidationError("Give at least a name, a phone number or an email address.")
        return data


class IdentityForm(forms.Form):
    kind = forms.ChoiceField(choices=IdentityKind.choices)
    value = forms.CharField(max_length=320, label="Address")


class MergeForm(forms.Form):
    other = forms.IntegerField(widget=forms.HiddenInput)


class WorkspaceSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=[(tz, tz.replace("_", " ")) for tz in sorted(zoneinfo.available_timezones())],
        help_text="Business hours, snoozes and reports follow this time zone.",
    )
    default_country = forms.ChoiceField(
        choices=sorted(
            (region, f"{region} (+{phonenumbers.country_code_for_region(region)})")
            for region in phonenumbers.SUPPORTED_REGIONS
        ),
        help_text="Phone numbers typed without a country code are read as this country's.",
    )

    logo = forms.ImageField(
        required=False,
        help_text="Shown on your public pages (community, contact form): a PNG with a "
        "transparent background looks best; at most 2 MB.",
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the logo")

    class Meta:
        model = Workspace
        fields = ["name", "time_zone", "default_country", "brand_color"]
        widgets = {"brand_color": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not (self.instance and self.instance.logo):
            del self.fields["remove_logo"]


CONSENT_CHOICES = ConsentStatus.choices
