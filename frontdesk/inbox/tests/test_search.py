"""Search runs on whichever database the run uses: run the suite on SQLite and
with FRONTDESK_TEST_POSTGRES=1 to cover both engines."""

from __future__ import annotations

import pytest
from django.db import connection

from frontdesk.inbox import actions
from frontdesk.inbox.models import Conversation, Message
from frontdesk.inbox.search import parse_query, search_conversations

pytestmark = pytest.mark.django_db


@pytest.fixture
def library_talk(channel, make_channel, hillview, receive):
    said = {
        "ada@example.org": "My library card expired and the kiosk will not renew it.",
        "bob@example.org": "Is the card catalogue available offline? I need a library account.",
        "cy@example.org": "The audiobook app keeps crashing on my phone.",
        "dee@example.org": "Can I book the quiet room? Also my card is fine.",
    }
    rows = {sender: receive(channel, sender=sender, body=body) for sender, body in said.items()}
    hill = receive(
        make_channel(workspace=hillview),
        sender="hilda@example.org",
        body="Hillview secret: the library card printer is broken.",
    )

    def conversation_of(sender):
        row = hill if sender == "hilda" else rows[sender]
        return Conversation.objects.get(messages__inbound_event=row)

    return conversation_of


def _numbers(hits):
    return [hit.conversation.contact.identities.get().value for hit in hits]


def test_a_rare_word_finds_its_conversation_with_a_snippet(riverside, library_talk):
    [hit] = search_conversations(riverside, "audiobook")
    assert hit.conversation == library_talk("cy@example.org")
    assert ("audiobook", True) in hit.snippet_parts
    assert "crashing" in hit.snippet


def test_all_words_must_match_newest_first(riverside, library_talk):
    hits = search_conversations(riverside, "card library")
    assert _numbers(hits) == ["bob@example.org", "ada@example.org"]


def test_a_quoted_phrase_must_appear_in_order(riverside, library_talk):
    assert _numbers(search_conversations(riverside, '"library card"')) == ["ada@example.org"]
    assert _numbers(search_conversations(riverside, '"card library"')) == []


def test_search_never_shows_another_workspaces_messages(riverside, hillview, library_talk):
    assert search_conversations(riverside, "printer") == []
    assert search_conversations(riverside, "Hillview secret") == []
    [hit] = search_conversations(hillview, "printer")
    assert hit.conversation == library_talk("hilda")


def test_customers_are_found_by_name_or_address(riverside, channel, receive, library_talk):
    receive(channel, sender="zed@example.org", name="Zelda Fitzgerald", body="Hello")
    [by_name] = search_conversations(riverside, "zelda")
    assert by_name.matched == "contact"
    assert by_name.snippet == "Zelda Fitzgerald"
    [by_address] = search_conversations(riverside, "cy@example")
    assert by_address.conversation == library_talk("cy@example.org")


def test_query_syntax_typed_by_people_is_just_text(riverside, library_talk):
    for text in ["card OR audiobook", "card -library", '"unclosed', "NEAR(card", "*", "card AND"]:
        search_conversations(riverside, text)  # no syntax error on either engine
    assert _numbers(search_conversations(riverside, "card OR library")) == []
    assert search_conversations(riverside, "") == []
    assert search_conversations(riverside, '  "" ') == []


def test_notes_and_replies_are_found_and_edits_are_reindexed(
    riverside, cast, library_talk, django_capture_on_commit_callbacks
):
    conversation = library_talk("dee@example.org")
    note = actions.add_note(
        conversation, body="Booked the quiet room for Thursday.", by=cast["agent"]
    )
    [hit] = search_conversations(riverside, "thursday")
    assert hit.conversation == conversation
    note.body = "Booked the quiet room for Friday."
    note.save()
    assert search_conversations(riverside, "thursday") == []
    assert len(search_conversations(riverside, "friday")) == 1
    Message.objects.filter(pk=note.pk).delete()
    assert search_conversations(riverside, "friday") == []


def test_a_common_word_returns_at_most_a_page_of_distinct_conversations(
    riverside, channel, receive
):
    for n in range(12):
        for _ in range(3):
            receive(channel, sender=f"reader{n}@example.org", body="Please renew my books")
    hits = search_conversations(riverside, "renew", limit=5)
    assert len(hits) == 5
    assert len({hit.conversation.pk for hit in hits}) == 5
    newest = Conversation.objects.order_by("-last_message_at", "-id")[:5]
    assert [hit.conversation.pk for hit in hits] == [c.pk for c in newest]


def test_parse_query_splits_words_and_phrases():
    query = parse_query('Late  fees "library card" renew "x')
    assert query.phrases == (("library", "card"),)
    assert query.words == ("late", "fees", "renew", "x")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 triggers are SQLite's")
def test_search_triggers_survive_migrations():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'inbox_message'"
        )
        triggers = {row[0] for row in cursor.fetchall()}
    assert triggers == {"inbox_message_fts_ai", "inbox_message_fts_ad", "inbox_message_fts_au"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index is PostgreSQL's")
def test_the_body_search_index_exists_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'inbox_message_body_search'"
        )
        [(definition,)] = cursor.fetchall()
        # Since migration 0004 the index is on a stored, generated tsvector column.
        cursor.execute(
            "SELECT generation_expression FROM information_schema.columns "
            "WHERE table_name = 'inbox_message' AND column_name = 'search_vector'"
        )
        [(generated,)] = cursor.fetchall()
    assert "gin" in definition and "(search_vector)" in definition
    assert "to_tsvector('simple'" in generated
