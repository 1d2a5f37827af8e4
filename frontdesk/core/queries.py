"""Reads that take the workspace first; `access_*` 404 outside it."""

from __future__ import annotations

import re

import phonenumbers
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from frontdesk.core.models import Contact, ContactIdentity, IdentityKind, Membership, Workspace


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


# What people type around a phone number's digits: "+1 (555) 010-0177", "555.010.0177".
_PHONE_LIKE = re.compile(r"[\d\s()+\-./]+")
# Fewer digits than this are more likely part of a name or an address than a number.
_MIN_PHONE_DIGITS = 3


def _phone_values(workspace: Workspace, text: str) -> tuple[str, str | None]:
    """For text that looks like (part of) a phone number: its digits, and its E.164
    form read in the workspace's country when it is a whole possible number."""
    if not _PHONE_LIKE.fullmatch(text):
        return "", None
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < _MIN_PHONE_DIGITS:
        return "", None
    try:
        number = phonenumbers.parse(text, workspace.default_country or None)
    except phonenumbers.NumberParseException:
        return digits, None
    if not phonenumbers.is_possible_number(number):
        return digits, None
    return digits, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def search_contacts(workspace: Workspace, text: str) -> QuerySet[Contact]:
    """Live contacts whose name or an address contains `text`, most recently updated
    first (a stable order: the id breaks ties). A phone number is found however it is
    typed: by its digits, and as the whole number read in the workspace's country
    (so "020 7946 0958" finds +442079460958 in a British library)."""
    qs = contacts(workspace)
    text = text.strip()
    if text:
        identities = ContactIdentity.objects.for_workspace(workspace)
        addresses = Q(value__icontains=text.lower().lstrip("+@"))
        digits, e164 = _phone_values(workspace, text)
        if digits:
            addresses |= Q(kind=IdentityKind.PHONE, value__contains=digits)
        if e164:
            addresses |= Q(kind=IdentityKind.PHONE, value=e164)
        matching = identities.filter(addresses)
        qs = qs.filter(Q(name__icontains=text) | Q(pk__in=matching.values("contact_id")))
    return (
        qs.annotate(identity_count=Count("identities"))
        .prefetch_related("identities")
        # Meta.ordering is dropped once a query groups (the Count), so say it here.
        .order_by("-updated_at", "-id")
    )


def team(workspace: Workspace) -> QuerySet[Membership]:
    return Membership.objects.for_workspace(workspace).filter(is_active=True).select_related("user")
