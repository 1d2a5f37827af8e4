"""Acting from the inbox pages: each form goes through its action, with or without htmx."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from frontdesk.core.models import Workspace
from frontdesk.inbox.forms import snooze_presets
from frontdesk.inbox.models import Conversation, Message, Notification, Team

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(conversation, suffix: str = "") -> str:
    return f"/w/riverside/inbox/{conversation.number}/{suffix}"


@pytest.fixture
def conversation(channel, receive):
    return receive(
        channel, name="Ana Lopez", sender="ana@example.org", body="Is my hold ready?"
    ).message.conversation


@pytest.fixture
def agent(cast, client_for):
    return client_for(cast["agent"])


def test_a_reply_from_the_composer_is_queued_delivered_and_returned_as_new_messages(
    agent, conversation, django_capture_on_commit_callbacks
):
    first = conversation.messages.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(
            url(conversation, "reply/"),
            {"body": "Yes — it is waiting for you.", "mode": "reply", "after": first.pk},
            **HTMX,
        )

    assert response.status_code == 200
    reply = Message.objects.get(conversation=conversation, kind="reply")
    assert re.findall(r'id="msg-(\d+)"', response.content.decode()) == [str(reply.pk)]
    assert json.loads(response["HX-Trigger"]) == {"inbox:toast": {"text": "Reply queued"}}
    reply.refresh_from_db()
    assert reply.status == "sent"
    [email] = mail.outbox
    assert email.body.startswith("Yes — it is waiting for you.")
    assert "Maya Patel" in email.from_email


def test_a_reply_can_carry_a_file(agent, conversation, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("hours.txt", b"Open 9-8", content_type="text/plain")
    with django_capture_on_commit_callbacks(execute=True):
        agent.post(url(conversation, "reply/"), {"body": "", "files": upload}, **HTMX)
    reply = Message.objects.get(conversation=conversation, kind="reply")
    assert [a.filename for a in reply.attachments.all()] == ["hours.txt"]
    assert mail.outbox[0].attachments[0][0] == "hours.txt"


def test_without_htmx_a_reply_redirects_back_to_the_conversation(agent, conversation):
    response = agent.post(url(conversation, "reply/") + "?view=mine", {"body": "Hi"})
    assert response.status_code == 302
    assert response["Location"] == url(conversation)


def test_an_empty_reply_is_refused_with_a_message_for_the_composer(agent, conversation):
    response = agent.post(url(conversation, "reply/"), {"body": "   ", "mode": "reply"}, **HTMX)
    assert response.status_code == 422
    assert "Write a reply or attach a file." in response.content.decode()
    assert not Message.objects.filter(kind="reply").exists()


def test_a_note_never_goes_out_as_a_reply_when_the_modes_disagree(agent, conversation):
    response = agent.post(
        url(conversation, "reply/"), {"body": "internal!", "mode": "note"}, **HTMX
    )
    assert response.status_code == 400
    assert not Message.objects.filter(body="internal!").exists()
    assert mail.outbox == []


def test_a_note_mentions_a_colleague_who_is_notified(
    cast, agent, conversation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(
            url(conversation, "note/"),
            {"body": "@Amir Haddad can you check?", "mode": "note"},
            **HTMX,
        )
    assert response.status_code == 200
    note = Message.objects.get(kind="note")
    assert list(note.mentions.all()) == [cast["admin"]]
    assert Notification.objects.filter(recipient=cast["admin"], kind="mentioned").count() == 1
    assert '<span class="mention">@Amir Haddad</span>' in response.content.decode()


def test_a_moderator_may_note_but_not_reply(cast, client_for, conversation):
    client = client_for(cast["moderator"])
    assert client.post(url(conversation, "reply/"), {"body": "Hi"}, **HTMX).status_code == 403
    assert client.post(url(conversation, "note/"), {"body": "FYI"}, **HTMX).status_code == 200
    assert client.post(url(conversation, "resolve/"), **HTMX).status_code == 403


def test_assign_to_me_to_a_colleague_to_a_team_and_back(cast, agent, conversation):
    team = Team.objects.create(workspace=conversation.workspace, name="Youth services")

    mine = agent.post(url(conversation, "assign/"), {"assignee": "me"}, **HTMX)
    assert mine.status_code == 200
    assert 'id="conversation-header"' in mine.content.decode()
    assert json.loads(mine["HX-Trigger"])["inbox:toast"]["text"] == "Assigned to you"
    conversation.refresh_from_db()
    assert conversation.assignee == cast["agent"]

    agent.post(url(conversation, "assign/"), {"assignee": str(cast["admin"].pk)}, **HTMX)
    agent.post(url(conversation, "assign/"), {"team": str(team.pk)}, **HTMX)
    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.team) == (cast["admin"], team)
    assert Notification.objects.filter(recipient=cast["admin"], kind="assigned").count() == 1

    agent.post(url(conversation, "assign/"), {"assignee": "none"}, **HTMX)
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_assigning_to_someone_of_another_workspace_is_404(cast, agent, conversation):
    response = agent.post(url(conversation, "assign/"), {"assignee": str(cast["outsider"].pk)})
    assert response.status_code == 404
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_assigning_to_a_moderator_explains_why_not(cast, agent, conversation):
    response = agent.post(
        url(conversation, "assign/"), {"assignee": str(cast["moderator"].pk)}, **HTMX
    )
    assert response.status_code == 422
    assert "can’t answer customers" in json.loads(response["HX-Trigger"])["inbox:toast"]["text"]


def test_snooze_presets_fall_in_the_workspace_morning():
    zone = ZoneInfo("America/Chicago")
    # A Friday evening in Chicago: tomorrow is Saturday 9:00, next week Monday 9:00.
    now = datetime(2025, 3, 7, 19, 30, tzinfo=zone)
    presets = snooze_presets(now, zone)
    assert presets["1h"] == now + timedelta(hours=1)
    assert presets["tomorrow"] == datetime(2025, 3, 8, 9, 0, tzinfo=zone)
    assert presets["next_week"] == datetime(2025, 3, 10, 9, 0, tzinfo=zone)


def test_snooze_with_a_preset_or_a_custom_time_in_the_workspace_zone(agent, conversation):
    Workspace.objects.filter(pk=conversation.workspace_id).update(time_zone="America/Chicago")

    response = agent.post(url(conversation, "snooze/"), {"preset": "tomorrow"}, **HTMX)
    assert response.status_code == 200
    conversation.refresh_from_db()
    local = conversation.snoozed_until.astimezone(ZoneInfo("America/Chicago"))
    assert (conversation.status, local.hour, local.minute) == ("snoozed", 9, 0)

    when = (timezone.now() + timedelta(days=3)).astimezone(ZoneInfo("America/Chicago"))
    agent.post(url(conversation, "snooze/"), {"until": when.strftime("%Y-%m-%dT%H:%M")}, **HTMX)
    conversation.refresh_from_db()
    assert conversation.snoozed_until == when.replace(second=0, microsecond=0)


def test_snoozing_into_the_past_is_refused(agent, conversation):
    response = agent.post(url(conversation, "snooze/"), {"until": "2001-01-01T09:00"}, **HTMX)
    assert response.status_code == 422
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_resolve_and_reopen(agent, conversation):
    resolved = agent.post(url(conversation, "resolve/"), **HTMX)
    assert "Reopen" in resolved.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == "resolved"
    agent.post(url(conversation, "reopen/"), **HTMX)
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_without_htmx_resolve_redirects_back_keeping_the_list_filters(agent, conversation):
    response = agent.post(url(conversation, "resolve/") + "?view=mine&status=pending")
    assert response.status_code == 302
    assert response["Location"] == url(conversation) + "?view=mine&status=pending"


def test_priority_and_tags(agent, conversation):
    agent.post(url(conversation, "priority/"), {"priority": "urgent"}, **HTMX)
    added = agent.post(url(conversation, "tag/"), {"name": "Late fees"}, **HTMX)
    assert "Late fees" in added.content.decode()
    conversation.refresh_from_db()
    assert conversation.priority == "urgent"
    assert [t.name for t in conversation.tags.all()] == ["Late fees"]

    agent.post(url(conversation, "untag/"), {"name": "late fees"}, **HTMX)
    assert not conversation.tags.exists()
    assert (
        agent.post(url(conversation, "priority/"), {"priority": "sky-high"}, **HTMX).status_code
        == 422
    )


def test_bulk_assign_resolve_and_tag(cast, agent, make_conversation, make_channel, hillview):
    # Nobody waiting: resolving waiting customers asks first (the test after this one).
    ours = [make_conversation(waiting=False) for _ in range(3)]
    theirs = make_conversation(channel_=make_channel(workspace=hillview))
    numbers = [str(c.number) for c in ours] + [str(theirs.number + 1000)]

    assigned = agent.post(
        "/w/riverside/inbox/bulk/",
        {"action": "assign", "assignee": "me", "numbers": numbers},
        **HTMX,
    )
    assert assigned.status_code == 204
    trigger = json.loads(assigned["HX-Trigger"])
    assert trigger["inbox:toast"]["text"] == "Assigned 3 conversations."
    assert sorted(trigger["inbox:bulk-done"]["numbers"]) == sorted(c.number for c in ours)
    assert Conversation.objects.filter(assignee=cast["agent"]).count() == 3

    agent.post(
        "/w/riverside/inbox/bulk/",
        {"action": "tag", "tag": "Holds", "numbers": numbers[:2]},
        **HTMX,
    )
    resolved = agent.post("/w/riverside/inbox/bulk/", {"action": "resolve", "numbers": numbers[1:]})

    assert resolved.status_code == 302
    assert Conversation.objects.filter(tags__name="Holds").count() == 2
    assert Conversation.objects.filter(status="resolved").count() == 2
    theirs.refresh_from_db()
    assert (theirs.status, theirs.assignee) == ("open", None)


def test_bulk_resolve_asks_first_when_a_selected_customer_waits(agent, make_conversation):
    waiting = make_conversation(waiting=True)
    answered = make_conversation(waiting=False)
    numbers = [str(waiting.number), str(answered.number)]

    asked = agent.post(
        "/w/riverside/inbox/bulk/", {"action": "resolve", "numbers": numbers}, **HTMX
    )
    assert asked.status_code == 204
    trigger = json.loads(asked["HX-Trigger"])
    name = waiting.contact.display_name
    assert trigger["inbox:bulk-confirm"] == {
        "text": f"{name} is still waiting for a reply. Resolve them anyway?",
        "numbers": sorted([waiting.number, answered.number]),
    }
    assert "inbox:bulk-done" not in trigger
    assert not Conversation.objects.filter(status="resolved").exists()  # nothing yet

    # Without htmx the question is a page with the same selection and a confirm button.
    page = agent.post("/w/riverside/inbox/bulk/", {"action": "resolve", "numbers": numbers})
    assert page.status_code == 200
    body = page.content.decode()
    assert f"{name} is still waiting for a reply." in body
    assert 'value="resolve_anyway"' in body
    assert f'name="numbers" value="{waiting.number}"' in body
    assert not Conversation.objects.filter(status="resolved").exists()

    confirmed = agent.post(
        "/w/riverside/inbox/bulk/", {"action": "resolve_anyway", "numbers": numbers}, **HTMX
    )
    assert json.loads(confirmed["HX-Trigger"])["inbox:toast"]["text"] == "Resolved 2 conversations."
    assert Conversation.objects.filter(status="resolved").count() == 2


def test_bulk_without_a_selection_explains(agent):
    response = agent.post("/w/riverside/inbox/bulk/", {"action": "resolve"}, **HTMX)
    assert response.status_code == 422
    assert "Select one or more conversations." in response.content.decode()


def test_the_bell_lists_unread_notifications_and_marks_them_read(
    cast, agent, conversation, django_capture_on_commit_callbacks
):
    from frontdesk.inbox import actions

    actions.assign_conversation(conversation, assignee=cast["agent"], by=cast["admin"])
    listing = agent.get("/w/riverside/inbox/notifications/", **HTMX).content.decode()
    assert "Amir Haddad</strong> assigned you <strong>Ana Lopez" in listing
    assert url(conversation) in listing
    assert (
        'class="bell-count" data-bell-count>1<' in agent.get("/w/riverside/inbox/").content.decode()
    )

    cleared = agent.post("/w/riverside/inbox/notifications/read/", **HTMX).content.decode()
    assert "You’re all caught up." in cleared
    assert not Notification.objects.filter(read_at=None).exists()


def test_search_shows_matching_conversations_with_the_words_highlighted(agent, channel, receive):
    receive(channel, name="Ana Lopez", body="The photocopier on floor two is broken")
    receive(channel, name="Ben Carter", sender="ben@example.org", body="Opening hours please")

    page = agent.get("/w/riverside/inbox/search/?q=photocopier").content.decode()
    fragment = agent.get(
        "/w/riverside/inbox/search/?q=photocopier&fragment=results", **HTMX
    ).content.decode()

    for body in (page, fragment):
        assert "<mark>photocopier</mark>" in body
        assert "Ana Lopez" in body and "Ben Carter" not in body
    assert "<html" not in fragment
    assert "Nothing matches" in agent.get("/w/riverside/inbox/search/?q=zeppelin").content.decode()


def test_resolving_a_customer_who_still_waits_asks_first(
    agent, conversation, django_capture_on_commit_callbacks
):
    page = agent.get(url(conversation)).content.decode()
    # Issue 20, item 6: the Resolve button opens a question instead of resolving.
    assert "Ana Lopez is still waiting for a reply. Resolve anyway?" in page
    menu = page.split('id="resolve-menu"', 1)[1].split("</details>", 1)[0]
    assert 'name="confirm" value="waiting"' in menu
    assert page.count("/resolve/") == 2  # action and hx-post of the one form, in the menu

    with django_capture_on_commit_callbacks(execute=True):
        agent.post(url(conversation, "reply/"), {"body": "On the shelf.", "mode": "reply"})
    answered = agent.get(url(conversation)).content.decode()
    assert "still waiting for a reply" not in answered
    assert 'id="resolve-menu"' not in answered
    assert "data-shortcut-resolve" in answered


def test_reopening_gives_the_customer_their_wait_back(
    agent, conversation, channel, receive, django_capture_on_commit_callbacks
):
    asked_at = conversation.messages.get().created_at
    agent.post(url(conversation, "resolve/"), {"confirm": "waiting"}, **HTMX)
    conversation.refresh_from_db()
    assert (conversation.status, conversation.waiting_since) == ("resolved", None)

    reopened = agent.post(url(conversation, "reopen/"), **HTMX)
    conversation.refresh_from_db()
    assert (conversation.status, conversation.waiting_since) == ("open", asked_at)
    assert "Waiting" in reopened.content.decode()

    # Answered before resolving: reopening does not make them wait again.
    with django_capture_on_commit_callbacks(execute=True):
        agent.post(url(conversation, "reply/"), {"body": "On the shelf.", "mode": "reply"})
    agent.post(url(conversation, "resolve/"), **HTMX)
    agent.post(url(conversation, "reopen/"), **HTMX)
    conversation.refresh_from_db()
    assert (conversation.status, conversation.waiting_since) == ("open", None)


def test_staff_set_pending_from_the_page(agent, conversation):
    assert "data-set-pending" in agent.get(url(conversation)).content.decode()
    response = agent.post(url(conversation, "pending/"), **HTMX)
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"inbox:toast": {"text": "Pending"}}
    conversation.refresh_from_db()
    assert conversation.status == "pending"
    assert "data-set-pending" not in response.content.decode()
    # Without htmx: back to the page.
    conversation.status = "open"
    conversation.save(update_fields=["status"])
    assert agent.post(url(conversation, "pending/")).status_code == 302
