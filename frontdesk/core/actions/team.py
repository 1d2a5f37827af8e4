"""The team: invitations, roles, deactivation and each member's customer-facing profile.

Rules that hold however a change arrives (web page, API, command):

- Only members whose role can MANAGE_TEAM invite, change roles and deactivate.
- Only owners (MANAGE_OWNERS) grant or take away the owner role.
- A workspace always keeps at least one active owner.

Changes that could race on that last rule lock the workspace row first, so two
owners demoting each other at once end with one of them still an owner.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Mapping
from datetime import timedelta
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from frontdesk.core import roles
from frontdesk.core.errors import ActionError
from frontdesk.core.errors import NotAllowed as NotAllowed  # re-exported: the old import path
from frontdesk.core.models import (
    IdentityKind,
    Invitation,
    Membership,
    User,
    Workspace,
    normalise_identity,
)
from frontdesk.core.permissions import require
from frontdesk.core.pictures import encode_without_metadata
from frontdesk.core.roles import Role
from frontdesk.live.publish import disconnect_member

logger = logging.getLogger(__name__)

PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
# A small file can still decode to a huge bitmap (a "decompression bomb"); a staff
# photo never needs more than this many pixels.
PHOTO_MAX_PIXELS = 40_000_000
# Stored photos are re-encoded at this size: customers see them at 64px at most,
# and re-encoding drops EXIF data (a phone photo's GPS position) on the way.
PHOTO_STORED_SIZE = (512, 512)


class TeamError(ActionError):
    """A team change that cannot be made as asked; the message is for people."""


class InvitationUnusable(TeamError):
    """An invitation token that cannot be accepted.

    `reason` is one of "unknown", "expired", "revoked", "used". The message is the
    same for all of them, so a page showing it says nothing about the invitation.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(
            "This invitation link can’t be used any more. Invitations work once and "
            f"expire after {settings.INVITATION_TTL_DAYS} days: ask the person who "
            "invited you to send a new one."
        )
        self.reason = reason


def public_url(path: str) -> str:
    """An absolute link for emails, on the configured public address.

    Never built from the request's Host header, which whoever sends the request
    chooses (a forged Host would otherwise put an attacker's domain in the link).
    """
    return settings.PUBLIC_BASE_URL + path


def _normalise_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise TeamError(f"“{email}” is not an email address.") from None
    return email.lower()


def _lock_workspace(workspace: Workspace) -> None:
    # One serialisation point for changes that count owners (see the module docstring).
    Workspace.objects.select_for_update().filter(pk=workspace.pk).first()


def _other_active_owners(membership: Membership) -> bool:
    return (
        Membership.objects.filter(workspace_id=membership.workspace_id, role=Role.OWNER)
        .filter(is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    )


# --- Invitations ---------------------------------------------------------------------------


def invite_member(
    workspace: Workspace,
    *,
    email: str,
    role: str,
    display_name: str = "",
    by: Membership,
) -> tuple[Invitation, str]:
    """Invite someone by email to join `workspace` with `role`.

    Stores only a hash of the token; the token itself goes out once, in the email,
    which is sent after the transaction commits. An earlier pending invitation for
    the same address is revoked, so only the newest link works. Returns the
    invitation and the token.

    Raises NotAllowed when `by` may not invite (or may not invite an owner) and
    TeamError for a bad address or someone already on the team.
    """
    require(by, roles.MANAGE_TEAM, workspace_id=workspace.pk)
    if role not in Role.values:
        raise TeamError(f"Unknown role {role!r}.")
    if role == Role.OWNER:
        require(by, roles.MANAGE_OWNERS, workspace_id=workspace.pk)
    email = _normalise_email(email)
    if (
        Membership.objects.for_workspace(workspace)
        .filter(user__email__iexact=email, is_active=True)
        .exists()
    ):
        raise TeamError(f"{email} is already on the team.")

    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        Invitation.objects.for_workspace(workspace).filter(
            email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            workspace=workspace,
            email=email,
            role=role,
            display_name=display_name.strip()[:80],
            token_hash=Invitation.hash_token(token),
            invited_by=by,
            created_at=now,
            expires_at=now + timedelta(days=settings.INVITATION_TTL_DAYS),
        )
        transaction.on_commit(lambda: _send_invitation_email(invitation, token))
    logger.info(
        "invitation sent",
        extra={"workspace": workspace.pk, "invitation": invitation.pk, "role": role},
    )
    return invitation, token


def resend_invitation(invitation: Invitation, *, by: Membership) -> tuple[Invitation, str]:
    """Send a fresh link for a pending or expired invitation (the old link stops working)."""
    if invitation.accepted_at:
        raise TeamError(f"{invitation.email} has already joined.")
    return invite_member(
        invitation.workspace,
        email=invitation.email,
        role=invitation.role,
        display_name=invitation.display_name,
        by=by,
    )


def revoke_invitation(invitation: Invitation, *, by: Membership) -> None:
    """Make a pending invitation's link stop working. Idempotent."""
    require(by, roles.MANAGE_TEAM, workspace_id=invitation.workspace.pk)
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).filter(
        revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    invitation.refresh_from_db(fields=["revoked_at"])
    logger.info("invitation revoked", extra={"invitation": invitation.pk})


def access_invitation(token: str) -> Invitation:
    """The invitation a token opens, if it can still be accepted.

    Raises InvitationUnusable (with a reason) for an unknown, expired, revoked or
    already accepted token.
    """
    invitation = (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(token_hash=Invitation.hash_token(token or ""))
        .first()
    )
    if invitation is None:
        raise InvitationUnusable("unknown")
    if invitation.accepted_at:
        raise InvitationUnusable("used")
    if invitation.revoked_at:
        raise InvitationUnusable("revoked")
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable("expired")
    return invitation


def accept_invitation(
    token: str,
    *,
    user: User | None = None,
    password: str | None = None,
    display_name: str = "",
) -> Membership:
    """Accept an invitation and return the new (or reactivated) membership.

    With `user` (someone signed in), their account joins, provided its email is
    the invited address. Without, a new account is created for the invited
    address with `password` (checked by AUTH_PASSWORD_VALIDATORS, ValidationError
    if too weak); an address that already has an account must sign in first.

    Raises InvitationUnusable for a token that is unknown, expired, revoked or
    already used (a second acceptance of the same link always fails), and
    TeamError for an address mismatch.
    """
    with transaction.atomic():
        invitation = access_invitation(token)
        # Claim the invitation before anything else: of two tabs accepting at
        # once, exactly one update matches the still-open row.
        claimed = (
            Invitation.objects.filter(
                pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
            )
            .filter(expires_at__gt=timezone.now())
            .update(accepted_at=timezone.now())
        )
        if not claimed:
            raise InvitationUnusable("used")
        name = (display_name or invitation.display_name).strip()[:80]
        if user is not None:
            if user.email.lower() != invitation.email.lower():
                raise TeamError(
                    f"This invitation is for {invitation.email}, but you are signed in "
                    f"as {user.email}. Sign out and open the link again."
                )
            name = name or user.get_full_name() or invitation.email.split("@")[0]
        else:
            if User.objects.filter(email__iexact=invitation.email).exists():
                raise TeamError(
                    f"{invitation.email} already has a Frontdesk account: sign in to join."
                )
            name = name or invitation.email.split("@")[0]
            first, _, last = name.partition(" ")
            user = User(email=invitation.email.lower(), first_name=first[:150], last_name=last)
            password_validation.validate_password(password or "", user)
            user.set_password(password)
            user.save()
        membership, created = Membership.objects.get_or_create(
            workspace=invitation.workspace,
            user=user,
            defaults={"role": invitation.role, "display_name": name},
        )
        if not created:
            # Someone who was deactivated and invited back returns with the new role.
            membership.role = invitation.role
            membership.is_active = True
            membership.save(update_fields=["role", "is_active"])
    logger.info(
        "invitation accepted",
        extra={"workspace": invitation.workspace_id, "invitation": invitation.pk},
    )
    return membership


def _send_invitation_email(invitation: Invitation, token: str) -> None:
    inviter = invitation.invited_by
    workspace = invitation.workspace
    context = {
        "invitation": invitation,
        "inviter": inviter,
        "workspace": workspace,
        "role_label": Role(invitation.role).label,
        "role_description": roles.ROLE_DESCRIPTIONS[Role(invitation.role)],
        "accept_url": public_url(reverse("accept-invite", kwargs={"token": token})),
        "ttl_days": settings.INVITATION_TTL_DAYS,
    }
    _, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    # From a person, not a system: "Olivia Owens via Frontdesk", and replies go to her.
    sender = f"{inviter.display_name} via Frontdesk" if inviter else "Frontdesk"
    reply_to = [formataddr((inviter.display_name, inviter.user.email))] if inviter else None
    try:
        send_templated_email(
            "invitation",
            to=[invitation.email],
            context=context,
            from_email=formataddr((sender, from_address)),
            reply_to=reply_to,
        )
    except Exception:
        # The invitation is stored; the team page offers "Resend" if mail was down.
        logger.exception("invitation email failed", extra={"invitation": invitation.pk})


def send_templated_email(
    name: str,
    *,
    to: list[str],
    context: Mapping[str, object],
    from_email: str | None = None,
    reply_to: list[str] | None = None,
) -> None:
    """Render emails/<name>/{subject.txt,body.txt,body.html} and send one message."""
    subject = " ".join(render_to_string(f"emails/{name}/subject.txt", context).split())
    text = render_to_string(f"emails/{name}/body.txt", context)
    html = render_to_string(f"emails/{name}/body.html", context)
    message = EmailMultiAlternatives(subject, text, from_email, to, reply_to=reply_to)
    message.attach_alternative(html, "text/html")
    message.send()


# --- Roles and membership ------------------------------------------------------------------


def change_role(membership: Membership, *, role: str, by: Membership) -> Membership:
    """Give a member another role.

    Only owners grant or take away the owner role (NotAllowed otherwise), and the
    last active owner cannot be demoted (TeamError).
    """
    workspace = membership.workspace
    require(by, roles.MANAGE_TEAM, workspace_id=workspace.pk)
    if role not in Role.values:
        raise TeamError(f"Unknown role {role!r}.")
    with transaction.atomic():
        _lock_workspace(workspace)
        membership.refresh_from_db(fields=["role", "is_active"])
        if role == membership.role:
            return membership
        if Role.OWNER in (role, membership.role):
            require(by, roles.MANAGE_OWNERS, workspace_id=workspace.pk)
        if membership.role == Role.OWNER and not _other_active_owners(membership):
            raise TeamError(
                f"{membership.display_name} is the only owner. Make someone else an owner first."
            )
        membership.role = role
        membership.save(update_fields=["role"])
    logger.info(
        "member role changed",
        extra={"workspace": workspace.pk, "membership": membership.pk, "role": role},
    )
    return membership


def deactivate_member(membership: Membership, *, by: Membership) -> Membership:
    """Take someone off the team: they can no longer open the workspace.

    Their name stays on the replies and notes they wrote; `reactivate_member`
    brings them back. Nobody deactivates themselves, and the last active owner
    stays (TeamError); only owners deactivate owners (NotAllowed).
    """
    workspace = membership.workspace
    require(by, roles.MANAGE_TEAM, workspace_id=workspace.pk)
    if membership.pk == by.pk:
        raise TeamError("You can’t deactivate yourself. Ask another admin or owner.")
    with transaction.atomic():
        _lock_workspace(workspace)
        membership.refresh_from_db(fields=["role", "is_active"])
        if membership.role == Role.OWNER:
            require(by, roles.MANAGE_OWNERS, workspace_id=workspace.pk)
        if not membership.is_active:
            return membership
        if membership.role == Role.OWNER and not _other_active_owners(membership):
            raise TeamError(f"{membership.display_name} is the only owner and must stay.")
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        # Open pages of theirs stop receiving events now, not at the next hourly re-check.
        member_id = membership.pk
        transaction.on_commit(lambda: disconnect_member(member_id))
    logger.info(
        "member deactivated", extra={"workspace": workspace.pk, "membership": membership.pk}
    )
    return membership


def reactivate_member(membership: Membership, *, by: Membership) -> Membership:
    """Bring a deactivated member back with the role they had."""
    workspace = membership.workspace
    require(by, roles.MANAGE_TEAM, workspace_id=workspace.pk)
    if membership.role == Role.OWNER:
        require(by, roles.MANAGE_OWNERS, workspace_id=workspace.pk)
    Membership.objects.filter(pk=membership.pk).update(is_active=True)
    membership.is_active = True
    logger.info(
        "member reactivated", extra={"workspace": workspace.pk, "membership": membership.pk}
    )
    return membership


# --- Profile ---------------------------------------------------------------------------------


def validate_photo(photo: UploadedFile[Any]) -> Image.Image:
    """Check an uploaded staff photo (an image Pillow reads, at most 2 MB) and open it.

    Raises ValidationError with a message for people.
    """
    if photo.size is not None and photo.size > PHOTO_MAX_BYTES:
        raise ValidationError("That photo is larger than 2 MB. Choose a smaller one.")
    try:
        photo.seek(0)
        image = Image.open(photo)
        if image.format not in PHOTO_FORMATS:
            raise ValidationError("Upload a JPEG, PNG, GIF or WebP image.")
        if image.width * image.height > PHOTO_MAX_PIXELS:
            raise ValidationError("That image is too large (in pixels). Choose a smaller one.")
        image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise ValidationError(
            "That file isn’t an image we can read. Upload a JPEG or PNG."
        ) from None
    return image


def stored_photo(upload: UploadedFile[Any]) -> ContentFile[bytes]:
    """An uploaded picture (a staff photo, a sender's photo, a workspace logo) checked
    by `validate_photo`, shrunk to PHOTO_STORED_SIZE and re-encoded without its
    metadata, under a random name; raises ValidationError with a message for people."""
    image = validate_photo(upload)
    data, content_type = encode_without_metadata(image, max_size=PHOTO_STORED_SIZE)
    extension = "png" if content_type == "image/png" else "jpg"
    # A random name: the upload's own name is whatever the browser sent.
    return ContentFile(data, name=f"{uuid.uuid4().hex}.{extension}")


def update_profile(
    membership: Membership,
    *,
    display_name: str,
    title: str,
    signature: str,
    sms_sign_off: str,
    mobile: str | None = None,
    photo: UploadedFile[Any] | None = None,
    remove_photo: bool = False,
    notify_by_email: bool,
) -> Membership:
    """Save a member's customer-facing profile, and `mobile`, their own number for
    test texts (None: keep it; "" removes it), stored as E.164.

    `photo` (None: keep the current one) is validated, shrunk and re-encoded
    without its metadata before it is stored; the replaced file is deleted after
    commit. Raises ValidationError for an unusable photo or an empty name.
    """
    display_name = " ".join(display_name.split())[:80]
    if not display_name:
        raise ValidationError("Enter the name customers should see.")
    if mobile is not None and mobile.strip():
        try:
            mobile = normalise_identity(
                IdentityKind.PHONE, mobile, default_country=membership.workspace.default_country
            )
        except ValidationError as error:
            raise ValidationError({"mobile": error.messages}) from None
    new_photo = stored_photo(photo) if photo is not None else None
    old_name = membership.photo.name if membership.photo else ""
    membership.display_name = display_name
    membership.title = title.strip()[:80]
    membership.signature = signature.strip()
    membership.sms_sign_off = sms_sign_off.strip()[:40]
    membership.notify_by_email = notify_by_email
    if mobile is not None:
        membership.mobile = mobile.strip()
    with transaction.atomic():
        if new_photo is not None:
            membership.photo.save(new_photo.name or "photo.jpg", new_photo, save=False)
        elif remove_photo:
            membership.photo = ""
        membership.save(
            update_fields=[
                "display_name",
                "title",
                "signature",
                "sms_sign_off",
                "mobile",
                "notify_by_email",
                "photo",
            ]
        )
        new_name = membership.photo.name if membership.photo else ""
        if old_name and old_name != new_name:
            storage = membership.photo.storage
            transaction.on_commit(lambda: storage.delete(old_name))
    return membership
