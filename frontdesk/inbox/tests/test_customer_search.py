"""Customers are found by any part of their name or of an address, through the
trigram indexes of migration 0004 (FTS5 on SQLite, pg_trgm on PostgreSQL): run the
suite on both engines."""

from __future__ import annotations

import pytest
from django.db import connection

from frontdesk.core.actions.contacts import add_identity, create_contact, update_contact_details
from frontdesk.inbox.search import search_conversations

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(make_conversation, riverside):
    def make(name: str, *identities: tuple[str, str]):
        contact = create_contact(riverside, name=name, identities=list(identities), by=None)
        return make_conversation(contact=contact)

    return make


def _found(workspace, text):
    return [(hit.conversation.pk, hit.matched) for hit in search_conversations(workspace, text)]


def test_any_part_of_a_name_finds_the_customer_whatever_the_case(riverside, customer):
    zelda = customer("Zelda Fitzgerald", ("email", "zf@example.org"))
    customer("Ernest Hemingway", ("email", "eh@example.org"))
    assert _found(riverside, "itzGER") == [(zelda.pk, "contact")]
    assert _found(riverside, '"zelda fitz"') == [(zelda.pk, "contact")]


def test_part_of_an_email_or_phone_number_finds_the_customer(riverside, customer):
    ada = customer("Ada", ("email", "ada.lovelace@analytical.example"), ("phone", "+12025550143"))
    assert _found(riverside, "analytical") == [(ada.pk, "contact")]
    assert _found(riverside, "5550143") == [(ada.pk, "contact")]
    # Every word must match somewhere: the name or one of the addresses.
    assert _found(riverside, "ada 0143") == [(ada.pk, "contact")]
    assert _found(riverside, "ada 9999") == []


def test_short_words_still_find_customers(riverside, customer):
    jo = customer("Jo March", ("email", "march@example.org"))
    assert _found(riverside, "jo") == [(jo.pk, "contact")]


def test_wildcards_typed_by_people_are_plain_characters(riverside, customer):
    under = customer("Someone", ("email", "jo_n@example.org"))
    customer("John", ("email", "john@example.org"))
    assert _found(riverside, "o_n") == [(under.pk, "contact")]
    assert _found(riverside, "o_") == [(under.pk, "contact")]


def test_renamed_customers_and_new_or_removed_addresses_are_reindexed(riverside, customer):
    conversation = customer("Beatrix Potter", ("email", "bp@example.org"))
    contact = conversation.contact
    update_contact_details(contact, name="Helen Heelis", by=None)
    assert _found(riverside, "potter") == []
    assert _found(riverside, "heelis") == [(conversation.pk, "contact")]
    identity = add_identity(contact, kind="email", value="peter.rabbit@example.org", by=None)
    assert _found(riverside, "rabbit") == [(conversation.pk, "contact")]
    identity.delete()
    assert _found(riverside, "rabbit") == []


def test_customer_search_never_shows_another_workspaces_customers(
    riverside, hillview, customer, make_channel, make_conversation
):
    customer("Agatha Christie", ("email", "agatha@example.org"))
    theirs = create_contact(
        hillview,
        name="Agatha Hillview",
        identities=[("email", "agatha@hill.example")],
        by=None,
    )
    mine = _found(riverside, "agatha")
    assert len(mine) == 1
    other = make_conversation(contact=theirs, channel_=make_channel(workspace=hillview))
    assert _found(hillview, "agatha") == [(other.pk, "contact")]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 triggers are SQLite's")
def test_customer_search_triggers_survive_migrations():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name IN ('core_contact', 'core_contactidentity')"
        )
        triggers = set(cursor.fetchall())
    assert triggers >= {
        ("core_contact", "inbox_contact_name_fts_ai"),
        ("core_contact", "inbox_contact_name_fts_ad"),
        ("core_contact", "inbox_contact_name_fts_au"),
        ("core_contactidentity", "inbox_identity_value_fts_ai"),
        ("core_contactidentity", "inbox_identity_value_fts_ad"),
        ("core_contactidentity", "inbox_identity_value_fts_au"),
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
def test_the_customer_trigram_indexes_exist_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE indexname IN ('core_contact_name_trgm', 'core_identity_value_trgm')"
        )
        definitions = dict(cursor.fetchall())
    assert set(definitions) == {"core_contact_name_trgm", "core_identity_value_trgm"}
    assert all("gin_trgm_ops" in definition for definition in definitions.values())
