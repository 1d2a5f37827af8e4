from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from frontdesk.core.actions.contacts import (
    ContactError,
    add_identity,
    create_contact,
    merge_contacts,
    resolve_contact,
    set_consent,
    update_contact_details,
)
from frontdesk.core.models import ConsentChange, Contact, ContactIdentity, normalise_identity

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("phone", "(555) 010-0123", "+15550100123"),
        ("phone", "+44 20 7946 0958", "+442079460958"),
        ("phone", "  +1 555.010.0123 ", "+15550100123"),
        ("email", "Ana.Lopez@Example.ORG", "ana.lopez@example.org"),
        ("mastodon", "@Reader@Mastodon.Social", "reader@mastodon.social"),
        ("reddit", "u/BookWorm", "bookworm"),
    ],
)
def test_identities_are_normalised(kind, raw, expected):
    assert normalise_identity(kind, raw, default_country="US") == expected


@pytest.mark.parametrize(
    ("kind", "raw"), [("phone", "call me"), ("phone", "12"), ("email", "nope@")]
)
def test_unreadable_identities_are_refused_with_a_message(kind, raw):
    with pytest.raises(ValidationError) as excinfo:
        normalise_identity(kind, raw)
    assert excinfo.value.messages[0]


def test_resolve_contact_finds_the_same_person_however_the_number_is_typed(riverside):
    first, created = resolve_contact(
        riverside, kind="phone", value="555-010-0123", name="Ana", by=None
    )
    again, created_again = resolve_contact(
        riverside, kind="phone", value="+1 (555) 010 0123", by=None
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert ContactIdentity.objects.filter(workspace=riverside).count() == 1


def test_the_same_number_is_a_different_contact_in_another_workspace(cast, riverside):
    hillview = cast["outsider"].workspace
    mine, _ = resolve_contact(riverside, kind="phone", value="+15550100123", by=None)
    theirs, created = resolve_contact(hillview, kind="phone", value="+15550100123", by=None)
    assert created and mine.pk != theirs.pk


def test_an_address_cannot_belong_to_two_contacts(riverside):
    create_contact(riverside, name="Ana", identities=[("email", "ana@example.org")], by=None)
    ben = create_contact(riverside, name="Ben", by=None)
    with pytest.raises(ContactError, match="already belongs to Ana"):
        add_identity(ben, kind="email", value="ANA@example.org", by=None)


def test_merge_keeps_identities_history_and_the_strictest_consent(riverside, cast):
    keep = create_contact(
        riverside, name="Ana Lopez", identities=[("phone", "+15550100123")], by=None
    )
    other = create_contact(
        riverside,
        identities=[("email", "ana@example.org")],
        notes="Likes mysteries",
        by=None,
    )
    set_consent(other, topic="sms", status="revoked", source="SMS keyword STOP", by=None)
    set_consent(keep, topic="email", status="granted", source="web form", by=None)

    merged = merge_contacts(keep, other, by=cast["agent"])

    merged.refresh_from_db()
    other.refresh_from_db()
    assert {i.value for i in merged.identities.all()} == {"+15550100123", "ana@example.org"}
    assert merged.sms_consent == "revoked"  # an opt-out survives any merge
    assert merged.email_consent == "granted"
    assert "Likes mysteries" in merged.notes
    assert ConsentChange.objects.filter(contact=merged).count() == 2
    assert other.merged_into_id == merged.pk
    assert not other.identities.exists()


def test_merge_refuses_contacts_of_different_workspaces(riverside, cast):
    mine = create_contact(riverside, name="Ana", by=None)
    theirs = create_contact(cast["outsider"].workspace, name="Ana", by=None)
    with pytest.raises(ContactError):
        merge_contacts(mine, theirs, by=None)
    assert Contact.objects.get(pk=theirs.pk).merged_into_id is None


def test_set_consent_records_each_change_once(riverside):
    ana = create_contact(riverside, name="Ana", by=None)
    assert set_consent(ana, topic="sms", status="granted", source="web form", by=None)
    assert not set_consent(ana, topic="sms", status="granted", source="web form", by=None)
    assert set_consent(ana, topic="sms", status="revoked", source="SMS keyword STOP", by=None)
    history = list(ConsentChange.objects.filter(contact=ana).values_list("status", flat=True))
    assert history == ["revoked", "granted"]
    ana.refresh_from_db()
    assert ana.sms_consent == "revoked"


@pytest.mark.parametrize("name", ["Ada\nLovelace", "Ada\r\nBcc: x@example.org", "Ada\u2028L"])
def test_a_name_with_a_line_break_is_refused_when_staff_type_it(riverside, cast, name):
    with pytest.raises(ContactError, match="A name is one line"):
        create_contact(riverside, by=cast["agent"], name=name)
    contact = create_contact(riverside, by=cast["agent"], name="Ada Lovelace")
    with pytest.raises(ContactError, match="A name is one line"):
        update_contact_details(contact, by=cast["agent"], name=name)
    contact.refresh_from_db()
    assert contact.name == "Ada Lovelace"


def test_a_sender_name_with_a_line_break_arrives_on_one_line(riverside):
    contact, created = resolve_contact(
        riverside, kind="email", value="ada@example.org", name="Ada\r\nBcc: x@example.org", by=None
    )
    assert created
    assert contact.name == "Ada Bcc: x@example.org"
