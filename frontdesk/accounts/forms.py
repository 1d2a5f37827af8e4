from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError

from frontdesk.core.actions.team import PHOTO_FORMATS, validate_photo
from frontdesk.core.models import User
from frontdesk.core.roles import Role

# Non-field errors are rendered in one alert box with this id; the inputs point at it.
FORM_ERROR_ID = "form-errors"


class _QuietLabels:
    """Labels without Django's trailing colon (our field partial lays them out)."""

    label_suffix = ""


def _describe_non_field_errors(form: forms.Form) -> None:
    # A sign-in failure belongs to both fields; tie them to the alert so a screen
    # reader announces it when either input is focused.
    if form.is_bound and form.non_field_errors():
        for name in form.fields:
            form.fields[name].widget.attrs["aria-describedby"] = FORM_ERROR_ID
            form.fields[name].widget.attrs["aria-invalid"] = "true"


class SignInForm(_QuietLabels, AuthenticationForm):
    """Email and password. The field stays `username`: django-axes and tests post it."""

    username = forms.CharField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "username", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That email and password don’t match an account. Check both and try again, "
            "or reset your password."
        ),
        "inactive": "This account is switched off. Ask your workspace owner.",
    }

    def clean_username(self) -> str:
        # Addresses are stored in lower case; "Maya@Library.org" is the same person,
        # and one lockout counter per person, however they type it.
        return self.cleaned_data["username"].strip().lower()

    def full_clean(self) -> None:
        super().full_clean()
        _describe_non_field_errors(self)


class ResetRequestForm(_QuietLabels, PasswordResetForm):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        help_text="The address you sign in with.",
    )


class NewPasswordForm(_QuietLabels, SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].widget.attrs["autofocus"] = True
        self.fields["new_password1"].label = "New password"
        self.fields["new_password2"].label = "New password again"
        self.fields["new_password2"].help_text = ""


class AcceptInvitationForm(_QuietLabels, forms.Form):
    """A new person's name and password when they accept an invitation."""

    display_name = forms.CharField(
        label="Your name",
        max_length=80,
        help_text="Customers see this on your replies, e.g. “Maya Patel”.",
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )
    password = forms.CharField(
        label="Choose a password",
        strip=False,
        help_text="At least 10 characters; not a common password, and not all numbers.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise ValidationError("Enter your name.")
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            first, _, last = data.get("display_name", "").partition(" ")
            candidate = User(email=self.email, first_name=first, last_name=last)
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


def role_choices(*, can_manage_owners: bool) -> list[tuple[str, str]]:
    return [(v, label) for v, label in Role.choices if can_manage_owners or v != Role.OWNER]


class InviteForm(_QuietLabels, forms.Form):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@library.org"}),
    )
    display_name = forms.CharField(
        label="Name",
        max_length=80,
        required=False,
        help_text="We’ll suggest it when they join; they can change it.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label="Role", initial=Role.AGENT)

    def __init__(self, *args: Any, can_manage_owners: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = role_choices(can_manage_owners=can_manage_owners)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ProfileForm(_QuietLabels, forms.Form):
    """A member's customer-facing profile (a plain form: the action does the saving)."""

    display_name = forms.CharField(
        label="Name customers see",
        max_length=80,
        help_text="On every reply you send, e.g. “Maya Patel”.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    title = forms.CharField(
        label="Job title",
        max_length=80,
        required=False,
        help_text="e.g. “Youth Services Librarian”.",
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    photo = forms.FileField(
        label="Photo",
        required=False,
        help_text="A friendly face helps: JPEG, PNG, GIF or WebP, up to 2 MB.",
        widget=forms.FileInput(
            attrs={"accept": ",".join(f"image/{f.lower()}" for f in sorted(PHOTO_FORMATS))}
        ),
    )
    remove_photo = forms.BooleanField(label="Remove my photo", required=False)
    signature = forms.CharField(
        label="Email signature",
        required=False,
        help_text="Added under your email replies. Plain text, a few lines.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    sms_sign_off = forms.CharField(
        label="Text message sign-off",
        max_length=40,
        required=False,
        help_text="Short, because texts are: e.g. “– Maya”.",
    )
    mobile = forms.CharField(
        label="Your mobile number",
        max_length=32,
        required=False,
        help_text="Only for test texts of outreach messages you write; customers never see it.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    notify_by_email = forms.BooleanField(
        label="Email me when a conversation is assigned to me or I’m mentioned",
        required=False,
    )

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if photo:
            validate_photo(photo)
        return photo or None
