"""Contacts: list and search, read, create, edit, add an address, merge.

Every lookup goes through `frontdesk.core.queries` with `request.workspace`, so an id
from another workspace is 404, and every write goes through the contact actions
the web pages use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from frontdesk.api.cursors import decode_cursor, encode_cursor
from frontdesk.api.schemas import ErrorOut, require_capability
from frontdesk.core import queries, roles
from frontdesk.core.actions import contacts as contact_actions
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.models import ConsentTopic, Contact, ContactIdentity, IdentityKind

router = Router(tags=["contacts"])

MAX_PAGE = 100
ConsentValue = Literal["unknown", "granted", "revoked"]


class IdentityOut(Schema):
    id: int
    kind: str
    value: str = Field(description="Normalised: E.164 phone, lower-case email.")
    label: str = Field(description="As it was first written.")
    verified: bool
    created_at: datetime


class ConsentOut(Schema):
    sms: ConsentValue
    email: ConsentValue
    community: ConsentValue


class ContactOut(Schema):
    id: int
    name: str
    display_name: str
    notes: str
    consent: ConsentOut
    identities: list[IdentityOut]
    merged_into: int | None = Field(description="Set once this contact was merged away.")
    created_at: datetime
    updated_at: datetime


class ContactPage(Schema):
    items: list[ContactOut]
    next: str | None = Field(description="Pass as `cursor` for the next page; null at the end.")


class IdentityIn(Schema):
    kind: IdentityKind
    value: str = Field(max_length=320)


class ConsentIn(Schema):
    sms: ConsentValue | None = None
    email: ConsentValue | None = None
    community: ConsentValue | None = None


class ContactIn(Schema):
    name: str = Field("", max_length=160)
    notes: str = ""
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)
    consent: ConsentIn | None = None


class ContactPatch(Schema):
    name: str | None = Field(None, max_length=160)
    notes: str | None = None
    consent: ConsentIn | None = None


class MergeIn(Schema):
    other_id: int = Field(description="This contact is merged into the one in the URL.")


class ContactFilters(Schema):
    q: str = Field("", description="Part of a name, phone number, email or handle.")
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 50
    cursor: str | None = Field(None, description="The `next` value of the previous page.")


def contact_out(contact: Contact) -> dict[str, object]:
    identities: list[ContactIdentity] = list(contact.identities.all())
    return {
        "id": contact.pk,
        "name": contact.name,
        "display_name": contact.name
        or (identities[0].display_value if identities else "Unknown customer"),
        "notes": contact.notes,
        "consent": {topic: contact.consent_for(topic) for topic in ConsentTopic.values},
        "identities": identities,
        "merged_into": contact.merged_into_id,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }


def _apply_consent(contact: Contact, consent: ConsentIn | None, request: WorkspaceRequest) -> None:
    if consent is None:
        return
    membership = request.membership
    for topic, status in consent.model_dump(exclude_none=True).items():
        contact_actions.set_consent(
            contact,
            topic=topic,
            status=status,
            source=f"API: {membership.display_name}",
            by=membership,
        )


def _fresh(request: WorkspaceRequest, pk: int) -> Contact:
    return queries.access_contact(request.workspace, pk)


@router.get("", response=ContactPage, summary="List or search contacts, newest first")
def list_contacts(request: WorkspaceRequest, filters: Query[ContactFilters]) -> dict[str, object]:
    qs = queries.search_contacts(request.workspace, filters.q)
    if filters.cursor:
        updated_at, pk = decode_cursor(filters.cursor)
        qs = qs.filter(Q(updated_at__lt=updated_at) | Q(updated_at=updated_at, pk__lt=pk))
    rows = list(qs.order_by("-updated_at", "-pk")[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {
        "items": [contact_out(c) for c in rows],
        "next": encode_cursor(rows[-1].updated_at, rows[-1].pk) if more else None,
    }


@router.get("/{contact_id}", response={200: ContactOut, 404: ErrorOut}, summary="One contact")
def get_contact(request: WorkspaceRequest, contact_id: int) -> dict[str, object]:
    return contact_out(_fresh(request, contact_id))


@router.post(
    "",
    response={201: ContactOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Create a contact with its addresses and consent",
)
def create_contact(request: WorkspaceRequest, payload: ContactIn) -> tuple[int, dict[str, object]]:
    require_capability(request, roles.MANAGE_CONTACTS)
    if not payload.name.strip() and not payload.identities:
        raise HttpError(422, "Give at least a name or one address.")
    with transaction.atomic():
        contact = contact_actions.create_contact(
            request.workspace,
            by=request.membership,
            name=payload.name,
            notes=payload.notes,
            identities=[(i.kind.value, i.value) for i in payload.identities],
        )
        _apply_consent(contact, payload.consent, request)
    return 201, contact_out(_fresh(request, contact.pk))


@router.patch(
    "/{contact_id}",
    response={200: ContactOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change name, notes or consent",
)
def update_contact(
    request: WorkspaceRequest, contact_id: int, payload: ContactPatch
) -> dict[str, object]:
    require_capability(request, roles.MANAGE_CONTACTS)
    contact = _fresh(request, contact_id)
    with transaction.atomic():
        contact_actions.update_contact_details(
            contact,
            by=request.membership,
            name=payload.name,
            notes=payload.notes,
        )
        _apply_consent(contact, payload.consent, request)
    return contact_out(_fresh(request, contact.pk))


@router.post(
    "/{contact_id}/identities",
    response={201: IdentityOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Add an address (phone, email, handle) to a contact",
)
def add_identity(
    request: WorkspaceRequest, contact_id: int, payload: IdentityIn
) -> tuple[int, ContactIdentity]:
    membership = require_capability(request, roles.MANAGE_CONTACTS)
    contact = _fresh(request, contact_id)
    identity = contact_actions.add_identity(
        contact, by=membership, kind=payload.kind.value, value=payload.value
    )
    return 201, identity


@router.delete(
    "/{contact_id}/identities/{identity_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove an address from a contact",
)
def remove_identity(request: WorkspaceRequest, contact_id: int, identity_id: int) -> Status[None]:
    membership = require_capability(request, roles.MANAGE_CONTACTS)
    contact = _fresh(request, contact_id)
    identity: ContactIdentity = get_object_or_404(contact.identities, pk=identity_id)
    contact_actions.remove_identity(identity, by=membership)
    return Status(204, None)


@router.post(
    "/{contact_id}/merge",
    response={200: ContactOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Merge another contact into this one",
)
def merge_contact(
    request: WorkspaceRequest, contact_id: int, payload: MergeIn
) -> dict[str, object]:
    membership = require_capability(request, roles.MANAGE_CONTACTS)
    keep = _fresh(request, contact_id)
    other = _fresh(request, payload.other_id)
    kept = contact_actions.merge_contacts(keep, other, by=membership)
    return contact_out(_fresh(request, kept.pk))
