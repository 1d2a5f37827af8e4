"""The inbox list page: filters, order, keyset pages, fragments, empty states, cost."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from frontdesk.inbox import actions
from frontdesk.inbox.models import Conversation

pytestmark = pytest.mark.django_db

LIST = "/w/riverside/inbox/"


def numbers_on(response) -> list[int]:
    """Conversation numbers of the rows, in page order."""
    return [int(n) for n in re.findall(r'id="conv-(\d+)"', response.content.decode())]


@pytest.fixture
def agent_client(cast, client_for):
    return client_for(cast["agent"])


def test_the_list_shows_each_conversation_with_its_latest_message_and_people(
    cast, agent_client, channel, receive, django_capture_on_commit_callbacks
):
    row = receive(channel, name="Ana Lopez", sender="ana@example.org", body="Is my hold ready?")
    conversation = row.message.conversation
    actions.assign_conversation(conversation, assignee=cast["agent"], by=cast["agent"])
    actions.add_tag(conversation, name="Holds", by=cast["agent"])
    actions.set_priority(conversation, priority="urgent", by=cast["agent"])
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(conversation, body="Yes, it is on the shelf.", by=cast["agent"])
        actions.add_note(conversation, body="Staff talk only", by=cast["agent"])

    response = agent_client.get(LIST)

    assert response.status_code == 200
    body = response.content.decode()
    assert numbers_on(response) == [conversation.number]
    assert "Ana Lopez" in body
    # The snippet is the newest message or reply, never a private note.
    assert "Maya:</span> Yes, it is on the shelf." in body
    assert "Staff talk only" not in body
    assert 'aria-label="Maya Patel"' in body  # the assignee's avatar
    assert "Holds" in body and "Urgent" in body
    assert f'data-member="{cast["agent"].pk}"' in body


def test_waiting_and_unhappy_customers_come_first_by_default(agent_client, make_conversation):
    now = timezone.now()
    answered = make_conversation(waiting=False, last_message_at=now - timedelta(minutes=1))
    waiting = make_conversation(waiting=True, last_message_at=now - timedelta(hours=2))
    unhappy = make_conversation(waiting=False, last_message_at=now - timedelta(hours=3))
    Conversation.objects.filter(pk=unhappy.pk).update(sentiment_label="negative")
    both = make_conversation(waiting=True, last_message_at=now - timedelta(hours=5))
    Conversation.objects.filter(pk=both.pk).update(sentiment_label="negative")

    by_attention = numbers_on(agent_client.get(LIST))
    newest_first = numbers_on(agent_client.get(LIST + "?order=recent"))

    assert by_attention == [both.number, waiting.number, unhappy.number, answered.number]
    assert newest_first == [answered.number, waiting.number, unhappy.number, both.number]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("view=mine", ["mine"]),
        ("view=unassigned", ["unhappy", "other_channel", "tagged", "plain"]),
        ("status=pending", ["pending"]),
        (
            "status=any&order=recent",
            ["pending", "mine", "other_channel", "tagged", "unhappy", "plain"],
        ),
        ("tag=late+fees", ["tagged"]),
        ("sentiment=negative", ["unhappy"]),
    ],
)
def test_filters(cast, agent_client, make_channel, make_conversation, query, expected):
    start = timezone.now() - timedelta(hours=1)
    kiosk = make_channel(name="Kiosk")
    made = {}
    for index, key in enumerate(["plain", "unhappy", "tagged", "other_channel", "mine", "pending"]):
        made[key] = make_conversation(
            waiting=False,
            last_message_at=start + timedelta(minutes=index),
            channel_=kiosk if key == "other_channel" else None,
            assignee=cast["agent"] if key == "mine" else None,
            status="pending" if key == "pending" else "open",
        )
    Conversation.objects.filter(pk=made["unhappy"].pk).update(sentiment_label="negative")
    actions.add_tag(made["tagged"], name="Late fees", by=cast["agent"])
    names = {c.number: key for key, c in made.items()}

    response = agent_client.get(f"{LIST}?{query}")

    assert [names[n] for n in numbers_on(response)] == expected


def test_the_channel_filter(cast, agent_client, make_channel, make_conversation):
    kiosk = make_channel(name="Kiosk")
    make_conversation()
    on_kiosk = make_conversation(channel_=kiosk)
    response = agent_client.get(f"{LIST}?channel={kiosk.pk}")
    assert numbers_on(response) == [on_kiosk.number]
    # The sidebar links to each channel, keeping the other filters.
    body = agent_client.get(f"{LIST}?view=unassigned").content.decode()
    assert f"?view=unassigned&amp;channel={kiosk.pk}" in body


def test_older_pages_follow_the_keyset_cursor_as_links_and_fragments(
    agent_client, make_conversation
):
    start = timezone.now() - timedelta(days=1)
    made = [
        make_conversation(waiting=False, last_message_at=start + timedelta(minutes=i))
        for i in range(45)
    ]
    first = agent_client.get(LIST)
    assert numbers_on(first) == [c.number for c in reversed(made)][:40]
    older = re.search(r'href="([^"]*cursor=[^"]+)"', first.content.decode()).group(1)
    older = older.replace("&amp;", "&")

    page_two = agent_client.get(older)
    fragment = agent_client.get(older + "&fragment=rows", HTTP_HX_REQUEST="true")

    expected = [c.number for c in reversed(made)][40:]
    assert numbers_on(page_two) == expected
    assert numbers_on(fragment) == expected
    assert "<html" not in fragment.content.decode()
    assert "cursor=" not in fragment.content.decode()  # the last page has no "Older" link


def test_a_forged_cursor_is_refused(agent_client, make_conversation):
    make_conversation()
    assert agent_client.get(LIST + "?cursor=bm90IGEgY3Vyc29y").status_code == 400


def test_an_empty_inbox_teaches_how_to_get_the_first_conversation(agent_client):
    body = agent_client.get(LIST).content.decode()
    assert "Your shared inbox is ready" in body
    assert "/f/riverside/" in body  # try the web form
    assert "/w/riverside/settings/" in body  # connect a channel


def test_an_empty_filter_says_all_caught_up(agent_client, make_conversation):
    make_conversation()
    body = agent_client.get(LIST + "?view=mine").content.decode()
    assert "All caught up" in body
    assert "Your shared inbox is ready" not in body


def test_the_list_costs_the_same_queries_for_3_or_30_conversations(
    cast, agent_client, make_channel, make_conversation, django_assert_max_num_queries
):
    kiosk = make_channel(name="Kiosk")

    def make(count: int) -> None:
        for i in range(count):
            conversation = make_conversation(
                channel_=kiosk if i % 2 else None, assignee=cast["admin"] if i % 3 else None
            )
            actions.add_tag(conversation, name=f"Tag {i % 4}", by=cast["agent"])
            actions.add_note(conversation, body="note", by=cast["agent"])

    make(3)
    agent_client.get(LIST)  # warm: the session and settings rows exist from here on
    with django_assert_max_num_queries(20) as small:
        assert agent_client.get(LIST).status_code == 200
    small_count = len(small.captured_queries)  # now: the query log keeps only 9,000
    assert small_count > 5
    make(27)
    with django_assert_max_num_queries(small_count) as large:
        response = agent_client.get(LIST)
        large_count = len(large.captured_queries)
    assert len(numbers_on(response)) == 30
    assert large_count == small_count


def test_a_row_fragment_tells_a_page_whether_the_conversation_still_belongs(
    cast, agent_client, make_conversation
):
    conversation = make_conversation()
    url = f"{LIST}{conversation.number}/row/"

    shown = agent_client.get(url + "?view=unassigned", HTTP_HX_REQUEST="true")
    assert shown.status_code == 200
    assert numbers_on(shown) == [conversation.number]

    actions.assign_conversation(conversation, assignee=cast["admin"], by=cast["agent"])
    gone = agent_client.get(url + "?view=unassigned", HTTP_HX_REQUEST="true")
    assert gone.status_code == 204
    assert agent_client.get(url + "?view=all").status_code == 200


def test_the_sidebar_fragment_has_fresh_counts(cast, agent_client, make_conversation):
    make_conversation()
    make_conversation(status="pending")
    mine = make_conversation(assignee=cast["agent"])
    body = agent_client.get(LIST + "sidebar/", HTTP_HX_REQUEST="true").content.decode()
    counts = dict(
        re.findall(r'<span class="filter-label">([^<]+)</span><span class="count"[^>]*>(\d+)', body)
    )
    assert counts == {
        "Mine": "1",
        "Unassigned": "1",
        "Everyone’s": "2",
        "Open": "2",
        "Pending": "1",
        "Snoozed": "0",
    }
    actions.resolve_conversation(mine, by=cast["agent"])
    body = agent_client.get(LIST + "sidebar/", HTTP_HX_REQUEST="true").content.decode()
    assert (
        '<span class="filter-label">Mine</span><span class="count" title="open conversations">0'
        in body
    )


def test_the_conversation_column_fragment_keeps_the_filters(cast, agent_client, make_conversation):
    mine = make_conversation(assignee=cast["agent"])
    make_conversation()
    response = agent_client.get(LIST + "?view=mine&fragment=column", HTTP_HX_REQUEST="true")
    assert numbers_on(response) == [mine.number]
    assert "<html" not in response.content.decode()


def test_a_moderator_reads_the_list_without_bulk_actions(cast, client_for, make_conversation):
    make_conversation()
    body = client_for(cast["moderator"]).get(LIST).content.decode()
    assert 'id="conv-' in body
    assert 'id="bulk-form"' not in body


def test_another_workspace_and_its_conversations_are_404(
    cast, client_for, make_channel, make_conversation, hillview
):
    theirs = make_conversation(channel_=make_channel(workspace=hillview))
    client = client_for(cast["agent"])
    assert client.get("/w/hillview/inbox/").status_code == 404
    assert client.get(f"{LIST}{theirs.number}/").status_code == 404
    assert client.get(f"{LIST}{theirs.number}/row/").status_code == 404


def test_a_waiting_row_shows_the_wait_the_header_shows(agent_client, make_conversation):
    now = timezone.now()
    waiting = make_conversation(last_message_at=now - timedelta(hours=3))
    # A later note or automatic answer moves the activity time, not the wait.
    Conversation.objects.filter(pk=waiting.pk).update(last_message_at=now)
    waiting.refresh_from_db()
    since = timezone.localtime(waiting.waiting_since).isoformat()

    body = agent_client.get(LIST).content.decode()
    row = body.split(f'id="conv-{waiting.number}"', 1)[1].split("</li>", 1)[0]
    assert f'datetime="{since}"' in row
    assert ">3h</time>" in row
    assert 'title="Waiting for a reply"' in row
    header = agent_client.get(f"{LIST}{waiting.number}/header/").content.decode()
    assert "Waiting <time" in header and ">3h</time>" in header


def test_a_conversation_whose_reply_failed_is_marked_and_still_waiting(
    cast, agent_client, channel, receive, django_capture_on_commit_callbacks
):
    from frontdesk.core.actions.contacts import add_identity

    answered = receive(channel, sender="ana@example.org", name="Ana", body="Hours?")
    answered = Conversation.objects.get(messages__inbound_event=answered)
    failed = Conversation.objects.get(
        messages__inbound_event=receive(channel, sender="ben@example.org", name="Ben Ortiz")
    )
    # A web-form patron who left only a phone number: the reply cannot go by email.
    failed.contact.identities.all().delete()
    add_identity(failed.contact, kind="phone", value="555 010 0142", by=None)
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(answered, body="Done", by=cast["agent"])
        actions.send_reply(failed, body="Your card is ready", by=cast["agent"])

    response = agent_client.get(LIST)
    body = response.content.decode()
    assert numbers_on(response) == [failed.number, answered.number]  # waiting, not sunk
    row = body.split(f'id="conv-{failed.number}"', 1)[1].split("</li>", 1)[0]
    assert "Reply not delivered" in row
    assert "is-waiting" in body.split(f'id="conv-{failed.number}"', 1)[0].rsplit("<li", 1)[1]
    other = body.split(f'id="conv-{answered.number}"', 1)[1].split("</li>", 1)[0]
    assert "Reply not delivered" not in other
