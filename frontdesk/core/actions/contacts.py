"""Contacts: one per customer per workspace, reached through many identities.

Every write takes `by`: the member acting, whose role must allow MANAGE_CONTACTS in
the contact's workspace (NotAllowed otherwise), or None for the system itself —
intake from a channel, the public web form, an SMS STOP or a provider's opt-out,
demo data — which no role limits. Pages, the API, tasks and commands all call these.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from frontdesk.core import roles
from frontdesk.core.errors import ActionError
from frontdesk.core.models import (
    ConsentChange,
    ConsentStatus,
    ConsentTopic,
    Contact,
    ContactIdentity,
    Membership,
    Workspace,
    normalise_identity,
)
from frontdesk.core.permissions import require

logger = logging.getLogger(__name__)


class ContactError(ActionError):
    """A contact operation that cannot be done as asked; the message is for people."""


NAME_LENGTH = 160
# Line breaks and other control characters: a name is one line (it goes into email
# headers, CSV exports and SMS greetings, where a line break would split or forge them).
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def _clean_name(name: str, *, from_a_person: bool) -> str:
    """`name` trimmed to one line. A person typing a line break is told so (ContactError);
    a name that came with a message (a provider's sender name) has it replaced by a space,
    so the message is never lost for it."""
    if _CONTROL.search(name):
        if from_a_person:
            raise ContactError("A name is one line: remove the line break.", field="name")
        name = " ".join(_CONTROL.sub(" ", name).split())
    return name.strip()[:NAME_LENGTH]


def _require_manager(by: Membership | None, workspace_id: int) -> None:
    if by is not None:  # None: the system (see the module docstring)
        require(by, roles.MANAGE_CONTACTS, workspace_id=workspace_id)


def create_contact(
    workspace: Workspace,
    *,
    by: Membership | None,
    name: str = "",
    identities: list[tuple[str, str]] | None = None,
    notes: str = "",
) -> Contact:
    """Create a contact with its identities ((kind, value) pairs, normalised here).

    Raises ContactError if an identity already belongs to another contact.
    """
    _require_manager(by, workspace.pk)
    name = _clean_name(name, from_a_person=by is not None)
    with transaction.atomic():
        contact = Contact.objects.create(workspace=workspace, name=name, notes=notes)
        for kind, value in identities or []:
            add_identity(contact, kind=kind, value=value, by=by)
    return contact


@dataclasses.dataclass
class NewContact:
    """A contact for `create_contacts_in_bulk`: its name, addresses as (kind, value as
    written) pairs, and consent per topic (only what the source says)."""

    name: str = ""
    identities: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    consent: dict[str, str] = dataclasses.field(default_factory=dict)


def create_contacts_in_bulk(
    workspace: Workspace, new: list[NewContact], *, source: str, by: Membership | None
) -> list[Contact]:
    """Create many contacts at once (a CSV import's chunk) with a few INSERTs: the
    contacts, their identities and a ConsentChange per consent given, as
    `create_contact` + `set_consent` would, in the caller's transaction.

    Addresses are normalised here; an address that is unreadable or given twice
    raises ContactError, one another contact owns raises IntegrityError (the caller
    rolls back and creates them one by one to learn which)."""
    _require_manager(by, workspace.pk)
    now = timezone.now()
    identities: list[ContactIdentity] = []
    seen: set[tuple[str, str]] = set()
    contacts: list[Contact] = []
    for item in new:
        fields = {f"{topic}_consent": status for topic, status in item.consent.items()}
        if any(t not in ConsentTopic.values for t in item.consent) or any(
            s not in ConsentStatus.values for s in item.consent.values()
        ):
            raise ContactError(f"Unknown consent {item.consent}")
        contacts.append(
            Contact(
                workspace=workspace,
                name=_clean_name(item.name, from_a_person=by is not None),
                created_at=now,
                updated_at=now,
                **fields,
            )
        )
    with transaction.atomic():
        Contact.objects.bulk_create(contacts)
        changes: list[ConsentChange] = []
        for contact, item in zip(contacts, new, strict=True):
            for kind, value in item.identities:
                normalised = normalise_identity(
                    kind, value, default_country=workspace.default_country
                )
                if (kind, normalised) in seen:
                    raise ContactError(f"{value} is given for two contacts.")
                seen.add((kind, normalised))
                identities.append(
                    ContactIdentity(
                        workspace=workspace,
                        contact=contact,
                        kind=kind,
                        value=normalised,
                        label=value.strip()[:80],
                        created_at=now,
                    )
                )
            changes.extend(
                ConsentChange(
                    workspace=workspace,
                    contact=contact,
                    topic=topic,
                    status=status,
                    source=source[:120],
                    changed_by=by,
                    created_at=now,
                )
                for topic, status in item.consent.items()
                if status != ConsentStatus.UNKNOWN
            )
        ContactIdentity.objects.bulk_create(identities)
        ConsentChange.objects.bulk_create(changes)
    return contacts


def update_contact_details(
    contact: Contact,
    *,
    by: Membership | None,
    name: str | None = None,
    notes: str | None = None,
) -> Contact:
    """Change a contact's name and/or notes (None leaves a field as it is).

    The web edit page and the API both call this; consent changes go through
    `set_consent` so they keep their audit row.
    """
    _require_manager(by, contact.workspace_id)
    fields = []
    if name is not None:
        contact.name = _clean_name(name, from_a_person=by is not None)
        fields.append("name")
    if notes is not None:
        contact.notes = notes
        fields.append("notes")
    if fields:
        contact.updated_at = timezone.now()
        contact.save(update_fields=[*fields, "updated_at"])
    return contact


def add_identity(
    contact: Contact, *, by: Membership | None, kind: str, value: str, verified: bool = False
) -> ContactIdentity:
    """Attach an address to a contact; a no-op if the contact already has it.

    Raises ValidationError for an unreadable address and ContactError if another
    contact in the workspace owns it (merge them instead).
    """
    _require_manager(by, contact.workspace_id)
    workspace = contact.workspace
    normalised = normalise_identity(kind, value, default_country=workspace.default_country)
    existing = ContactIdentity.objects.for_workspace(workspace).filter(kind=kind, value=normalised)
    found = existing.first()
    if found:
        if found.contact_id != contact.pk:
            raise ContactError(
                f"{found.display_value} already belongs to {found.contact.display_name}. "
                "Merge the two contacts to combine them."
            )
        return found
    return ContactIdentity.objects.create(
        workspace=workspace,
        contact=contact,
        kind=kind,
        value=normalised,
        label=value.strip()[:80],
        verified=verified,
    )


def remove_identity(identity: ContactIdentity, *, by: Membership | None) -> None:
    """Detach an address from its contact; messages already received from it stay."""
    _require_manager(by, identity.workspace_id)
    identity.delete()
    logger.info(
        "contact identity removed",
        extra={"workspace": identity.workspace_id, "contact": identity.contact_id},
    )


def resolve_contact(
    workspace: Workspace, *, kind: str, value: str, name: str = "", by: Membership | None
) -> tuple[Contact, bool]:
    """Find the contact owning this address, or create one. Returns (contact, created).

    Safe under concurrency: two inbound messages from a new number at once end with
    one contact, because the identity is unique per workspace.
    """
    _require_manager(by, workspace.pk)
    name = _clean_name(name, from_a_person=False)
    normalised = normalise_identity(kind, value, default_country=workspace.default_country)
    identities = ContactIdentity.objects.for_workspace(workspace).select_related("contact")
    found = identities.filter(kind=kind, value=normalised).first()
    if found:
        contact = found.contact
        if name and not contact.name:
            contact.name = name
            contact.save(update_fields=["name"])
        return contact, False
    try:
        with transaction.atomic():
            contact = Contact.objects.create(workspace=workspace, name=name)
            ContactIdentity.objects.create(
                workspace=workspace,
                contact=contact,
                kind=kind,
                value=normalised,
                label=value.strip()[:80],
            )
    except IntegrityError:
        found = identities.get(kind=kind, value=normalised)
        return found.contact, False
    return contact, True


def set_consent(
    contact: Contact,
    *,
    topic: str,
    status: str,
    source: str,
    by: Membership | None,
) -> bool:
    """Record a consent change for one topic (sms, email, community).

    Writes the new status on the contact and an append-only ConsentChange row.
    Returns False (and writes nothing) when the status is already that.
    `by` is recorded as who changed it (None: the system, e.g. a STOP text).
    """
    _require_manager(by, contact.workspace_id)
    if topic not in ConsentTopic.values or status not in ConsentStatus.values:
        raise ContactError(f"Unknown consent {topic}={status}")
    field = f"{topic}_consent"
    with transaction.atomic():
        updated = (
            Contact.objects.filter(pk=contact.pk)
            .exclude(**{field: status})
            .update(**{field: status, "updated_at": timezone.now()})
        )
        if not updated:
            return False
        ConsentChange.objects.create(
            workspace_id=contact.workspace_id,
            contact=contact,
            topic=topic,
            status=status,
            source=source[:120],
            changed_by=by,
        )
    setattr(contact, field, status)
    return True


# A revoked consent is never undone by a merge; otherwise a granted one wins.
_CONSENT_ORDER = {ConsentStatus.REVOKED: 2, ConsentStatus.GRANTED: 1, ConsentStatus.UNKNOWN: 0}


def merge_contacts(keep: Contact, other: Contact, *, by: Membership | None) -> Contact:
    """Merge `other` into `keep`; everything that pointed at `other` now points at `keep`.

    Every foreign key to Contact in every app is re-pointed (conversations,
    messages, votes, deliveries, ... as later apps add them), so all history is
    kept without this function knowing those apps. `other` stays as an empty
    shell with `merged_into` set, so old links still lead somewhere.
    """
    if keep.pk == other.pk:
        raise ContactError("A contact cannot be merged with itself.")
    if keep.workspace_id != other.workspace_id:
        raise ContactError("Contacts in different workspaces cannot be merged.")
    _require_manager(by, keep.workspace_id)
    with transaction.atomic():
        locked = {
            c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[keep.pk, other.pk])
        }
        keep, other = locked[keep.pk], locked[other.pk]
        for relation in Contact._meta.related_objects:
            if relation.related_model is Contact:
                continue  # merged_into itself
            if not isinstance(relation, models.ManyToOneRel) or relation.many_to_many:
                continue
            relation.related_model._base_manager.filter(**{relation.field.name: other}).update(
                **{relation.field.name: keep}
            )
        Contact.objects.filter(merged_into=other).update(merged_into=keep)
        for topic in ConsentTopic.values:
            field = f"{topic}_consent"
            mine, theirs = getattr(keep, field), getattr(other, field)
            if _CONSENT_ORDER[theirs] > _CONSENT_ORDER[mine]:
                setattr(keep, field, theirs)
        if not keep.name and other.name:
            keep.name = other.name
        if other.notes:
            keep.notes = (keep.notes + "\n\n" + other.notes).strip()
        keep.updated_at = timezone.now()
        keep.save()
        other.merged_into = keep
        other.notes = ""
        other.save(update_fields=["merged_into", "notes"])
    logger.info(
        "contacts merged",
        extra={"workspace": keep.workspace_id, "kept": keep.pk, "merged": other.pk},
    )
    return keep
