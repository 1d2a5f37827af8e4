from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from frontdesk.inbox import actions, queries
from frontdesk.inbox.queries import BadCursor, inbox_page, sidebar_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(cast, make_channel, make_conversation, hillview):
    """Riverside conversations, one minute apart (newest last), and one of Hillview."""
    form, kiosk = make_channel(name="Contact form"), make_channel(name="Kiosk")
    start = timezone.now() - timedelta(hours=1)
    made = {}
    specs = [
        ("a", "open", form, None),
        ("b", "open", form, cast["agent"]),
        ("c", "pending", form, None),
        ("d", "snoozed", kiosk, cast["agent"]),
        ("e", "resolved", form, None),
        ("f", "open", kiosk, cast["admin"]),
        ("g", "open", kiosk, None),
    ]
    for index, (key, status, channel, assignee) in enumerate(specs):
        made[key] = make_conversation(
            status=status,
            channel_=channel,
            assignee=assignee,
            last_message_at=start + timedelta(minutes=index),
        )
    made["hill"] = make_conversation(channel_=make_channel(workspace=hillview))
    actions.add_tag(made["a"], name="Late fees", by=cast["agent"])
    actions.add_tag(made["g"], name="Late fees", by=cast["agent"])
    made["form"], made["kiosk"] = form, kiosk
    return made


def keys(page, inbox):
    names = {c.pk: key for key, c in inbox.items() if hasattr(c, "number")}
    return [names[row.pk] for row in page.rows]


def test_the_default_page_is_open_conversations_newest_first(cast, riverside, inbox):
    page = inbox_page(riverside, member=cast["agent"])
    assert keys(page, inbox) == ["g", "f", "b", "a"]
    assert page.next_cursor is None


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"filter": "mine"}, ["b"]),
        ({"filter": "mine", "status": None}, ["d", "b"]),
        ({"filter": "unassigned"}, ["g", "a"]),
        ({"status": "pending"}, ["c"]),
        ({"status": None}, ["g", "f", "e", "d", "c", "b", "a"]),
        ({"tag": "late FEES"}, ["g", "a"]),
        ({"status": "resolved"}, ["e"]),
    ],
)
def test_inbox_filters(cast, riverside, inbox, options, expected):
    assert keys(inbox_page(riverside, member=cast["agent"], **options), inbox) == expected


def test_channel_and_tag_id_filters(cast, riverside, inbox):
    page = inbox_page(riverside, member=cast["agent"], channel=inbox["kiosk"].pk)
    assert keys(page, inbox) == ["g", "f"]
    tag = inbox["a"].tags.get()
    assert keys(inbox_page(riverside, member=cast["agent"], tag=tag.pk), inbox) == ["g", "a"]


def test_keyset_pages_follow_each_other_without_gaps_or_repeats(cast, riverside, inbox):
    seen, cursor = [], None
    for _ in range(10):
        page = inbox_page(riverside, member=cast["agent"], status=None, limit=3, before=cursor)
        seen += keys(page, inbox)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["g", "f", "e", "d", "c", "b", "a"]


def test_rows_sharing_a_timestamp_are_paged_by_id(cast, riverside, make_conversation):
    moment = timezone.now() - timedelta(minutes=3)
    made = [make_conversation(last_message_at=moment) for _ in range(5)]
    first = inbox_page(riverside, member=cast["agent"], limit=2)
    second = inbox_page(riverside, member=cast["agent"], limit=2, before=first.next_cursor)
    third = inbox_page(riverside, member=cast["agent"], limit=2, before=second.next_cursor)
    ids = [row.pk for page in (first, second, third) for row in page.rows]
    assert ids == sorted((c.pk for c in made), reverse=True)


def test_a_forged_cursor_is_refused(cast, riverside, inbox):
    with pytest.raises(BadCursor):
        inbox_page(riverside, member=cast["agent"], before="bm90IGEgY3Vyc29y")


def test_a_member_of_another_workspace_gets_404(cast, riverside, inbox):
    with pytest.raises(Http404):
        inbox_page(riverside, member=cast["outsider"])


def test_an_inbox_page_costs_the_same_queries_however_many_rows(
    cast, riverside, make_conversation, django_assert_max_num_queries
):
    for _ in range(30):
        conversation = make_conversation()
        actions.add_tag(conversation, name="Holds", by=cast["agent"])
    with django_assert_max_num_queries(3):
        page = inbox_page(riverside, member=cast["agent"], limit=25)
        for row in page.rows:
            _ = (row.contact.display_name, row.channel.name, [t.name for t in row.tags.all()])
            _ = row.assignee.display_name if row.assignee else None


def test_sidebar_counts(cast, riverside, inbox, django_assert_max_num_queries):
    actions.assign_conversation(inbox["g"], assignee=cast["agent"], by=cast["admin"])
    with django_assert_max_num_queries(2):
        counts = sidebar_counts(riverside, cast["agent"])
    assert counts == {
        "open": 4,
        "pending": 1,
        "snoozed": 1,
        "mine": 2,
        "unassigned": 1,
        "unread": 1,
    }


def test_access_conversation_is_scoped_to_the_workspace(riverside, hillview, inbox):
    assert queries.access_conversation(riverside, inbox["a"].number) == inbox["a"]
    assert queries.access_conversation(hillview, inbox["hill"].number) == inbox["hill"]
    with pytest.raises(Http404):
        queries.access_conversation(riverside, 999)
    # Hillview's conversation 1 is not Riverside's conversation 1.
    assert queries.access_conversation(riverside, inbox["hill"].number) != inbox["hill"]


def test_the_timeline_lists_messages_replies_and_notes_in_order(
    cast, channel, receive, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    row = receive(channel, body="Question")
    conversation = row.message.conversation
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_note(conversation, body="@Maya yours?", by=cast["admin"])
        actions.send_reply(conversation, body="Answer", by=cast["agent"])
    with django_assert_max_num_queries(4):
        timeline = queries.conversation_timeline(conversation)
        summary = [
            (m.kind, m.body, m.author.display_name if m.author else None, list(m.mentions.all()))
            for m in timeline
        ]
    assert summary == [
        ("incoming", "Question", None, []),
        ("note", "@Maya yours?", "Amir Haddad", [cast["agent"]]),
        ("reply", "Answer", "Maya Patel", []),
    ]


def _attention_fixture(cast, make_conversation):
    """Waiting 3 h (overdue), 2 h (overdue), 5 min urgent and unhappy (within target),
    20 min; then three answered ones, one of them unhappy."""
    from frontdesk.inbox.models import Conversation

    now = timezone.now()
    made = {
        "waited_3h": make_conversation(last_message_at=now - timedelta(hours=3)),
        "quiet": make_conversation(waiting=False, last_message_at=now - timedelta(minutes=1)),
        "urgent_5m": make_conversation(last_message_at=now - timedelta(minutes=5)),
        "waited_2h": make_conversation(last_message_at=now - timedelta(hours=2)),
        "unhappy": make_conversation(waiting=False, last_message_at=now - timedelta(hours=4)),
        "waited_20m": make_conversation(last_message_at=now - timedelta(minutes=20)),
        "older": make_conversation(waiting=False, last_message_at=now - timedelta(hours=6)),
    }
    Conversation.objects.filter(pk=made["urgent_5m"].pk).update(
        priority="urgent", sentiment_label="negative"
    )
    Conversation.objects.filter(pk=made["unhappy"].pk).update(sentiment_label="negative")
    # A newer message in a waiting thread does not shorten the customer's wait.
    Conversation.objects.filter(pk=made["waited_3h"].pk).update(last_message_at=now)
    return made


ATTENTION_ORDER = ["waited_3h", "waited_2h", "waited_20m", "urgent_5m", "unhappy", "quiet", "older"]


def test_attention_puts_the_longest_wait_first_and_the_overdue_before_the_rest(
    cast, riverside, make_conversation
):
    made = _attention_fixture(cast, make_conversation)
    by_pk = {c.pk: key for key, c in made.items()}
    page = inbox_page(riverside, member=cast["agent"], order="attention")
    assert [by_pk[c.pk] for c in page.rows] == ATTENTION_ORDER
    # With a one-hour first-response target the two overdue customers lead.
    from frontdesk.inbox import service_levels
    from frontdesk.inbox.models import InboxSettings

    actions.inbox_settings_for(riverside)
    InboxSettings.objects.filter(workspace=riverside).update(
        first_response_target_minutes=60, business_hours={}
    )
    states = [service_levels.breach_state(c, timezone.now()) for c in page.rows[:4]]
    assert states[:2] == ["breached", "breached"]
    assert "breached" not in states[2:]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
def test_attention_pages_follow_the_cursor_without_gaps_or_repeats(
    cast, riverside, make_conversation, size
):
    made = _attention_fixture(cast, make_conversation)
    by_pk = {c.pk: key for key, c in made.items()}
    seen, cursor = [], None
    while True:
        page = inbox_page(
            riverside, member=cast["agent"], order="attention", before=cursor, limit=size
        )
        seen += [by_pk[c.pk] for c in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ATTENTION_ORDER


def test_an_attention_page_costs_the_same_queries_across_both_parts(
    cast, riverside, make_conversation, django_assert_max_num_queries
):
    _attention_fixture(cast, make_conversation)
    # Waiting rows, the others, their tags: named customers, so no identities.
    with django_assert_max_num_queries(3):
        page = inbox_page(riverside, member=cast["agent"], order="attention", limit=5)
        _ = [[t.name for t in c.tags.all()] for c in page.rows]
    with django_assert_max_num_queries(3):
        inbox_page(riverside, member=cast["agent"], order="attention", before=page.next_cursor)


@pytest.mark.parametrize("view", ["all", "mine"])
def test_the_attention_order_reads_an_index_in_order(cast, riverside, make_conversation, view):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's query plan")
    from frontdesk.inbox.models import Conversation

    _attention_fixture(cast, make_conversation)
    rows = queries._filtered(
        riverside,
        member=cast["agent"],
        filter=view,
        status="open",
        channel=None,
        tag=None,
        sentiment=None,
    )
    for part, order in [
        (rows.filter(waiting_since__isnull=False), ("waiting_since", "id")),
        (rows.filter(waiting_since__isnull=True), ("-attention", "-last_message_at", "-id")),
    ]:
        plan = part.order_by(*order)[:41].explain()
        assert "TEMP B-TREE" not in plan, plan
        assert "_waiting" in plan or "_attention" in plan, plan
    assert Conversation.objects.count() == 7
