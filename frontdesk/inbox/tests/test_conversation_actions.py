from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from frontdesk.inbox import actions
from frontdesk.inbox.actions import InboxError, NotAllowed
from frontdesk.inbox.models import Conversation, Notification, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    """Run an action as a request would: on-commit work (emails, live) happens."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def test_assigning_notifies_the_assignee_in_the_app_and_by_email(
    cast, make_conversation, run_commits
):
    conversation = make_conversation()
    maya, amir = cast["agent"], cast["admin"]
    run_commits(actions.assign_conversation, conversation, assignee=maya, by=amir)

    conversation.refresh_from_db()
    assert conversation.assignee == maya
    notification = Notification.objects.get(recipient=maya)
    assert (notification.kind, notification.actor, notification.conversation) == (
        "assigned",
        amir,
        conversation,
    )
    assert notification.emailed_at is not None
    [email] = mail.outbox
    assert email.to == ["maya@riverside.example"]
    assert "Amir Haddad assigned you conversation 1" in email.subject
    assert "Hi Maya," in email.body
    assert "http://127.0.0.1:8000/w/riverside/" in email.body


def test_no_assignment_email_for_someone_who_turned_it_off(cast, make_conversation, run_commits):
    maya = cast["agent"]
    maya.notify_by_email = False
    maya.save()
    run_commits(actions.assign_conversation, make_conversation(), assignee=maya, by=cast["admin"])
    assert Notification.objects.filter(recipient=maya).count() == 1
    assert mail.outbox == []


def test_assigning_yourself_notifies_nobody(cast, make_conversation, run_commits):
    maya = cast["agent"]
    run_commits(actions.assign_conversation, make_conversation(), assignee=maya, by=maya)
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_reassigning_to_the_same_person_changes_nothing(cast, make_conversation, run_commits):
    conversation = make_conversation()
    for _ in range(2):
        run_commits(
            actions.assign_conversation, conversation, assignee=cast["agent"], by=cast["admin"]
        )
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_conversation_cannot_be_assigned_across_workspaces(cast, make_conversation):
    with pytest.raises(InboxError, match="another workspace"):
        actions.assign_conversation(
            make_conversation(), assignee=cast["outsider"], by=cast["admin"]
        )


def test_an_outsider_cannot_change_a_conversation(cast, make_conversation):
    with pytest.raises(NotAllowed):
        actions.resolve_conversation(make_conversation(), by=cast["outsider"])


def test_a_moderator_reads_but_does_not_reply_or_assign(cast, make_conversation):
    conversation = make_conversation()
    with pytest.raises(NotAllowed):
        actions.send_reply(conversation, body="Hello", by=cast["moderator"])
    with pytest.raises(NotAllowed):
        actions.assign_conversation(conversation, assignee=None, by=cast["moderator"])
    with pytest.raises(InboxError, match="can’t answer customers"):
        actions.assign_conversation(conversation, assignee=cast["moderator"], by=cast["admin"])


def test_a_note_mentions_colleagues_by_first_or_full_name(cast, make_conversation, run_commits):
    conversation = make_conversation()
    note = run_commits(
        actions.add_note,
        conversation,
        body="@Maya can you check the hold? cc @Olivia Owens",
        by=cast["admin"],
    )
    assert note.kind == "note" and note.status == "not_applicable"
    assert set(note.mentions.all()) == {cast["agent"], cast["owner"]}
    notified = Notification.objects.filter(kind="mentioned", message=note)
    assert {n.recipient for n in notified} == {cast["agent"], cast["owner"]}
    assert sorted(email.to[0] for email in mail.outbox) == [
        "maya@riverside.example",
        "olivia@riverside.example",
    ]
    assert "> @Maya can you check the hold?" in mail.outbox[0].body


def test_mentions_ignore_email_addresses_ambiguous_names_and_the_author(
    cast, riverside, make_user, make_conversation, run_commits
):
    from frontdesk.core.actions.workspaces import add_member

    add_member(
        riverside, user=make_user("maya.k@riverside.example"), role="agent", display_name="Maya Kim"
    )
    note = run_commits(
        actions.add_note,
        make_conversation(),
        body="Write to maya@example.org. @Maya? @Amir Haddad, @Maya Kim please look",
        by=cast["admin"],
    )
    assert [m.display_name for m in note.mentions.all()] == ["Maya Kim"]


def test_mentions_of_outsiders_do_nothing(cast, make_conversation, run_commits):
    note = run_commits(
        actions.add_note, make_conversation(), body="@Oscar Hill hello", by=cast["agent"]
    )
    assert list(note.mentions.all()) == []
    assert Notification.objects.count() == 0


def test_snoozed_conversations_wake_when_due(cast, make_conversation, run_commits):
    conversation = make_conversation()
    until = timezone.now() + timedelta(hours=2)
    run_commits(actions.snooze_conversation, conversation, until=until, by=cast["agent"])
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until) == ("snoozed", until)

    assert actions.wake_snoozed(now=until - timedelta(minutes=1)) == 0
    assert actions.wake_snoozed(now=until) == 1
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until) == ("open", None)


def test_snoozing_into_the_past_is_refused(cast, make_conversation):
    with pytest.raises(InboxError, match="future"):
        actions.snooze_conversation(
            make_conversation(), until=timezone.now() - timedelta(minutes=1), by=cast["agent"]
        )


def test_resolve_and_reopen(cast, make_conversation):
    conversation = make_conversation()
    actions.resolve_conversation(conversation, by=cast["agent"])
    conversation.refresh_from_db()
    assert conversation.status == "resolved"
    assert conversation.resolved_at is not None
    assert conversation.waiting_since is None
    with pytest.raises(InboxError, match="resolved conversation can’t become snoozed"):
        actions.snooze_conversation(
            conversation, until=timezone.now() + timedelta(hours=1), by=cast["agent"]
        )
    actions.reopen_conversation(conversation, by=cast["agent"])
    conversation.refresh_from_db()
    assert (conversation.status, conversation.resolved_at) == ("open", None)


def test_pending_and_priority(cast, make_conversation):
    conversation = make_conversation()
    actions.mark_pending(conversation, by=cast["agent"])
    actions.set_priority(conversation, priority="urgent", by=cast["agent"])
    conversation.refresh_from_db()
    assert (conversation.status, conversation.priority) == ("pending", "urgent")
    with pytest.raises(InboxError):
        actions.set_priority(conversation, priority="whenever", by=cast["agent"])


def test_tags_are_created_on_the_fly_once_per_workspace(
    cast, make_channel, hillview, make_conversation
):
    first, second = make_conversation(), make_conversation()
    actions.add_tag(first, name="Late fees", by=cast["agent"])
    actions.add_tag(second, name="  late   FEES ", by=cast["agent"])
    foreign = make_conversation(channel_=make_channel(workspace=hillview))
    actions.add_tag(foreign, name="Late fees", by=cast["outsider"])

    riverside_tags = Tag.objects.filter(workspace=cast["agent"].workspace)
    assert [t.name for t in riverside_tags] == ["Late fees"]
    assert Tag.objects.count() == 2
    assert list(second.tags.values_list("name", flat=True)) == ["Late fees"]

    actions.remove_tag(first, name="late fees", by=cast["agent"])
    assert first.tags.count() == 0
    assert riverside_tags.count() == 1


def test_conversation_status_transitions_live_on_the_model():
    conversation = Conversation(status="resolved")
    assert conversation.can_transition_to("open")
    assert not conversation.can_transition_to("snoozed")
    assert Conversation(status="open").can_transition_to("resolved")


def test_notifications_can_be_marked_read(cast, make_conversation, run_commits):
    maya = cast["agent"]
    run_commits(actions.assign_conversation, make_conversation(), assignee=maya, by=cast["admin"])
    run_commits(actions.assign_conversation, make_conversation(), assignee=maya, by=cast["admin"])
    assert actions.mark_notifications_read(maya) == 2
    assert actions.mark_notifications_read(maya) == 0
