"""A question thousands took part in: closing it queues the announcement's notices in
the worker (a Huey task, run at commit), not in the closing request; every person is
told once, `Announcement.notified` counts them, and a repeated task (a retry, the
sweep of a lost one) queues nobody twice. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from frontdesk.community import tasks
from frontdesk.community.actions import staff
from frontdesk.community.models import Announcement, Participant, Vote
from frontdesk.core.models import Contact, ContactIdentity, IdentityKind
from frontdesk.outreach.models import Delivery, Notice

pytestmark = pytest.mark.django_db

CROWD = 3000


def _crowd(workspace, suggestion, n: int) -> None:
    """`n` people who signed in and voted for `suggestion` (bulk: sign-in is tested
    elsewhere; here only the number matters)."""
    contacts = Contact.objects.bulk_create(
        Contact(workspace=workspace, name=f"Fan {i}") for i in range(n)
    )
    ContactIdentity.objects.bulk_create(
        ContactIdentity(
            workspace=workspace,
            contact=c,
            kind=IdentityKind.EMAIL,
            value=f"fan{i}@crowd.example",
            verified=True,
        )
        for i, c in enumerate(contacts)
    )
    people = Participant.objects.bulk_create(
        Participant(workspace=workspace, contact=c, display_name=c.name) for c in contacts
    )
    Vote.objects.bulk_create(
        Vote(workspace=workspace, participant=p, suggestion=suggestion) for p in people
    )


def test_large_announcement_is_queued_by_the_worker_once_per_person(
    question, make_suggestion, riverside, cast, mo_sender, django_capture_on_commit_callbacks
):
    idea = make_suggestion(question, "Best of Talking Heads", by="Sam Rivera")
    _crowd(riverside, idea, CROWD)
    everyone = CROWD + 1  # the voters and Sam, who suggested it
    assert everyone > staff.NOTIFY_IN_REQUEST

    with django_capture_on_commit_callbacks() as at_commit:
        made = staff.close_question(
            question, by=cast["moderator"], chosen_suggestion=idea, notify_participants=True
        )
    # The request did not queue them: it left that to the worker, after commit.
    assert (made.credit, made.notifying, made.notified) == (
        f"Chosen by {CROWD} of you, first suggested by Sam Rivera",
        True,
        0,
    )
    assert not Notice.objects.filter(workspace=riverside).exists()
    assert len(at_commit) == 1

    at_commit[0]()  # the commit: the task runs (Huey is immediate in tests)
    made.refresh_from_db()
    assert (made.notifying, made.notified) == (False, everyone)
    notices = Notice.objects.filter(workspace=riverside)
    assert notices.count() == everyone
    assert notices.values("contact").distinct().count() == everyone
    assert Delivery.objects.filter(workspace=riverside).count() == everyone
    assert {n.sender_id for n in notices.only("sender")} == {mo_sender.pk}

    # A retried task finds it done; the action run again queues nobody twice.
    tasks.notify_announcement(made.pk, cast["moderator"].pk)
    assert staff.notify_announcement(made, by=cast["moderator"]) == 0
    # A task lost before it finished (worker died): the sweep picks it up again.
    Announcement.objects.filter(pk=made.pk).update(
        notifying=True, created_at=timezone.now() - timedelta(hours=1)
    )
    tasks.resume_announcements.call_local()
    made.refresh_from_db()
    assert (made.notifying, made.notified) == (False, everyone)
    assert Notice.objects.filter(workspace=riverside).count() == everyone
    assert Delivery.objects.filter(workspace=riverside).count() == everyone


def test_small_announcement_is_still_queued_with_the_close(
    question, make_suggestion, make_participant, riverside, cast, mo_sender
):
    idea = make_suggestion(question, "Sunday jazz for kids")
    made = staff.close_question(
        question, by=cast["moderator"], chosen_suggestion=idea, notify_participants=True
    )
    assert (made.notifying, made.notified) == (False, 1)
    assert Notice.objects.filter(workspace=riverside).count() == 1
