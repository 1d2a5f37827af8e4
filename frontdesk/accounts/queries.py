"""Reads for the team pages, workspace first; `access_*` 404 outside the workspace."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from frontdesk.core.models import Invitation, Membership, Workspace


def members(workspace: Workspace) -> QuerySet[Membership]:
    """Everyone who is or was on the team, active first."""
    return (
        Membership.objects.for_workspace(workspace)
        .select_related("user")
        .order_by("-is_active", "display_name", "pk")
    )


def open_invitations(workspace: Workspace) -> QuerySet[Invitation]:
    """Invitations not yet accepted or revoked (expired ones included, to resend)."""
    return (
        Invitation.objects.for_workspace(workspace)
        .filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at")
    )


def access_invitation(workspace: Workspace, pk: int) -> Invitation:
    return get_object_or_404(
        Invitation.objects.for_workspace(workspace).select_related("workspace"), pk=pk
    )
