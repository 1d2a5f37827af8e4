"""The conversations API: list, read, reply, note, change; scoped to the token's workspace."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from frontdesk.connectors import base
from frontdesk.inbox import actions
from frontdesk.inbox.intake import store_inbound_event
from frontdesk.inbox.models import Channel, Conversation, Message, Notification

pytestmark = pytest.mark.django_db


def _send(client, method: str, path: str, body: dict):
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def form(riverside):
    return Channel.objects.create(workspace=riverside, kind="webform", name="Contact form")


@pytest.fixture
def receive(form, django_capture_on_commit_callbacks):
    """A customer writes through the form channel; intake stores and processes it."""

    def run(*, email: str, name: str = "", body: str = "Hello", channel=None, minutes_ago=0):
        event = base.InboundEvent(
            channel_kind="webform",
            provider_message_id=str(uuid.uuid4()),
            sender_kind="email",
            sender_address=email,
            sender_name=name,
            body=body,
            subject=body[:40],
            received_at=timezone.now() - timedelta(minutes=minutes_ago),
        )
        with django_capture_on_commit_callbacks(execute=True):
            row, _ = store_inbound_event(channel or form, event)
        return Conversation.objects.get(messages__inbound_event=row)

    return run


@pytest.fixture
def maya(cast):
    agent = cast["agent"]
    agent.signature = "Maya Patel\nYouth Services, Riverside Public Library"
    agent.save()
    return agent


@pytest.fixture
def maya_api(maya, api_as):
    return api_as(maya)


@pytest.fixture
def hillview_conversation(cast, receive):
    hillview = cast["outsider"].workspace
    channel = Channel.objects.create(
        workspace=hillview, kind="webform", name="Hillview secret form"
    )
    return receive(email="hana@example.org", body="Hillview private question", channel=channel)


@pytest.fixture
def three(receive, cast, maya):
    """Riverside: a (open, unassigned, tagged holds), b (open, Maya's), c (resolved)."""
    a = receive(email="ana@example.org", name="Ana", body="Is my hold ready?", minutes_ago=30)
    b = receive(email="ben@example.org", name="Ben", body="Printer jammed", minutes_ago=20)
    c = receive(email="cy@example.org", name="Cy", body="Thanks for story time", minutes_ago=10)
    actions.add_tag(a, name="Holds", by=maya)
    actions.assign_conversation(b, assignee=maya, by=cast["owner"])
    actions.resolve_conversation(c, by=maya)
    return {"a": a, "b": b, "c": c}


def numbers(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


def test_list_shows_this_workspaces_conversations_newest_first(
    maya_api, three, hillview_conversation
):
    response = maya_api.get("/api/v1/conversations")
    a, b, c = three["a"], three["b"], three["c"]
    assert numbers(response) == [c.number, b.number, a.number]
    assert "Hillview" not in response.content.decode()
    first = response.json()["items"][2]
    assert first["contact"]["display_name"] == "Ana"
    assert first["tags"] == ["Holds"]
    assert first["channel"]["kind"] == "webform"
    assert first["waiting_since"] is not None
    assert response.json()["next"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"view": "mine"}, ["b"]),
        ({"view": "unassigned"}, ["c", "a"]),
        ({"view": "unassigned", "status": "open"}, ["a"]),
        ({"status": "resolved"}, ["c"]),
        ({"tag": "HOLDS"}, ["a"]),
        ({"tag": "nothing"}, []),
    ],
)
def test_list_filters_like_the_inbox(maya_api, three, params, expected):
    by_number = {c.number: key for key, c in three.items()}
    got = numbers(maya_api.get("/api/v1/conversations", params))
    assert [by_number[n] for n in got] == expected


def test_list_can_put_waiting_customers_first(maya_api, three, maya, receive):
    d = receive(email="di@example.org", body="Newest, answered")
    actions.send_reply(d, body="Done", by=maya)
    params = {"status": "open", "order": "attention"}
    # a and b wait for a reply (the longest wait first among them: issue 20, item 4,
    # was "newer activity first"); d is the newest conversation but answered, so it
    # comes last.
    got = numbers(maya_api.get("/api/v1/conversations", params))
    assert got == [three["a"].number, three["b"].number, d.number]


def test_list_filters_by_channel(maya_api, three, riverside, receive):
    kiosk = Channel.objects.create(workspace=riverside, kind="webform", name="Kiosk")
    d = receive(email="di@example.org", body="From the kiosk", channel=kiosk)
    assert numbers(maya_api.get("/api/v1/conversations", {"channel": kiosk.pk})) == [d.number]


def test_pages_follow_the_cursor_without_gaps_or_repeats(maya_api, receive):
    made = [receive(email=f"r{n}@example.org", minutes_ago=n).number for n in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = maya_api.get("/api/v1/conversations", params).json()
        seen += [item["number"] for item in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == made


@pytest.mark.parametrize("params", [{"cursor": "not-a-cursor"}, {"limit": 101}, {"view": "x"}])
def test_bad_list_parameters_are_422(maya_api, params):
    response = maya_api.get("/api/v1/conversations", params)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_one_conversation_comes_with_its_messages_replies_and_notes(
    maya_api, three, maya, cast, django_capture_on_commit_callbacks
):
    a = three["a"]
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(a, body="Yes, it is on the shelf.", by=maya)
    actions.add_note(a, body="@Amir Haddad she asked twice", by=maya)
    response = maya_api.get(f"/api/v1/conversations/{a.number}")
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == a.number
    assert [(m["kind"], m["body"]) for m in body["messages"]] == [
        ("incoming", "Is my hold ready?"),
        ("reply", "Yes, it is on the shelf."),
        ("note", "@Amir Haddad she asked twice"),
    ]
    incoming, reply, note = body["messages"]
    assert incoming["author"] is None and incoming["status"] == "not_applicable"
    assert reply["author"] == {"id": maya.pk, "display_name": "Maya Patel"}
    assert reply["status"] == "sent"
    assert note["mentions"] == [{"id": cast["admin"].pk, "display_name": "Amir Haddad"}]


def test_another_workspaces_conversation_number_is_404_everywhere(
    maya_api, hillview_conversation, django_capture_on_commit_callbacks
):
    url = f"/api/v1/conversations/{hillview_conversation.number}"
    assert maya_api.get(url).status_code == 404
    assert maya_api.get(f"{url}/messages").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        replied = _send(maya_api, "post", f"{url}/replies", {"body": "Hi"})
    assert replied.status_code == 404
    assert replied.json() == {"detail": "Not found."}
    assert _send(maya_api, "post", f"{url}/notes", {"body": "Hi"}).status_code == 404
    assert _send(maya_api, "patch", url, {"status": "resolved"}).status_code == 404
    hillview_conversation.refresh_from_db()
    assert hillview_conversation.status == "open"
    assert hillview_conversation.messages.count() == 1


def test_a_reply_is_emailed_through_the_form_channel_signed_by_the_token_owner(
    maya_api, three, mailoutbox, django_capture_on_commit_callbacks
):
    a = three["a"]
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(
            maya_api, "post", f"/api/v1/conversations/{a.number}/replies", {"body": "Ready now!"}
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["body"], body["author"]["display_name"]) == (
        "reply",
        "Ready now!",
        "Maya Patel",
    )
    # Delivery runs after the request's transaction commits: queued when answered...
    assert body["status"] == "queued"
    [email] = mailoutbox
    assert email.to == ["Ana <ana@example.org>"]
    assert email.from_email.startswith("Maya Patel via Riverside Public Library <")
    assert email.body == "Ready now!\n\n-- \nMaya Patel\nYouth Services, Riverside Public Library\n"
    # ...and sent once the adapter took it, as the API then reports.
    [reply] = maya_api.get(f"/api/v1/conversations/{a.number}").json()["messages"][1:]
    assert reply["status"] == "sent"
    assert reply["sent_at"] is not None
    a.refresh_from_db()
    assert a.waiting_since is None and a.first_response_at is not None


def test_a_moderator_may_read_and_note_but_not_reply_or_change(three, cast, api_as, mailoutbox):
    mo = api_as(cast["moderator"])
    a = three["a"]
    url = f"/api/v1/conversations/{a.number}"
    assert mo.get(url).status_code == 200
    refused = _send(mo, "post", f"{url}/replies", {"body": "Hi"})
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Your role cannot reply."}
    assert _send(mo, "patch", url, {"priority": "high"}).status_code == 403
    assert _send(mo, "post", f"{url}/notes", {"body": "Looks like spam"}).status_code == 201
    assert not Message.objects.filter(kind="reply").exists()
    assert mailoutbox == []


def test_a_note_with_a_mention_notifies_the_colleague(maya_api, three, cast):
    a = three["a"]
    response = _send(
        maya_api,
        "post",
        f"/api/v1/conversations/{a.number}/notes",
        {"body": "@Amir Haddad can you check the holds shelf?"},
    )
    assert response.status_code == 201
    assert response.json()["mentions"] == [{"id": cast["admin"].pk, "display_name": "Amir Haddad"}]
    assert response.json()["status"] == "not_applicable"
    notification = Notification.objects.get(recipient=cast["admin"])
    assert (notification.kind, notification.conversation) == ("mentioned", a)


@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": " \n "}, {"body": "x" * 20_001}])
def test_a_reply_or_note_without_sensible_text_is_422(maya_api, three, body):
    url = f"/api/v1/conversations/{three['a'].number}"
    assert _send(maya_api, "post", f"{url}/replies", body).status_code == 422
    assert _send(maya_api, "post", f"{url}/notes", body).status_code == 422
    assert three["a"].messages.count() == 1


def test_patch_assigns_prioritises_and_tags_together(maya_api, three, cast):
    a = three["a"]
    url = f"/api/v1/conversations/{a.number}"
    response = _send(
        maya_api,
        "patch",
        url,
        {"assignee_id": cast["admin"].pk, "priority": "high", "tags": ["printing", "Holds"]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["assignee"] == {"id": cast["admin"].pk, "display_name": "Amir Haddad"}
    assert body["priority"] == "high"
    assert body["tags"] == ["Holds", "printing"]
    # The tag list is the whole set: a tag left out comes off.
    assert _send(maya_api, "patch", url, {"tags": ["Printing"]}).json()["tags"] == ["printing"]
    # Leaving the assignee out keeps it; null unassigns.
    assert _send(maya_api, "patch", url, {"priority": "low"}).json()["assignee"]["id"] == (
        cast["admin"].pk
    )
    assert _send(maya_api, "patch", url, {"assignee_id": None}).json()["assignee"] is None
    assert Notification.objects.filter(recipient=cast["admin"], kind="assigned").count() == 1


def test_patch_moves_through_the_statuses(maya_api, three):
    a = three["a"]
    url = f"/api/v1/conversations/{a.number}"
    until = (timezone.now() + timedelta(days=1)).isoformat()
    snoozed = _send(maya_api, "patch", url, {"snoozed_until": until}).json()
    assert snoozed["status"] == "snoozed" and snoozed["snoozed_until"] is not None
    assert _send(maya_api, "patch", url, {"status": "pending"}).json()["status"] == "pending"
    resolved = _send(maya_api, "patch", url, {"status": "resolved"}).json()
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None and resolved["waiting_since"] is None
    assert _send(maya_api, "patch", url, {"status": "open"}).json()["status"] == "open"


def test_a_refused_transition_is_409_and_changes_nothing(maya_api, three, cast):
    c = three["c"]  # resolved
    response = _send(
        maya_api,
        "patch",
        f"/api/v1/conversations/{c.number}",
        {"priority": "urgent", "status": "pending"},
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "A resolved conversation can’t become pending."}
    c.refresh_from_db()
    assert (c.status, c.priority) == ("resolved", "normal")


@pytest.mark.parametrize(
    ("patch", "detail"),
    [
        ({"status": "snoozed"}, "Say until when: give snoozed_until."),
        ({"snoozed_until": "2001-01-01T00:00:00Z"}, "Snooze until a time in the future."),
        ({"snoozed_until": "2999-01-01T00:00:00"}, "Give snoozed_until with a time zone"),
        ({"status": "resolved", "snoozed_until": "2999-01-01T00:00:00Z"}, "goes with status"),
        ({"assignee_id": 987654}, "no active staff member 987654"),
        ({"status": None}, "status cannot be null."),
        ({"tags": ["holds", "  "]}, "A tag needs a name."),
    ],
)
def test_patch_input_that_makes_no_sense_is_422(maya_api, three, patch, detail):
    a = three["a"]
    response = _send(maya_api, "patch", f"/api/v1/conversations/{a.number}", patch)
    assert response.status_code == 422
    assert detail in response.json()["detail"]
    a.refresh_from_db()
    assert (a.status, a.assignee) == ("open", None)


@pytest.mark.parametrize("who", ["outsider", "moderator"])
def test_only_colleagues_who_answer_customers_can_be_assigned(maya_api, three, cast, who):
    response = _send(
        maya_api,
        "patch",
        f"/api/v1/conversations/{three['a'].number}",
        {"assignee_id": cast[who].pk},
    )
    assert response.status_code == 422
    three["a"].refresh_from_db()
    assert three["a"].assignee is None


def test_messages_come_a_page_at_a_time_oldest_first(maya_api, receive, maya):
    conversation = receive(email="ana@example.org", body="one")
    for n in range(4):
        actions.add_note(conversation, body=f"note {n}", by=maya)
    url = f"/api/v1/conversations/{conversation.number}/messages"
    seen, cursor = [], None
    while True:
        body = maya_api.get(url, {"limit": 2} | ({"cursor": cursor} if cursor else {})).json()
        seen += [m["body"] for m in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == ["one", "note 0", "note 1", "note 2", "note 3"]
    assert maya_api.get(url, {"cursor": "zz"}).status_code == 422


def test_listing_costs_the_same_few_queries_for_any_page_size(
    maya_api, receive, django_assert_max_num_queries
):
    for n in range(12):
        receive(email=f"q{n}@example.org", minutes_ago=n)
    # Token lookup, rows, and their prefetched tags and identities.
    with django_assert_max_num_queries(8):
        assert len(numbers(maya_api.get("/api/v1/conversations", {"limit": 12}))) == 12


def test_the_openapi_document_lists_the_conversation_routes(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"get"} <= set(paths["/api/v1/conversations"])
    assert {"get", "patch"} <= set(paths["/api/v1/conversations/{number}"])
    assert "post" in paths["/api/v1/conversations/{number}/replies"]
    assert "post" in paths["/api/v1/conversations/{number}/notes"]
    assert "get" in paths["/api/v1/conversations/{number}/messages"]


def test_a_conversation_whose_reply_failed_says_so(
    maya_api, maya, receive, django_capture_on_commit_callbacks
):
    # Issue 20, item 2: the customer only looks answered.
    from frontdesk.core.actions.contacts import add_identity

    a = receive(email="ana@example.org", name="Ana", body="Is my hold ready?")
    a.contact.identities.all().delete()
    add_identity(a.contact, kind="phone", value="555 010 0142", by=None)
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_reply(a, body="Yes", by=maya)
    [item] = maya_api.get("/api/v1/conversations").json()["items"]
    assert item["reply_failed_at"] is not None
    assert item["waiting_since"] is not None
