"""Light sign-in for customers: a magic link by email or a six-digit code by text.

No passwords. A link carries a random secret, signed with the site's key and a
timestamp (so a tampered or stale link is refused before the database is asked);
the database keeps only the secret's SHA-256, and `used_at` is set by a conditional
update, so a link works once even when two tabs open it together. A texted code
allows MAX_ATTEMPTS guesses. Either way the address becomes (or finds) a contact
identity of the workspace, and the contact's participant is who signs in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from frontdesk.community.actions.common import CommunityError
from frontdesk.community.models import Participant, SignInCode
from frontdesk.community.notify import send_email, send_sms
from frontdesk.core.actions.contacts import resolve_contact
from frontdesk.core.models import ContactIdentity, IdentityKind, Workspace, normalise_identity

LINK_LIFETIME = timedelta(minutes=30)
CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
SALT = "frontdesk.community.signin"
NAME_LENGTH = 60


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _clean_name(name: str) -> str:
    return " ".join(name.split())[:NAME_LENGTH]


def _address(workspace: Workspace, kind: str, value: str) -> str:
    try:
        return normalise_identity(kind, value, default_country=workspace.default_country)
    except ValidationError as error:
        field = "email" if kind == IdentityKind.EMAIL else "phone"
        raise CommunityError(" ".join(error.messages), field=field) from None


def start_email_sign_in(
    workspace: Workspace, *, email: str, display_name: str, link_for: object
) -> SignInCode:
    """Email a single-use sign-in link. `link_for(token) -> absolute URL` builds it.

    Raises CommunityError for an unreadable address or an SMTP failure.
    """
    address = _address(workspace, IdentityKind.EMAIL, email)
    secret = secrets.token_urlsafe(24)
    row = SignInCode.objects.create(
        workspace=workspace,
        method=SignInCode.Method.EMAIL,
        address=address,
        display_name=_clean_name(display_name),
        secret_hash=_hash(secret),
        expires_at=timezone.now() + LINK_LIFETIME,
    )
    token = signing.TimestampSigner(salt=SALT).sign(f"{workspace.pk}:{secret}")
    link = link_for(token)  # type: ignore[operator]
    body = (
        f"Hello{' ' + row.display_name if row.display_name else ''},\n\n"
        f"Open this link to take part in {workspace.name}'s community:\n\n{link}\n\n"
        f"It works once, within {int(LINK_LIFETIME.total_seconds() // 60)} minutes. "
        "If you did not ask for it, ignore this email.\n"
    )
    try:
        send_email(
            workspace, to=address, subject=f"Your sign-in link for {workspace.name}", body=body
        )
    except OSError as error:
        raise CommunityError("We could not send the email just now; try again soon.") from error
    return row


def finish_email_sign_in(workspace: Workspace, *, token: str) -> Participant:
    """The participant a magic link signs in (refuses a forged, stale or used link)."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=LINK_LIFETIME)
    except signing.SignatureExpired:
        raise CommunityError("This link has expired. Ask for a new one.", code="expired") from None
    except signing.BadSignature:
        raise CommunityError("This link is not valid. Ask for a new one.", code="invalid") from None
    workspace_id, _, secret = value.partition(":")
    if workspace_id != str(workspace.pk):
        raise CommunityError("This link is for another community.", code="invalid")
    now = timezone.now()
    with transaction.atomic():
        row = SignInCode.objects.for_workspace(workspace).filter(secret_hash=_hash(secret)).first()
        claimed = (
            SignInCode.objects.filter(pk=row.pk, used_at__isnull=True, expires_at__gt=now).update(
                used_at=now
            )
            if row is not None
            else 0
        )
        if not claimed or row is None:
            raise CommunityError("This link has already been used. Ask for a new one.", code="used")
        return participant_for(workspace, IdentityKind.EMAIL, row.address, row.display_name)


def start_sms_sign_in(workspace: Workspace, *, phone: str, display_name: str) -> SignInCode:
    """Text a six-digit code to `phone` through the workspace's SMS channel."""
    address = _address(workspace, IdentityKind.PHONE, phone)
    code = f"{secrets.randbelow(1_000_000):06d}"
    salt = secrets.token_hex(8)
    row = SignInCode.objects.create(
        workspace=workspace,
        method=SignInCode.Method.SMS,
        address=address,
        display_name=_clean_name(display_name),
        secret_hash=f"{salt}${_hash(salt + code)}",
        expires_at=timezone.now() + CODE_LIFETIME,
    )
    try:
        send_sms(workspace, to=address, body=f"{code} is your {workspace.name} community code.")
    except Exception as error:
        raise CommunityError(
            "We could not text a code just now; sign in by email instead."
        ) from error
    return row


def finish_sms_sign_in(workspace: Workspace, *, phone: str, code: str) -> Participant:
    """The participant whose texted code this is (MAX_ATTEMPTS guesses per code)."""
    address = _address(workspace, IdentityKind.PHONE, phone)
    now = timezone.now()
    with transaction.atomic():
        row = (
            SignInCode.objects.for_workspace(workspace)
            .select_for_update()
            .filter(method=SignInCode.Method.SMS, address=address, used_at__isnull=True)
            .filter(expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if row is None or row.attempts >= MAX_ATTEMPTS:
            raise CommunityError("That code has expired. Ask for a new one.", field="code")
        salt, _, digest = row.secret_hash.partition("$")
        right = hmac.compare_digest(_hash(salt + code.strip()), digest)
        if right:
            row.used_at = now
        else:
            # Counted and committed here: the refusal below must not roll it back.
            row.attempts += 1
        row.save(update_fields=["used_at", "attempts"])
        participant = (
            participant_for(workspace, IdentityKind.PHONE, address, row.display_name)
            if right
            else None
        )
    if participant is None:
        raise CommunityError("That code is not right. Check the text and try again.", field="code")
    return participant


def participant_for(workspace: Workspace, kind: str, address: str, name: str) -> Participant:
    """The contact owning the address (made if new, identity marked verified) and its
    participant (made on first sign-in). Sign-in calls this once the address is
    proven; so do demo data and tests."""
    contact, _ = resolve_contact(workspace, kind=kind, value=address, name=name, by=None)
    ContactIdentity.objects.for_workspace(workspace).filter(
        contact=contact, kind=kind, value=address
    ).update(verified=True)
    participant = (
        Participant.objects.for_workspace(workspace)
        .filter(contact=contact)
        .order_by("created_at")
        .first()
    )
    if participant is None:
        fallback = contact.name or (address.split("@")[0] if "@" in address else "Neighbour")
        participant = Participant.objects.create(
            workspace=workspace, contact=contact, display_name=_clean_name(name or fallback)
        )
    else:
        participant.last_seen_at = timezone.now()
        participant.save(update_fields=["last_seen_at"])
    return participant
