"""Workspaces, the staff who work in them, and the customers (contacts) they serve."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.text import slugify

from frontdesk.core.roles import Role, role_can
from frontdesk.core.scoping import WorkspaceScoped


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("A user needs an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra |= {"is_staff": True, "is_superuser": True}
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person who signs in. What customers see of them lives on `Membership`.

    `is_staff` keeps Django's meaning (may open the back-office admin); working in a
    workspace is what a Membership grants.
    """

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Workspace(models.Model):
    """One organisation (a library, a shop). Every domain row belongs to one."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    default_country = models.CharField(
        max_length=2,
        default="US",
        help_text="Used to read local phone numbers (e.g. 555 0100) as international ones.",
    )
    brand_color = models.CharField(max_length=7, default="#1f6f5c")
    # Shown on the public pages (community, contact form) beside the name: in the one
    # public media folder, re-encoded without metadata (core.actions.workspaces).
    logo = models.ImageField(upload_to="staff/logos/", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:60] or secrets.token_hex(4)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def tzinfo(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")


AVATAR_COLORS = ["#1f6f5c", "#7a4fb3", "#c2562b", "#2d6cb5", "#b83b5e", "#6b7d2a", "#8a5a1c"]


class Membership(WorkspaceScoped):
    """A staff member in one workspace: role, and the face customers see."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(
        max_length=80, help_text="How customers see you, e.g. “Maya Patel”."
    )
    title = models.CharField(max_length=80, blank=True, help_text="e.g. “Youth Services Librarian”")
    photo = models.ImageField(upload_to="staff/%Y/", blank=True)
    signature = models.TextField(
        blank=True, help_text="Added under your email replies. Plain text, a few lines."
    )
    sms_sign_off = models.CharField(
        max_length=40, blank=True, help_text="Short sign-off for texts, e.g. “– Maya”."
    )
    mobile = models.CharField(
        max_length=20,
        blank=True,
        help_text="Your own mobile number, for test texts of outreach messages (not shown "
        "to customers).",
    )
    avatar_color = models.CharField(max_length=7, blank=True)
    notify_by_email = models.BooleanField(
        default=True, help_text="Email me when a conversation is assigned to me or I am mentioned."
    )
    is_active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user")
        ]
        indexes = [models.Index(fields=["workspace", "role"])]
        ordering = ("display_name",)

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()}, {self.workspace_id})"

    def can(self, capability: str) -> bool:
        return self.is_active and role_can(self.role, capability)

    @property
    def first_name(self) -> str:
        return self.display_name.split()[0] if self.display_name else ""

    @property
    def initials(self) -> str:
        words = [w for w in self.display_name.split() if w[:1].isalnum()]
        letters = (words[0][:1] + (words[-1][:1] if len(words) > 1 else "")) if words else "?"
        return letters.upper()

    @property
    def color(self) -> str:
        if self.avatar_color:
            return self.avatar_color
        digest = hashlib.sha256(self.display_name.encode()).digest()
        return AVATAR_COLORS[digest[0] % len(AVATAR_COLORS)]


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(WorkspaceScoped):
    """An emailed invitation to join a workspace with a role; accepted once."""

    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(max_length=80, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "email"])]
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_pending(self) -> bool:
        return not self.accepted_at and not self.revoked_at and self.expires_at > timezone.now()


class ConsentStatus(models.TextChoices):
    UNKNOWN = "unknown", "Not asked"
    GRANTED = "granted", "Agreed"
    REVOKED = "revoked", "Opted out"


class ConsentTopic(models.TextChoices):
    SMS = "sms", "Text messages"
    EMAIL = "email", "Email"
    COMMUNITY = "community", "Community (public credit, photos)"


class Contact(WorkspaceScoped):
    """One customer (patron) in one workspace, however many ways they reach us."""

    name = models.CharField(max_length=160, blank=True)
    notes = models.TextField(blank=True)
    sms_consent = models.CharField(
        max_length=8, choices=ConsentStatus.choices, default=ConsentStatus.UNKNOWN
    )
    email_consent = models.CharField(
        max_length=8, choices=ConsentStatus.choices, default=ConsentStatus.UNKNOWN
    )
    community_consent = models.CharField(
        max_length=8, choices=ConsentStatus.choices, default=ConsentStatus.UNKNOWN
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Set when this contact was merged into another; kept so old links still resolve.
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-updated_at"]),
            models.Index(fields=["workspace", "name"]),
        ]
        ordering = ("-updated_at",)

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        identity = self.identities.first() if self.pk else None
        return identity.display_value if identity else "Unknown customer"

    @property
    def automated_sender(self) -> str:
        """“Short code” or “Sender ID” when this contact is only such a sender (texts
        come from it, nothing can be sent back); "" otherwise. Reads the identities
        (prefetch them for a list)."""
        kinds = {identity.kind for identity in self.identities.all()} if self.pk else set()
        if not kinds or not kinds <= AUTOMATED_SENDER_KINDS:
            return ""
        return str(IdentityKind(sorted(kinds)[0]).label)

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name else ""

    def consent_for(self, topic: str) -> str:
        return getattr(self, f"{topic}_consent")


class IdentityKind(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    REDDIT = "reddit", "Reddit"
    HACKERNEWS = "hackernews", "Hacker News"
    WEB = "web", "Website"
    # Texts from senders nobody can text back: a short code ("72345", a service's
    # five- or six-digit number) or an alphanumeric sender ID ("AMAZON", "LIBRARY").
    SHORT_CODE = "short_code", "Short code"
    SENDER_ID = "sender_id", "Sender ID"


# Addresses a text came from that cannot receive a reply (carriers route only
# one-way traffic from them): shown labelled, never acknowledged, never replied to.
AUTOMATED_SENDER_KINDS = frozenset({IdentityKind.SHORT_CODE, IdentityKind.SENDER_ID})
SHORT_CODE_DIGITS = (3, 8)  # worldwide: 3 to 8 digits (US 5-6, UK 5)
SENDER_ID_MAX_LENGTH = 11  # the GSM limit on alphanumeric sender IDs
_SENDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .&'_+-]*$")


def normalise_identity(kind: str, value: str, *, default_country: str = "US") -> str:
    """Return the canonical form of an address, or raise ValidationError.

    Phones become E.164, emails and handles lower case, so one person's address
    is one row however they type it.
    """
    value = (value or "").strip()
    if not value:
        raise ValidationError("Enter an address.")
    if kind == IdentityKind.PHONE:
        try:
            number = phonenumbers.parse(value, default_country or None)
        except phonenumbers.NumberParseException:
            raise ValidationError(f"“{value}” is not a phone number.") from None
        if not phonenumbers.is_possible_number(number):
            raise ValidationError(f"“{value}” is not a possible phone number.")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind == IdentityKind.EMAIL:
        validate_email(value)
        local, _, domain = value.rpartition("@")
        return f"{local}@{domain.lower()}".lower()
    if kind == IdentityKind.MASTODON:
        handle = value.lstrip("@").lower()
        if "@" not in handle:
            raise ValidationError("A Mastodon handle looks like name@server.social.")
        return handle
    if kind in (IdentityKind.BLUESKY, IdentityKind.REDDIT, IdentityKind.HACKERNEWS):
        return value.lstrip("@").removeprefix("u/").lower()
    if kind == IdentityKind.WEB:
        return value
    if kind == IdentityKind.SHORT_CODE:
        digits = "".join(value.split())
        low, high = SHORT_CODE_DIGITS
        if not (digits.isascii() and digits.isdigit() and low <= len(digits) <= high):
            raise ValidationError(f"“{value}” is not a short code ({low} to {high} digits).")
        return digits
    if kind == IdentityKind.SENDER_ID:
        sender = " ".join(value.split())
        if len(sender) > SENDER_ID_MAX_LENGTH or not _SENDER_ID.match(sender):
            raise ValidationError(f"“{value}” is not a sender ID.")
        return sender.upper()
    raise ValidationError(f"Unknown identity kind {kind!r}.")


class ContactIdentity(WorkspaceScoped):
    """One address of a contact on one channel kind (E.164 phone, email, handle)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=16, choices=IdentityKind.choices)
    value = models.CharField(max_length=320, help_text="Normalised: E.164 phone, lower-case email.")
    label = models.CharField(max_length=80, blank=True, help_text="As the customer wrote it.")
    verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "kind", "value"], name="identity_unique_per_workspace"
            )
        ]
        indexes = [models.Index(fields=["contact", "kind"])]
        ordering = ("kind", "created_at")
        verbose_name_plural = "contact identities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.display_value}"

    @property
    def display_value(self) -> str:
        if self.kind == IdentityKind.PHONE:
            try:
                number = phonenumbers.parse(self.value)
                return phonenumbers.format_number(
                    number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
                )
            except phonenumbers.NumberParseException:
                return self.value
        if self.kind in (IdentityKind.MASTODON, IdentityKind.BLUESKY):
            return "@" + self.value
        if self.kind == IdentityKind.SENDER_ID:
            return self.label or self.value  # as the sender spells it ("Library")
        return self.value

    @property
    def is_automated_sender(self) -> bool:
        """A short code or sender ID: texts come from it, replies cannot go to it."""
        return self.kind in AUTOMATED_SENDER_KINDS


class ConsentChange(WorkspaceScoped):
    """An append-only record of each consent change: who, what, when, and why."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consent_changes")
    topic = models.CharField(max_length=12, choices=ConsentTopic.choices)
    status = models.CharField(max_length=8, choices=ConsentStatus.choices)
    source = models.CharField(
        max_length=120, help_text="e.g. “SMS keyword STOP”, “web form”, “staff: Maya Patel”"
    )
    changed_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "contact", "-created_at"])]
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.topic} {self.status} ({self.source})"
