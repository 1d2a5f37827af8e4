from __future__ import annotations

import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from frontdesk.core import roles
from frontdesk.core.actions.team import validate_photo
from frontdesk.core.models import Membership, User, Workspace
from frontdesk.core.permissions import require
from frontdesk.core.pictures import encode_without_metadata
from frontdesk.core.roles import Role

LOGO_SIZE = (512, 512)


@transaction.atomic
def create_workspace(
    *, name: str, owner: User, owner_display_name: str, slug: str = ""
) -> Workspace:
    """Create a workspace with its first owner."""
    workspace = Workspace.objects.create(name=name, slug=slug)
    Membership.objects.create(
        workspace=workspace, user=owner, role=Role.OWNER, display_name=owner_display_name
    )
    return workspace


def add_member(
    workspace: Workspace,
    *,
    user: User,
    role: str,
    display_name: str,
    title: str = "",
    signature: str = "",
) -> Membership:
    """Add a user to a workspace (or update the role of an existing member)."""
    membership, created = Membership.objects.get_or_create(
        workspace=workspace,
        user=user,
        defaults={
            "role": role,
            "display_name": display_name,
            "title": title,
            "signature": signature,
        },
    )
    if not created and (membership.role != role or not membership.is_active):
        membership.role = role
        membership.is_active = True
        membership.save(update_fields=["role", "is_active"])
    return membership


def update_workspace_settings(
    workspace: Workspace,
    *,
    by: Membership,
    name: str,
    time_zone: str,
    default_country: str,
    brand_color: str,
    logo: UploadedFile[Any] | None = None,
    remove_logo: bool = False,
) -> Workspace:
    """Change the workspace's name, time zone, phone country, brand colour and logo.

    Only members who may MANAGE_WORKSPACE (NotAllowed otherwise). The slug, and so
    every URL, stays as it is. A logo must be an image Pillow reads (ValidationError
    with a message otherwise); it is stored re-encoded without its metadata, at most
    LOGO_SIZE, and the one it replaces is deleted.
    """
    require(by, roles.MANAGE_WORKSPACE, workspace_id=workspace.pk)
    fields = ["name", "time_zone", "default_country", "brand_color"]
    old_logo = workspace.logo.name if workspace.logo else ""
    if logo is not None:
        data, content_type = encode_without_metadata(validate_photo(logo), max_size=LOGO_SIZE)
        extension = "png" if content_type == "image/png" else "jpg"
        workspace.logo.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(data), save=False)
        fields.append("logo")
    elif remove_logo and old_logo:
        workspace.logo = ""
        fields.append("logo")
    workspace.name = name
    workspace.time_zone = time_zone
    workspace.default_country = default_country
    workspace.brand_color = brand_color
    workspace.save(update_fields=fields)
    if "logo" in fields and old_logo:
        workspace.logo.storage.delete(old_logo)
    return workspace
