from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from frontdesk.core import roles
from frontdesk.core.actions.team import stored_photo
from frontdesk.core.models import Membership, User, Workspace
from frontdesk.core.permissions import require
from frontdesk.core.roles import Role


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
    with a message otherwise); it is stored like a staff photo (re-encoded without its
    metadata, at most 512 px), and the one it replaces is deleted after commit.
    """
    require(by, roles.MANAGE_WORKSPACE, workspace_id=workspace.pk)
    fields = ["name", "time_zone", "default_country", "brand_color", "logo"]
    old_logo = workspace.logo.name if workspace.logo else ""
    new_logo = stored_photo(logo) if logo is not None else None
    with transaction.atomic():
        if new_logo is not None:
            workspace.logo.save(new_logo.name or "logo.png", new_logo, save=False)
        elif remove_logo:
            workspace.logo = ""
        workspace.name = name
        workspace.time_zone = time_zone
        workspace.default_country = default_country
        workspace.brand_color = brand_color
        workspace.save(update_fields=fields)
        if old_logo and old_logo != (workspace.logo.name or ""):
            storage = workspace.logo.storage
            transaction.on_commit(lambda: storage.delete(old_logo))
    return workspace
