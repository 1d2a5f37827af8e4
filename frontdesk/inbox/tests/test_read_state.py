"""Per-person read state: bold rows for what the customer wrote since I last looked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from frontdesk.inbox import actions, queries
from frontdesk.inbox.models import ConversationRead

pytestmark = pytest.mark.django_db

LIST = "/w/riverside/inbox/"


@pytest.fixture
def browser(cast):
    """browser("agent") -> a client signed in as that member (one per person)."""

    def make(role: str) -> Client:
        client = Client()
        client.force_login(cast[role].user)
        return client

    return make


def unread_on(response) -> set[int]:
    """Numbers of the rows shown as unread."""
    html = response.content.decode()
    return {int(n) for n in re.findall(r'class="conv-row is-unread[^"]*" id="conv-(\d+)"', html)}


def numbers_on(response) -> list[int]:
    return [int(n) for n in re.findall(r'id="conv-(\d+)"', response.content.decode())]


def test_a_customer_message_is_unread_for_each_person_until_they_open_it(channel, receive, browser):
    conversation = receive(channel, sender="ana@example.org").message.conversation
    maya, amir = browser("agent"), browser("admin")
    assert unread_on(maya.get(LIST)) == {conversation.number}
    assert unread_on(amir.get(LIST)) == {conversation.number}

    assert maya.get(f"{LIST}{conversation.number}/").status_code == 200

    assert unread_on(maya.get(LIST)) == set()
    page = amir.get(LIST)
    assert unread_on(page) == {conversation.number}
    assert "Unread: </span>" in page.content.decode()  # said to screen readers too


def test_replying_marks_it_read_for_the_one_who_replied(
    cast, channel, receive, browser, django_capture_on_commit_callbacks
):
    conversation = receive(channel).message.conversation
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, body="On it.", by=cast["admin"])
    assert unread_on(browser("admin").get(LIST)) == set()
    assert unread_on(browser("agent").get(LIST)) == {conversation.number}


def test_the_customer_writing_again_makes_it_unread_again(channel, receive, browser):
    conversation = receive(channel, sender="ana@example.org").message.conversation
    maya = browser("agent")
    maya.get(f"{LIST}{conversation.number}/")
    assert unread_on(maya.get(LIST)) == set()

    again = receive(channel, sender="ana@example.org", body="Still there?")

    assert again.message.conversation == conversation
    assert unread_on(maya.get(LIST)) == {conversation.number}


def test_staff_activity_alone_does_not_make_it_unread(
    cast, channel, receive, browser, django_capture_on_commit_callbacks
):
    conversation = receive(channel).message.conversation
    maya = browser("agent")
    maya.get(f"{LIST}{conversation.number}/")
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_note(conversation, body="Checking the shelf", by=cast["admin"])
        actions.send_reply(conversation, body="Found it!", by=cast["admin"])
    assert unread_on(maya.get(LIST)) == set()


def test_what_customers_wrote_before_someone_joined_is_not_unread_for_them(
    cast, make_conversation, browser
):
    before = make_conversation(last_message_at=cast["agent"].joined_at - timedelta(days=2))
    assert unread_on(browser("agent").get(LIST)) == set()
    assert before.number in numbers_on(browser("agent").get(LIST))


def test_the_unread_filter_lists_only_what_i_have_not_read(channel, receive, browser, cast):
    first = receive(channel, sender="a@example.org").message.conversation
    second = receive(channel, sender="b@example.org").message.conversation
    third = receive(channel, sender="c@example.org").message.conversation
    maya = browser("agent")
    maya.get(f"{LIST}{second.number}/")

    page = maya.get(LIST + "?unread=1")

    assert sorted(numbers_on(page)) == sorted([first.number, third.number])
    assert unread_on(page) == {first.number, third.number}
    html = page.content.decode()
    assert 'class="filter-link filter-unread is-active"' in html
    # Amir has read nothing: everything is unread for him.
    assert sorted(numbers_on(browser("admin").get(LIST + "?unread=1"))) == sorted(
        [first.number, second.number, third.number]
    )
    # The same filter in the query, for the other views and the pages after.
    rows = queries.inbox_page(
        cast["agent"].workspace, member=cast["agent"], unread=True, limit=1, order="recent"
    )
    assert [c.number for c in rows.rows] == [third.number]
    more = queries.inbox_page(
        cast["agent"].workspace,
        member=cast["agent"],
        unread=True,
        limit=1,
        order="recent",
        before=rows.next_cursor,
    )
    assert [c.number for c in more.rows] == [first.number]


def test_an_open_unread_list_drops_a_row_once_i_read_it(channel, receive, browser):
    conversation = receive(channel).message.conversation
    maya = browser("agent")
    row_url = f"{LIST}{conversation.number}/row/?unread=1"
    assert maya.get(row_url, HTTP_HX_REQUEST="true").status_code == 200
    maya.get(f"{LIST}{conversation.number}/")
    assert maya.get(row_url, HTTP_HX_REQUEST="true").status_code == 204


def test_a_live_row_refresh_shows_a_new_customer_message_as_unread(channel, receive, browser):
    conversation = receive(channel, sender="ana@example.org").message.conversation
    maya = browser("agent")
    maya.get(f"{LIST}{conversation.number}/")
    row_url = f"{LIST}{conversation.number}/row/"
    assert unread_on(maya.get(row_url, HTTP_HX_REQUEST="true")) == set()

    receive(channel, sender="ana@example.org", body="One more thing")

    # What an open list fetches when the message.created event arrives.
    assert unread_on(maya.get(row_url, HTTP_HX_REQUEST="true")) == {conversation.number}


def test_an_open_conversation_catching_up_marks_the_new_message_read(channel, receive, browser):
    first = receive(channel, sender="ana@example.org")
    conversation = first.message.conversation
    maya = browser("agent")
    maya.get(f"{LIST}{conversation.number}/")
    receive(channel, sender="ana@example.org", body="One more thing")

    caught_up = maya.get(
        f"{LIST}{conversation.number}/timeline/?after={first.message.pk}", HTTP_HX_REQUEST="true"
    )

    assert "One more thing" in caught_up.content.decode()
    assert unread_on(maya.get(LIST)) == set()


def test_marking_read_is_one_row_per_person_and_refused_across_workspaces(
    cast, channel, receive, hillview
):
    conversation = receive(channel).message.conversation
    actions.mark_conversation_read(conversation, member=cast["agent"])
    actions.mark_conversation_read(conversation, member=cast["agent"])
    assert ConversationRead.objects.filter(membership=cast["agent"]).count() == 1
    with pytest.raises(actions.NotAllowed):
        actions.mark_conversation_read(conversation, member=cast["outsider"])
    assert not ConversationRead.objects.filter(membership=cast["outsider"]).exists()


def test_read_state_for_a_page_costs_one_query_whatever_its_size(
    cast, riverside, channel, receive, django_assert_num_queries
):
    for n in range(12):
        conversation = receive(channel, sender=f"reader{n}@example.org").message.conversation
        if n % 3 == 0:
            actions.mark_conversation_read(conversation, member=cast["agent"])
    rows = queries.inbox_page(riverside, member=cast["agent"], limit=50).rows
    with django_assert_num_queries(1):
        queries.mark_unread(cast["agent"], rows)
    assert sum(c.unread for c in rows) == 8
    with django_assert_num_queries(1):
        queries.mark_unread(cast["agent"], rows[:2])


def test_a_read_time_before_the_customers_last_message_is_unread(cast, channel, receive):
    conversation = receive(channel).message.conversation
    earlier = conversation.last_customer_message_at - timedelta(seconds=1)
    actions.mark_conversation_read(conversation, member=cast["agent"], at=earlier)
    queries.mark_unread(cast["agent"], [conversation])
    assert conversation.unread is True
    actions.mark_conversation_read(conversation, member=cast["agent"], at=timezone.now())
    queries.mark_unread(cast["agent"], [conversation])
    assert conversation.unread is False


def test_opening_a_conversation_writes_a_read_mark_only_when_it_is_unread(
    cast, channel, receive, browser, django_assert_num_queries
):
    conversation = receive(channel).message.conversation
    agent = cast["agent"]
    assert actions.mark_read_if_unread(conversation, member=agent) is True
    first = ConversationRead.objects.get(membership=agent).read_at
    with django_assert_num_queries(1):  # the read mark is looked at, not written
        assert actions.mark_read_if_unread(conversation, member=agent) is False
    assert ConversationRead.objects.get(membership=agent).read_at == first

    # Through the page: opening it again leaves the mark alone; a new customer
    # message makes the next opening move it.
    page = browser("agent")
    assert page.get(f"/w/riverside/inbox/{conversation.number}/").status_code == 200
    assert ConversationRead.objects.get(membership=agent).read_at == first
    receive(channel, body="One more thing")
    assert page.get(f"/w/riverside/inbox/{conversation.number}/").status_code == 200
    assert ConversationRead.objects.get(membership=agent).read_at > first
    with pytest.raises(actions.NotAllowed):
        actions.mark_read_if_unread(conversation, member=cast["outsider"])
