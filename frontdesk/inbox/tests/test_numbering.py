"""Conversation numbers for intake batches: unique, and on PostgreSQL taken without
making other workers wait for the whole batch that took them."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from frontdesk.inbox import numbering
from frontdesk.inbox.actions.conversations import inbox_settings_for
from frontdesk.inbox.models import InboxSettings


def test_numbers_taken_inside_a_transaction_that_made_the_row_are_its_own(riverside):
    # The test's transaction created the counter row: no other connection can see it,
    # so the caller's transaction takes the numbers (as it always did on SQLite).
    inbox_settings_for(riverside)
    assert numbering.take_numbers(riverside.pk, 3) == 3
    assert numbering.take_numbers(riverside.pk, 2) == 5
    numbering.close_side_connections()
    assert InboxSettings.objects.get(workspace=riverside).last_conversation_number == 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has one writer at a time")
def test_a_batch_holding_its_numbers_does_not_hold_up_another_worker(riverside):
    inbox_settings_for(riverside)
    took_a, b_done = threading.Event(), threading.Event()
    results: dict[str, int | str] = {}

    def worker_a():
        try:
            with transaction.atomic():
                results["a"] = numbering.take_numbers(riverside.pk, 10)
                took_a.set()
                # Still inside its transaction: B must get its numbers meanwhile.
                if not b_done.wait(20):
                    results["a"] = "B waited for A's transaction"
            numbering.close_side_connections()
        finally:
            took_a.set()
            connections.close_all()

    def worker_b():
        try:
            took_a.wait(20)
            with transaction.atomic():
                results["b"] = numbering.take_numbers(riverside.pk, 5)
            numbering.close_side_connections()
            b_done.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker_a), threading.Thread(target=worker_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == {"a": 10, "b": 15}
    assert InboxSettings.objects.get(workspace=riverside).last_conversation_number == 15


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has one writer at a time")
def test_numbers_of_a_rolled_back_batch_are_left_unused_never_given_twice(riverside):
    inbox_settings_for(riverside)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert numbering.take_numbers(riverside.pk, 4) == 4
        raise RuntimeError("the batch failed")
    with transaction.atomic():
        assert numbering.take_numbers(riverside.pk, 1) == 5  # a gap: 1-4 unused
    numbering.close_side_connections()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has one writer at a time")
def test_a_counter_row_locked_by_the_callers_own_transaction_falls_back_to_it(riverside):
    inbox_settings_for(riverside)
    with transaction.atomic():
        # This transaction holds the row (as `start_conversation` does): the side
        # connection gives up after its lock timeout and the numbers come from here.
        InboxSettings.objects.filter(workspace=riverside).update(last_conversation_number=7)
        assert numbering.take_numbers(riverside.pk, 2) == 9
    numbering.close_side_connections()
    assert InboxSettings.objects.get(workspace=riverside).last_conversation_number == 9
