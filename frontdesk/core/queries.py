"""Reads that take the workspace first; `access_*` 404 outside it."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from frontdesk.core.models import Contact, ContactIdentity, Membership, Workspace


def contacts(workspace: Workspace) -> QuerySet[Contact]:
    """Live contacts (merged shells left out)."""
    return Contact.objects.for_workspace(workspace).filter(merged_into__isnull=True)


def access_contact(workspace: Workspace, pk: int) -> Contact:
    return get_object_or_404(Contact.objects.for_workspace(workspace), pk=pk)


def access_identity(workspace: Workspace, pk: int) -> ContactIdentity:
    return get_object_or_404(
        ContactIdentity.objects.for_workspace(workspace).select_related("contact"), pk=pk
    )


def access_membership(workspace: Workspace, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.for_workspace(workspace).select_related("user"), pk=pk
    )


def search_contacts(workspace: Workspace, text: str) -> QuerySet[Contact]:
    qs = contacts(workspace)
    text = text.strip()
    if text:
        matching = ContactIdentity.objects.for_workspace(workspace).filter(
            value__icontains=text.lower().lstrip("+@")
        )
        qs = qs.filter(Q(name__icontains=text) | Q(pk__in=matching.values("contact_id")))
    return qs.annotate(identity_count=Count("identities")).prefetch_related("identities")


def team(workspace: Workspace) -> QuerySet[Membership]:
    return Membership.objects.for_workspace(workspace).filter(is_active=True).select_related("user")
