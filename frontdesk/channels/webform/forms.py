"""The public "Contact us" form: what a customer fills in, checked before anything is stored.

Errors are written for the customer and keep everything typed (a file input is the
one thing a browser cannot refill, so the form says to choose the photo again).
"""

from __future__ import annotations

from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from frontdesk.core.models import IdentityKind, Workspace, normalise_identity

MESSAGE_MAX_LENGTH = 5000
PHOTO_MAX_BYTES = 5 * 1024 * 1024
# Larger pictures are phone photos at absurd resolutions or decompression bombs;
# either way nobody needs 50 megapixels to show a broken printer.
PHOTO_MAX_PIXELS = 50_000_000
# What every browser and mail client shows; Pillow names them by format.
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
HONEYPOT_FIELD = "website"


class PhotoField(forms.ImageField):
    """An optional photo: size checked before Pillow opens it, then format and pixels."""

    default_error_messages = {
        "invalid_image": "This file isn’t a picture we can open. Send a JPEG, PNG, GIF or "
        "WebP photo.",
    }

    def to_python(self, data: Any) -> Any:
        size = getattr(data, "size", None)
        if size is not None and size > PHOTO_MAX_BYTES:
            # Checked first, so an oversized upload is refused without being decoded.
            raise ValidationError(
                f"The photo is {filesizeformat(size)}; send one up to "
                f"{filesizeformat(PHOTO_MAX_BYTES)}.",
                code="too_big",
            )
        photo = super().to_python(data)
        if photo is None:
            return None
        image = photo.image  # type: ignore[attr-defined]  # set by ImageField.to_python
        if image.format not in PHOTO_FORMATS:
            raise ValidationError(
                "Send the photo as a JPEG, PNG, GIF or WebP picture.", code="format"
            )
        width, height = image.size
        if width * height > PHOTO_MAX_PIXELS:
            raise ValidationError(
                "That picture is too large to handle; send a smaller photo.", code="pixels"
            )
        photo.content_type = PHOTO_FORMATS[image.format]  # type: ignore[attr-defined]
        return photo


class ContactForm(forms.Form):
    """Name, a way to answer (email and/or phone), the message, a photo, consent.

    `website` is a honeypot: hidden from people (and screen readers), filled in by
    bots that fill every field. `submission` carries the signed idempotency key the
    page was rendered with (checked by the view, see `frontdesk.connectors.webform.
    submissions`). Django marks fields with errors `aria-invalid` and ties their help
    and error texts to them with `aria-describedby` (ids as in `_field.html`).
    """

    name = forms.CharField(
        label="Your name",
        max_length=160,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Tell us your name, so we know who we’re answering."},
    )
    email = forms.EmailField(
        label="Email",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
        error_messages={
            "invalid": "That email address doesn’t look right (like name@example.org)."
        },
    )
    phone = forms.CharField(
        label="Phone",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    message = forms.CharField(
        label="Your message",
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": "Write your message, so we know how to help.",
            "max_length": f"Keep the message under {MESSAGE_MAX_LENGTH:,} characters.",
        },
    )
    photo = PhotoField(
        label="Add a photo",
        required=False,
        help_text=f"A picture of the problem, if it helps. Up to "
        f"{filesizeformat(PHOTO_MAX_BYTES)}: JPEG, PNG, GIF or WebP.",
        widget=forms.FileInput(attrs={"accept": ",".join(PHOTO_FORMATS.values())}),
    )
    consent = forms.BooleanField(
        label="You may contact me by email or text message about this.",
        required=False,
        help_text="We only use your address to answer you. Standard text rates may apply.",
    )
    website = forms.CharField(
        label="Leave this empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    submission = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        example = phonenumbers.example_number(workspace.default_country or "US")
        self.phone_example = (
            phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
            if example
            else "+1 201 555 0123"
        )
        self.fields["phone"].help_text = f"For example {self.phone_example}."

    @property
    def is_bot(self) -> bool:
        """Whether the honeypot was filled in (people never see that field)."""
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        return normalise_identity(IdentityKind.EMAIL, email) if email else ""

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return ""
        try:
            return normalise_identity(
                IdentityKind.PHONE, phone, default_country=self.workspace.default_country
            )
        except ValidationError:
            raise ValidationError(
                f"“{phone}” doesn’t look like a phone number. Write it like "
                f"{self.phone_example}, or with the country code (+44 …) if it’s from abroad.",
                code="phone",
            ) from None

    def clean_message(self) -> str:
        message = self.cleaned_data["message"].strip()
        if not message:
            raise ValidationError("Write your message, so we know how to help.", code="required")
        return message

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        reachable = cleaned.get("email") or cleaned.get("phone")
        tried = self.data.get("email", "").strip() or self.data.get("phone", "").strip()
        if not reachable and not tried:
            self.add_error(
                "email",
                ValidationError(
                    "Leave an email address or a phone number (or both), so we can answer you.",
                    code="unreachable",
                ),
            )
        return cleaned

    @property
    def photo_was_dropped(self) -> bool:
        """A photo came with a form that has errors: browsers can't refill a file input."""
        return self.is_bound and bool(self.files.get("photo")) and bool(self.errors)
