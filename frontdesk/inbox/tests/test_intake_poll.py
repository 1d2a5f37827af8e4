"""The "poll" intake (the embedded SQLite setup): the event rows are the queue.

Storing an event enqueues no task; the worker's IntakePoller turns new pending
rows into messages, leaves rows a failure handed back to the sweep, and a replay
stored outside any transaction (as a webhook stores it) is still one row.
"""

from __future__ import annotations

import threading

import pytest
from huey.contrib.djhuey import HUEY

from frontdesk.inbox import intake
from frontdesk.inbox.models import InboundEvent, InboundEventStatus, Message


@pytest.fixture
def polling(settings):
    """Poll intake with tasks not run inline (nothing may reach the task queue)."""
    settings.INBOX_INTAKE = "poll"
    was = HUEY.immediate
    HUEY.immediate = False
    yield
    HUEY.immediate = was


@pytest.mark.django_db
def test_storing_schedules_nothing_and_the_poller_makes_the_message(
    polling, channel, make_event, django_capture_on_commit_callbacks
):
    assert intake.intake_polls()
    with django_capture_on_commit_callbacks() as callbacks:
        row, created = intake.store_inbound_event(channel, make_event(body="Is Sunday open?"))
    assert created
    assert callbacks == []
    poller = intake.IntakePoller()
    assert poller.run_once() == 1
    assert poller.run_once() == 0
    row.refresh_from_db()
    assert (row.status, row.attempts) == (InboundEventStatus.PROCESSED, 1)
    assert Message.objects.get(inbound_event=row).body == "Is Sunday open?"


@pytest.mark.django_db
def test_push_intake_and_inline_tasks_enqueue_after_commit(
    settings, channel, make_event, django_capture_on_commit_callbacks
):
    settings.INBOX_INTAKE = "push"
    with django_capture_on_commit_callbacks() as callbacks:
        intake.store_inbound_event(channel, make_event(provider_id="push-1"))
    assert len(callbacks) == 1
    settings.INBOX_INTAKE = "poll"  # tasks run inline in tests: push regardless
    assert not intake.intake_polls()


@pytest.mark.django_db
def test_the_poller_starts_at_the_oldest_pending_row_and_skips_finished_ones(
    polling, channel, make_event
):
    rows = [
        intake.store_inbound_event(channel, make_event(provider_id=f"p-{n}", body=f"text {n}"))[0]
        for n in range(5)
    ]
    intake.process_inbound_event(rows[0].pk)  # an earlier worker did this one
    poller = intake.IntakePoller(batch=2)
    assert [poller.run_once() for _ in range(3)] == [2, 2, 0]
    assert poller.after_id == rows[-1].pk
    assert sorted(Message.objects.values_list("body", flat=True)) == [f"text {n}" for n in range(5)]


@pytest.mark.django_db
def test_a_stopping_poller_finishes_the_event_in_hand_and_leaves_the_rest(
    polling, channel, make_event, monkeypatch
):
    rows = [
        intake.store_inbound_event(channel, make_event(provider_id=f"s-{n}"))[0] for n in range(3)
    ]
    stop = threading.Event()
    real = intake._process_batch

    def stopping_after_one(ids: list[int]):
        stop.set()  # the worker was told to stop while this batch was processed
        return real(ids)

    monkeypatch.setattr(intake, "_process_batch", stopping_after_one)
    poller = intake.IntakePoller(batch=1)
    assert poller.run_once(stop) == 1
    assert poller.run_once(stop) == 0
    assert poller.after_id == rows[0].pk
    assert list(Message.objects.values_list("inbound_event_id", flat=True)) == [rows[0].pk]
    assert InboundEvent.objects.filter(status=InboundEventStatus.PENDING).count() == 2


@pytest.mark.django_db
def test_a_failure_is_left_to_the_sweep_and_the_poller_goes_on(
    polling, channel, make_event, monkeypatch
):
    failing = intake.store_inbound_event(channel, make_event(provider_id="bad", body="boom"))[0]
    fine = intake.store_inbound_event(channel, make_event(provider_id="good", body="fine"))[0]
    real_record, real_record_batch = intake._record, intake._record_batch

    def record(row):
        if row.pk == failing.pk:
            raise RuntimeError("a bug in processing")
        return real_record(row)

    def record_batch(rows, prepared=None):
        if any(row.pk == failing.pk for row in rows):
            raise RuntimeError("a bug in processing")
        return real_record_batch(rows, prepared)

    monkeypatch.setattr(intake, "_record", record)
    monkeypatch.setattr(intake, "_record_batch", record_batch)
    poller = intake.IntakePoller()
    assert poller.run_once() == 2
    assert poller.run_once() == 0  # handed back, but below the mark: not retried here
    failing.refresh_from_db()
    assert (failing.status, failing.attempts) == (InboundEventStatus.PENDING, 1)
    assert "a bug in processing" in failing.error
    assert Message.objects.get().inbound_event_id == fine.pk


@pytest.mark.django_db(transaction=True)
def test_the_poller_thread_processes_texts_stored_outside_a_transaction(
    polling, channel, make_event, monkeypatch
):
    # As a webhook stores it: one INSERT in autocommit; a replay is the same row.
    first, created = intake.store_inbound_event(channel, make_event(provider_id="auto-1"))
    again, created_again = intake.store_inbound_event(channel, make_event(provider_id="auto-1"))
    later, _ = intake.store_inbound_event(channel, make_event(provider_id="auto-2"))
    assert (created, created_again, again.pk) == (True, False, first.pk)
    # The test's own thread stays off the database while the poller works (SQLite's
    # in-memory test database locks whole tables between connections).
    processed: list[int] = []
    both = threading.Event()
    real = intake._process_batch

    def tracking(ids: list[int]):
        real(ids)
        processed.extend(ids)
        if len(processed) == 2:
            both.set()

    monkeypatch.setattr(intake, "_process_batch", tracking)
    stop = threading.Event()
    thread = threading.Thread(target=intake.IntakePoller(interval=0.05).run, args=(stop,))
    thread.start()
    try:
        assert both.wait(timeout=30)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert processed == [first.pk, later.pk]
    assert set(Message.objects.values_list("inbound_event_id", flat=True)) == {first.pk, later.pk}
    assert InboundEvent.objects.filter(status=InboundEventStatus.PROCESSED).count() == 2
