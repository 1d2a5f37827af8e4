"""Stored mail is never lost between store and process: the intake sweep (or the
poll intake's poller) picks up raw mail a crash left unprocessed or half-processed,
and it becomes one message, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from frontdesk.channels.email.models import EmailDetail, RawEmail
from frontdesk.channels.email.receive import receive_raw
from frontdesk.inbox import intake
from frontdesk.inbox.models import InboundEvent, InboundEventStatus, Message

pytestmark = pytest.mark.django_db

LATER = timedelta(minutes=10)


def test_mail_stored_but_never_processed_is_picked_up_by_the_sweep(email_channel, mail):
    # The worker died after the store committed and before any processing ran:
    # on_commit callbacks do not run inside the test's transaction, as after a kill.
    stored = receive_raw(email_channel, mail(subject="Lost in a crash?"), via="smtpd")
    row = InboundEvent.objects.get(pk=stored.event_id)
    assert row.status == InboundEventStatus.PENDING and row.attempts == 0
    assert RawEmail.objects.filter(event=row).exists()
    assert not Message.objects.exists()
    assert intake.sweep_inbound_events(now=timezone.now() + LATER) == 1
    row.refresh_from_db()
    assert row.status == InboundEventStatus.PROCESSED
    message = Message.objects.get(inbound_event=row)
    assert message.conversation.subject == "Lost in a crash?"
    assert message.body.startswith("Do you have large-print books?")
    assert EmailDetail.objects.get(event=row).message_id == message.pk
    # Swept again: nothing left to do, nothing made twice.
    assert intake.sweep_inbound_events(now=timezone.now() + LATER) == 0
    assert Message.objects.count() == 1


def test_with_the_poll_intake_the_poller_takes_untried_mail(email_channel, mail, settings):
    settings.INBOX_INTAKE = "poll"
    HUEY.immediate = False  # as in a real worker (the autouse fixture restores it)
    stored = receive_raw(email_channel, mail(subject="Polled"), via="imap")
    assert intake.intake_polls()
    # Untried rows are the pollers' (a task each would race the batches) ...
    assert intake.sweep_inbound_events(now=timezone.now() + LATER) == 0
    assert intake.IntakePoller().run_once() == 1
    row = InboundEvent.objects.get(pk=stored.event_id)
    assert row.status == InboundEventStatus.PROCESSED
    assert Message.objects.get(inbound_event=row).conversation.subject == "Polled"


def test_a_crash_while_processing_a_mail_is_retried_and_makes_one_message(
    email_channel, mail, monkeypatch, django_capture_on_commit_callbacks
):
    stored = receive_raw(
        email_channel, mail(subject="Half done", html="<p>Hello <b>desk</b></p>"), via="smtpd"
    )
    ids = intake.claim_inbound_events()
    assert ids == [stored.event_id]

    def dies(*args, **kwargs):
        raise KeyboardInterrupt  # a kill, not an Exception: nothing catches it

    # The mail is parsed (EmailDetail written, committed with the sender's contact
    # before the batch's own transaction) and the message recorded, then the worker
    # dies before the round commits: no message, the parse kept, linked to none.
    monkeypatch.setattr(intake, "_react_all", dies)
    with pytest.raises(KeyboardInterrupt):
        intake._process_batch(ids)
    row = InboundEvent.objects.get(pk=stored.event_id)
    assert row.status == InboundEventStatus.PROCESSING
    assert not Message.objects.exists()
    assert list(EmailDetail.objects.values_list("message_id", flat=True)) == [None]

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert intake.sweep_inbound_events(now=timezone.now() + LATER) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (InboundEventStatus.PROCESSED, 2)
    message = Message.objects.get()
    assert message.inbound_event_id == row.pk
    detail = EmailDetail.objects.get()
    assert detail.message_id == message.pk and "<b>desk</b>" in detail.body_html


def test_a_stored_bounce_left_unprocessed_still_marks_the_address_when_swept(
    email_channel, mail, run_intake, cast
):
    from frontdesk.channels.email.models import UndeliverableAddress
    from frontdesk.channels.email.tests.test_bounce import dsn
    from frontdesk.inbox.actions.replies import deliver_message, send_reply

    first = run_intake(receive_raw(email_channel, mail(), via="smtpd").event_id)
    reply = deliver_message(send_reply(first.message.conversation, body="Yes", by=cast["agent"]).pk)
    assert reply is not None
    report = dsn(
        recipient="grace@example.org",
        original_message_id=reply.provider_message_id,
        diagnostic="550 5.1.1 User unknown",
    )
    receive_raw(email_channel, report, via="smtpd")
    assert not UndeliverableAddress.objects.exists()
    assert intake.sweep_inbound_events(now=timezone.now() + LATER) == 1
    assert UndeliverableAddress.objects.get().address == "grace@example.org"
    reply.refresh_from_db()
    assert reply.status == "failed"
